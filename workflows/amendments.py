"""Pure rules of amendments and corrections: check a command, then compute the new record.

Nothing recorded is rewritten. An amendment appends `amended` (old and new value, reason); a
correction appends `corrected`, naming the event recorded in error, and the record takes the
corrected time (custody chain, handover step, closure, the clocks it started or met). Clocks
that run from an amended or corrected time are run again from it (`deadline_recomputed`).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

import msgspec
from msgspec.structs import replace

from contracts import events
from contracts.amendments import (
    AMENDERS,
    CORRECTORS,
    AmendCommand,
    AmendedField,
    ChildAmendment,
    CorrectionBody,
    DecisionAmendment,
    DestinationAmendment,
    IdentityAmendment,
    RelativesAmendment,
    RestrictionsAmendment,
)
from contracts.api import HandoverRecord
from contracts.common import CLOCK_SKEW, FINAL_STATES, Kind
from contracts.deadline_policy import BY_NAME, DeadlineName, Start
from contracts.lifecycle import Party, parties
from contracts.person import UnknownIdentity
from contracts.refusals import Refusal
from contracts.workflow import Command, CommandMeta, Event, EventType
from workflows import deadline_engine
from workflows.deadline_engine import birth_date
from workflows.transitions import Change, NewEvent, check_common, error, invalid

# Events whose time can be corrected, and where the record keeps that time.
CORRECTABLE = frozenset(
    {EventType.RELEASED, EventType.RECEIVED, EventType.COMPLETED, EventType.NOT_EXECUTED}
)
# Clocks that start at a reception (at a remand prison that is the destination).
FROM_INTAKE = frozenset(e.name for e in BY_NAME.values() if e.starts_from == Start.INTAKE)
FROM_DECISION = frozenset(
    e.name for e in BY_NAME.values() if e.starts_from == Start.REMAND_DECISION
)


def _closed_for_personal_data(record: HandoverRecord) -> None:
    if record.erased_at is not None:
        raise error(
            Refusal.ILLEGAL_TRANSITION,
            "The person's data was erased after the retention time; nothing can be amended.",
            current_state=record.state,
        )


def _plain(value: Any) -> Any:
    return msgspec.to_builtins(value)


# -- amendments -----------------------------------------------------------------------------


def check_amend(record: HandoverRecord, command: Command[AmendCommand], *, now: datetime) -> None:
    """Raise unless the caller may make this amendment now."""
    meta = command.meta
    check_common(record, meta, command)
    _closed_for_personal_data(record)
    found = parties(record.situation(), meta.actor, meta.actor_unit_kind)
    if Party.REQUESTER not in found or not set(meta.actor.roles) & AMENDERS:
        raise error(
            Refusal.FORBIDDEN,
            "The requesting unit's staff amend the request (coordinators do not).",
        )
    amendment = command.body.amendment
    match amendment:
        case DestinationAmendment():
            _check_destination(record, amendment)
        case IdentityAmendment():
            if not isinstance(record.person.identity, UnknownIdentity):
                raise error(
                    Refusal.ILLEGAL_TRANSITION,
                    "The identity is already established; only an unknown identity is amended.",
                    current_state=record.state,
                )
        case DecisionAmendment():
            if not _decision_changes(record, amendment)[1]:
                raise invalid("$", "nothing changes: the decision already says this")
            at = amendment.decided_at
            if at is not None and at > now + CLOCK_SKEW:
                raise invalid("$.decided_at", "lies in the future")
        case RestrictionsAmendment():
            if amendment.restrictions == record.restrictions:
                raise invalid("$.restrictions", "nothing changes")
        case RelativesAmendment():
            if amendment.relatives_notified == record.relatives_notified:
                raise invalid("$.relatives_notified", "nothing changes")
        case ChildAmendment():
            if birth_date(record.person.identity) is not None:
                raise error(
                    Refusal.ILLEGAL_TRANSITION,
                    "The identity number's date of birth says whether the person is a child.",
                    current_state=record.state,
                )
            if amendment.under_18 == (record.person.under_18 is True):
                raise invalid("$.under_18", "nothing changes")


def _check_destination(record: HandoverRecord, amendment: DestinationAmendment) -> None:
    if record.state in FINAL_STATES:
        raise error(
            Refusal.ILLEGAL_TRANSITION,
            f"The request is {record.state}.",
            current_state=record.state,
        )
    if record.handovers:
        raise error(
            Refusal.HANDOVER_STARTED,
            "The destination can be amended only before pickup; the person has been released "
            "or picked up (the first handover is recorded).",
            current_state=record.state,
        )
    if record.kind == Kind.TRANSFER:
        if amendment.to_unit is None:
            raise invalid("$.to_unit", "a transfer goes to a unit: give `to_unit`")
        if amendment.to_unit == record.to_unit:
            raise invalid("$.to_unit", "nothing changes: it is the destination already")
    else:
        assert record.assistance is not None
        if amendment.destination is None:
            raise invalid("$.to_unit", "an assistance request names a `destination` place")
        if amendment.destination == record.assistance.destination:
            raise invalid("$.destination", "nothing changes: it is the destination already")


def _decision_changes(
    record: HandoverRecord, amendment: DecisionAmendment
) -> tuple[dict[str, Any], dict[str, Any]]:
    decision = record.decision
    changes = {
        name: value
        for name in ("authority", "case_number", "decided_at")
        if (value := getattr(amendment, name)) is not None and value != getattr(decision, name)
    }
    return {name: getattr(decision, name) for name in changes}, changes


def apply_amend(record: HandoverRecord, command: Command[AmendCommand], now: datetime) -> Change:
    """The record after the amendment, the `amended` event and any clock it moved."""
    amendment = command.body.amendment
    before = record
    old: dict[str, Any]
    new: dict[str, Any]
    restarted: list[NewEvent] = []
    match amendment:
        case DestinationAmendment(to_unit=str() as unit):
            old = {"to_unit": record.to_unit, "executing_unit": record.executing_unit}
            new = {"to_unit": unit, "executing_unit": unit}
            record = replace(
                record,
                to_unit=unit,
                executing_unit=unit,
                destination_kind=command.body.destination_kind,
            )
        case DestinationAmendment(destination=destination):
            assert record.assistance is not None
            assert destination is not None
            old = {"to_unit": record.to_unit, "destination": record.assistance.destination}
            new = {"to_unit": destination.unit, "destination": destination}
            record = replace(
                record,
                to_unit=destination.unit,
                destination_kind=command.body.destination_kind,
                assistance=replace(record.assistance, destination=destination),
            )
        case IdentityAmendment():
            person = record.person
            old, new = {"identity": person.identity}, {"identity": amendment.identity}
            for name in ("given_name", "family_name"):
                value = getattr(amendment, name)
                if value is not None and value != getattr(person, name):
                    old[name], new[name] = getattr(person, name), value
            names = {k: v for k, v in new.items() if k != "identity"}
            record = replace(record, person=replace(person, identity=amendment.identity, **names))
        case DecisionAmendment():
            old, new = _decision_changes(record, amendment)
            record = replace(record, decision=replace(record.decision, **new))
            if "decided_at" in new:
                for deadline in record.deadlines:
                    if deadline.name in FROM_DECISION:
                        moved = deadline_engine.restart(record, deadline.id, new["decided_at"], now)
                        record = moved.record
                        restarted += moved.events
                # The awareness clocks the remand decision met are met at its amended time.
                record = deadline_engine.moved_meeting(
                    record,
                    old["decided_at"],
                    new["decided_at"],
                    deadline_engine.MET_BY_REMAND,
                )
        case RestrictionsAmendment():
            old, new = (
                {"restrictions": record.restrictions},
                {"restrictions": amendment.restrictions},
            )
            record = replace(record, restrictions=amendment.restrictions)
        case RelativesAmendment():
            old = {"relatives_notified": record.relatives_notified}
            new = {"relatives_notified": amendment.relatives_notified}
            record = replace(record, relatives_notified=amendment.relatives_notified)
        case ChildAmendment():
            old = {"under_18": record.person.under_18}
            new = {"under_18": amendment.under_18}
            record = replace(record, person=replace(record.person, under_18=amendment.under_18))
    if isinstance(amendment, IdentityAmendment | ChildAmendment):
        # Whether the person is a child may have changed: so may the clocks with a child's rule.
        rerun = deadline_engine.child_changed(before, record, now)
        record = rerun.record
        restarted += rerun.events
    data = events.Amended(
        field=AmendedField(str(amendment.__struct_config__.tag)),
        old=_plain(old),
        new=_plain(new),
        reason=amendment.reason,
    )
    return Change(record, [NewEvent(now, data), *restarted])


# -- corrections ----------------------------------------------------------------------------


def effective_times(log: Sequence[Event]) -> dict[int, datetime]:
    """Each event's `occurred_at` as later corrections say it was (the log keeps both).

    A reception at the destination completes the request in the same change: the
    `completed` event beside it follows the reception's corrected time.
    """
    times = {event.seq: event.occurred_at for event in log}
    by_seq = {event.seq: event for event in log}
    for event in log:
        if event.type != EventType.CORRECTED:
            continue
        data = events.read(event.type, event.data)
        assert isinstance(data, events.Corrected)
        target = by_seq.get(data.corrects)
        if target is None:
            continue
        old, new = times[target.seq], datetime.fromisoformat(data.new["occurred_at"])
        times[target.seq] = new
        for other in log:
            if (
                other.request_id == target.request_id
                and other.type == EventType.COMPLETED
                and other.seq != target.seq
                and times[other.seq] == old
            ):
                times[other.seq] = new
    return times


def check_correct(
    record: HandoverRecord,
    command: Command[CorrectionBody],
    log: Sequence[Event],
    *,
    lifecycle: Collection[EventType],
    now: datetime,
) -> None:
    """Raise unless the caller may correct this event's time to the one given."""
    meta = command.meta
    check_common(record, meta, command)
    _closed_for_personal_data(record)
    seq = int(command.target or 0)
    target = next((e for e in log if e.seq == seq), None)
    if target is None:
        raise error(Refusal.NOT_FOUND, f"No event {seq} on this request.")
    if target.type not in CORRECTABLE or (
        target.type == EventType.COMPLETED and target.data.get("occurred_at") is None
    ):
        raise invalid(
            "seq",
            f"event {seq} is a `{target.type}`: only the time of a release, a reception, a "
            "delivery (`completed` by the holder) or `not_executed` is corrected (a reception "
            "at the destination carries the completion's time)",
        )
    actor = meta.actor
    if actor.unit != target.actor.unit or not set(actor.roles) & CORRECTORS:
        raise error(
            Refusal.FORBIDDEN,
            f"Only the unit that recorded event {seq} ({target.actor.unit}) corrects it.",
        )
    times = effective_times(log)
    at = command.body.occurred_at
    if at > now + CLOCK_SKEW:
        raise invalid("$.occurred_at", "lies in the future")
    if at == times[seq]:
        raise invalid("$.occurred_at", "is the time already recorded")
    others = [e for e in log if e.type in lifecycle and e.request_id != target.request_id]
    before = [times[e.seq] for e in others if e.seq < seq]
    after = [times[e.seq] for e in others if e.seq > seq]
    if before and at < max(before):
        raise invalid("$.occurred_at", f"is before the previous event ({max(before).isoformat()})")
    if after and at > min(after):
        raise invalid("$.occurred_at", f"is after the next event ({min(after).isoformat()})")


def apply_correct(
    record: HandoverRecord,
    meta: CommandMeta,
    command: Command[CorrectionBody],
    log: Sequence[Event],
    now: datetime,
) -> Change:
    """The record with the corrected time, the `corrected` event and the clocks it moved."""
    seq = int(command.target or 0)
    target = next(e for e in log if e.seq == seq)
    old_at, new_at = effective_times(log)[seq], command.body.occurred_at
    typed = events.read(target.type, target.data)
    moved: list[NewEvent] = []
    match typed:
        case events.Released(step=step):
            record = _step(record, step, release=new_at)
            for deadline in record.deadlines:
                if deadline.id == f"{DeadlineName.CUSTODY_GAP}-{step}":
                    change = deadline_engine.restart(record, deadline.id, new_at, now)
                    record, moved = change.record, [*moved, *change.events]
        case events.Received(step=step, unit=unit):
            record = _step(record, step, reception=new_at)
            record = _move_segment(record, unit, old_at, new_at)
            closure = record.closure
            if closure is not None and closure.occurred_at == old_at:
                record = replace(record, closure=replace(closure, occurred_at=new_at))
            record = deadline_engine.moved_meeting(record, old_at, new_at)
            for deadline in record.deadlines:
                if deadline.name in FROM_INTAKE and deadline.starts_at == old_at:
                    change = deadline_engine.restart(record, deadline.id, new_at, now)
                    record, moved = change.record, [*moved, *change.events]
        case events.Completed() | events.NotExecuted():
            assert record.closure is not None
            record = replace(record, closure=replace(record.closure, occurred_at=new_at))
            chain = record.custody_chain
            if isinstance(typed, events.Completed) and chain and chain[-1].until == old_at:
                record = replace(
                    record, custody_chain=[*chain[:-1], replace(chain[-1], until=new_at)]
                )
    data = events.Corrected(
        corrects=seq,
        corrected_type=str(target.type),
        old={"occurred_at": old_at.isoformat()},
        new={"occurred_at": new_at.isoformat()},
        reason=command.body.reason,
    )
    return Change(record, [NewEvent(now, data), *moved])


def _step(
    record: HandoverRecord,
    number: int,
    *,
    release: datetime | None = None,
    reception: datetime | None = None,
) -> HandoverRecord:
    steps = list(record.handovers)
    step = steps[number - 1]
    if release is not None and step.release is not None:
        step = replace(step, release=replace(step.release, occurred_at=release))
    if reception is not None and step.reception is not None:
        step = replace(step, reception=replace(step.reception, occurred_at=reception))
    steps[number - 1] = step
    return replace(record, handovers=steps)


def _move_segment(
    record: HandoverRecord, unit: str, old_at: datetime, new_at: datetime
) -> HandoverRecord:
    """The segment the reception began starts at the corrected time, and the one before it
    ends there: the chain stays gapless."""
    chain = list(record.custody_chain)
    index = next(
        (
            i
            for i in reversed(range(len(chain)))
            if chain[i].unit == unit and chain[i].since == old_at
        ),
        None,
    )
    if index is None:
        return record
    chain[index] = replace(chain[index], since=new_at)
    if index > 0:
        chain[index - 1] = replace(chain[index - 1], until=new_at)
    responsible = record.responsible
    if responsible is not None and responsible.unit == unit and responsible.since == old_at:
        responsible = replace(responsible, since=new_at)
    return replace(record, custody_chain=chain, responsible=responsible)
