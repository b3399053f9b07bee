"""Pure rules of journeys with stops: check a change, compute the new record, follow the person.

No I/O and no clock: the workflow passes `now`, and the kind of a unit a change names comes in
the command (looked up by the API). Planning never moves responsibility: the person reaches and
leaves a lodging or a turnaround unit by the usual two-party handover, and `follow` marks the
stop reached or left from the lifecycle's own events, so the custody chain needs nothing new.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from msgspec.structs import replace

from contracts import events
from contracts.amendments import AMENDERS
from contracts.api import Closure, HandoverRecord, LegalBasis
from contracts.common import CLOCK_SKEW, FINAL_STATES, Kind, State, UnitKind
from contracts.journey import (
    LODGING_KINDS,
    AnswerLodging,
    CancelStop,
    Journey,
    JourneyCommand,
    PlanLodging,
    PlanReturn,
    Redirect,
    RedirectRecord,
    Stop,
    StopArrival,
    StopDeparture,
    StopKind,
    StopStatus,
)
from contracts.lifecycle import HANDS_ON, PLANNING, Party, parties
from contracts.places import Place
from contracts.refusals import Refusal
from contracts.workflow import Command, CommandMeta
from workflows.deadline_engine import child_at_request
from workflows.transitions import Change, NewEvent, check_common, error, field_time, invalid

PLANNABLE = frozenset({State.ACCEPTED, State.SCHEDULED, State.IN_TRANSIT})
DESTINATION_KINDS = frozenset({UnitKind.REMAND_PRISON, UnitKind.PRISON})


def _journey(record: HandoverRecord) -> Journey:
    return record.journey or Journey()


def _picked_up(record: HandoverRecord) -> bool:
    return bool(record.handovers)


def _refuse_state(record: HandoverRecord, states: frozenset[State], what: str) -> None:
    if record.state not in states:
        raise error(
            Refusal.ILLEGAL_TRANSITION,
            f"Cannot {what} in state {record.state}.",
            current_state=record.state,
        )


def _planner(record: HandoverRecord, meta: CommandMeta, *, requester_too: bool = False) -> None:
    found = parties(record.situation(), meta.actor, meta.actor_unit_kind)
    roles = set(meta.actor.roles)
    if Party.EXECUTOR in found and roles & PLANNING:
        return
    if requester_too and Party.REQUESTER in found and roles & AMENDERS:
        return
    who = "the executor's planners" + (" or the requesting unit's staff" if requester_too else "")
    raise error(Refusal.FORBIDDEN, f"Only {who} change the journey this way.")


def _stop(record: HandoverRecord, number: int, field: str = "$.stop") -> Stop:
    found = _journey(record).stop(number)
    if found is None:
        raise invalid(field, f"this request has no stop {number}")
    return found


# -- checks ---------------------------------------------------------------------------------


def check(
    record: HandoverRecord, command: Command[JourneyCommand], *, now: datetime, previous: datetime
) -> None:
    """Raise unless the caller may make this change to the journey now."""
    meta = command.meta
    check_common(record, meta, command)
    if record.erased_at is not None:
        raise error(Refusal.ILLEGAL_TRANSITION, "The person's data was erased; nothing changes.")
    change = command.body.change
    kind = command.body.unit_kind
    match change:
        case PlanLodging():
            _planner(record, meta)
            _refuse_state(record, PLANNABLE, "plan a lodging")
            _check_lodging(record, change, kind)
        case AnswerLodging():
            stop = _stop(record, change.stop)
            if stop.kind != StopKind.LODGING or stop.unit != meta.actor.unit:
                raise error(Refusal.FORBIDDEN, "Only the lodging unit answers for its lodging.")
            if not set(meta.actor.roles) & PLANNING:
                raise error(Refusal.FORBIDDEN, "Your role may not answer for a lodging.")
            if stop.status != StopStatus.PLANNED:
                raise error(
                    Refusal.ILLEGAL_TRANSITION,
                    f"Stop {stop.number} is {stop.status}; only a planned lodging is answered.",
                    current_state=record.state,
                )
            _refuse_state(record, PLANNABLE, "answer for a lodging")
        case CancelStop():
            _planner(record, meta)
            _refuse_state(record, PLANNABLE, "cancel a stop")
            stop = _stop(record, change.stop)
            if stop.status not in (StopStatus.PLANNED, StopStatus.ACCEPTED):
                raise error(
                    Refusal.ILLEGAL_TRANSITION,
                    f"Stop {stop.number} is {stop.status}; only a stop not yet reached is "
                    "cancelled.",
                    current_state=record.state,
                )
            pending = record.pending_release
            if pending is not None and pending.to_unit == stop.unit:
                raise error(
                    Refusal.RELEASE_PENDING,
                    "The person has been released to this stop; its reception is awaited.",
                    current_state=record.state,
                )
            if stop.kind == StopKind.TURNAROUND:
                raise error(
                    Refusal.ILLEGAL_TRANSITION,
                    "A turnaround is the outward destination; redirect instead.",
                    current_state=record.state,
                )
        case Redirect():
            _planner(record, meta, requester_too=True)
            _check_redirect(record, change, kind)
        case PlanReturn():
            _planner(record, meta, requester_too=True)
            _check_return(record, change, kind)
        case StopArrival() | StopDeparture():
            _check_at_place(record, meta, change, now=now, previous=previous)


def _check_lodging(record: HandoverRecord, change: PlanLodging, kind: UnitKind | None) -> None:
    if kind not in LODGING_KINDS:
        raise invalid("$.unit", "a lodging is at a remand prison or a police custody unit")
    if change.unit == record.to_unit:
        raise invalid("$.unit", "is the destination itself")
    holder = record.responsible.unit if record.responsible else None
    if change.unit == holder:
        raise invalid("$.unit", "holds the person now")
    pending = record.pending_release
    if pending is not None and change.unit == pending.to_unit:
        raise invalid("$.unit", "is being handed the person now (a release awaits its reception)")
    if change.unit in _journey(record).lodging_units():
        raise invalid("$.unit", "is a lodging of this journey already")
    if change.arrive_at < record.created_at - CLOCK_SKEW:
        raise invalid("$.arrive_at", "is before the request was made")
    if (
        kind == UnitKind.POLICE_CUSTODY
        and record.assistance is not None
        and record.assistance.legal_basis == LegalBasis.UTLL_10_19A
        and child_at_request(record)
    ):
        raise error(
            Refusal.ILLEGAL_TRANSITION,
            "A child is never placed in police custody under UtlL (prop. 2016/17:191); "
            "lodge at a remand prison or plan the journey without a night in custody.",
            current_state=record.state,
        )


def _check_redirect(record: HandoverRecord, change: Redirect, kind: UnitKind | None) -> None:
    _refuse_state(record, frozenset(State) - FINAL_STATES, "redirect")
    if not _picked_up(record):
        raise error(
            Refusal.ILLEGAL_TRANSITION,
            "Before pickup the destination is amended (POST .../amendments, field "
            "`destination`); a redirect changes it on the way.",
            current_state=record.state,
        )
    new_unit = change.to_unit if record.kind == Kind.TRANSFER else None
    if record.kind == Kind.TRANSFER:
        if change.to_unit is None:
            raise invalid("$.to_unit", "a transfer goes to a unit: give `to_unit`")
        if kind not in DESTINATION_KINDS:
            raise invalid("$.to_unit", "a transfer goes to a remand prison or prison")
    else:
        assert record.assistance is not None
        if change.destination is None:
            raise invalid("$.destination", "an assistance request names a `destination` place")
        if change.destination == record.assistance.destination:
            raise invalid("$.destination", "nothing changes: it is the destination already")
        new_unit = change.destination.unit
    if new_unit is not None and new_unit == record.to_unit:
        raise invalid("$.to_unit", "nothing changes: it is the destination already")
    holder = record.responsible.unit if record.responsible else None
    if new_unit is not None and new_unit == holder and record.pending_release is not None:
        raise error(
            Refusal.RELEASE_PENDING,
            "This unit has released the person; the receiver must confirm first.",
            current_state=record.state,
        )


def ends_here(record: HandoverRecord, new_unit: str | None) -> bool:
    """A redirect to the unit holding the person (no release pending) ends the journey there:
    the person has arrived, as a reception by the destination would say."""
    holder = record.responsible.unit if record.responsible else None
    return new_unit is not None and new_unit == holder and record.pending_release is None


def _check_return(record: HandoverRecord, change: PlanReturn, kind: UnitKind | None) -> None:
    _refuse_state(record, PLANNABLE, "plan a return leg")
    if record.kind != Kind.ENFORCEMENT_ASSISTANCE or record.assistance is None:
        raise error(
            Refusal.ILLEGAL_TRANSITION,
            "A transfer ends at its remand prison or prison; a return leg is for enforcement "
            "assistance (a hearing and back).",
            current_state=record.state,
        )
    if _journey(record).return_to is not None:
        raise error(
            Refusal.ILLEGAL_TRANSITION,
            "The journey has a return leg already.",
            current_state=record.state,
        )
    if kind is None:
        raise invalid("$.return_to", "unknown unit")
    if change.return_to == record.to_unit:
        raise invalid("$.return_to", "is the outward destination itself")
    if change.depart_at is not None and change.depart_at < record.created_at - CLOCK_SKEW:
        raise invalid("$.depart_at", "is before the request was made")


def _check_at_place(
    record: HandoverRecord,
    meta: CommandMeta,
    change: StopArrival | StopDeparture,
    *,
    now: datetime,
    previous: datetime,
) -> None:
    found = parties(record.situation(), meta.actor, meta.actor_unit_kind)
    if Party.HOLDER not in found or not set(meta.actor.roles) & HANDS_ON:
        raise error(Refusal.FORBIDDEN, "The unit holding the person records its stops.")
    stop = _stop(record, change.stop)
    if stop.unit is not None:
        raise invalid("$.stop", "a stop at a unit is reached and left by handovers to and from it")
    what = "an arrival" if isinstance(change, StopArrival) else "a departure"
    _refuse_state(record, frozenset({State.IN_TRANSIT}), f"record {what}")
    if record.pending_release is not None:
        raise error(
            Refusal.RELEASE_PENDING,
            "A release awaits reception; the receiver must confirm first.",
            current_state=record.state,
        )
    wanted = StopStatus.ACCEPTED if isinstance(change, StopArrival) else StopStatus.REACHED
    if stop.status != wanted:
        raise error(
            Refusal.ILLEGAL_TRANSITION,
            f"Stop {stop.number} is {stop.status}.",
            current_state=record.state,
        )
    # As every field time: compared at the precision the client wrote (transitions.py).
    field_time(change.occurred_at, now=now, previous=previous, field="$.occurred_at")


# -- changes --------------------------------------------------------------------------------


def apply(
    record: HandoverRecord, command: Command[JourneyCommand], now: datetime, previous: datetime
) -> Change:
    """The record after the change and its event. An arrival or departure written in the same
    second as the previous event but before its stamp is recorded at that stamp (`settled`)."""
    meta = command.meta
    actor = meta.actor.ref()
    journey = _journey(record)
    change = command.body.change
    number = len(journey.stops) + 1
    data: events.EventData
    at = now
    match change:
        case PlanLodging():
            stop = Stop(
                number=number,
                kind=StopKind.LODGING,
                status=StopStatus.PLANNED,
                unit=change.unit,
                arrive_at=change.arrive_at,
                depart_at=change.depart_at,
                planned_by=actor,
                planned_at=now,
                note=change.note,
            )
            journey = replace(journey, stops=(*journey.stops, stop))
            data = events.LodgingPlanned(
                stop=number,
                unit=change.unit,
                arrive_at=change.arrive_at,
                depart_at=change.depart_at,
                note=change.note,
            )
        case AnswerLodging():
            status = StopStatus.ACCEPTED if change.accepted else StopStatus.DECLINED
            stop = _stop(record, change.stop)
            journey = _put(
                journey,
                replace(
                    stop,
                    status=status,
                    answered_by=actor,
                    answered_at=now,
                    decline_reason=change.reason,
                    text=change.text,
                ),
            )
            data = events.LodgingAnswered(
                stop=stop.number,
                unit=stop.unit or "",
                accepted=change.accepted,
                decline_reason=change.reason,
                text=change.text,
            )
        case CancelStop():
            stop = _stop(record, change.stop)
            cancelled = replace(
                stop, status=StopStatus.CANCELLED, cancel_reason=change.reason, text=change.text
            )
            journey = _put(journey, cancelled)
            data = events.StopCancelled(
                stop=stop.number, cancel_reason=change.reason, text=change.text
            )
        case Redirect():
            return _redirect(record, journey, change, command.body.unit_kind, actor, now)
        case PlanReturn():
            return _plan_return(record, journey, change, command.body.unit_kind, actor, now)
        case StopArrival():
            stop = _stop(record, change.stop)
            at = max(change.occurred_at, previous)
            journey = _put(journey, replace(stop, status=StopStatus.REACHED, reached_at=at))
            data = events.StopArrived(stop=stop.number, occurred_at=at)
        case StopDeparture():
            stop = _stop(record, change.stop)
            at = max(change.occurred_at, previous)
            journey = _put(journey, replace(stop, status=StopStatus.LEFT, left_at=at))
            data = events.StopDeparted(stop=stop.number, occurred_at=at)
        case _:
            raise error(Refusal.INVALID_INPUT, "unexpected journey change")
    return Change(replace(record, journey=journey), [NewEvent(at, data)])


def _put(journey: Journey, stop: Stop) -> Journey:
    stops = list(journey.stops)
    stops[stop.number - 1] = stop
    return replace(journey, stops=tuple(stops))


def _redirect(
    record: HandoverRecord,
    journey: Journey,
    change: Redirect,
    kind: UnitKind | None,
    actor: Any,
    now: datetime,
) -> Change:
    old_place = record.assistance.destination if record.assistance else None
    changes: dict[str, Any] = {"destination_kind": kind}
    if record.kind == Kind.TRANSFER:
        new_unit = change.to_unit
        # The receiving remand prison or prison executes a transfer (as at creation).
        changes |= {"to_unit": new_unit, "executing_unit": new_unit}
        new_place = None
    else:
        assert record.assistance is not None
        assert change.destination is not None
        new_place = change.destination
        new_unit = new_place.unit
        changes |= {
            "to_unit": new_unit,
            "assistance": replace(record.assistance, destination=new_place),
        }
    redirect = RedirectRecord(
        number=len(journey.redirects) + 1,
        from_unit=record.to_unit,
        to_unit=new_unit,
        from_place=old_place,
        to_place=new_place,
        reason=change.reason,
        text=change.text,
        by=actor,
        at=now,
    )
    journey = replace(journey, redirects=(*journey.redirects, redirect))
    arrived: list[NewEvent] = []
    if ends_here(record, new_unit):
        assert new_unit is not None
        changes |= {
            "state": State.COMPLETED,
            "closure": Closure(state=State.COMPLETED, by=actor, at=now, occurred_at=now),
        }
        arrived.append(NewEvent(now, events.Completed(destination=new_unit)))
    data = events.Redirected(
        number=redirect.number,
        from_unit=redirect.from_unit,
        to_unit=new_unit,
        from_place=old_place,
        to_place=new_place,
        reason=change.reason,
        text=change.text,
    )
    return Change(replace(record, journey=journey, **changes), [NewEvent(now, data), *arrived])


def _plan_return(
    record: HandoverRecord,
    journey: Journey,
    change: PlanReturn,
    kind: UnitKind | None,
    actor: Any,
    now: datetime,
) -> Change:
    assert record.assistance is not None
    back = change.return_to
    outward = record.assistance.destination
    number = len(journey.stops) + 1
    turnaround = Stop(
        number=number,
        kind=StopKind.TURNAROUND,
        status=StopStatus.ACCEPTED,
        unit=outward.unit,
        place=outward.description if outward.unit is None else None,
        depart_at=change.depart_at,
        planned_by=actor,
        planned_at=now,
        note=change.note,
    )
    journey = replace(journey, stops=(*journey.stops, turnaround), return_to=back)
    data = events.ReturnPlanned(
        stop=number,
        unit=outward.unit,
        from_place=outward,
        to_unit=back,
        depart_at=change.depart_at,
        note=change.note,
    )
    changed = replace(
        record,
        journey=journey,
        to_unit=back,
        destination_kind=kind,
        assistance=replace(record.assistance, destination=Place(unit=back)),
    )
    return Change(changed, [NewEvent(now, data)])


# -- following the person -------------------------------------------------------------------


def follow(change: Change) -> Change:
    """Mark stops reached and left from the handovers in `change` (a reception by a stop's
    unit reaches it; a release from it leaves it). Records without stops are untouched."""
    record = change.record
    if record.journey is None or not record.journey.stops:
        return change
    journey = record.journey
    for event in change.events:
        match event.data:
            case events.Received(unit=unit):
                journey = _mark(journey, unit, StopStatus.REACHED, event.occurred_at)
            case events.Released(from_unit=unit) if unit is not None:
                journey = _mark(journey, unit, StopStatus.LEFT, event.occurred_at)
    if journey is record.journey:
        return change
    return Change(replace(record, journey=journey), change.events)


def _mark(journey: Journey, unit: str, status: StopStatus, at: datetime) -> Journey:
    before = StopStatus.ACCEPTED if status == StopStatus.REACHED else StopStatus.REACHED
    for stop in journey.stops:
        if stop.unit == unit and stop.status == before:
            if status == StopStatus.REACHED:
                return _put(journey, replace(stop, status=status, reached_at=at))
            return _put(journey, replace(stop, status=status, left_at=at))
    return journey
