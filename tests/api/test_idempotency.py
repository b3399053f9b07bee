"""Idempotent replays of every POST: the same key and body answer the original response once more.

For each POST: a retry with the same Idempotency-Key and body gets the same status, body and
ETag and applies nothing; the same key with another body is 422 `idempotency-key-reused` and
applies nothing; keys belong to the caller's unit; and a replay after later changes still
answers what the first call answered, not a conflict with the request's state today.
"""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
import pytest
from temporalio.client import Client

from contracts.common import State
from services.handover.api import examples
from services.handover.settings import Settings
from tests.api.invariants import Snapshot, assert_well_formed, checked, request_id, stable
from tests.flow import Flow, Parties, body, fresh

Prepare = Callable[[Flow], Awaitable[Any]]


def key() -> dict[str, str]:
    return {"Idempotency-Key": f"key-{request_id()}"}


def assert_replayed(first: httpx.Response, again: httpx.Response) -> None:
    assert_well_formed(again)
    assert again.status_code == first.status_code, again.text
    assert stable(again.json()) == stable(first.json())
    assert again.headers["etag"] == first.headers["etag"]
    assert again.headers.get("location") == first.headers.get("location")


def assert_key_reused(response: httpx.Response) -> None:
    assert_well_formed(response)
    assert response.status_code == 422, response.text
    assert response.json()["type"] == "/problems/idempotency-key-reused"


async def nothing(j: Flow) -> None:
    return None


@dataclass(frozen=True)
class Case:
    """One POST: how to get to where it is legal, who sends it, a body and another body."""

    action: str
    actor: str
    payload: Callable[[], dict[str, Any]]
    change: dict[str, Any]  # the other body: the payload with these fields replaced
    status: int = 200
    prepare: Prepare = nothing
    example: dict[str, Any] | None = None  # what to create; the transfer when None


CASES = [
    Case("accept", "planner", lambda: dict(examples.ACCEPT), {"note": "Another note."}),
    Case("defer", "planner", lambda: dict(examples.DEFER), {"text": "No place until Monday."}),
    Case("reject", "planner", lambda: dict(examples.REJECT), {"reason": "duplicate"}),
    Case(
        "schedule",
        "planner",
        lambda: body(examples.SCHEDULE),
        {"transport_unit": "kv-nte-orebro"},
        prepare=Flow.ready_to_schedule,
    ),
    Case(
        "release",
        "police",
        lambda: body(examples.RELEASE),
        {"remarks": "Agitated."},
        prepare=lambda j: j.to(State.SCHEDULED),
    ),
    Case(
        "receive",
        "escort",
        lambda: body(examples.RECEIVE),
        {"identity_confirmed": False},
        prepare=Flow.released_to_transport,
    ),
    Case("cancel", "police", lambda: dict(examples.CANCEL), {"reason": "person_released"}),
    Case(
        "complete",
        "escort",
        lambda: body(examples.COMPLETE),
        {"delivered_to": "LVM-hemmet Hornö, ward 2"},
        prepare=lambda j: j.to(State.IN_TRANSIT),
        example=examples.ASSISTANCE_CREATE,
    ),
    Case(
        "not-executed",
        "planner",
        lambda: body(examples.NOT_EXECUTED),
        {"reason": "person_ill", "text": "Taken to hospital."},
        prepare=lambda j: j.to(State.SCHEDULED),
    ),
    Case(
        "security-assessment",
        "police",
        lambda: body(examples.ASSESSMENT),
        {"complete": False},
        status=201,
    ),
    Case("incidents", "police", lambda: body(examples.INCIDENT), {"severity": "minor"}, status=201),
]


class Desk:
    """The API and the two places its state lives, seen through the invariants."""

    def __init__(
        self, api: httpx.AsyncClient, temporal: Client, pool: asyncpg.Pool, settings: Settings
    ) -> None:
        self.api, self.temporal, self.pool = api, temporal, pool
        self.p = Parties(settings)

    def flow(self) -> Flow:
        return Flow(self.api, self.p)

    async def state(self, handover_id: str) -> Snapshot:
        return await checked(self.api, self.temporal, self.pool, handover_id, self.p.police)

    async def post(
        self, path: str, payload: dict[str, Any], headers: dict[str, str]
    ) -> httpx.Response:
        response = await self.api.post(path, json=payload, headers=headers)
        assert_well_formed(response)
        return response


@pytest.fixture
def desk(api: httpx.AsyncClient, temporal: Client, pool: asyncpg.Pool, settings: Settings) -> Desk:
    return Desk(api, temporal, pool, settings)


# -- every POST ----------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=[c.action for c in CASES])
async def test_a_replay_returns_the_original_and_applies_nothing(desk: Desk, case: Case) -> None:
    j = await desk.flow().create(fresh(case.example or examples.TRANSFER_CREATE))
    await case.prepare(j)
    before = await desk.state(j.id)
    headers = getattr(desk.p, case.actor) | key()
    path = f"{j.path}/{case.action}"
    payload = case.payload()

    first = await desk.post(path, payload, headers)
    assert first.status_code == case.status, first.text
    applied = await desk.state(j.id)
    added = len(applied.events) - len(before.events)
    assert added >= 1
    assert first.headers["etag"] == applied.etag

    again = await desk.post(path, copy.deepcopy(payload), headers)
    assert_replayed(first, again)
    assert await desk.state(j.id) == applied, "the replay applied something"

    other = await desk.post(path, payload | case.change, headers)
    assert_key_reused(other)
    assert await desk.state(j.id) == applied, "a reused key applied another body"


@pytest.mark.parametrize(
    "example",
    [examples.TRANSFER_CREATE, examples.ASSISTANCE_CREATE],
    ids=["transfer", "enforcement_assistance"],
)
async def test_a_create_replay_returns_the_same_request(
    desk: Desk, example: dict[str, Any]
) -> None:
    headers = desk.p.police | key()
    payload = fresh(example)
    first = await desk.post("/v1/handovers", payload, headers)
    assert first.status_code == 201, first.text
    created = first.json()
    assert first.headers["location"] == f"/v1/handovers/{created['id']}"

    again = await desk.post("/v1/handovers", copy.deepcopy(payload), headers)
    assert_replayed(first, again)
    applied = await desk.state(created["id"])
    assert applied.types == ["requested"]

    other = await desk.post("/v1/handovers", payload | {"notes": "Another person."}, headers)
    assert_key_reused(other)
    assert await desk.state(created["id"]) == applied
    assert applied.record["notes"] == example.get("notes")


async def test_a_replay_with_the_same_body_spelled_differently_is_a_replay(desk: Desk) -> None:
    """The body is compared as data: key order and whitespace do not make it another body."""
    j = await desk.flow().create()
    headers = desk.p.police | key() | {"Content-Type": "application/json"}
    payload = body(examples.INCIDENT)
    first = await desk.api.post(f"{j.path}/incidents", content=json.dumps(payload), headers=headers)
    assert first.status_code == 201, first.text
    applied = await desk.state(j.id)
    spelled = json.dumps(dict(reversed(payload.items())), indent=2)
    again = await desk.api.post(f"{j.path}/incidents", content=spelled, headers=headers)
    assert_replayed(first, again)
    assert await desk.state(j.id) == applied


@pytest.mark.parametrize("action", ["create", "accept"])
async def test_a_replay_is_the_original_response_to_the_byte(desk: Desk, action: str) -> None:
    """DESIGN: a replay returns the original response; a client may compare or cache it.

    (Once a replay re-rendered the record at replay time, so each deadline's
    `remaining_seconds` differed; answers to changes now count it from the change.)
    """
    headers = desk.p.police | key()
    path, payload = "/v1/handovers", fresh(examples.TRANSFER_CREATE)
    if action == "accept":
        j = await desk.flow().create()
        headers = desk.p.planner | key()
        path, payload = f"{j.path}/accept", dict(examples.ACCEPT)
    first = await desk.post(path, payload, headers)
    assert first.is_success, first.text
    await asyncio.sleep(0.3)  # a retry comes a moment later
    again = await desk.post(path, payload, headers)
    assert_replayed(first, again)
    assert again.json() == first.json()


# -- keys belong to the caller's unit ------------------------------------------------------


async def test_two_units_creating_with_one_key_create_two_requests(desk: Desk) -> None:
    shared = key()
    kronoberg = fresh(examples.TRANSFER_CREATE)
    malmo = fresh(examples.TRANSFER_CREATE) | {"from_unit": "pa-malmo"}
    first = await desk.post("/v1/handovers", kronoberg, desk.p.police | shared)
    second = await desk.post("/v1/handovers", malmo, desk.p.stranger | shared)
    assert (first.status_code, second.status_code) == (201, 201), second.text
    one, two = first.json(), second.json()
    assert one["id"] != two["id"]
    assert one["reference"] != two["reference"]
    assert (one["from_unit"], two["from_unit"]) == ("pa-kronoberg", "pa-malmo")
    for created, headers in ((one, desk.p.police), (two, desk.p.stranger)):
        state = await checked(desk.api, desk.temporal, desk.pool, created["id"], headers)
        assert state.types == ["requested"]
        assert state.events[0]["actor"]["unit"] == created["from_unit"]
    # Each unit's replay finds its own request.
    assert (await desk.post("/v1/handovers", malmo, desk.p.stranger | shared)).json()["id"] == two[
        "id"
    ]


async def test_two_units_using_one_key_on_one_request_are_independent(desk: Desk) -> None:
    """The same key and the same incident body from two units are two incidents."""
    j = await desk.flow().create()
    shared = key()
    payload = body(examples.INCIDENT)
    by_police = await desk.post(f"{j.path}/incidents", payload, desk.p.police | shared)
    by_escort = await desk.post(f"{j.path}/incidents", payload, desk.p.escort | shared)
    assert (by_police.status_code, by_escort.status_code) == (201, 201), by_escort.text
    assert (by_police.json()["number"], by_escort.json()["number"]) == (1, 2)
    state = await desk.state(j.id)
    assert [i["recorded_by"]["unit"] for i in state.record["incidents"]] == [
        "pa-kronoberg",
        "kv-nte-stockholm",
    ]
    # ...and each unit's replay answers its own incident.
    again = await desk.post(f"{j.path}/incidents", payload, desk.p.escort | shared)
    assert_replayed(by_escort, again)
    # Another action of a third unit under the same key: also independent. (The planner
    # would not do: NTE Stockholm, the escort's unit, already used the key for an incident.)
    accepted = await desk.post(f"{j.path}/accept", examples.ACCEPT, desk.p.hakte | shared)
    assert accepted.status_code == 200, accepted.text
    assert await desk.state(j.id) != state


async def test_a_key_names_one_request_across_actions(desk: Desk) -> None:
    """The same unit reusing a key for another action is the key reused with another body."""
    j = await desk.flow().create()
    headers = desk.p.police | key()
    first = await desk.post(f"{j.path}/incidents", body(examples.INCIDENT), headers)
    assert first.status_code == 201, first.text
    applied = await desk.state(j.id)
    cancel = await desk.post(f"{j.path}/cancel", examples.CANCEL, headers)
    assert_key_reused(cancel)
    assert await desk.state(j.id) == applied


# -- replays after later changes -----------------------------------------------------------


async def test_a_replay_after_later_changes_returns_the_original(desk: Desk) -> None:
    """Accept with key K; the request moves on; accept again with K: the original 200."""
    j = await desk.flow().create()
    headers = desk.p.planner | key()
    first = await desk.post(f"{j.path}/accept", examples.ACCEPT, headers)
    assert first.status_code == 200, first.text
    await j.assess()
    await j.post("schedule", body(examples.SCHEDULE), desk.p.planner)
    moved = await desk.state(j.id)
    assert moved.record["state"] == "scheduled"

    again = await desk.post(f"{j.path}/accept", examples.ACCEPT, headers)
    assert_replayed(first, again)
    assert again.json()["state"] == "accepted"
    assert again.json()["version"] == 2
    assert await desk.state(j.id) == moved
    # Without the key the same call is what it is today: a conflict.
    fresh_call = await desk.post(f"{j.path}/accept", examples.ACCEPT, desk.p.planner)
    assert fresh_call.status_code == 409


async def test_a_replay_after_the_request_closed_returns_the_original(desk: Desk) -> None:
    j = await desk.flow().create()
    headers = desk.p.planner | key()
    first = await desk.post(f"{j.path}/defer", examples.DEFER, headers)
    assert first.status_code == 200, first.text
    await j.to(State.ACCEPTED)
    await j.post("cancel", examples.CANCEL, desk.p.police)
    await j.post("incidents", body(examples.INCIDENT), desk.p.escort)
    closed = await desk.state(j.id)
    assert closed.record["state"] == "cancelled"

    again = await desk.post(f"{j.path}/defer", examples.DEFER, headers)
    assert_replayed(first, again)
    assert again.json()["state"] == "deferred"
    assert await desk.state(j.id) == closed


async def test_a_create_replay_after_later_changes_returns_the_original(desk: Desk) -> None:
    headers = desk.p.police | key()
    payload = fresh(examples.TRANSFER_CREATE)
    first = await desk.post("/v1/handovers", payload, headers)
    assert first.status_code == 201, first.text
    j = desk.flow()
    j.id = first.json()["id"]
    await j.to(State.ACCEPTED)
    await j.post("cancel", examples.CANCEL, desk.p.police)
    closed = await desk.state(j.id)

    again = await desk.post("/v1/handovers", payload, headers)
    assert_replayed(first, again)
    assert again.json()["state"] == "requested"
    assert await desk.state(j.id) == closed


async def test_a_completing_reception_replayed_returns_the_original(desk: Desk) -> None:
    """The destination's reception writes two events; its replay writes none."""
    j = await desk.flow().to(State.IN_TRANSIT)
    await j.post("release", body(examples.RELEASE, to_unit="kv-hakte-kronoberg"), desk.p.escort)
    headers = desk.p.hakte | key()
    payload = body(examples.RECEIVE)
    first = await desk.post(f"{j.path}/receive", payload, headers)
    assert first.status_code == 200, first.text
    done = await desk.state(j.id)
    assert done.types[-2:] == ["received", "completed"]
    await j.post("incidents", body(examples.INCIDENT), desk.p.hakte)
    later = await desk.state(j.id)

    again = await desk.post(f"{j.path}/receive", payload, headers)
    assert_replayed(first, again)
    assert again.json()["state"] == "completed"
    assert await desk.state(j.id) == later
