"""Rules of the deadline-related updates: extend, acknowledge an escalation, report an incident."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from msgspec.structs import replace

from contracts import events
from contracts.actions import AcknowledgeBody, ExtendBody, ReportBody
from contracts.api import HandoverRecord
from contracts.assessment import SERIOUS
from contracts.common import CLOCK_SKEW, Role
from contracts.deadline_policy import DeadlineState
from contracts.lifecycle import OVERVIEW, REPORTING, parties
from contracts.refusals import Refusal
from contracts.workflow import Command
from workflows.transitions import Change, NewEvent, check_common, error, invalid

# Who may move a deadline by a recorded decision: coordinators, the custody supervisor
# (arrestföreståndare) and integrated systems; operational clocks also transport planners.
EXTENDERS_LEGAL = frozenset({Role.COORDINATOR, Role.CUSTODY_SUPERVISOR, Role.SYSTEM})
EXTENDERS_OPERATIONAL = EXTENDERS_LEGAL | {Role.TRANSPORT_PLANNER}
EXTENDABLE = frozenset(
    {DeadlineState.RUNNING, DeadlineState.WARNED, DeadlineState.EXTENDED, DeadlineState.BREACHED}
)


def _is_party(record: HandoverRecord, command: Command[Any]) -> bool:
    meta = command.meta
    return bool(parties(record.situation(), meta.actor, meta.actor_unit_kind))


def check_extend(record: HandoverRecord, command: Command[ExtendBody], *, now: datetime) -> None:
    actor = command.meta.actor
    coordinator = actor.has_any(*OVERVIEW)
    if not coordinator:
        check_common(record, command.meta, command)
    elif command.expected_version is not None and command.expected_version != record.version:
        check_common(record, command.meta, command)  # raises precondition_failed
    deadline = next((d for d in record.deadlines if d.id == command.target), None)
    if deadline is None:
        raise error(Refusal.NOT_FOUND, f"No deadline {command.target} on this request.")
    allowed = EXTENDERS_LEGAL if deadline.legal else EXTENDERS_OPERATIONAL
    if not (set(actor.roles) & allowed) or (not coordinator and not _is_party(record, command)):
        raise error(Refusal.FORBIDDEN, f"Your role may not extend {deadline.name}.")
    if actor.has_any(Role.AUDITOR) and not actor.has_any(Role.COORDINATOR):
        raise error(Refusal.FORBIDDEN, "Auditors read; they do not extend deadlines.")
    if deadline.state not in EXTENDABLE:
        raise error(
            Refusal.DEADLINE_CLOSED,
            f"The deadline is {deadline.state}; only a running or breached one can be extended.",
            current_state=record.state,
        )
    new_due = command.body.new_due_at
    if new_due <= deadline.due_at:
        raise invalid("$.new_due_at", "must be later than the current due time")
    if new_due <= now:
        raise invalid("$.new_due_at", "lies in the past")


def check_acknowledge(record: HandoverRecord, command: Command[AcknowledgeBody]) -> None:
    actor = command.meta.actor
    if not actor.has_any(Role.COORDINATOR):
        raise error(Refusal.FORBIDDEN, "Coordinators acknowledge escalations.")
    if command.expected_version is not None:
        check_common(record, command.meta, command)
    escalation = next((e for e in record.escalations if e.id == command.target), None)
    if escalation is None:
        raise error(Refusal.NOT_FOUND, f"No escalation {command.target}.")
    if escalation.acknowledged_at is not None:
        raise error(
            Refusal.ALREADY_ACKNOWLEDGED,
            f"Acknowledged at {escalation.acknowledged_at.isoformat()}.",
            current_state=record.state,
        )


def acknowledge(record: HandoverRecord, command: Command[AcknowledgeBody], now: datetime) -> Change:
    actor = command.meta.actor.ref()
    escalations = tuple(
        replace(e, acknowledged_at=now, acknowledged_by=actor, note=command.body.note)
        if e.id == command.target
        else e
        for e in record.escalations
    )
    data = events.EscalationAcknowledged(escalation=command.target or "", note=command.body.note)
    return Change(replace(record, escalations=escalations), [NewEvent(now, data)])


def check_report(record: HandoverRecord, command: Command[ReportBody], *, now: datetime) -> None:
    check_common(record, command.meta, command)
    if not set(command.meta.actor.roles) & REPORTING:
        raise error(Refusal.FORBIDDEN, "Your role may not report incidents.")
    number = int(command.target or 0)
    incident = next((i for i in record.incidents if i.number == number), None)
    if incident is None:
        raise error(Refusal.NOT_FOUND, f"No incident {number} on this request.")
    if incident.severity not in SERIOUS:
        raise invalid("$", "only serious incidents are reported to Arbetsmiljöverket")
    if incident.reported_at is not None:
        raise error(
            Refusal.ALREADY_REPORTED,
            "The incident is already reported.",
            current_state=record.state,
        )
    at = command.body.reported_at
    if at > now + CLOCK_SKEW:
        raise invalid("$.reported_at", "lies in the future")
    if at < incident.occurred_at:
        raise invalid("$.reported_at", "is before the incident")


def report(record: HandoverRecord, command: Command[ReportBody], now: datetime) -> Change:
    number = int(command.target or 0)
    body = command.body
    incidents = [
        replace(i, reported_at=body.reported_at, report_reference=body.reference)
        if i.number == number
        else i
        for i in record.incidents
    ]
    data = events.IncidentReported(number=number, reference=body.reference)
    return Change(replace(record, incidents=incidents), [NewEvent(body.reported_at, data)])
