"""What must hold for a request after any step, judged from outside the product code.

Shared by the property, concurrency and idempotency tests. The lifecycle model below is written
from DOMAIN.md (Lifecycle; Responsibility and handovers), not from `contracts.lifecycle`, so a
mistake in the product's policy cannot hide behind the same mistake here.
"""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import asyncpg
import httpx
import msgspec
from temporalio.client import Client

from contracts.api import HandoverRecord
from contracts.eventlog import verify_served
from contracts.workflow import QUERY_RECORD, workflow_id

PROBLEM_JSON = "application/problem+json"
FINAL = frozenset({"rejected", "completed", "cancelled", "not_executed"})
BEFORE_FIRST_HANDOVER = frozenset({"requested", "accepted", "deferred", "scheduled"})
EVERY_STATE = BEFORE_FIRST_HANDOVER | FINAL | {"in_transit"}
OPEN = EVERY_STATE - FINAL
PLANNABLE = frozenset({"accepted", "scheduled", "in_transit"})

# event type -> (states it may follow, state it leads to; None: the state stays)
TRANSITIONS: dict[str, tuple[frozenset[str], str | None]] = {
    "accepted": (frozenset({"requested", "deferred"}), "accepted"),
    "deferred": (frozenset({"requested"}), "deferred"),
    "rejected": (frozenset({"requested", "deferred"}), "rejected"),
    "scheduled": (frozenset({"accepted"}), "scheduled"),
    "rescheduled": (frozenset({"scheduled"}), "scheduled"),
    "released": (frozenset({"scheduled", "in_transit"}), None),
    "received": (frozenset({"scheduled", "in_transit"}), "in_transit"),
    "completed": (frozenset({"in_transit"}), "completed"),
    "cancelled": (BEFORE_FIRST_HANDOVER, "cancelled"),
    "not_executed": (frozenset({"scheduled", "in_transit"}), "not_executed"),
    "security_assessment_recorded": (OPEN, None),
    "security_assessment_amended": (OPEN, None),
    "incident_recorded": (EVERY_STATE, None),
    # The service's own and follow-up events: they never move the lifecycle.
    "incident_reported": (EVERY_STATE, None),
    "deadline_warned": (EVERY_STATE, None),
    "deadline_breached": (EVERY_STATE, None),
    "deadline_extended": (EVERY_STATE, None),
    "escalation_acknowledged": (EVERY_STATE, None),
    "personal_data_erased": (FINAL, None),
    # Amendments and corrections change facts and times, never the state (the destination only
    # before pickup: checked in `replay`).
    "amended": (EVERY_STATE, None),
    "corrected": (EVERY_STATE, None),
    "deadline_recomputed": (EVERY_STATE, None),
    # After the reception at the remand prison, which completed the request.
    "placed": (frozenset({"completed"}), None),
    "relatives_recorded": (EVERY_STATE, None),
    # Journeys: planned while the request is accepted and before it closes; a redirect only
    # after pickup (checked in `replay`); a stop outside the agencies while in transit.
    "lodging_planned": (PLANNABLE, None),
    "lodging_answered": (PLANNABLE, None),
    "stop_cancelled": (PLANNABLE, None),
    "return_planned": (PLANNABLE, None),
    "redirected": (frozenset({"scheduled", "in_transit"}), None),
    "stop_arrived": (frozenset({"in_transit"}), None),
    "stop_departed": (frozenset({"in_transit"}), None),
}
LIFECYCLE_EVENTS = frozenset(k for k, (_, to) in TRANSITIONS.items() if to is not None) | {
    "released",
    "requested",
}


def view(response: httpx.Response) -> dict[str, Any]:
    """A representation as a record: what the caller may do and time left are read-time only."""
    record = msgspec.json.decode(response.content, type=HandoverRecord)
    result: dict[str, Any] = msgspec.to_builtins(record)
    return result


def request_id() -> str:
    """A request id to send as X-Request-Id, so events can be traced to the call that made them."""
    return f"test-{uuid.uuid4().hex}"


def when(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def stable(document: Any) -> Any:
    """A response body without what is computed when it is read (each deadline's time left)."""
    if isinstance(document, dict) and isinstance(document.get("deadlines"), list):
        deadlines = [
            {k: v for k, v in d.items() if k != "remaining_seconds"} for d in document["deadlines"]
        ]
        return document | {"deadlines": deadlines}
    return document


def assert_well_formed(response: httpx.Response) -> None:
    """Never a 5xx; every refusal is an RFC 9457 problem without internals."""
    where = f"{response.request.method} {response.request.url.path}"
    assert response.status_code < 500, f"{where}: {response.status_code} {response.text}"
    if not response.is_success:
        content_type = response.headers.get("content-type", "")
        assert content_type.startswith(PROBLEM_JSON), f"{where}: {content_type} {response.text}"
        problem = response.json()
        assert problem["status"] == response.status_code, problem
        assert str(problem["type"]).startswith("/problems/"), problem
        assert "Traceback" not in response.text


@dataclass(frozen=True)
class Snapshot:
    """A request as one caller reads it: the representation and the event log."""

    record: dict[str, Any]  # see `view`
    allowed: list[str]
    etag: str
    events: list[dict[str, Any]]

    @property
    def version(self) -> int:
        version: int = self.record["version"]
        return version

    @property
    def types(self) -> list[str]:
        return [e["type"] for e in self.events]


async def snapshot(api: httpx.AsyncClient, handover_id: str, headers: dict[str, str]) -> Snapshot:
    path = f"/v1/handovers/{handover_id}"
    got = await api.get(path, headers=headers)
    assert got.status_code == 200, got.text
    events = await api.get(f"{path}/events", headers=headers)
    assert events.status_code == 200, events.text
    allowed = got.json()["allowed_actions"]
    return Snapshot(
        record=view(got), allowed=allowed, etag=got.headers["etag"], events=events.json()
    )


@dataclass
class Replayed:
    """A request's lifecycle as its event log tells it."""

    state: str | None = None
    deferred: bool = False
    pending_to: str | None = None
    any_reception: bool = False
    releases: int = 0
    receptions: int = 0
    pickups: int = 0
    schedules: int = 0
    assessments: int = 0
    assessment_complete: bool = False
    incidents: int = 0
    # journey stops by number: [kind, unit, status]
    stops: dict[int, list[Any]] = field(default_factory=dict)
    # [unit, since, until]
    chain: list[list[Any]] = field(default_factory=list)


def as_recorded(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The events without `corrected_by`, which is computed from later events when read."""
    return [{k: v for k, v in e.items() if k != "corrected_by"} for e in events]


def corrected_times(events: list[dict[str, Any]]) -> dict[int, str]:
    """Each event's time as the later `corrected` events say it was; a `completed` recorded in
    the same change as a corrected reception (the arrival) follows it."""
    times = {e["seq"]: e["occurred_at"] for e in events}
    for event in events:
        if event["type"] != "corrected":
            continue
        target = events[event["data"]["corrects"] - 1]
        old, new = times[target["seq"]], event["data"]["new"]["occurred_at"]
        times[target["seq"]] = new
        for other in events:
            same = other["request_id"] == target["request_id"] and other["type"] == "completed"
            if same and when(times[other["seq"]]) == when(old):
                times[other["seq"]] = new
    return times


def replay(events: list[dict[str, Any]]) -> Replayed:
    """Walk the log through the lifecycle of DOMAIN.md, failing on any step it does not allow.

    Times are as corrected (the log keeps the times recorded in error beside the corrections).
    """
    times = corrected_times(events)
    model = Replayed()
    assert events, "a request always has its `requested` event"
    first = events[0]
    assert first["type"] == "requested", first
    model.state = "requested"
    to_unit = first["data"].get("to_unit")
    origin = first["data"].get("from_unit")
    if origin is not None:
        model.chain.append([origin, when(first["occurred_at"]), None])
    for index, event in enumerate(events[1:], start=1):
        kind, data, actor = event["type"], event["data"], event["actor"]
        assert kind in TRANSITIONS, f"unknown event type {kind}"
        allowed_from, to = TRANSITIONS[kind]
        where = f"event {event['seq']} {kind} in state {model.state}"
        assert model.state in allowed_from, where
        holder = model.chain[-1][0] if model.chain and model.chain[-1][2] is None else None
        match kind:
            case "deferred":
                model.deferred = True
            case "accepted":
                model.deferred = False
            case "scheduled" | "rescheduled":
                assert model.pending_to is None, f"{where}: a release awaits reception"
                assert not model.any_reception, f"{where}: after the first handover"
                if kind == "scheduled":
                    assert model.assessment_complete, f"{where}: assessment incomplete"
                model.schedules += 1
            case "released":
                assert model.pending_to is None, f"{where}: a release already awaits reception"
                assert holder is not None, f"{where}: nobody holds the person"
                assert actor["unit"] == holder, f"{where}: released by {actor['unit']}"
                assert data["to_unit"] != holder, where
                unaccepted = [
                    n
                    for n, (k, u, status) in model.stops.items()
                    if (k, u, status) == ("lodging", data["to_unit"], "planned")
                ]
                assert not unaccepted, f"{where}: to a lodging not yet accepted"
                _stop_at(model.stops, holder, "reached", "left")
                model.pending_to = data["to_unit"]
                model.releases += 1
            case "amended" if data["field"] == "destination":
                assert model.releases + model.receptions == 0, f"{where}: after pickup"
                assert data["old"]["to_unit"] == to_unit, where
                to_unit = data["new"]["to_unit"]
            case "received":
                if model.pending_to is not None:
                    assert actor["unit"] == model.pending_to, where
                    model.pending_to = None
                else:
                    assert holder is None, f"{where}: a pick-up while {holder} holds the person"
                    model.pickups += 1
                at = when(times[event["seq"]])
                if model.chain and model.chain[-1][2] is None:
                    model.chain[-1][2] = at
                model.chain.append([actor["unit"], at, None])
                _stop_at(model.stops, actor["unit"], "accepted", "reached")
                model.receptions += 1
                model.any_reception = True
                if to_unit is not None and actor["unit"] == to_unit:
                    # The destination's reception completes the request, in the same change.
                    same = [
                        e for e in events[index + 1 :] if e["request_id"] == event["request_id"]
                    ]
                    kinds = [e["type"] for e in same if e["type"] in LIFECYCLE_EVENTS]
                    assert kinds[:1] == ["completed"], f"{where}: arrival followed by {kinds}"
            case "completed":
                assert model.pending_to is None, f"{where}: a release awaits reception"
                previous = next(
                    e for e in reversed(events[:index]) if e["type"] in LIFECYCLE_EVENTS
                )
                arrival = (
                    previous["type"] == "received"
                    and previous["request_id"] == event["request_id"]
                    and to_unit is not None
                    and previous["actor"]["unit"] == to_unit
                )
                # Redirected to the unit that holds the person: arrived there, in that change.
                prior = events[index - 1]
                arrival = arrival or (
                    prior["type"] == "redirected"
                    and prior["request_id"] == event["request_id"]
                    and prior["data"]["to_unit"] == to_unit == holder
                    and model.pending_to is None
                )
                if not arrival:
                    # Delivery outside both agencies: only when the destination is not a unit.
                    assert to_unit is None, f"{where}: destination {to_unit} must receive"
                    assert holder is not None, f"{where}: nobody holds the person"
                    assert actor["unit"] == holder, f"{where}: completed by {actor['unit']}"
                    model.chain[-1][2] = when(times[event["seq"]])
            case "lodging_planned":
                assert data["stop"] == len(model.stops) + 1, where
                model.stops[data["stop"]] = ["lodging", data["unit"], "planned"]
            case "return_planned":
                assert data["stop"] == len(model.stops) + 1, where
                model.stops[data["stop"]] = ["turnaround", data.get("unit"), "accepted"]
                to_unit = data["to_unit"]
            case "lodging_answered":
                stop = model.stops[data["stop"]]
                assert stop[2] == "planned", where
                assert actor["unit"] == stop[1] == data["unit"], f"{where}: by {actor['unit']}"
                stop[2] = "accepted" if data["accepted"] else "declined"
            case "stop_cancelled":
                stop = model.stops[data["stop"]]
                assert stop[2] in ("planned", "accepted"), where
                stop[2] = "cancelled"
            case "stop_arrived" | "stop_departed":
                stop = model.stops[data["stop"]]
                assert stop[1] is None, f"{where}: a unit's stop is reached by a handover"
                assert actor["unit"] == holder, f"{where}: recorded by {actor['unit']}"
                before, after = (
                    ("accepted", "reached") if kind == "stop_arrived" else ("reached", "left")
                )
                assert stop[2] == before, where
                stop[2] = after
            case "redirected":
                assert model.releases + model.receptions > 0, f"{where}: before pickup"
                assert data["from_unit"] == to_unit, where
                to_unit = data["to_unit"]
                if to_unit is not None and to_unit == holder and model.pending_to is None:
                    # The journey ends where the person is: completed in the same change.
                    same = [
                        e for e in events[index + 1 :] if e["request_id"] == event["request_id"]
                    ]
                    kinds = [e["type"] for e in same if e["type"] in LIFECYCLE_EVENTS]
                    assert kinds[:1] == ["completed"], f"{where}: followed by {kinds}"
            case "cancelled":
                assert model.pending_to is None, f"{where}: a release awaits reception"
                assert not model.any_reception, f"{where}: after the first handover"
            case "not_executed":
                assert model.pending_to is None, f"{where}: a release awaits reception"
            case "security_assessment_recorded" | "security_assessment_amended":
                expected = "recorded" if model.assessments == 0 else "amended"
                assert kind.endswith(expected), where
                model.assessments += 1
                model.assessment_complete = bool(data["complete"])
            case "incident_recorded":
                model.incidents += 1
        if to is not None:
            model.state = to
    return model


def _stop_at(stops: dict[int, list[Any]], unit: str | None, before: str, after: str) -> None:
    """A handover to (or from) a unit with a stop in state `before` moves it to `after`."""
    for stop in stops.values():
        if stop[1] is not None and stop[1] == unit and stop[2] == before:
            stop[2] = after
            return


def check_chain(record: dict[str, Any]) -> None:
    """Gapless, non-overlapping custody; exactly one responsible unit while the chain is open."""
    chain = record["custody_chain"]
    for before, after in itertools.pairwise(chain):
        assert before["until"] is not None, chain
        assert when(before["until"]) == when(after["since"]), chain
    for segment in chain:
        until = when(segment["until"])
        assert until is None or when(segment["since"]) <= until, segment  # type: ignore[operator]
    responsible = record["responsible"]
    if not chain or chain[-1]["until"] is not None:
        assert responsible is None, (responsible, chain)
    else:
        last = chain[-1]
        assert responsible is not None, chain
        assert responsible["unit"] == last["unit"], (responsible, chain)
        assert responsible["org"] == last["org"], (responsible, chain)
        assert when(responsible["since"]) == when(last["since"]), (responsible, chain)


def pending_release(record: dict[str, Any]) -> dict[str, Any] | None:
    steps = record["handovers"]
    if steps and steps[-1]["reception"] is None:
        release: dict[str, Any] | None = steps[-1]["release"]
        return release
    return None


def check_record(snap: Snapshot, handover_id: str) -> Replayed:
    """The record agrees with itself and with its event log."""
    record, events = snap.record, snap.events
    assert record["id"] == handover_id
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1)), snap.types
    assert record["version"] == len(events), (record["version"], snap.types)
    assert snap.etag == f'"{record["version"]}"'
    assert verify_served(events) is None, "the event log's hash chain is broken"
    check_chain(record)

    model = replay(events)
    assert record["state"] == model.state, (record["state"], snap.types)
    units = [[s["unit"], when(s["since"]), when(s["until"])] for s in record["custody_chain"]]
    assert units == model.chain, (units, model.chain)
    final = record["state"] in FINAL
    closure = record["closure"]
    assert (closure is not None) == final, (record["state"], closure)
    assert closure is None or closure["state"] == record["state"], closure
    assert (record["deferral"] is not None) == model.deferred, (record["state"], snap.types)
    pending = pending_release(record)
    assert (pending["to_unit"] if pending else None) == model.pending_to
    steps = record["handovers"]
    assert [s["number"] for s in steps] == list(range(1, len(steps) + 1))
    assert sum(s["release"] is not None for s in steps) == model.releases
    assert sum(s["reception"] is not None for s in steps) == model.receptions
    assert len(steps) == model.releases + model.pickups
    schedule = record["schedule"]
    assert (schedule["revision"] if schedule else 0) == model.schedules
    assert len(record["security_assessments"]) == model.assessments
    assert [i["number"] for i in record["incidents"]] == list(range(1, model.incidents + 1))
    journey = record.get("journey") or {"stops": []}
    stops = [[s["kind"], s["unit"], s["status"]] for s in journey["stops"]]
    assert stops == [model.stops[n] for n in sorted(model.stops)], (stops, model.stops)
    return model


async def workflow_record(temporal: Client, handover_id: str) -> HandoverRecord:
    handle = temporal.get_workflow_handle(workflow_id(handover_id))
    record: HandoverRecord = await handle.query(QUERY_RECORD, result_type=HandoverRecord)
    return record


async def check_read_model(
    temporal: Client, pool: asyncpg.Pool, snap: Snapshot, handover_id: str
) -> None:
    """The read model (document, columns, child tables, event rows) is the workflow's state."""
    own = await workflow_record(temporal, handover_id)
    assert msgspec.to_builtins(own) == snap.record, "the read model lags the workflow"
    async with pool.acquire() as conn:
        row = await conn.fetchrow(
            "SELECT state, version, responsible_unit FROM handovers WHERE id = $1", handover_id
        )
        segments = await conn.fetch(
            "SELECT unit, org, since, until FROM custody_segments"
            " WHERE handover_id = $1 ORDER BY position",
            handover_id,
        )
        stored_events = await conn.fetchval(
            "SELECT count(*) FROM handover_events WHERE handover_id = $1", handover_id
        )
        incidents = await conn.fetch(
            "SELECT number FROM incidents WHERE handover_id = $1 ORDER BY number", handover_id
        )
    assert row is not None
    responsible = own.responsible.unit if own.responsible else None
    assert (row["state"], row["version"], row["responsible_unit"]) == (
        own.state,
        own.version,
        responsible,
    )
    assert [(s["unit"], s["org"], s["since"], s["until"]) for s in segments] == [
        (s.unit, s.org, s.since, s.until) for s in own.custody_chain
    ]
    assert stored_events == own.version
    assert [i["number"] for i in incidents] == [i.number for i in own.incidents]


async def checked(
    api: httpx.AsyncClient,
    temporal: Client,
    pool: asyncpg.Pool,
    handover_id: str,
    headers: dict[str, str],
) -> Snapshot:
    """A snapshot after every invariant above was checked on it."""
    snap = await snapshot(api, handover_id, headers)
    check_record(snap, handover_id)
    await check_read_model(temporal, pool, snap, handover_id)
    return snap
