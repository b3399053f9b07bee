"""Random sequences of actions by random parties, against the real workflow through the API.

Each example starts a fresh request and takes up to a dozen steps. Most steps are drawn from
what would move the request on (so examples get past `requested`); the rest are any action by
any member of the cast, with small variations. After every step the invariants of
tests/api/invariants.py must hold, the outcome must agree with the `allowed_actions` the caller
saw just before, and a refused step must leave no trace.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
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
ACTIONS = (*LIFECYCLE_ACTIONS, "security-assessment", "incidents", "amendments")
CAST = ("police", "police_supervisor", "planner", "escort", "hakte", "stranger", "coordinator")
TARGETS = ("kv-nte-stockholm", "kv-hakte-kronoberg", "pa-kronoberg")
ACTOR_OF_UNIT = {
    "pa-kronoberg": "police",
    "kv-nte-stockholm": "escort",
    "kv-hakte-kronoberg": "hakte",
}
# Members of the cast always party to every request started here, with a role that may record
# incidents: the requesting police unit and NTE Stockholm (executor, or transport of KV).
ALWAYS_PARTY = frozenset({"police", "police_supervisor", "planner", "escort"})
REQUESTER_STAFF = frozenset({"police", "police_supervisor"})

FROM_OUTSIDE = copy.deepcopy(examples.ASSISTANCE_CREATE) | {
    "origin": {"description": "LVM-hemmet Hornö, Enköping"},
    "destination": {"description": "Beroendecentrum Stockholm, akutmottagningen"},
}
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
        raise AssertionError(self.action)


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
)


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
            onwards += [Step("release", releaser, to_unit=u) for u in TARGETS if u != holder]
            if state == "in_transit":
                onwards.append(Step("complete", releaser))
        else:
            onwards.append(Step("receive", "escort", received_from=True))
        detours.append(Step("not-executed", "planner"))
    return onwards, detours


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
    if step.if_match == "stale":
        # A party learns that the request moved on; a reader who is no party, that they may
        # not change it; anyone else nothing at all.
        if step.actor in ALWAYS_PARTY:
            return {412}
        return {404} if step.actor == "stranger" else {403, 404, 412}
    if step.action in LIFECYCLE_ACTIONS:
        if step.action in allowed:
            return {400} if body_invalid(step, payload, before) else {200}
        return {403, 404, 409}
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
        after = await self.check()
        mine = [e for e in after.events if e["request_id"] == headers["X-Request-Id"]]
        if response.is_success:
            assert after.version > before.version
            recorded = as_recorded(after.events[: len(before.events)])
            assert recorded == as_recorded(before.events), "the log was rewritten"
            assert mine == after.events[len(before.events) :], "another change slipped in"
            assert response.headers["etag"] == after.etag
            if step.action in LIFECYCLE_ACTIONS:
                # Read-your-writes: the response is what the caller now reads.
                read = await self.api.get(f"/v1/handovers/{self.id}", headers=self.cast[step.actor])
                assert view(response) == view(read)
                assert response.json()["allowed_actions"] == read.json()["allowed_actions"]
        else:
            assert after == before, f"refused {step} changed the request"
            assert not mine
        return after


@hypothesis_settings(
    max_examples=8,  # per start: 24 examples in all
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
    event(f"{len(snap.record['custody_chain'])} custody segments")
