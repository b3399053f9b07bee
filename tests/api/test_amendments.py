"""Amendments and corrections through the API: the log keeps both values, the chain verifies,
clocks run again from an amended or corrected time, and nothing is rewritten."""

from __future__ import annotations

import asyncio
import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from temporalio.client import Client

from contracts import calendar
from contracts.common import State
from services.handover.api import examples
from services.handover.settings import Settings
from tests.api.invariants import (
    PROBLEM_JSON,
    Snapshot,
    as_recorded,
    assert_well_formed,
    checked,
)
from tests.flow import STOCKHOLM, Flow, Parties, body, fresh

REASON = "The court's decision says otherwise; see the decision of today."


def amendment(field: str, **values: Any) -> dict[str, Any]:
    return {"field": field, "reason": REASON, **values}


def at(offset_seconds: float) -> str:
    return (datetime.now(UTC) + timedelta(seconds=offset_seconds)).isoformat()


def deadline(record: dict[str, Any], deadline_id: str) -> dict[str, Any]:
    found: dict[str, Any] = next(d for d in record["deadlines"] if d["id"] == deadline_id)
    return found


def last_of(snap: Snapshot, kind: str) -> dict[str, Any]:
    found: dict[str, Any] = next(e for e in reversed(snap.events) if e["type"] == kind)
    return found


class Checked:
    """Every invariant of tests/api/invariants.py after each step (the chain verifies)."""

    def __init__(
        self, api: httpx.AsyncClient, temporal: Client, pool: asyncpg.Pool, p: Parties
    ) -> None:
        self.api, self.temporal, self.pool, self.p = api, temporal, pool, p

    async def __call__(self, flow: Flow) -> Snapshot:
        return await checked(self.api, self.temporal, self.pool, flow.id, self.p.police)


@pytest.fixture
def parties(settings: Settings) -> Parties:
    return Parties(settings)


@pytest.fixture
def check(
    api: httpx.AsyncClient, temporal: Client, pool: asyncpg.Pool, parties: Parties
) -> Checked:
    return Checked(api, temporal, pool, parties)


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert_well_formed(response)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    result: dict[str, Any] = response.json()
    return result


async def test_destination_is_amended_before_pickup_and_refused_after(
    api: httpx.AsyncClient, parties: Parties, check: Checked
) -> None:
    p = parties
    flow = await Flow(api, p).create()
    before = await check(flow)
    new = amendment("destination", to_unit="kv-hakte-goteborg")
    await flow.post("amendments", new, p.police)
    assert flow.last["to_unit"] == flow.last["executing_unit"] == "kv-hakte-goteborg"
    snap = await check(flow)
    assert snap.events[: len(before.events)] == before.events, "the log was rewritten"
    amended = last_of(snap, "amended")
    assert amended["data"] == {
        "field": "destination",
        "old": {"to_unit": "kv-hakte-kronoberg", "executing_unit": "kv-hakte-kronoberg"},
        "new": {"to_unit": "kv-hakte-goteborg", "executing_unit": "kv-hakte-goteborg"},
        "reason": REASON,
    }
    assert amended["actor"]["unit"] == "pa-kronoberg"

    # Who: the requesting unit's staff; not the executor, not a coordinator, not a stranger.
    back = amendment("destination", to_unit="kv-hakte-kronoberg")
    assert problem(await api.post(f"{flow.path}/amendments", json=back, headers=p.planner), 403)
    assert problem(await api.post(f"{flow.path}/amendments", json=back, headers=p.coordinator), 403)
    assert problem(await api.post(f"{flow.path}/amendments", json=back, headers=p.stranger), 404)
    # The destination of a transfer is a remand prison or prison that exists.
    for unit in ("kv-hakte-nowhere", "pa-malmo"):
        wrong = amendment("destination", to_unit=unit)
        found = problem(
            await api.post(f"{flow.path}/amendments", json=wrong, headers=p.police), 400
        )
        assert found["errors"][0]["field"] == "$.to_unit", found
    same = amendment("destination", to_unit="kv-hakte-goteborg")
    problem(await api.post(f"{flow.path}/amendments", json=same, headers=p.police), 400)

    # After pickup (the first release) the destination stays: a clear 409.
    await flow.released_to_transport()
    refused = problem(await api.post(f"{flow.path}/amendments", json=back, headers=p.police), 409)
    assert refused["reason"] == "handover_started", refused
    assert "before pickup" in refused["detail"], refused
    assert refused["current_state"] == "scheduled"
    after = await check(flow)
    assert after.record["to_unit"] == "kv-hakte-goteborg"
    # Other facts may still be amended after pickup.
    await flow.post(
        "amendments", amendment("relatives_notified", relatives_notified=True), p.police
    )
    snap = await check(flow)
    assert snap.record["relatives_notified"] is True
    assert last_of(snap, "amended")["data"]["old"] == {"relatives_notified": False}


async def test_assistance_destination_is_amended(
    api: httpx.AsyncClient, parties: Parties, check: Checked
) -> None:
    p = parties
    flow = await Flow(api, p).create(fresh(examples.ASSISTANCE_CREATE))
    place = {"description": "Beroendecentrum Stockholm, akutmottagningen"}
    await flow.post("amendments", amendment("destination", destination=place), p.police)
    served: dict[str, str | None] = {"unit": None, **place}
    assert flow.last["assistance"]["destination"] == served
    assert flow.last["to_unit"] is None
    snap = await check(flow)
    assert last_of(snap, "amended")["data"]["new"] == {"to_unit": None, "destination": served}
    # An assistance request names a place, not a transfer's `to_unit`.
    wrong = amendment("destination", to_unit="kv-hakte-goteborg")
    found = problem(await api.post(f"{flow.path}/amendments", json=wrong, headers=p.police), 400)
    assert found["errors"][0]["field"] == "$.to_unit"


async def test_an_identity_established_later_replaces_the_unknown_one(
    api: httpx.AsyncClient, parties: Parties, check: Checked
) -> None:
    p = parties
    unknown = {"identity": {"type": "unknown", "description": "Man, about 30, red jacket"}}
    flow = await Flow(api, p).create(fresh(person=unknown))
    number = {"type": "personnummer", "number": "191212121212"}
    new = amendment("identity", identity=number, given_name="Tolvan")
    await flow.post("amendments", new, p.police)
    assert flow.last["person"]["identity"] == {"type": "personnummer", "number": "19121212-1212"}
    assert flow.last["person"]["given_name"] == "Tolvan"
    snap = await check(flow)
    data = last_of(snap, "amended")["data"]
    assert data["old"] == {"identity": unknown["identity"], "given_name": None}
    assert data["new"]["identity"]["number"] == "19121212-1212"
    # Once established, the identity is not amended again.
    again = amendment("identity", identity={"type": "personnummer", "number": "19121212-1212"})
    refused = problem(await api.post(f"{flow.path}/amendments", json=again, headers=p.police), 409)
    assert refused["reason"] == "illegal_transition"
    assert "already established" in refused["detail"]


async def test_a_new_decision_time_recomputes_the_remand_clock(
    api: httpx.AsyncClient, parties: Parties, check: Checked
) -> None:
    p = parties
    flow = await Flow(api, p).create()
    before = deadline(flow.last, "remand_to_remand_prison")
    # The remand decision was in fact taken late yesterday: the clock is due a day earlier.
    midnight = datetime.now(STOCKHOLM).replace(hour=0, minute=0, second=0, microsecond=0)
    decided = (midnight - timedelta(hours=1)).isoformat()
    new = amendment("decision", decided_at=decided, case_number="B 12354-26")
    await flow.post("amendments", new, p.police)
    moved = deadline(flow.last, "remand_to_remand_prison")
    expected = calendar.end_of_day(datetime.fromisoformat(decided), 1)
    assert datetime.fromisoformat(moved["due_at"]) == expected
    assert datetime.fromisoformat(moved["starts_at"]) == datetime.fromisoformat(decided)
    assert datetime.fromisoformat(before["due_at"]) - expected == timedelta(days=1) or (
        # across a DST change the day is 23 or 25 hours long
        abs(datetime.fromisoformat(before["due_at"]) - expected - timedelta(days=1))
        <= timedelta(hours=1)
    )
    assert flow.last["decision"]["case_number"] == "B 12354-26"
    # Its warning (the end of yesterday) is past: the service warns at once, on its own.
    for _ in range(100):
        shown = await flow.get()
        if deadline(shown, "remand_to_remand_prison")["warned_at"] is not None:
            break
        await asyncio.sleep(0.1)
    snap = await check(flow)
    types = snap.types
    amended = types.index("amended")
    assert types[amended + 1] == "deadline_recomputed", types
    assert "deadline_warned" in types[amended + 2 :], types
    data = last_of(snap, "amended")["data"]
    assert data["field"] == "decision"
    assert set(data["old"]) == set(data["new"]) == {"decided_at", "case_number"}
    assert data["old"]["case_number"] == "B 12345-26"
    recomputed = last_of(snap, "deadline_recomputed")["data"]
    assert recomputed["deadline"] == "remand_to_remand_prison"
    assert datetime.fromisoformat(recomputed["old_due_at"]) == datetime.fromisoformat(
        before["due_at"]
    )
    assert datetime.fromisoformat(recomputed["new_due_at"]) == expected
    # Hostile or empty decisions are refused and change nothing.
    for bad in (
        amendment("decision", decided_at=at(3600)),
        amendment("decision", case_number="B 12354-26"),
        amendment("decision"),
        amendment("decision", case_number="B 1\u202e2"),
        amendment("decision", kind="care_decision", case_number="B 1-26"),
    ):
        problem(await api.post(f"{flow.path}/amendments", json=bad, headers=p.police), 400)
    assert (await check(flow)).events == snap.events


async def test_hostile_amendments_are_problems(
    api: httpx.AsyncClient, parties: Parties, check: Checked
) -> None:
    p = parties
    flow = await Flow(api, p).create()
    snap = await check(flow)
    path = f"{flow.path}/amendments"
    for bad in (
        {"field": "destination", "to_unit": "kv-hakte-goteborg"},  # no reason
        {"field": "person", "reason": REASON},  # no such field
        {"field": "destination", "reason": "\x00", "to_unit": "kv-hakte-goteborg"},
        amendment("destination", to_unit="kv-hakte-goteborg", destination={"description": "x"}),
        amendment("destination", to_unit="KV HAKTE"),
        amendment("identity", identity={"type": "personnummer", "number": "19121212-1213"}),
        amendment("identity", identity={"type": "unknown", "description": "still unknown"}),
        amendment("relatives_notified", relatives_notified="yes"),
        amendment("relatives_notified", relatives_notified=False),  # nothing changes
        amendment("restrictions", restrictions={"applies": "true"}),
        ["destination"],
    ):
        problem(await api.post(path, json=bad, headers=p.police), 400)
    sent = await api.post(path, content=b"{", headers=p.police | {"Content-Type": "text/plain"})
    problem(sent, 415)
    assert (await check(flow)).events == snap.events


async def test_a_corrected_reception_time_moves_the_custody_chain(
    api: httpx.AsyncClient, parties: Parties, check: Checked
) -> None:
    p = parties
    flow = await Flow(api, p).to(State.SCHEDULED)
    await flow.post("release", body(examples.RELEASE, occurred_at=at(0)), p.police)
    released_at = datetime.fromisoformat(flow.last["handovers"][0]["release"]["occurred_at"])
    # The escort's device runs a minute fast.
    await flow.post("receive", body(examples.RECEIVE, occurred_at=at(60)), p.escort)
    snap = await check(flow)
    received = last_of(snap, "received")
    really = (released_at + timedelta(seconds=20)).isoformat()
    correction = {"occurred_at": really, "reason": "The escort's device ran a minute fast."}
    path = f"{flow.path}/events/{received['seq']}/correct"

    # Only the unit that recorded it corrects it; only times of the lifecycle; in order.
    problem(await api.post(path, json=correction, headers=p.police), 403)
    problem(await api.post(path, json=correction, headers=p.coordinator), 403)
    problem(await api.post(path, json=correction, headers=p.stranger), 404)
    found = problem(
        await api.post(f"{flow.path}/events/1/correct", json=correction, headers=p.police), 400
    )
    assert found["errors"][0]["field"] == "seq"
    problem(
        await api.post(f"{flow.path}/events/999/correct", json=correction, headers=p.escort), 404
    )
    for bad in (
        {"occurred_at": at(3600), "reason": "Later"},
        {"occurred_at": (released_at - timedelta(seconds=1)).isoformat(), "reason": "Early"},
        {"occurred_at": received["occurred_at"], "reason": "The same"},
        {"occurred_at": really},
        {"occurred_at": really, "reason": "x", "seq": 3},
        {"occurred_at": "2026-11-28T10:05:00", "reason": "No offset"},
        {"occurred_at": really, "reason": "\u2066hidden"},
    ):
        problem(await api.post(path, json=bad, headers=p.escort), 400)
    assert (await check(flow)).events == snap.events

    await flow.post(f"events/{received['seq']}/correct", correction, p.escort)
    after = await check(flow)  # gapless, read model = workflow, chain verifies, replayed
    recorded = as_recorded(after.events[: len(snap.events)])
    assert recorded == as_recorded(snap.events), "the log was rewritten"
    chain = after.record["custody_chain"]
    assert [s["unit"] for s in chain] == ["pa-kronoberg", "kv-nte-stockholm"]
    assert datetime.fromisoformat(chain[0]["until"]) == datetime.fromisoformat(really)
    assert datetime.fromisoformat(chain[1]["since"]) == datetime.fromisoformat(really)
    assert datetime.fromisoformat(after.record["responsible"]["since"]) == datetime.fromisoformat(
        really
    )
    step = after.record["handovers"][0]["reception"]
    assert datetime.fromisoformat(step["occurred_at"]) == datetime.fromisoformat(really)
    corrected = last_of(after, "corrected")
    assert corrected["data"]["corrects"] == received["seq"]
    assert corrected["data"]["corrected_type"] == "received"
    assert datetime.fromisoformat(
        corrected["data"]["old"]["occurred_at"]
    ) == datetime.fromisoformat(received["occurred_at"])
    served = {e["seq"]: e for e in after.events}
    assert served[received["seq"]]["corrected_by"] == [corrected["seq"]]
    assert served[received["seq"]]["occurred_at"] == received["occurred_at"], "rewritten"
    assert all(e["corrected_by"] == [] for e in after.events if e["seq"] != received["seq"])
    # The clocks that reception met (the first by Kriminalvården) are met at the new time.
    for name in ("remand_to_remand_prison", "custody_gap-1"):
        met = deadline(after.record, name)
        assert met["state"] == "met", met
        assert datetime.fromisoformat(met["met_at"]) == datetime.fromisoformat(really), met

    # The next handovers follow the corrected time; the arrival's time can be corrected too.
    to_hakte = body(examples.RELEASE, to_unit="kv-hakte-kronoberg", occurred_at=at(70))
    await flow.post("release", to_hakte, p.escort)
    await flow.post("receive", body(examples.RECEIVE, occurred_at=at(90)), p.hakte)
    assert flow.last["state"] == "completed"
    done = await check(flow)
    arrival = last_of(done, "received")
    arrived = (datetime.fromisoformat(arrival["occurred_at"]) - timedelta(seconds=5)).isoformat()
    fix = {"occurred_at": arrived, "reason": "Recorded after the intake interview."}
    await flow.post(f"events/{arrival['seq']}/correct", fix, p.hakte)
    final = await check(flow)
    assert datetime.fromisoformat(final.record["closure"]["occurred_at"]) == datetime.fromisoformat(
        arrived
    )
    assert datetime.fromisoformat(final.record["custody_chain"][-1]["since"]) == (
        datetime.fromisoformat(arrived)
    )
    met = deadline(final.record, "custody_gap-2")
    assert datetime.fromisoformat(met["met_at"]) == datetime.fromisoformat(arrived)
    assert met["state"] == "met"
    assert final.types[-1] == "corrected", final.types
    # A reception at the destination carries the completion's time: that is not corrected alone.
    completed = last_of(final, "completed")
    found = problem(
        await api.post(f"{flow.path}/events/{completed['seq']}/correct", json=fix, headers=p.hakte),
        400,
    )
    assert found["errors"][0]["field"] == "seq"
    export = await api.get(f"{flow.path}/export", headers=p.police)
    assert export.json()["chain_verified"] is True


async def test_a_corrected_release_time_runs_the_custody_gap_again(
    api: httpx.AsyncClient, parties: Parties, check: Checked
) -> None:
    p = parties
    flow = await Flow(api, p).to(State.SCHEDULED)
    await flow.post("release", body(examples.RELEASE, occurred_at=at(60)), p.police)
    gap = deadline(flow.last, "custody_gap-1")
    snap = await check(flow)
    released = last_of(snap, "released")
    really = at(5)
    fix = {"occurred_at": really, "reason": "The release was entered a minute late."}
    await flow.post(f"events/{released['seq']}/correct", fix, p.police)
    moved = deadline(flow.last, "custody_gap-1")
    assert datetime.fromisoformat(moved["starts_at"]) == datetime.fromisoformat(really)
    assert datetime.fromisoformat(moved["due_at"]) == datetime.fromisoformat(really) + timedelta(
        seconds=900
    )
    assert moved["due_at"] != gap["due_at"]
    after = await check(flow)
    assert after.types[-2:] == ["corrected", "deadline_recomputed"], after.types
    recomputed = after.events[-1]["data"]
    assert recomputed["deadline"] == "custody_gap-1"
    assert datetime.fromisoformat(recomputed["old_due_at"]) == datetime.fromisoformat(gap["due_at"])
    pending = after.record["handovers"][0]["release"]
    assert datetime.fromisoformat(pending["occurred_at"]) == datetime.fromisoformat(really)
    # The reception cannot then be recorded before the corrected release.
    early = body(
        examples.RECEIVE,
        occurred_at=(datetime.fromisoformat(really) - timedelta(seconds=2)).isoformat(),
    )
    problem(await api.post(f"{flow.path}/receive", json=early, headers=p.escort), 400)
    await flow.post("receive", body(examples.RECEIVE, occurred_at=at(10)), p.escort)
    await check(flow)


async def test_corrections_and_amendments_honour_if_match_and_idempotency(
    api: httpx.AsyncClient, parties: Parties, check: Checked
) -> None:
    p = parties
    flow = await Flow(api, p).create()
    path = f"{flow.path}/amendments"
    payload = amendment("relatives_notified", relatives_notified=True)
    stale = await api.post(path, json=payload, headers=p.police | {"If-Match": '"0"'})
    problem(stale, 412)
    key = {"Idempotency-Key": "amend-relatives-1"}
    first = await api.post(path, json=payload, headers=p.police | key)
    again = await api.post(path, json=payload, headers=p.police | key)
    assert first.status_code == again.status_code == 200, (first.text, again.text)
    assert first.json()["version"] == again.json()["version"]
    other = copy.deepcopy(payload) | {"reason": "Another reason"}
    assert problem(await api.post(path, json=other, headers=p.police | key), 422)
    snap = await check(flow)
    assert snap.types.count("amended") == 1


@pytest.mark.parametrize("seq", ["0", "-1", "99999999999999999999999", "9223372036854775808"])
async def test_a_correction_of_an_event_that_cannot_exist_is_a_clear_4xx(
    api: httpx.AsyncClient, settings: Settings, seq: str
) -> None:
    """A seq out of range (zero, negative, beyond int64) is refused as input, not a 500."""
    parties = Parties(settings)
    flow = await Flow(api, parties).create()
    payload = {"occurred_at": datetime.now(UTC).isoformat(), "reason": "entered_in_error"}
    response = await api.post(
        f"{flow.path}/events/{seq}/correct", json=payload, headers=parties.police
    )
    assert response.status_code in (400, 404), response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert (await flow.get())["version"] == flow.last["version"]


async def test_the_awareness_clocks_met_by_the_remand_decision_follow_its_amended_time(
    api: httpx.AsyncClient, parties: Parties, check: Checked
) -> None:
    """Detention hearing (RB 24:13, +96 h from the apprehension) and detention request (RB
    24:12) are met by a timely remand decision; when its time is amended, so is their met_at."""
    p = parties
    now_ = datetime.now(UTC)
    created = fresh(
        apprehended_at=(now_ - timedelta(hours=95)).isoformat(),
        arrested_at=(now_ - timedelta(hours=30)).isoformat(),
    )
    flow = await Flow(api, p).create(created)
    hearing = deadline(flow.last, "detention_hearing")
    assert hearing["state"] == "met"
    assert hearing["met_at"] == flow.last["decision"]["decided_at"]
    # Decided earlier than recorded: still in time, met at the amended time.
    earlier = (now_ - timedelta(hours=2)).isoformat()
    await flow.post("amendments", amendment("decision", decided_at=earlier), p.police)
    moved = deadline(flow.last, "detention_hearing")
    assert datetime.fromisoformat(moved["met_at"]) == datetime.fromisoformat(earlier)
    assert moved["state"] == "met"
    snap = await check(flow)
    assert deadline(snap.record, "detention_request")["met_at"] == moved["met_at"]
