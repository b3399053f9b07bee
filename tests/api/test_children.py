"""Children: from the identity number, or the `under_18` flag when the identity does not show
it; an age established later (an identity, or the flag, by amendment) recomputes the clocks
that have a child's rule. Through the API, with every invariant checked after each step."""

from __future__ import annotations

import asyncio
import copy
from datetime import datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from temporalio.client import Client

from services.handover.api import examples
from services.handover.settings import Settings
from tests.api.invariants import PROBLEM_JSON, Snapshot, assert_well_formed, checked
from tests.flow import Flow, Parties, fresh

UNKNOWN = {"type": "unknown", "description": "A boy, about 14, no papers; speaks Dari."}
CHILD_NUMBER = {"type": "personnummer", "number": "20120505-1236"}  # 14 in December 2026
ADULT_NUMBER = {"type": "personnummer", "number": "19121212-1212"}
REASON = "Age established by the social services' assessment of today."


def lvu(identity: dict[str, Any], **person: Any) -> dict[str, Any]:
    payload = fresh(copy.deepcopy(examples.ASSISTANCE_CREATE), legal_basis="lvu_43")
    payload["person"] = {"identity": identity, **person}
    return payload


def utl(identity: dict[str, Any], **person: Any) -> dict[str, Any]:
    payload = lvu(identity, **person)
    payload["legal_basis"] = "utll_10_19a"
    payload["placed_at"] = payload["decision"]["decided_at"]
    return payload


def clock(record: dict[str, Any], deadline_id: str) -> dict[str, Any]:
    found: dict[str, Any] = next(d for d in record["deadlines"] if d["id"] == deadline_id)
    return found


def hours(deadline: dict[str, Any]) -> float:
    span = datetime.fromisoformat(deadline["due_at"]) - datetime.fromisoformat(
        deadline["starts_at"]
    )
    return span / timedelta(hours=1)


@pytest.fixture
def parties(settings: Settings) -> Parties:
    return Parties(settings)


async def check(
    api: httpx.AsyncClient, temporal: Client, pool: asyncpg.Pool, flow: Flow, p: Parties
) -> Snapshot:
    return await checked(api, temporal, pool, flow.id, p.police)


async def test_the_flag_makes_a_child_of_a_person_of_unknown_identity(
    api: httpx.AsyncClient, temporal: Client, pool: asyncpg.Pool, parties: Parties
) -> None:
    flagged = await Flow(api, parties).create(lvu(UNKNOWN, under_18=True))
    assert hours(clock(flagged.last, "lvu_execution")) == 12
    unflagged = await Flow(api, parties).create(lvu(UNKNOWN))
    assert hours(clock(unflagged.last, "lvu_execution")) == 24
    # UtlL: a child is never placed in police custody; the clock is out at once.
    placed = await Flow(api, parties).create(utl(UNKNOWN, under_18=True))
    placement = clock(placed.last, "utl_placement")
    assert placement["due_at"] == placement["starts_at"]
    for _ in range(100):  # the breach comes from the workflow's timer, just after the create
        if clock(await placed.get(), "utl_placement")["state"] == "breached":
            break
        await asyncio.sleep(0.1)
    snap = await check(api, temporal, pool, placed, parties)
    assert clock(snap.record, "utl_placement")["state"] == "breached"
    assert "breach" in [e["level"] for e in snap.record["escalations"]]


async def test_a_flag_that_contradicts_the_identity_number_is_refused(
    api: httpx.AsyncClient, parties: Parties
) -> None:
    for identity, flag in ((ADULT_NUMBER, True), (CHILD_NUMBER, False)):
        response = await api.post(
            "/v1/handovers", json=lvu(identity, under_18=flag), headers=parties.police
        )
        assert_well_formed(response)
        assert response.status_code in (400, 422), response.text
        assert response.headers["content-type"].startswith(PROBLEM_JSON)
        assert "under_18" in response.text
    # Agreeing with the number is fine.
    agreeing = await api.post(
        "/v1/handovers", json=lvu(CHILD_NUMBER, under_18=True), headers=parties.police
    )
    assert agreeing.status_code == 201, agreeing.text


async def test_an_identity_established_later_recomputes_the_child_clocks(
    api: httpx.AsyncClient, temporal: Client, pool: asyncpg.Pool, parties: Parties
) -> None:
    flow = await Flow(api, parties).create(lvu(UNKNOWN))
    before = clock(flow.last, "lvu_execution")
    assert hours(before) == 24
    amendment = {"field": "identity", "identity": CHILD_NUMBER, "reason": REASON}
    await flow.post("amendments", amendment, parties.police)
    snap = await check(api, temporal, pool, flow, parties)
    after = clock(snap.record, "lvu_execution")
    assert after["starts_at"] == before["starts_at"]
    assert hours(after) == 12
    recomputed = [e for e in snap.events if e["type"] == "deadline_recomputed"]
    assert [e["data"]["deadline"] for e in recomputed] == ["lvu_execution"]
    assert snap.types[-2:] == ["amended", "deadline_recomputed"]


async def test_an_age_established_later_recomputes_and_the_number_then_decides(
    api: httpx.AsyncClient, temporal: Client, pool: asyncpg.Pool, parties: Parties
) -> None:
    flow = await Flow(api, parties).create(lvu(UNKNOWN))
    await flow.post("defer", examples.DEFER, parties.planner)
    reminder = clock(flow.last, "deferral_reminder-1")
    assert hours(reminder) == 4
    amendment = {"field": "under_18", "under_18": True, "reason": REASON}
    await flow.post("amendments", amendment, parties.police)
    snap = await check(api, temporal, pool, flow, parties)
    assert hours(clock(snap.record, "lvu_execution")) == 12
    assert hours(clock(snap.record, "deferral_reminder-1")) == 1
    # Nothing changes: a 400. Once an identity number is known, it decides: a 409.
    again = await api.post(f"{flow.path}/amendments", json=amendment, headers=parties.police)
    assert again.status_code == 400, again.text
    await flow.post(
        "amendments",
        {"field": "identity", "identity": ADULT_NUMBER, "reason": REASON},
        parties.police,
    )
    snap = await check(api, temporal, pool, flow, parties)
    assert hours(clock(snap.record, "lvu_execution")) == 24  # an adult after all
    flag = {"field": "under_18", "under_18": False, "reason": REASON}
    refused = await api.post(f"{flow.path}/amendments", json=flag, headers=parties.police)
    assert_well_formed(refused)
    assert refused.status_code == 409, refused.text
