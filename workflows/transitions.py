"""Pure rules of the request workflow: validate a command, then compute the new record.

No I/O and no clock: the workflow passes `now` (workflow time). Failures are
ApplicationErrors whose `type` the API maps to a problem (403, 404, 409, 412, 422, 400).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from msgspec.structs import replace
from temporalio.exceptions import ApplicationError

from contracts import events
from contracts.actions import (
    AcceptBody,
    CancelBody,
    CompleteBody,
    DeferBody,
    NotExecutedBody,
    PlacedBody,
    ReceiveBody,
    RejectBody,
    ReleaseBody,
    ScheduleBody,
)
from contracts.api import (
    Closure,
    CustodySegment,
    Deferral,
    HandoverRecord,
    HandoverStep,
    Placement,
    Reception,
    Release,
    Responsibility,
    Schedule,
)
from contracts.assessment import AssessmentBody, Incident, IncidentBody, SecurityAssessment
from contracts.common import CLOCK_SKEW, FINAL_STATES, Actor, Role, State
from contracts.journey import StopKind, StopStatus
from contracts.lifecycle import (
    ASSESSING,
    OVERVIEW,
    REPORTING,
    Action,
    Party,
    Situation,
    allowed,
    blocked,
    check,
    parties,
)
from contracts.refusals import Refusal
from contracts.workflow import Command, CommandMeta, EventType

ActionBody = (
    AcceptBody
    | DeferBody
    | RejectBody
    | ScheduleBody
    | ReleaseBody
    | ReceiveBody
    | CancelBody
    | CompleteBody
    | NotExecutedBody
    | PlacedBody
)


@dataclass(frozen=True)
class NewEvent:
    occurred_at: datetime
    data: events.EventData

    @property
    def type(self) -> EventType:
        return self.data.type


@dataclass(frozen=True)
class Change:
    record: HandoverRecord
    events: list[NewEvent]


def situation(record: HandoverRecord) -> Situation:
    return record.situation()


def error(code: Refusal, text: str, **details: Any) -> ApplicationError:
    """A refusal the API turns into a problem; `details` travel as its first detail."""
    return ApplicationError(text, details, type=str(code), non_retryable=True)


def invalid(field: str, reason: str) -> ApplicationError:
    return error(Refusal.INVALID_INPUT, f"{field}: {reason}", field=field, reason=reason)


def check_common(record: HandoverRecord, meta: CommandMeta, command: Command[Any]) -> None:
    """Checks every update shares: the caller is a party, the version and the retry key."""
    actor = meta.actor
    if not parties(situation(record), actor, meta.actor_unit_kind):
        # Someone who may read the request learns why they cannot change it; others that
        # it does not exist for them.
        if actor.has_any(*OVERVIEW) or actor.unit in record.parties():
            raise error(Refusal.FORBIDDEN, "You are not a party who may change this request.")
        raise error(Refusal.NOT_FOUND, f"No handover request {record.id}.")
    if command.expected_version is not None and command.expected_version != record.version:
        raise error(
            Refusal.PRECONDITION_FAILED,
            f"If-Match names version {command.expected_version}; the request is at "
            f"version {record.version}.",
            current_version=record.version,
        )


def check_action(
    record: HandoverRecord,
    action: Action,
    command: Command[Any],
    *,
    now: datetime,
    previous: datetime,
) -> None:
    """Raise unless the caller may take `action` now with this body."""
    meta = command.meta
    check_common(record, meta, command)
    here = situation(record)
    denied = check(action, here, meta.actor, meta.actor_unit_kind)
    if denied is not None:
        details: dict[str, Any] = {"current_state": record.state}
        if denied.status == 409:
            details["allowed_actions"] = [
                str(a) for a in allowed(here, meta.actor, meta.actor_unit_kind)
            ]
            details["blocked_actions"] = [
                {"action": str(a), "reason": str(d.code), "detail": d.detail}
                for a, d in blocked(here, meta.actor, meta.actor_unit_kind)
            ]
        raise error(denied.code, denied.detail, **details)
    _check_body(record, command.body, now=now, previous=previous)


def field_time(at: datetime, *, now: datetime, previous: datetime, field: str) -> None:
    if at > now + CLOCK_SKEW:
        raise invalid(field, "lies in the future")
    if at < at_precision_of(at, previous):
        raise invalid(field, f"is before the previous event ({previous.isoformat()})")


def at_precision_of(given: datetime, previous: datetime) -> datetime:
    """`previous` cut to the precision `given` was written in: whole seconds or milliseconds.

    A client that sends `12:00:07` means some instant in that second; it is not before an
    event the service stamped at `12:00:07.345`.
    """
    if given.microsecond == 0:
        return previous.replace(microsecond=0)
    if given.microsecond % 1000 == 0:
        return previous.replace(microsecond=previous.microsecond // 1000 * 1000)
    return previous


def settled(body: Any, previous: datetime) -> Any:
    """The body with its field time no earlier than the previous event.

    A time accepted by `at_precision_of` but before `previous` lies in the same second (or
    millisecond) as it; the earliest instant of that second that keeps the log and the
    custody chain in order is `previous` itself, so that is what is recorded.
    """
    at = getattr(body, "occurred_at", None)
    if isinstance(at, datetime) and at < previous:
        return replace(body, occurred_at=previous)
    return body


def _check_body(record: HandoverRecord, body: Any, *, now: datetime, previous: datetime) -> None:
    match body:
        case ScheduleBody():
            if record.state == State.SCHEDULED and body.reason is None:
                raise invalid("$.reason", "a reschedule needs a reason")
            if body.pickup_at < record.created_at:
                raise invalid("$.pickup_at", "is before the request was made")
        case ReleaseBody():
            if record.responsible is not None and body.to_unit == record.responsible.unit:
                raise invalid("$.to_unit", "is the unit that already holds the person")
            _check_lodging_release(record, body.to_unit)
            field_time(body.occurred_at, now=now, previous=previous, field="$.occurred_at")
        case ReceiveBody():
            pending = record.pending_release
            if pending is None and not body.received_from:
                raise invalid("$.received_from", "say where the person was picked up")
            if pending is not None and body.received_from:
                raise invalid("$.received_from", "only for a pick-up from outside the agencies")
            field_time(body.occurred_at, now=now, previous=previous, field="$.occurred_at")
        case CompleteBody() | NotExecutedBody():
            field_time(body.occurred_at, now=now, previous=previous, field="$.occurred_at")
        case PlacedBody():
            field_time(body.occurred_at, now=now, previous=previous, field="$.occurred_at")
        case _:
            pass


def _check_lodging_release(record: HandoverRecord, to_unit: str) -> None:
    """A release to a unit planned as a lodging needs its acceptance first."""
    stops = record.journey.stops if record.journey is not None else ()
    for stop in stops:
        if (stop.unit, stop.kind, stop.status) == (to_unit, StopKind.LODGING, StopStatus.PLANNED):
            raise error(
                Refusal.ILLEGAL_TRANSITION,
                f"{to_unit} has not accepted the lodging (stop {stop.number}) yet.",
                current_state=record.state,
            )


def apply(
    record: HandoverRecord, action: Action, meta: CommandMeta, body: Any, now: datetime
) -> Change:
    """The record after `action` and the events that say what changed."""
    actor = meta.actor.ref()
    was = record.state
    data: events.EventData
    kind: type[events.EventData]
    match body:
        case AcceptBody():
            data = events.from_body(events.Accepted, body, from_state=was)
            return _move(record, State.ACCEPTED, now, data, deferral=None)
        case DeferBody():
            deferral = Deferral(
                reason=body.reason, text=body.text, expected_at=body.expected_at, by=actor, at=now
            )
            data = events.from_body(events.Deferred, body, from_state=was)
            return _move(record, State.DEFERRED, now, data, deferral=deferral)
        case RejectBody() | CancelBody():
            rejected = isinstance(body, RejectBody)
            state = State.REJECTED if rejected else State.CANCELLED
            closure = Closure(state=state, by=actor, at=now, reason=body.reason, text=body.text)
            kind = events.Rejected if rejected else events.Cancelled
            data = events.from_body(kind, body, from_state=was)
            return _move(record, state, now, data, closure=closure)
        case ScheduleBody():
            revision = record.schedule.revision + 1 if record.schedule else 1
            schedule = Schedule(
                pickup_at=body.pickup_at,
                transport_unit=body.transport_unit,
                revision=revision,
                by=actor,
                at=now,
                reason=body.reason,
                text=body.text,
                note=body.note,
            )
            kind = events.Scheduled if revision == 1 else events.Rescheduled
            data = events.from_body(kind, body, revision=revision, from_state=was)
            return _move(record, State.SCHEDULED, now, data, schedule=schedule)
        case ReleaseBody():
            assert record.responsible is not None
            release = Release(
                by=actor,
                from_unit=record.responsible.unit,
                to_unit=body.to_unit,
                occurred_at=body.occurred_at,
                recorded_at=now,
                identity_checked=body.identity_checked,
                documents=body.documents,
                medication=body.medication,
                property_seals=body.property_seals,
                remarks=body.remarks,
            )
            step = HandoverStep(number=len(record.handovers) + 1, release=release)
            data = events.from_body(
                events.Released, body, from_unit=release.from_unit, step=step.number
            )
            changed = replace(record, handovers=[*record.handovers, step])
            return Change(changed, [NewEvent(body.occurred_at, data)])
        case ReceiveBody():
            return _receive(record, meta, body, now)
        case CompleteBody():
            chain = _close_chain(record.custody_chain, body.occurred_at)
            closure = Closure(
                state=State.COMPLETED,
                by=actor,
                at=now,
                occurred_at=body.occurred_at,
                delivered_to=body.delivered_to,
                text=body.remarks,
            )
            changed = replace(
                record,
                state=State.COMPLETED,
                responsible=None,
                custody_chain=chain,
                closure=closure,
            )
            data = events.from_body(events.Completed, body, from_state=was)
            return Change(changed, [NewEvent(body.occurred_at, data)])
        case NotExecutedBody():
            closure = Closure(
                state=State.NOT_EXECUTED,
                by=actor,
                at=now,
                reason=body.reason,
                text=body.text,
                occurred_at=body.occurred_at,
            )
            data = events.from_body(events.NotExecuted, body, from_state=was)
            return _move(record, State.NOT_EXECUTED, body.occurred_at, data, closure=closure)
        case PlacedBody():
            # The request stays as it is (completed at the remand prison); the move to the
            # prison, when it is a transport, is a request of its own.
            placement = Placement(
                prison_unit=body.prison_unit,
                occurred_at=body.occurred_at,
                by=actor,
                recorded_at=now,
                decision=body.decision,
                remarks=body.remarks,
            )
            data = events.from_body(events.Placed, body)
            changed = replace(record, placement=placement)
            return Change(changed, [NewEvent(body.occurred_at, data)])
    raise error(Refusal.INVALID_INPUT, f"unexpected body for {action}")


def _move(
    record: HandoverRecord,
    state: State,
    occurred_at: datetime,
    data: events.EventData,
    **changes: Any,
) -> Change:
    changed = replace(record, state=state, **changes)
    return Change(changed, [NewEvent(occurred_at, data)])


def _close_chain(chain: list[CustodySegment], at: datetime) -> list[CustodySegment]:
    if chain and chain[-1].until is None:
        return [*chain[:-1], replace(chain[-1], until=at)]
    return chain


def _receive(record: HandoverRecord, meta: CommandMeta, body: ReceiveBody, now: datetime) -> Change:
    actor = meta.actor
    reception = Reception(
        by=actor.ref(),
        unit=actor.unit,
        occurred_at=body.occurred_at,
        recorded_at=now,
        identity_confirmed=body.identity_confirmed,
        received_from=body.received_from,
        remarks=body.remarks,
    )
    if record.pending_release is not None:
        last = record.handovers[-1]
        steps = [*record.handovers[:-1], replace(last, reception=reception)]
        number = last.number
    else:
        number = len(record.handovers) + 1
        steps = [*record.handovers, HandoverStep(number=number, release=None, reception=reception)]
    chain = [
        *_close_chain(record.custody_chain, body.occurred_at),
        CustodySegment(unit=actor.unit, org=actor.org, since=body.occurred_at),
    ]
    responsible = Responsibility(unit=actor.unit, org=actor.org, since=body.occurred_at)
    arrived = record.to_unit is not None and actor.unit == record.to_unit
    state = State.COMPLETED if arrived else State.IN_TRANSIT
    received = events.from_body(events.Received, body, unit=actor.unit, step=number)
    new = [NewEvent(body.occurred_at, received)]
    closure = record.closure
    if arrived:
        closure = Closure(
            state=State.COMPLETED, by=actor.ref(), at=now, occurred_at=body.occurred_at
        )
        new.append(NewEvent(body.occurred_at, events.Completed(destination=actor.unit)))
    changed = replace(
        record,
        state=state,
        handovers=steps,
        custody_chain=chain,
        responsible=responsible,
        closure=closure,
    )
    return Change(changed, new)


def check_assessment(record: HandoverRecord, command: Command[AssessmentBody]) -> None:
    meta = command.meta
    check_common(record, meta, command)
    if record.state in FINAL_STATES:
        raise error(
            Refusal.ILLEGAL_TRANSITION,
            f"The request is {record.state}.",
            current_state=record.state,
        )
    here = situation(record)
    found = parties(here, meta.actor, meta.actor_unit_kind)
    if Party.REQUESTER not in found or not _has(meta.actor, ASSESSING):
        raise error(Refusal.FORBIDDEN, "The requesting unit's custody staff keep the assessment.")
    if record.security_assessments and not command.body.amendment_reason:
        raise invalid("$.amendment_reason", "an amendment needs a reason")


def apply_assessment(
    record: HandoverRecord, meta: CommandMeta, body: AssessmentBody, now: datetime
) -> Change:
    after_scheduling = record.state in (State.SCHEDULED, State.IN_TRANSIT)
    version = len(record.security_assessments) + 1
    assessment = SecurityAssessment(
        version=version,
        flags=body.flags,
        complete=body.complete,
        interpreter_language=body.interpreter_language,
        amendment_reason=body.amendment_reason,
        recorded_by=meta.actor.ref(),
        recorded_at=now,
        after_scheduling=after_scheduling,
    )
    kind = events.SecurityAssessmentRecorded if version == 1 else events.SecurityAssessmentAmended
    notify = Party.EXECUTOR if after_scheduling else None
    data = events.from_body(kind, body, version=version, notify=notify)
    changed = replace(record, security_assessments=[*record.security_assessments, assessment])
    return Change(changed, [NewEvent(now, data)])


def check_incident(
    record: HandoverRecord, command: Command[IncidentBody], *, now: datetime
) -> None:
    meta = command.meta
    check_common(record, meta, command)
    if not _has(meta.actor, REPORTING):
        raise error(Refusal.FORBIDDEN, "Your role may not record incidents.")
    at = command.body.occurred_at
    if at > now + CLOCK_SKEW:
        raise invalid("$.occurred_at", "lies in the future")
    if at < record.created_at - timedelta(days=1):
        raise invalid("$.occurred_at", "is long before the request was made")


def apply_incident(
    record: HandoverRecord, meta: CommandMeta, body: IncidentBody, now: datetime
) -> Change:
    incident = Incident(
        number=len(record.incidents) + 1,
        kind=body.kind,
        severity=body.severity,
        occurred_at=body.occurred_at,
        place=body.place,
        description=body.description,
        actions_taken=body.actions_taken,
        recorded_by=meta.actor.ref(),
        recorded_at=now,
    )
    data = events.from_body(events.IncidentRecorded, body, number=incident.number)
    changed = replace(record, incidents=[*record.incidents, incident])
    return Change(changed, [NewEvent(body.occurred_at, data)])


def _has(actor: Actor, roles: frozenset[Role]) -> bool:
    return bool(roles & set(actor.roles))
