"""Journeys with stops through the API: a night's lodging, a redirect and a return leg, with
every invariant of tests/api/invariants.py (a gapless custody chain, the log replayed through
the lifecycle, the read model equal to the workflow's state) checked after every step."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from temporalio.client import Client

from contracts.common import State
from services.handover.api import examples
from services.handover.settings import Settings
from tests.api.invariants import PROBLEM_JSON, Snapshot, assert_well_formed, checked
from tests.flow import Flow, Parties, body, fresh

LODGING = "kv-hakte-sundsvall"


def at(offset_seconds: float) -> str:
    return (datetime.now(UTC) + timedelta(seconds=offset_seconds)).isoformat()


def lodging(unit: str = LODGING) -> dict[str, Any]:
    return {"change": "lodging", "unit": unit, "arrive_at": at(3600), "depart_at": at(14 * 3600)}


def problem(response: httpx.Response, status: int, reason: str | None = None) -> dict[str, Any]:
    assert_well_formed(response)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    result: dict[str, Any] = response.json()
    if reason is not None:
        assert result.get("reason") == reason, result
    return result


@pytest.fixture
def parties(settings: Settings) -> Parties:
    return Parties(settings)


class Walk:
    """A request walked through its journey; every step's invariants checked."""

    def __init__(
        self, api: httpx.AsyncClient, temporal: Client, pool: asyncpg.Pool, p: Parties
    ) -> None:
        self.api, self.temporal, self.pool, self.p = api, temporal, pool, p
        self.flow = Flow(api, p)

    async def check(self) -> Snapshot:
        return await checked(self.api, self.temporal, self.pool, self.flow.id, self.p.police)

    async def journey(
        self, change: dict[str, Any], headers: dict[str, str], expect: int = 200
    ) -> httpx.Response:
        response = await self.api.post(f"{self.flow.path}/journey", json=change, headers=headers)
        assert_well_formed(response)
        assert response.status_code == expect, response.text
        return response

    async def hand(self, holder: dict[str, str], to_unit: str, receiver: dict[str, str]) -> None:
        await self.flow.post("release", body(examples.RELEASE, to_unit=to_unit), holder)
        await self.check()
        await self.flow.post("receive", body(examples.RECEIVE), receiver)
        await self.check()


@pytest.fixture
def walk(api: httpx.AsyncClient, temporal: Client, pool: asyncpg.Pool, parties: Parties) -> Walk:
    return Walk(api, temporal, pool, parties)


async def test_a_transfer_with_a_lodging_and_a_redirect(walk: Walk, parties: Parties) -> None:
    p, flow = parties, walk.flow
    await flow.to(State.SCHEDULED)
    # The remand prison on the way sees nothing of a request it has no part in.
    assert (await walk.api.get(flow.path, headers=p.lodging)).status_code == 404

    planned = (await walk.journey(lodging(), p.planner)).json()
    stop = planned["journey"]["stops"][0]
    assert (stop["number"], stop["kind"], stop["status"], stop["unit"]) == (
        1,
        "lodging",
        "planned",
        LODGING,
    )
    snap = await walk.check()
    assert snap.types[-1] == "lodging_planned"
    # Now a party: the lodging unit sees the request and answers for its lodging.
    seen = await walk.api.get(flow.path, headers=p.lodging)
    assert seen.status_code == 200, seen.text
    # Only the lodging unit answers; the escort may not.
    answer = {"change": "lodging_answer", "stop": 1, "accepted": True}
    problem(
        await walk.api.post(f"{flow.path}/journey", json=answer, headers=p.escort),
        403,
    )

    await walk.hand(p.police, "kv-nte-stockholm", p.escort)
    # Not accepted yet: the escort cannot hand the person to the lodging.
    refused = await walk.api.post(
        f"{flow.path}/release", json=body(examples.RELEASE, to_unit=LODGING), headers=p.escort
    )
    detail = problem(refused, 409, "illegal_transition")["detail"]
    assert "has not accepted the lodging" in detail
    assert (await walk.check()).types[-1] == "received"  # nothing changed

    await walk.journey(answer, p.lodging)
    assert (await walk.check()).record["journey"]["stops"][0]["status"] == "accepted"

    # The night at the lodging: reached by its reception, left by its release.
    await walk.hand(p.escort, LODGING, p.lodging)
    snap = await walk.check()
    assert snap.record["state"] == "in_transit"
    assert snap.record["responsible"]["unit"] == LODGING
    assert snap.record["journey"]["stops"][0]["status"] == "reached"
    # The lodging's clock (policy 3) runs from its planned departure; its release meets it.
    clock = next(d for d in snap.record["deadlines"] if d["id"] == "lodging_departure-1")
    assert clock["state"] == "running"
    assert clock["starts_at"] == snap.record["journey"]["stops"][0]["depart_at"]
    await walk.hand(p.lodging, "kv-nte-stockholm", p.escort)
    snap = await walk.check()
    left = snap.record["journey"]["stops"][0]
    assert left["status"] == "left"
    assert left["reached_at"] <= left["left_at"]
    clock = next(d for d in snap.record["deadlines"] if d["id"] == "lodging_departure-1")
    assert clock["state"] == "met"

    # On the way: a new destination, with a reason; the old one stays on record.
    redirect = {
        "change": "redirect",
        "to_unit": "kv-hakte-goteborg",
        "reason": "placement_decision",
        "text": "Placeringsenheten: Göteborg.",
    }
    await walk.journey(redirect, p.planner)
    snap = await walk.check()
    record = snap.record
    assert (record["to_unit"], record["executing_unit"]) == ("kv-hakte-goteborg",) * 2
    moved = record["journey"]["redirects"][0]
    assert (moved["from_unit"], moved["to_unit"]) == ("kv-hakte-kronoberg", "kv-hakte-goteborg")
    event = snap.events[-1]
    assert event["type"] == "redirected"
    assert (event["data"]["from_unit"], event["data"]["to_unit"]) == (
        "kv-hakte-kronoberg",
        "kv-hakte-goteborg",
    )
    # The old destination's reception does not complete it any more; the new one's does.
    await walk.hand(p.escort, "kv-hakte-goteborg", p.goteborg)
    snap = await walk.check()
    assert snap.record["state"] == "completed"
    units = [s["unit"] for s in snap.record["custody_chain"]]
    assert units == [
        "pa-kronoberg",
        "kv-nte-stockholm",
        LODGING,
        "kv-nte-stockholm",
        "kv-hakte-goteborg",
    ]
    # Every handover's custody-gap clock was met; the remand clock at the first reception.
    gaps = [d for d in snap.record["deadlines"] if d["name"] == "custody_gap"]
    assert len(gaps) == 4
    assert all(d["state"] == "met" for d in gaps), gaps


async def test_refusals_name_their_reason(walk: Walk, parties: Parties) -> None:
    p, flow = parties, walk.flow
    await flow.create()
    # Planning comes after acceptance.
    problem(
        await walk.api.post(f"{flow.path}/journey", json=lodging(), headers=p.planner),
        409,
        "illegal_transition",
    )
    await flow.post("accept", examples.ACCEPT, p.planner)
    # A lodging is at a remand prison or police custody unit that exists.
    for unit in ("kv-anstalt-kumla", "kv-nte-stockholm", "no-such-unit"):
        response = await walk.api.post(
            f"{flow.path}/journey", json=lodging(unit), headers=p.planner
        )
        assert response.status_code in (400, 422), response.text
        assert_well_formed(response)
    # Not the destination itself; the requester does not plan lodgings.
    problem(
        await walk.api.post(
            f"{flow.path}/journey", json=lodging("kv-hakte-kronoberg"), headers=p.planner
        ),
        400,
    )
    problem(
        await walk.api.post(f"{flow.path}/journey", json=lodging(), headers=p.police),
        403,
    )
    # Before pickup the destination is amended, not redirected.
    redirect = {"change": "redirect", "to_unit": "kv-hakte-goteborg", "reason": "court_decision"}
    detail = problem(
        await walk.api.post(f"{flow.path}/journey", json=redirect, headers=p.planner),
        409,
        "illegal_transition",
    )["detail"]
    assert "amendments" in detail
    # A transfer has no return leg.
    back = {"change": "return", "return_to": "pa-kronoberg"}
    problem(await walk.api.post(f"{flow.path}/journey", json=back, headers=p.planner), 409)
    # Bad bodies: a lodging that ends before it starts, or lasts beyond 72 h; unknown stops.
    for bad in (
        lodging() | {"depart_at": at(0)},
        lodging() | {"depart_at": at(80 * 3600)},
        {"change": "lodging_answer", "stop": 1, "accepted": False},
        {"change": "cancel_stop", "stop": 7, "reason": "replanned"},
        {"change": "teleport"},
    ):
        response = await walk.api.post(f"{flow.path}/journey", json=bad, headers=p.planner)
        assert_well_formed(response)
        assert response.status_code in (400, 403, 422), (bad, response.text)
    snap = await walk.check()
    assert snap.types == ["requested", "accepted"]  # nothing refused left a trace


async def test_a_declined_lodging_is_replanned_and_a_stop_cancelled(
    walk: Walk, parties: Parties
) -> None:
    p, flow = parties, walk.flow
    await flow.create()
    await flow.post("accept", examples.ACCEPT, p.planner)
    await walk.journey(lodging(), p.planner)
    declined = {"change": "lodging_answer", "stop": 1, "accepted": False, "reason": "no_capacity"}
    record = (await walk.journey(declined, p.lodging)).json()
    assert record["journey"]["stops"][0]["status"] == "declined"
    # Declined: no longer a party.
    assert (await walk.api.get(flow.path, headers=p.lodging)).status_code == 404
    await walk.journey(declined, p.lodging, expect=404)
    # Planned again elsewhere, then taken out of the plan.
    await walk.journey(lodging("pa-sundsvall"), p.planner)
    cancel = {"change": "cancel_stop", "stop": 2, "reason": "not_needed"}
    record = (await walk.journey(cancel, p.planner)).json()
    assert [s["status"] for s in record["journey"]["stops"]] == ["declined", "cancelled"]
    await walk.journey(cancel, p.planner, expect=409)
    snap = await walk.check()
    assert snap.types[-4:] == [
        "lodging_planned",
        "lodging_answered",
        "lodging_planned",
        "stop_cancelled",
    ]


async def test_assistance_to_a_hearing_and_back(walk: Walk, parties: Parties) -> None:
    """A return leg: the destination (a place outside both agencies) becomes a turnaround the
    escort records arriving at and leaving; the return unit's reception completes it."""
    p, flow = parties, walk.flow
    payload = fresh(copy.deepcopy(examples.ASSISTANCE_CREATE))
    await flow.create(payload)
    await flow.post("accept", examples.ACCEPT, p.planner)
    await flow.assess()
    back = {"change": "return", "return_to": "pa-kronoberg", "depart_at": at(6 * 3600)}
    record = (await walk.journey(back, p.planner)).json()
    turnaround = record["journey"]["stops"][0]
    assert (turnaround["kind"], turnaround["status"], turnaround["unit"]) == (
        "turnaround",
        "accepted",
        None,
    )
    assert record["to_unit"] == "pa-kronoberg"
    assert record["assistance"]["destination"]["unit"] == "pa-kronoberg"
    await walk.journey(back, p.planner, expect=409)  # one return leg
    await flow.post("schedule", body(examples.SCHEDULE), p.planner)
    await walk.hand(p.police, "kv-nte-stockholm", p.escort)
    # Only the holder records the arrival, and only at a stop outside the agencies.
    # Written in whole seconds, in the same second as the reception the service stamped: not
    # "before" it (the precision the client wrote), and recorded at that stamp.
    received = (await walk.check()).events[-1]
    stamped = datetime.fromisoformat(received["occurred_at"])
    arrived = {
        "change": "arrived",
        "stop": 1,
        "occurred_at": stamped.replace(microsecond=0).isoformat(),
    }
    early = dict(arrived, occurred_at=(stamped - timedelta(seconds=2)).isoformat())
    problem(await walk.api.post(f"{flow.path}/journey", json=early, headers=p.escort), 400)
    await walk.journey(arrived, p.police, expect=403)
    await walk.journey(arrived, p.escort)
    reached = (await walk.check()).record["journey"]["stops"][0]["reached_at"]
    assert datetime.fromisoformat(reached) >= stamped
    await walk.journey(arrived, p.escort, expect=409)
    departed = {"change": "departed", "stop": 1, "occurred_at": at(0)}
    await walk.journey(departed, p.escort)
    snap = await walk.check()
    stop = snap.record["journey"]["stops"][0]
    assert stop["status"] == "left"
    assert snap.types[-2:] == ["stop_arrived", "stop_departed"]
    # Delivering outside the agencies no longer completes it: the return unit must receive.
    refused = await walk.api.post(
        f"{flow.path}/complete", json=body(examples.COMPLETE), headers=p.escort
    )
    problem(refused, 409, "destination_must_receive")
    await walk.hand(p.escort, "pa-kronoberg", p.police)
    snap = await walk.check()
    assert snap.record["state"] == "completed"
    assert [s["unit"] for s in snap.record["custody_chain"]] == [
        "pa-kronoberg",
        "kv-nte-stockholm",
        "pa-kronoberg",
    ]


async def test_redirected_to_where_the_person_is_ends_the_journey_there(
    walk: Walk, parties: Parties
) -> None:
    """A convicted person lodged at a remand prison on the way, and the placement says: stay.
    The redirect to the lodging completes the request there; the prison-place clocks run from
    the reception at the lodging (strafftidslag 10 §)."""
    p, flow = parties, walk.flow
    convicted = fresh()
    convicted["decision"]["kind"] = "sentence_enforcement"
    await flow.create(convicted)
    await flow.to(State.SCHEDULED)
    await walk.journey(lodging(), p.planner)
    await walk.journey({"change": "lodging_answer", "stop": 1, "accepted": True}, p.lodging)
    await walk.hand(p.police, "kv-nte-stockholm", p.escort)
    await walk.hand(p.escort, LODGING, p.lodging)
    reached = (await walk.check()).record
    assert not [d for d in reached["deadlines"] if d["name"].startswith("prison_place")]
    # Released back to the escort but not yet received: the lodging cannot be the end now.
    await flow.post("release", body(examples.RELEASE, to_unit="kv-nte-stockholm"), p.lodging)
    redirect = {"change": "redirect", "to_unit": LODGING, "reason": "placement_decision"}
    refused = await walk.api.post(f"{flow.path}/journey", json=redirect, headers=p.planner)
    problem(refused, 409, "release_pending")
    await flow.post("receive", body(examples.RECEIVE), p.escort)
    await flow.post("release", body(examples.RELEASE, to_unit=LODGING), p.escort)
    await flow.post("receive", body(examples.RECEIVE), p.lodging)
    snap = await walk.check()
    since = snap.record["responsible"]["since"]

    done = (await walk.journey(redirect, p.planner)).json()
    assert done["state"] == "completed"
    assert (done["to_unit"], done["executing_unit"]) == (LODGING, LODGING)
    snap = await walk.check()
    assert snap.types[-2:] == ["redirected", "completed"]
    assert snap.record["responsible"]["unit"] == LODGING  # it holds the person on
    clocks = {d["name"]: d for d in snap.record["deadlines"]}
    assert clocks["prison_place_target"]["starts_at"] == since
    assert clocks["prison_place_target"]["state"] == "running"
    # The person is placed from there in time: `placed` meets the clocks, by the new executor.
    await flow.post("placed", body(examples.PLACED), p.lodging)
    snap = await walk.check()
    assert snap.record["placement"]["prison_unit"] == examples.PLACED["prison_unit"]
    assert {d["state"] for d in snap.record["deadlines"] if d["name"].startswith("prison")} == {
        "met"
    }


async def test_no_stop_changes_after_closure_nor_a_lodging_at_the_unit_being_handed_the_person(
    walk: Walk, parties: Parties
) -> None:
    """Found by the random sequences: a stop was cancelled on a cancelled request, and a lodging
    planned at the unit a release already waited on (so it was received unaccepted)."""
    p, flow = parties, walk.flow
    await flow.create()
    await flow.post("accept", examples.ACCEPT, p.planner)
    await walk.journey(lodging(), p.planner)
    await flow.post("cancel", examples.CANCEL, p.police)
    cancel = {"change": "cancel_stop", "stop": 1, "reason": "replanned"}
    problem(
        await walk.api.post(f"{flow.path}/journey", json=cancel, headers=p.planner),
        409,
        "illegal_transition",
    )
    assert (await walk.check()).types[-1] == "cancelled"

    other = Walk(walk.api, walk.temporal, walk.pool, p)
    await other.flow.to(State.IN_TRANSIT)
    await other.flow.post("release", body(examples.RELEASE, to_unit=LODGING), p.escort)
    refused = await other.api.post(f"{other.flow.path}/journey", json=lodging(), headers=p.planner)
    assert "being handed" in problem(refused, 400)["detail"]
    assert (await other.check()).types[-1] == "released"


async def test_a_child_is_never_lodged_in_police_custody_under_utll(
    walk: Walk, parties: Parties
) -> None:
    p, flow = parties, walk.flow
    child = fresh(copy.deepcopy(examples.ASSISTANCE_CREATE), legal_basis="utll_10_19a")
    child["person"] = {"identity": {"type": "personnummer", "number": "20120505-1236"}}
    await flow.create(child)
    await flow.post("accept", examples.ACCEPT, p.planner)
    refused = await walk.api.post(
        f"{flow.path}/journey", json=lodging("pa-sundsvall"), headers=p.planner
    )
    assert "never placed in police custody" in problem(refused, 409, "illegal_transition")["detail"]
    # A remand prison may lodge the child.
    await walk.journey(lodging(), p.planner)
    assert (await walk.check()).types[-1] == "lodging_planned"
