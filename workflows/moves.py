"""Pure rules around a move that are not its lifecycle: the capacity check of a deferral, the
record of whether the person's close relatives were told, and the reminder when nobody did.

No I/O and no clock: the workflow passes `now`, and the capacity data comes in the command
(looked up by the API), so the workflow's decision is deterministic.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from msgspec.structs import replace

from contracts import events
from contracts.actions import DeferBody, DeferralReason
from contracts.api import HandoverRecord
from contracts.capacity import CapacityCheck
from contracts.common import CLOCK_SKEW, State
from contracts.deadline_policy import EscalationLevel
from contracts.lifecycle import REPORTING
from contracts.refusals import Refusal
from contracts.relatives import RelativesBody, RelativesNotice
from contracts.workflow import Command, CommandMeta
from workflows.deadline_engine import escalate
from workflows.transitions import Change, NewEvent, check_common, error, invalid

RELATIVES_SUBJECT = "relatives"
# Relatives may have been told at the apprehension, well before the request.
EARLIEST_NOTICE = timedelta(days=30)


def flag_deferral(change: Change, body: DeferBody, capacity: CapacityCheck | None) -> Change:
    """A deferral for no capacity names the full unit and says whether the capacity data
    showed room elsewhere in its region (`room_elsewhere`; null when no category was given)."""
    if capacity is None or body.reason != DeferralReason.NO_CAPACITY:
        return change
    record = change.record
    room = tuple(r.unit for r in capacity.room)
    checked = capacity.category is not None
    flagged = bool(room) if checked else None
    facts = {
        "full_unit": capacity.full_unit,
        "category": capacity.category,
        "room_elsewhere": flagged,
        "room_at": room if checked else None,
    }
    new = [
        NewEvent(e.occurred_at, replace(e.data, **facts))
        if isinstance(e.data, events.Deferred)
        else e
        for e in change.events
    ]
    if record.deferral is not None:
        record = replace(record, deferral=replace(record.deferral, **facts))
    return Change(record, new)


def check_relatives(
    record: HandoverRecord, command: Command[RelativesBody], *, now: datetime
) -> None:
    meta = command.meta
    check_common(record, meta, command)
    if not set(meta.actor.roles) & REPORTING:
        raise error(Refusal.FORBIDDEN, "Your role may not record whether relatives were told.")
    at = command.body.notified_at
    if at is not None:
        if at > now + CLOCK_SKEW:
            raise invalid("$.notified_at", "lies in the future")
        if at < record.created_at - EARLIEST_NOTICE:
            raise invalid("$.notified_at", "is more than 30 days before the request was made")


def apply_relatives(
    record: HandoverRecord, meta: CommandMeta, body: RelativesBody, now: datetime
) -> Change:
    notice = RelativesNotice(
        number=len(record.relatives) + 1,
        notified=body.notified,
        relative=body.relative,
        notified_at=body.notified_at,
        method=body.method,
        reason=body.reason,
        text=body.text,
        recorded_by=meta.actor.ref(),
        recorded_at=now,
    )
    data = events.from_body(events.RelativesRecorded, body, number=notice.number)
    changed = replace(
        record, relatives=(*record.relatives, notice), relatives_notified=body.notified
    )
    return Change(changed, [NewEvent(now, data)])


def relatives_missing(before: HandoverRecord, after: HandoverRecord) -> bool:
    """The change completes the move and nobody recorded whether relatives were told."""
    return (
        before.state != State.COMPLETED
        and after.state == State.COMPLETED
        and not after.relatives
        and not any(e.subject == RELATIVES_SUBJECT for e in after.escalations)
    )


def remind_relatives(change: Change, now: datetime) -> Change:
    """An escalation: the move completed without a record of whether relatives were told."""
    record, _ = escalate(
        change.record,
        EscalationLevel.RELATIVES,
        RELATIVES_SUBJECT,
        False,
        "The move completed without a record of whether the person's close relatives were "
        "told (who, when, how, or why not): POST .../relatives.",
        now,
    )
    return Change(record, change.events)
