"""Random sequences of actions by random parties, against the real workflow through the API.

Each example starts a fresh request and takes up to a dozen steps. Most steps are drawn from
what would move the request on (so examples get past `requested`); the rest are any action by
any member of the cast, with small variations. After every step the invariants of
tests/api/invariants.py must hold, the outcome must agree with the `allowed_actions` the caller
saw just before, and a refused step must leave no trace.

The journey changes (`POST .../journey`: a night's lodging on the way, its answer, a cancelled
stop, a redirect after pickup) are modelled here from their rules (who may make which change in
which state), not from `contracts.lifecycle`, so the status of each is predicted exactly.

`HANDOVER_FUZZ_EXAMPLES` sets the number of examples per start (8 by default, as `make test`).
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from hypothesis import HealthCheck, Phase, event, given, note
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from temporalio.client import Client

from services.handover.api import examples
from services.handover.settings import Settings
from tests.api.invariants import (
    FINAL,
    LIFECYCLE_EVENTS,
    PLANNABLE,
    Snapshot,
    as_recorded,
    assert_well_formed,
    checked,
    corrected_times,
    pending_release,
    request_id,
    view,
)
from tests.flow import Parties, body, fresh, now

LIFECYCLE = ("accept", "defer", "reject", "schedule", "release", "receive", "cancel", "complete")
LIFECYCLE_ACTIONS = (*LIFECYCLE, "not-executed")
TIMED = frozenset({"release", "receive", "complete", "not-executed"})
ACTIONS = (*LIFECYCLE_ACTIONS, "security-assessment", "incidents", "amendments", "journey")
CAST = (
    "police",
    "police_supervisor",
    "planner",
    "escort",
    "hakte",
    "lodging",
    "stranger",
    "coordinator",
)
# The remand prison of the transfer's destination, and one on the way (a night's lodging).
REMAND = "kv-hakte-kronoberg"
LODGING = "kv-hakte-sundsvall"
TARGETS = ("kv-nte-stockholm", REMAND, "pa-kronoberg", LODGING)
ACTOR_OF_UNIT = {
    "pa-kronoberg": "police",
    "kv-nte-stockholm": "escort",
    REMAND: "hakte",
    LODGING: "lodging",
}
# Members of the cast always party to every request started here, with a role that may record
# incidents: the requesting police unit and NTE Stockholm (executor, or transport of KV).
ALWAYS_PARTY = frozenset({"police", "police_supervisor", "planner", "escort"})
REQUESTER_STAFF = frozenset({"police", "police_supervisor"})

# Journey changes, and the units they name (any_step): two remand prisons, and a transport unit
# (no lodging: the API refuses it; as a transfer's new destination the workflow does).
JOURNEY_CHANGES = ("lodging", "lodging_answer", "cancel_stop", "redirect")
JOURNEY_UNITS = (LODGING, REMAND, "kv-nte-stockholm")
LODGING_UNITS = frozenset({LODGING, REMAND, "pa-kronoberg"})  # remand prisons, police custody
REMAND_PRISONS = frozenset({LODGING, REMAND})
LIVE_STOP = frozenset({"planned", "accepted", "reached", "left"})
KRIMINALVARDEN = "kriminalvarden"
# Each member of the cast: unit, organisation, the unit's kind, role (tests/flow.py `Parties`).
MEMBERS: dict[str, tuple[str, str, str, str]] = {
    "police": ("pa-kronoberg", "polisen", "police_custody", "custody_officer"),
    "police_supervisor": ("pa-kronoberg", "polisen", "police_custody", "custody_supervisor"),
    "planner": ("kv-nte-stockholm", KRIMINALVARDEN, "transport", "transport_planner"),
    "escort": ("kv-nte-stockholm", KRIMINALVARDEN, "transport", "escort_officer"),
    "hakte": (REMAND, KRIMINALVARDEN, "remand_prison", "reception_officer"),
    "lodging": (LODGING, KRIMINALVARDEN, "remand_prison", "reception_officer"),
    "stranger": ("pa-malmo", "polisen", "police_custody", "custody_officer"),
    "coordinator": ("kv-samordning-nationell", KRIMINALVARDEN, "coordination", "coordinator"),
}
# Roles that plan (the executor's planners; a lodging unit's answer), and the requesting unit's
# staff who may also redirect a journey.
PLANNING_ROLES = frozenset({"transport_planner", "reception_officer", "custody_supervisor"})
REQUESTER_ROLES = frozenset(
    {"custody_officer", "custody_supervisor", "reception_officer", "transport_planner"}
)

FROM_OUTSIDE = copy.deepcopy(examples.ASSISTANCE_CREATE) | {
    "origin": {"description": "LVM-hemmet Hornö, Enköping"},
    "destination": {"description": "Beroendecentrum Stockholm, akutmottagningen"},
}
# Examples per start; `make test` runs the default. More for a longer run (shakes out the model).
EXAMPLES = int(os.environ.get("HANDOVER_FUZZ_EXAMPLES", "8"))
STARTS: dict[str, dict[str, Any]] = {
    "transfer": examples.TRANSFER_CREATE,
    "assistance": examples.ASSISTANCE_CREATE,
    "assistance_from_outside": FROM_OUTSIDE,
}


@dataclass(frozen=True)
class Step:
    """One call: an action by a member of the cast, with its small variations."""

    action: str
    actor: str
    to_unit: str = "kv-nte-stockholm"
    received_from: bool = False
    reason: bool = False  # a reschedule reason, or an assessment amendment reason
    complete: bool = True  # whether the security assessment is complete
    if_match: str = "none"  # none, current or stale: the If-Match header sent
    skew: int = 0  # seconds the device's clock is off, for the times a body carries
    relatives: bool = True  # an amendment: whether relatives were notified
    seq: int = 0  # a correction: the event it corrects, and the corrected time
    corrected_at: str = ""
    change: str = ""  # a journey change (JOURNEY_CHANGES) and what it needs:
    unit: str = LODGING  # the lodging, or the new destination of a redirect
    stop: int = 1  # the stop answered for or cancelled
    accepted: bool = True  # a lodging's answer (declined: for lack of capacity)
    shape: str = "to_unit"  # a redirect's new destination: `to_unit` or `destination`

    def headers(self, version: int) -> dict[str, str]:
        match self.if_match:
            case "current":
                return {"If-Match": f'"{version}"'}
            case "stale":
                return {"If-Match": f'"{version - 1}"'}
        return {}

    def path(self, handover_id: str) -> str:
        if self.action == "correct":
            return f"/v1/handovers/{handover_id}/events/{self.seq}/correct"
        return f"/v1/handovers/{handover_id}/{self.action}"

    def payload(self) -> dict[str, Any]:
        match self.action:
            case "accept":
                return dict(examples.ACCEPT)
            case "defer":
                return dict(examples.DEFER)
            case "reject":
                return dict(examples.REJECT)
            case "cancel":
                return dict(examples.CANCEL)
            case "schedule":
                result: dict[str, Any] = dict(examples.SCHEDULE, pickup_at=now(3600))
                if self.reason:
                    result["reason"] = "transport_replanned"
                return result
            case "release":
                return body(examples.RELEASE, to_unit=self.to_unit, occurred_at=now(self.skew))
            case "receive":
                result = body(examples.RECEIVE, occurred_at=now(self.skew))
                if self.received_from:
                    result["received_from"] = "Picked up at the origin"
                return result
            case "complete":
                return body(examples.COMPLETE, occurred_at=now(self.skew))
            case "not-executed":
                return body(examples.NOT_EXECUTED, occurred_at=now(self.skew))
            case "security-assessment":
                result = body(examples.ASSESSMENT, complete=self.complete)
                if self.reason:
                    result["amendment_reason"] = "New information from the custody unit."
                return result
            case "incidents":
                return body(examples.INCIDENT, occurred_at=now())
            case "amendments":
                reason = "Called the person's sister."
                return {"field": "relatives_notified", "relatives_notified": self.relatives} | {
                    "reason": reason
                }
            case "correct":
                return {"occurred_at": self.corrected_at, "reason": "Entered late."}
            case "journey":
                return self.journey_change()
        raise AssertionError(self.action)

    def journey_change(self) -> dict[str, Any]:
        match self.change:
            case "lodging":
                return {
                    "change": "lodging",
                    "unit": self.unit,
                    "arrive_at": now(3600),
                    "depart_at": now(14 * 3600),
                }
            case "lodging_answer":
                answer = {"change": "lodging_answer", "stop": self.stop, "accepted": self.accepted}
                return answer if self.accepted else answer | {"reason": "no_capacity"}
            case "cancel_stop":
                return {"change": "cancel_stop", "stop": self.stop, "reason": "replanned"}
            case "redirect":
                to: dict[str, Any] = {"to_unit": self.unit}
                if self.shape == "destination":
                    to = {"destination": {"unit": self.unit}}
                return {"change": "redirect", "reason": "court_decision"} | to
        raise AssertionError(self.change)


any_step = st.builds(
    Step,
    action=st.sampled_from(ACTIONS),
    actor=st.sampled_from(CAST),
    to_unit=st.sampled_from(TARGETS),
    received_from=st.booleans(),
    reason=st.booleans(),
    complete=st.booleans(),
    if_match=st.sampled_from(["none", "current", "stale"]),
    relatives=st.booleans(),
    # On time; a device a minute fast (within the accepted skew); an hour slow; ten minutes fast.
    skew=st.sampled_from([0, 60, -3600, 600]),
    change=st.sampled_from(JOURNEY_CHANGES),
    unit=st.sampled_from(JOURNEY_UNITS),
    stop=st.integers(1, 3),
    accepted=st.booleans(),
    shape=st.sampled_from(["to_unit", "destination"]),
)


def journey_of(record: dict[str, Any]) -> dict[str, Any]:
    return record.get("journey") or {"stops": [], "redirects": []}


def planned_lodging(record: dict[str, Any], unit: str) -> bool:
    """`unit` is a lodging of the journey that has not answered yet."""
    stops = journey_of(record)["stops"]
    return any((s["kind"], s["unit"], s["status"]) == ("lodging", unit, "planned") for s in stops)


def live_lodgings(record: dict[str, Any]) -> set[str]:
    """Units that take part as lodgings (planned, accepted, reached or left)."""
    stops = journey_of(record)["stops"]
    return {s["unit"] for s in stops if s["kind"] == "lodging" and s["status"] in LIVE_STOP}


def visible_units(record: dict[str, Any]) -> set[str]:
    """Units that may read the request: both parties and ends, every holder and release's
    receiver, the transport unit, the journey's live stops and every earlier destination."""
    units = {record.get("requesting_unit") or record["from_unit"]}
    units.add(record.get("executing_unit") or record["to_unit"])
    units |= {s["unit"] for s in record["custody_chain"]}
    units |= {record["from_unit"], record["to_unit"]}
    if record["schedule"]:
        units.add(record["schedule"]["transport_unit"])
    units |= {s["release"]["to_unit"] for s in record["handovers"] if s["release"]}
    journey = journey_of(record)
    units |= {s["unit"] for s in journey["stops"] if s["status"] in LIVE_STOP}
    units |= {r["from_unit"] for r in journey["redirects"]}
    return {u for u in units if u}


def parties_of(actor: str, record: dict[str, Any]) -> set[str]:
    """How the actor's unit takes part in the request now."""
    unit, org, kind, _ = MEMBERS[actor]
    found: set[str] = set()
    if unit == (record.get("requesting_unit") or record["from_unit"]):
        found.add("requester")
    executing = {record.get("executing_unit") or record["to_unit"]}
    if record["schedule"]:
        executing.add(record["schedule"]["transport_unit"])
    transport = kind == "transport" and org == KRIMINALVARDEN
    if org == record["executing_org"] and (unit in executing or transport):
        found.add("executor")
    if unit in live_lodgings(record):
        found.add("lodging")
    holder = record["responsible"]["unit"] if record["responsible"] else None
    pending = pending_release(record)
    if unit == holder:
        found.add("holder")
    if pending is not None:
        if unit == pending["to_unit"]:
            found.add("receiver")
    elif holder is None and "executor" in found:
        found.add("receiver")  # nobody in the agencies holds the person: the executor picks up
    return found


def correction(events: list[dict[str, Any]]) -> Step | None:
    """The correction of the latest release or reception, by the unit that recorded it, to a
    second after the later of its time and now (so it stays after every other event)."""
    lifecycle = [e for e in events if e["type"] in LIFECYCLE_EVENTS]
    if not lifecycle:
        return None
    last = lifecycle[-1]
    if last["type"] == "completed" and len(lifecycle) > 1:
        before = lifecycle[-2]
        if before["type"] == "received" and before["request_id"] == last["request_id"]:
            last = before  # an arrival: its time is the reception's
    actor = ACTOR_OF_UNIT.get(last["actor"]["unit"])
    if last["type"] not in ("released", "received") or actor is None:
        return None
    times = corrected_times(events)
    moment = max(datetime.fromisoformat(times[last["seq"]]), datetime.now(UTC))
    later = (moment + timedelta(seconds=1)).isoformat()
    return Step("correct", actor, seq=last["seq"], corrected_at=later)


def useful_steps(
    record: dict[str, Any], events: list[dict[str, Any]] | None = None
) -> tuple[list[Step], list[Step]]:
    """Steps by the party that would take them: those that move the request on towards
    completion, and the detours that end or stall it (amendments and corrections too)."""
    state = record["state"]
    holder = record["responsible"]["unit"] if record["responsible"] else None
    pending = pending_release(record)
    assessments = record["security_assessments"]
    onwards: list[Step] = []
    detours: list[Step] = [Step("incidents", "escort"), Step("incidents", "hakte")]
    detours.append(Step("amendments", "police", relatives=not record["relatives_notified"]))
    corrected = correction(events or [])
    if corrected is not None:
        detours.append(corrected)
    if state in ("requested", "deferred"):
        onwards.append(Step("accept", "planner"))
        detours.append(Step("reject", "planner"))
    if state == "requested":
        detours.append(Step("defer", "planner"))
    if state in ("requested", "accepted", "deferred", "scheduled") and not record["handovers"]:
        detours.append(Step("cancel", "police"))
    if state not in FINAL:
        amend = Step("security-assessment", "police", reason=bool(assessments))
        if assessments and assessments[-1]["complete"]:
            detours.append(amend)
        else:
            onwards.append(amend)
    if state == "accepted":
        onwards.append(Step("schedule", "planner"))
    if state == "scheduled" and not record["handovers"]:
        detours.append(Step("schedule", "planner", reason=True))
    if state in ("scheduled", "in_transit"):
        if pending is not None:
            onwards.append(Step("receive", ACTOR_OF_UNIT[pending["to_unit"]]))
        elif holder is not None:
            releaser = ACTOR_OF_UNIT[holder]
            # An accepted lodging is where the person goes next; elsewhere is a detour, and to
            # a lodging that has not answered yet, refused (409).
            stops = journey_of(record)["stops"]
            lodge = {
                s["unit"]
                for s in stops
                if (s["kind"], s["status"]) == ("lodging", "accepted") and s["unit"] != holder
            }
            for unit in TARGETS:
                if unit != holder:
                    aside = planned_lodging(record, unit) or bool(lodge and unit not in lodge)
                    (detours if aside else onwards).append(Step("release", releaser, to_unit=unit))
            if state == "in_transit":
                onwards.append(Step("complete", releaser))
        else:
            onwards.append(Step("receive", "escort", received_from=True))
        detours.append(Step("not-executed", "planner"))
    journey_steps(record, onwards, detours)
    return onwards, detours


def journey_steps(record: dict[str, Any], onwards: list[Step], detours: list[Step]) -> None:
    """A night's lodging at Sundsvall (the first one planned is a step onwards, a later one a
    detour), its answer, a cancelled stop, and a redirect after pickup between the two remand
    prisons (to the unit holding the person: the journey ends there, unless it released the
    person and the reception is awaited: refused)."""
    state = record["state"]
    holder = record["responsible"]["unit"] if record["responsible"] else None
    pending = pending_release(record)
    pending_to = pending["to_unit"] if pending else None
    journey = journey_of(record)
    if state in PLANNABLE:
        if LODGING not in (record["to_unit"], holder) and LODGING not in live_lodgings(record):
            plan = Step("journey", "planner", change="lodging", unit=LODGING)
            (detours if journey["stops"] else onwards).append(plan)
        for stop in journey["stops"]:
            number, unit, status = stop["number"], stop["unit"], stop["status"]
            if stop["kind"] == "lodging" and status == "planned" and unit in ACTOR_OF_UNIT:
                answer = Step("journey", ACTOR_OF_UNIT[unit], change="lodging_answer", stop=number)
                onwards.append(answer)
                detours.append(replace(answer, accepted=False))
            if status in ("planned", "accepted") and unit != pending_to:
                detours.append(Step("journey", "planner", change="cancel_stop", stop=number))
    if state in ("scheduled", "in_transit") and record["handovers"]:
        shape = "to_unit" if record["kind"] == "transfer" else "destination"
        for unit in (REMAND, LODGING):
            redirect = Step("journey", "planner", change="redirect", unit=unit, shape=shape)
            if unit == record["to_unit"] or (unit == holder and pending is not None):
                detours.append(redirect)  # refused: nothing changes (400); released (409)
            else:
                (detours if journey["redirects"] else onwards).append(redirect)
                detours.append(replace(redirect, actor="police"))


def body_refusal(step: Step, payload: dict[str, Any], before: Snapshot) -> int | None:
    """How the workflow refuses the body of an action the caller may take now, if it does."""
    record = before.record
    if step.action == "release":
        holder = record["responsible"]["unit"] if record["responsible"] else None
        if step.to_unit == holder:
            return 400
        if planned_lodging(record, step.to_unit):
            return 409  # a lodging takes the person only once it accepted
    return 400 if body_invalid(step, payload, before) else None


def body_invalid(step: Step, payload: dict[str, Any], before: Snapshot) -> bool:
    """A body the workflow refuses with 400 even when the action itself is allowed."""
    record = before.record
    if step.action in TIMED:
        # The service's rule for field times: not beyond the clock skew a device may have (two
        # minutes) into the future, and not before the request's previous lifecycle event.
        at = datetime.fromisoformat(payload["occurred_at"])
        times = corrected_times(before.events)
        previous = max(
            datetime.fromisoformat(times[e["seq"]])
            for e in before.events
            if e["type"] in LIFECYCLE_EVENTS
        )
        if step.skew >= 600 or at < previous:
            return True
    match step.action:
        case "schedule":
            return record["state"] == "scheduled" and not step.reason
        case "release":
            holder = record["responsible"]["unit"] if record["responsible"] else None
            return step.to_unit == holder
        case "receive":
            return step.received_from if pending_release(record) else not step.received_from
    return False


def expected_statuses(
    step: Step, payload: dict[str, Any], before: Snapshot, allowed: list[str]
) -> set[int]:
    """What the API must answer, given the request and the caller's `allowed_actions` before."""
    record = before.record
    if step.action == "journey" and step.change == "lodging" and step.unit not in LODGING_UNITS:
        return {400}  # the API checks the unit's kind before anything else
    if step.if_match == "stale":
        # A party learns that the request moved on; a reader who is no party, that they may
        # not change it; anyone else nothing at all.
        if step.actor in ALWAYS_PARTY:
            return {412}
        return {404} if step.actor == "stranger" else {403, 404, 412}
    if step.action in LIFECYCLE_ACTIONS:
        if step.action in allowed:
            refusal = body_refusal(step, payload, before)
            return {200} if refusal is None else {refusal}
        return {403, 404, 409}
    if step.action == "journey":
        return {journey_status(step, record)}
    if step.action == "security-assessment":
        if step.actor not in REQUESTER_STAFF:
            return {403, 404, 409}
        if record["state"] in FINAL:
            return {409}
        return {400} if record["security_assessments"] and not step.reason else {201}
    if step.action == "amendments":
        if step.actor not in REQUESTER_STAFF:
            return {403, 404}
        return {400} if record["relatives_notified"] == step.relatives else {200}
    if step.action == "correct":
        return {200}  # drawn only for the unit that recorded the event (`correction`)
    # incidents
    if step.actor in ALWAYS_PARTY:
        return {201}
    if step.actor == "stranger":
        return {404}  # cannot even see the request: nothing may tell it exists
    if step.actor == "coordinator":
        return {403, 404}  # sees every request, is a party to none
    return {201, 403, 404}  # the remand prison: a party only while it holds or receives


def journey_status(step: Step, record: dict[str, Any]) -> int:
    """What the API answers a journey change (its unit's kind checked by the API already)."""
    unit, _, _, role = MEMBERS[step.actor]
    if step.actor == "coordinator":
        return 403  # sees every request of its agency, is a party to none
    found = parties_of(step.actor, record)
    if not found:
        # A unit that may read the request learns it may not change it; others nothing.
        return 403 if unit in visible_units(record) else 404
    state = record["state"]
    holder = record["responsible"]["unit"] if record["responsible"] else None
    pending = pending_release(record)
    pending_to = pending["to_unit"] if pending else None
    planner = "executor" in found and role in PLANNING_ROLES
    stops = journey_of(record)["stops"]
    stop = stops[step.stop - 1] if step.stop <= len(stops) else None
    match step.change:
        case "lodging":
            if not planner:
                return 403
            if state not in PLANNABLE:
                return 409
            if step.unit in (record["to_unit"], holder, pending_to):
                return 400  # the destination, the holder, or being handed the person
            if step.unit in live_lodgings(record):
                return 400  # a lodging already
            return 200
        case "lodging_answer":
            if stop is None:
                return 400
            if stop["kind"] != "lodging" or stop["unit"] != unit or role not in PLANNING_ROLES:
                return 403  # only the lodging unit answers for its lodging
            return 200 if stop["status"] == "planned" and state in PLANNABLE else 409
        case "cancel_stop":
            if not planner:
                return 403
            if state not in PLANNABLE:
                return 409  # stops change only while the journey is planned
            if stop is None:
                return 400
            if stop["status"] not in ("planned", "accepted") or stop["unit"] == pending_to:
                return 409  # reached, left, declined or cancelled; or being handed the person
            return 200
        case "redirect":
            requester = "requester" in found and role in REQUESTER_ROLES
            if not (planner or requester):
                return 403
            if state in FINAL or not record["handovers"]:
                return 409  # closed; or before pickup (amend the destination instead)
            transfer = record["kind"] == "transfer"
            if step.shape != ("to_unit" if transfer else "destination"):
                return 400
            if transfer and step.unit not in REMAND_PRISONS:
                return 400  # a transfer goes to a remand prison or prison
            if step.unit == record["to_unit"]:
                return 400  # nothing changes
            if step.unit == holder and pending is not None:
                return 409  # it released the person: the receiver confirms first
            return 200  # to the unit holding the person: the journey ends there, completed
    raise AssertionError(step.change)


class Run:
    """One request and the cast acting on it."""

    def __init__(
        self, api: httpx.AsyncClient, temporal: Client, pool: asyncpg.Pool, parties: Parties
    ) -> None:
        self.api = api
        self.temporal = temporal
        self.pool = pool
        self.cast: dict[str, dict[str, str]] = {name: getattr(parties, name) for name in CAST}
        self.id = ""

    async def start(self, payload: dict[str, Any]) -> Snapshot:
        created = await self.api.post(
            "/v1/handovers", json=fresh(payload), headers=self.cast["police"]
        )
        assert_well_formed(created)
        assert created.status_code == 201, created.text
        self.id = created.json()["id"]
        snap = await self.check()
        assert snap.types == ["requested"]
        return snap

    async def check(self) -> Snapshot:
        return await checked(self.api, self.temporal, self.pool, self.id, self.cast["police"])

    async def allowed_for(self, actor: str) -> list[str]:
        seen = await self.api.get(f"/v1/handovers/{self.id}", headers=self.cast[actor])
        assert_well_formed(seen)
        if seen.status_code == 404:
            return []
        assert seen.status_code == 200, seen.text
        allowed: list[str] = seen.json()["allowed_actions"]
        return allowed

    async def take(self, step: Step, before: Snapshot) -> Snapshot:
        allowed = await self.allowed_for(step.actor)
        headers = self.cast[step.actor] | step.headers(before.version)
        headers["X-Request-Id"] = request_id()
        payload = step.payload()
        response = await self.api.post(step.path(self.id), json=payload, headers=headers)
        note(f"{step} in {before.record['state']} (allowed {allowed}) -> {response.status_code}")
        assert_well_formed(response)
        expected = expected_statuses(step, payload, before, allowed)
        assert response.status_code in expected, (step, expected, response.text)
        if step.action == "journey":
            event(f"journey {step.change}: {response.status_code}")
        elif step.action == "release" and step.to_unit == LODGING:
            event(f"release to the lodging unit: {response.status_code}")
        after = await self.check()
        mine = [e for e in after.events if e["request_id"] == headers["X-Request-Id"]]
        if response.is_success:
            assert after.version > before.version
            recorded = as_recorded(after.events[: len(before.events)])
            assert recorded == as_recorded(before.events), "the log was rewritten"
            assert mine == after.events[len(before.events) :], "another change slipped in"
            assert response.headers["etag"] == after.etag
            if step.action in (*LIFECYCLE_ACTIONS, "journey"):
                # Read-your-writes: the response is what the caller now reads.
                read = await self.api.get(f"/v1/handovers/{self.id}", headers=self.cast[step.actor])
                if read.status_code == 404:
                    # Its own change ended its part (a lodging that declined): gone from view.
                    assert MEMBERS[step.actor][0] not in visible_units(after.record), read.text
                else:
                    assert view(response) == view(read)
                    assert response.json()["allowed_actions"] == read.json()["allowed_actions"]
        else:
            assert after == before, f"refused {step} changed the request"
            assert not mine
        return after


@hypothesis_settings(
    max_examples=EXAMPLES,  # per start: 24 examples in all by default
    deadline=None,
    # Every example talks to real servers: skip the (slow) explain phase, keep shrinking.
    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],
    database=None,  # nothing written outside tests/; failures print their steps instead
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
@pytest.mark.parametrize("start", sorted(STARTS))
async def test_random_action_sequences_keep_every_invariant(
    start: str,
    api: httpx.AsyncClient,
    settings: Settings,
    temporal: Client,
    pool: asyncpg.Pool,
    data: st.DataObject,
) -> None:
    run = Run(api, temporal, pool, Parties(settings))
    snap = await run.start(STARTS[start])
    for _ in range(data.draw(st.integers(4, 12), label="steps")):
        onwards, detours = useful_steps(snap.record, snap.events)
        # Mostly onwards, sometimes a detour, sometimes anything at all (shrinks to onwards).
        pick = data.draw(st.integers(0, 9), label="pick")
        useful = detours if pick == 7 or not onwards else onwards
        choice = any_step if pick >= 8 else st.sampled_from(useful)
        step = data.draw(choice, label="step")
        snap = await run.take(step, snap)
        if step.action in ("amendments", "correct"):
            event(f"{step.action} drawn")
    event(f"{start} ended {snap.record['state']}")
    for stop in journey_of(snap.record)["stops"]:
        event(f"ended with a stop {stop['status']}")
    event(f"{len(snap.record['custody_chain'])} custody segments")
