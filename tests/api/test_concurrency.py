"""Two clients acting on the same request at the same instant.

The workflow is the only writer and serialises its updates: whatever the interleaving, the
outcome must be one of the serial orders of the two calls. A refused call leaves no event, the
version moves by exactly the winners' events, the record stays consistent with its log, and the
read model equals the workflow's own state. Each race runs a few times, on a fresh request.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import httpx
import pytest
from temporalio.client import Client

from contracts.common import Org, Role, State
from services.handover.api import examples
from services.handover.settings import Settings
from tests.api.invariants import (
    Snapshot,
    assert_well_formed,
    checked,
    pending_release,
    replay,
    request_id,
    stable,
    view,
)
from tests.flow import Flow, Parties, auth, body, fresh

ATTEMPTS = range(3)
LIFECYCLE = {"accept", "defer", "reject", "schedule", "release", "receive", "cancel", "complete"}


@dataclass(frozen=True)
class Call:
    """One POST, with its own request id so its events can be told from the other's."""

    action: str
    payload: dict[str, Any]
    headers: dict[str, str]
    request_id: str = field(default_factory=request_id)

    async def send(self, client: httpx.AsyncClient, handover_id: str) -> httpx.Response:
        return await client.post(
            f"/v1/handovers/{handover_id}/{self.action}",
            json=self.payload,
            headers=self.headers | {"X-Request-Id": self.request_id},
        )


@dataclass(frozen=True)
class Race:
    before: Snapshot
    after: Snapshot
    results: dict[str, httpx.Response]  # by call name

    def status(self, name: str) -> int:
        return self.results[name].status_code

    def problem(self, name: str) -> dict[str, Any]:
        result: dict[str, Any] = self.results[name].json()
        return result

    @property
    def new_types(self) -> list[str]:
        return [e["type"] for e in self.after.events[len(self.before.events) :]]


@pytest.fixture
async def other(api: httpx.AsyncClient) -> AsyncIterator[httpx.AsyncClient]:
    """A second client with its own connections: the two calls really travel side by side."""
    async with httpx.AsyncClient(base_url=api.base_url) as client:
        yield client


class Arena:
    def __init__(
        self,
        api: httpx.AsyncClient,
        other: httpx.AsyncClient,
        temporal: Client,
        pool: asyncpg.Pool,
        settings: Settings,
    ) -> None:
        self.api, self.other, self.temporal, self.pool = api, other, temporal, pool
        self.settings = settings
        self.p = Parties(settings)

    def flow(self) -> Flow:
        return Flow(self.api, self.p)

    def officer(self, org: Org, unit: str, role: Role, sub: str) -> dict[str, str]:
        """Another person of the same unit: a second token, same unit and role."""
        return auth(self.settings, org=org, unit=unit, roles=[role], sub=sub)

    async def race(self, handover_id: str, **calls: Call) -> Race:
        assert len(calls) == 2
        (a_name, a), (b_name, b) = calls.items()
        before = await checked(self.api, self.temporal, self.pool, handover_id, self.p.police)
        first, second = await asyncio.gather(
            a.send(self.api, handover_id), b.send(self.other, handover_id)
        )
        after = await checked(self.api, self.temporal, self.pool, handover_id, self.p.police)
        race = Race(before=before, after=after, results={a_name: first, b_name: second})
        check_serial(race, calls)
        return race


def check_serial(race: Race, calls: dict[str, Call]) -> None:
    """Each winner's events are one contiguous run; losers left nothing; nothing else moved."""
    before, after = race.before, race.after
    assert after.events[: len(before.events)] == before.events, "the log was rewritten"
    new = after.events[len(before.events) :]
    ids = {call.request_id for call in calls.values()}
    assert {e["request_id"] for e in new} <= ids, "an event neither call asked for"
    assert after.version == before.version + len(new)
    for name, call in calls.items():
        response = race.results[name]
        assert_well_formed(response)
        mine = [e for e in new if e["request_id"] == call.request_id]
        if not response.is_success:
            assert mine == [], f"the refused {name} left events: {[e['type'] for e in mine]}"
            assert response.status_code in {403, 404, 409, 412, 422}, response.text
            continue
        if not mine:
            # Only a replay answers 2xx without a change of its own: with another's answer.
            others = [r for n, r in race.results.items() if n != name and r.is_success]
            answer = stable(response.json())
            assert any(stable(r.json()) == answer for r in others), f"{name}: no event"
            continue
        seqs = [e["seq"] for e in mine]
        assert seqs == list(range(seqs[0], seqs[0] + len(seqs))), "interleaved with the other"
        assert response.headers["etag"] == f'"{seqs[-1]}"'
        if call.action in LIFECYCLE:
            # The winner's answer is the request right after its own change.
            answered = view(response)
            assert answered["version"] == seqs[-1]
            assert answered["state"] == replay(after.events[: seqs[-1]]).state
            if seqs[-1] == after.version:
                assert answered == after.record


def one_winner(race: Race, *names: str) -> tuple[str, str]:
    winners = [n for n in names if race.results[n].is_success]
    assert len(winners) == 1, {n: race.status(n) for n in names}
    loser = next(n for n in names if n not in winners)
    return winners[0], loser


@pytest.fixture
def arena(
    api: httpx.AsyncClient,
    other: httpx.AsyncClient,
    temporal: Client,
    pool: asyncpg.Pool,
    settings: Settings,
) -> Arena:
    return Arena(api, other, temporal, pool, settings)


# Changes of a new request: its example body, who sends it, and the state it leads to.
CHANGES = {
    "accept": (examples.ACCEPT, "planner", "accepted"),
    "defer": (examples.DEFER, "planner", "deferred"),
    "cancel": (examples.CANCEL, "police", "cancelled"),
}


@pytest.mark.parametrize("attempt", ATTEMPTS)
@pytest.mark.parametrize(("a", "b"), [("accept", "defer"), ("cancel", "accept")])
async def test_two_changes_on_the_same_version_one_wins(
    arena: Arena, a: str, b: str, attempt: int
) -> None:
    j = await arena.flow().create()
    seen = {"If-Match": '"1"'}
    calls: dict[str, Call] = {}
    for name in (a, b):
        payload, actor, _ = CHANGES[name]
        calls[name] = Call(name, payload, getattr(arena.p, actor) | seen)
    race = await arena.race(j.id, **calls)
    winner, loser = one_winner(race, a, b)
    assert race.status(loser) == 412
    problem = race.problem(loser)
    assert problem["type"] == "/problems/precondition-failed"
    assert problem["current_version"] == 2
    assert race.after.version == 2
    assert race.after.record["state"] == CHANGES[winner][2]


@pytest.mark.parametrize("attempt", ATTEMPTS)
async def test_accept_and_defer_without_if_match_serialise(arena: Arena, attempt: int) -> None:
    """Accepting a deferred request is legal: either order ends accepted, defer may lose."""
    p = arena.p
    j = await arena.flow().create()
    race = await arena.race(
        j.id,
        accept=Call("accept", examples.ACCEPT, p.planner),
        defer=Call("defer", examples.DEFER, p.planner),
    )
    assert race.status("accept") == 200, race.results["accept"].text
    if race.status("defer") == 200:
        assert race.new_types == ["deferred", "accepted"]
    else:
        assert race.status("defer") == 409
        assert race.problem("defer")["reason"] == "illegal_transition"
        assert race.problem("defer")["current_state"] == "accepted"
        assert race.new_types == ["accepted"]
    assert race.after.record["state"] == "accepted"
    assert race.after.record["deferral"] is None


@pytest.mark.parametrize("attempt", ATTEMPTS)
async def test_two_releases_to_different_units_one_wins(arena: Arena, attempt: int) -> None:
    p = arena.p
    j = await arena.flow().to(State.SCHEDULED)
    supervisor = arena.officer(Org.POLISEN, "pa-kronoberg", Role.CUSTODY_SUPERVISOR, "sup-2")
    race = await arena.race(
        j.id,
        transport=Call("release", body(examples.RELEASE), p.police),
        hakte=Call("release", body(examples.RELEASE, to_unit="kv-hakte-kronoberg"), supervisor),
    )
    winner, loser = one_winner(race, "transport", "hakte")
    assert race.status(loser) == 409
    assert race.problem(loser)["reason"] == "release_pending"
    assert race.new_types == ["released"]
    record = race.after.record
    pending = pending_release(record)
    assert pending is not None
    assert (
        pending["to_unit"]
        == {"transport": "kv-nte-stockholm", "hakte": "kv-hakte-kronoberg"}[winner]
    )
    assert len(record["handovers"]) == 1
    assert record["responsible"]["unit"] == "pa-kronoberg"  # until the receiver confirms
    assert record["state"] == "scheduled"


async def receive_race(arena: Arena) -> tuple[Race, str]:
    p = arena.p
    j = await arena.flow().released_to_transport()
    colleague = arena.officer(
        Org.KRIMINALVARDEN, "kv-nte-stockholm", Role.ESCORT_OFFICER, "escort-2"
    )
    race = await arena.race(
        j.id,
        first=Call("receive", body(examples.RECEIVE), p.escort),
        second=Call("receive", body(examples.RECEIVE, remarks="Second escort."), colleague),
    )
    _, loser = one_winner(race, "first", "second")
    return race, loser


@pytest.mark.parametrize("attempt", ATTEMPTS)
async def test_two_receptions_of_one_release_one_wins(arena: Arena, attempt: int) -> None:
    race, _ = await receive_race(arena)
    assert race.new_types == ["received"]
    record = race.after.record
    assert record["state"] == "in_transit"
    assert record["responsible"]["unit"] == "kv-nte-stockholm"
    assert [s["unit"] for s in record["custody_chain"]] == ["pa-kronoberg", "kv-nte-stockholm"]
    assert len(record["handovers"]) == 1
    assert record["handovers"][0]["reception"] is not None


@pytest.mark.parametrize("attempt", ATTEMPTS)
async def test_the_loser_of_a_reception_race_gets_a_conflict(arena: Arena, attempt: int) -> None:
    """Being the receiver is a matter of the moment: losing the race is a 409, not a 403."""
    race, loser = await receive_race(arena)
    assert race.status(loser) == 409, race.results[loser].text
    problem = race.problem(loser)
    assert problem["type"] == "/problems/illegal-transition"
    assert problem["current_state"] == "in_transit"


@pytest.mark.parametrize("attempt", ATTEMPTS)
async def test_cancel_and_accept_serialise(arena: Arena, attempt: int) -> None:
    """Cancel is legal before and after accept: it always wins; accept only if it came first."""
    p = arena.p
    j = await arena.flow().create()
    race = await arena.race(
        j.id,
        cancel=Call("cancel", examples.CANCEL, p.police),
        accept=Call("accept", examples.ACCEPT, p.planner),
    )
    assert race.status("cancel") == 200, race.results["cancel"].text
    if race.status("accept") == 200:
        assert race.new_types == ["accepted", "cancelled"]
    else:
        assert race.status("accept") == 409
        assert race.problem("accept")["current_state"] == "cancelled"
        assert race.new_types == ["cancelled"]
    record = race.after.record
    assert record["state"] == "cancelled"
    assert record["closure"]["state"] == "cancelled"
    assert record["closure"]["reason"] == "decision_revoked"


@pytest.mark.parametrize("attempt", ATTEMPTS)
async def test_a_retry_racing_its_original_applies_once(arena: Arena, attempt: int) -> None:
    """The same Idempotency-Key and body twice at once: one change, the same answer twice."""
    p = arena.p
    j = await arena.flow().create()
    key = {"Idempotency-Key": f"retry-{request_id()}"}
    payload = body(examples.INCIDENT)
    race = await arena.race(
        j.id,
        original=Call("incidents", payload, p.police | key),
        retry=Call("incidents", payload, p.police | key),
    )
    assert (race.status("original"), race.status("retry")) == (201, 201)
    assert stable(race.results["original"].json()) == stable(race.results["retry"].json())
    assert race.new_types == ["incident_recorded"]
    assert [i["number"] for i in race.after.record["incidents"]] == [1]


@pytest.mark.parametrize("attempt", ATTEMPTS)
async def test_one_key_with_two_bodies_at_once_applies_one(arena: Arena, attempt: int) -> None:
    p = arena.p
    j = await arena.flow().create()
    key = {"Idempotency-Key": f"reused-{request_id()}"}
    race = await arena.race(
        j.id,
        first=Call("incidents", body(examples.INCIDENT, place="Cell 4"), p.police | key),
        second=Call("incidents", body(examples.INCIDENT, place="Cell 5"), p.police | key),
    )
    _, loser = one_winner(race, "first", "second")
    assert race.status(loser) == 422
    assert race.problem(loser)["type"] == "/problems/idempotency-key-reused"
    assert race.new_types == ["incident_recorded"]


@pytest.mark.parametrize("attempt", ATTEMPTS)
async def test_release_and_not_executed_one_wins(arena: Arena, attempt: int) -> None:
    """Either the person is released (then not-executed must wait) or the order ends first."""
    p = arena.p
    j = await arena.flow().to(State.SCHEDULED)
    race = await arena.race(
        j.id,
        release=Call("release", body(examples.RELEASE), p.police),
        stop=Call("not-executed", body(examples.NOT_EXECUTED), p.planner),
    )
    winner, loser = one_winner(race, "release", "stop")
    assert race.status(loser) == 409
    record = race.after.record
    if winner == "release":
        assert race.problem(loser)["reason"] == "release_pending"
        assert record["state"] == "scheduled"
        assert pending_release(record) is not None
    else:
        assert race.problem(loser)["current_state"] == "not_executed"
        assert record["state"] == "not_executed"
        assert record["handovers"] == []
    assert record["responsible"]["unit"] == "pa-kronoberg"


@pytest.mark.parametrize("attempt", ATTEMPTS)
async def test_a_create_retry_racing_its_original_creates_one_request(
    arena: Arena, attempt: int
) -> None:
    p = arena.p
    headers = p.police | {"Idempotency-Key": f"create-{request_id()}"}
    payload = fresh(examples.TRANSFER_CREATE)
    first, second = await asyncio.gather(
        arena.api.post("/v1/handovers", json=payload, headers=headers),
        arena.other.post("/v1/handovers", json=payload, headers=headers),
    )
    for response in (first, second):
        assert_well_formed(response)
        assert response.status_code == 201, response.text
    assert stable(first.json()) == stable(second.json())
    created = await checked(arena.api, arena.temporal, arena.pool, first.json()["id"], p.police)
    assert created.types == ["requested"]


@pytest.mark.parametrize("attempt", ATTEMPTS)
async def test_one_create_key_with_two_bodies_at_once_creates_one(
    arena: Arena, attempt: int
) -> None:
    p = arena.p
    headers = p.police | {"Idempotency-Key": f"create-{request_id()}"}
    one = fresh(examples.TRANSFER_CREATE)
    two = one | {"notes": "Another person altogether."}
    first, second = await asyncio.gather(
        arena.api.post("/v1/handovers", json=one, headers=headers),
        arena.other.post("/v1/handovers", json=two, headers=headers),
    )
    for response in (first, second):
        assert_well_formed(response)
    statuses = sorted([first.status_code, second.status_code])
    assert statuses == [201, 422], (first.text, second.text)
    winner, loser = (first, second) if first.status_code == 201 else (second, first)
    assert loser.json()["type"] == "/problems/idempotency-key-reused"
    created = await checked(arena.api, arena.temporal, arena.pool, winner.json()["id"], p.police)
    assert created.types == ["requested"]
    assert created.record["notes"] == winner.json()["notes"]
