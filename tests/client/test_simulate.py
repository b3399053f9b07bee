"""`handover simulate` plays Kriminalvården against the session API while the police work."""

from __future__ import annotations

import asyncio
import shlex
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import pytest

from contracts.actions import ReleaseBody
from contracts.api import Handover
from contracts.common import Org, Role, State
from contracts.journey import RedirectReason, StopKind, StopStatus
from services.handover import cli
from services.handover.settings import Settings
from services.handover.simulate import SimulationConfig, Simulator, command_tokens, dev_tokens
from tests.client.conftest import Cast, transfer
from tests.client.test_client import ASSESSMENT

LODGING = "kv-hakte-sundsvall"


async def until(check: Callable[[], Awaitable[bool]], seconds: float = 30.0) -> None:
    async with asyncio.timeout(seconds):
        while not await check():  # noqa: ASYNC110 - the service is polled, as a client would
            await asyncio.sleep(0.1)


async def test_simulator_accepts_defers_schedules_and_hands_over(
    cast: Cast, settings: Settings
) -> None:
    lines: list[str] = []
    config = SimulationConfig(
        base_url=cast.base_url,
        tokens=dev_tokens(settings.jwt_secret),
        seed=7,
        duration=60,
        defer_probability=1.0,  # every request is deferred first, then accepted
        redirect_probability=0.0,
        pace=0.3,
        poll_interval=0.1,
    )
    simulator = Simulator(config, say=lines.append)
    run = asyncio.create_task(simulator.run())
    await asyncio.wait_for(simulator.started.wait(), timeout=30)

    first = await cast.police.create(transfer())
    second = await cast.police.create(transfer(notes="The second one."))
    for handover in (first, second):
        await cast.police.assess(handover.id, ASSESSMENT)

    async def state(handover: Handover) -> State:
        return (await cast.police.get(handover.id)).state

    async def both_scheduled() -> bool:
        return {await state(first), await state(second)} == {State.SCHEDULED}

    await until(both_scheduled)
    # The police hand the first over to the transport; the simulator does the rest.
    body = ReleaseBody(
        to_unit="kv-nte-stockholm", occurred_at=datetime.now(UTC), identity_checked=True
    )
    await cast.police.release(first.id, body)

    async def first_completed() -> bool:
        return await state(first) == State.COMPLETED

    await until(first_completed)
    simulator.stop()
    summary = await run
    assert summary.errors == 0, lines

    for handover in (first, second):
        log = await cast.police.events(handover.id)
        types = [e.type for e in log]
        # The police's assessment may come before or after the deferral; the rest is in order.
        assert sorted(types[:5]) == sorted(
            ["requested", "security_assessment_recorded", "deferred", "accepted", "scheduled"]
        )
        assert types.index("deferred") < types.index("accepted") < types.index("scheduled")
        assert types.index("security_assessment_recorded") < types.index("scheduled")
        deferred = log[types.index("deferred")].data
        assert deferred is not None
        assert deferred["reason"] in {"no_capacity", "no_transport_available"}
        assert deferred["text"]  # the reason in words too
    done = await cast.police.get(first.id)
    assert [s.unit for s in done.custody_chain] == [
        "pa-kronoberg",
        "kv-nte-stockholm",
        "kv-hakte-kronoberg",
    ]
    steps = [(ref, action) for ref, action in summary.steps if ref == first.reference]
    assert steps == [
        (first.reference, "defer"),
        (first.reference, "accept"),
        (first.reference, "schedule"),
        (first.reference, "receive"),
        (first.reference, "release"),
        (first.reference, "receive"),
    ]
    # The police's side was left alone: the second still waits for their release.
    assert await state(second) == State.SCHEDULED
    assert summary.cursor is not None
    assert (summary.lodgings, summary.redirects) == (0, 0)  # Stockholm to Stockholm: a day


async def test_a_long_transfer_lodges_on_the_way_and_is_redirected(
    cast: Cast, settings: Settings
) -> None:
    """Luleå to Huddinge: a night at Sundsvall on the way; after it, no place at Huddinge."""
    lines: list[str] = []
    config = SimulationConfig(
        base_url=cast.base_url,
        tokens=dev_tokens(settings.jwt_secret),
        seed=11,
        duration=60,
        # The remand prisons of this journey only: requests of other tests are left alone.
        units=frozenset({"kv-hakte-huddinge", "kv-hakte-sollentuna", LODGING}),
        defer_probability=0.0,
        redirect_probability=1.0,
        pace=0.2,
        poll_interval=0.1,
    )
    simulator = Simulator(config, say=lines.append)
    run = asyncio.create_task(simulator.run())
    await asyncio.wait_for(simulator.started.wait(), timeout=30)

    police = cast.make(Org.POLISEN, "pa-lulea", Role.CUSTODY_OFFICER)
    async with police:
        created = await police.create(transfer(from_unit="pa-lulea", to_unit="kv-hakte-huddinge"))
        await police.assess(created.id, ASSESSMENT)

        async def lodging_accepted() -> bool:
            seen = await police.get(created.id)
            stops = seen.journey.stops if seen.journey else ()
            return seen.state == State.SCHEDULED and [s.status for s in stops] == [
                StopStatus.ACCEPTED
            ]

        await until(lodging_accepted)
        planned = await police.get(created.id)
        assert planned.journey is not None
        stop = planned.journey.stops[0]
        assert (stop.kind, stop.unit) == (StopKind.LODGING, LODGING)
        assert stop.arrive_at is not None
        assert stop.depart_at is not None
        assert planned.schedule is not None
        assert planned.schedule.pickup_at < stop.arrive_at < stop.depart_at
        body = ReleaseBody(
            to_unit="kv-nte-stockholm", occurred_at=datetime.now(UTC), identity_checked=True
        )
        await police.release(created.id, body)

        async def completed() -> bool:
            return (await police.get(created.id)).state == State.COMPLETED

        await until(completed)
        simulator.stop()
        summary = await run
        done = await police.get(created.id)
    assert summary.errors == 0, lines
    assert (summary.lodgings, summary.redirects) == (1, 1)
    assert any(" lodging -> " in line for line in lines)
    assert done.journey is not None
    assert done.journey.stops[0].status == StopStatus.LEFT
    moved = done.journey.redirects[0]
    assert (moved.from_unit, moved.to_unit) == ("kv-hakte-huddinge", "kv-hakte-sollentuna")
    assert moved.reason == RedirectReason.NO_CAPACITY
    assert [s.unit for s in done.custody_chain] == [
        "pa-lulea",
        "kv-nte-stockholm",
        LODGING,
        "kv-nte-stockholm",
        "kv-hakte-sollentuna",
    ]
    steps = [action for ref, action in summary.steps if ref == created.reference]
    assert steps == [
        "accept",
        "schedule",
        "lodging",
        "lodging_answer",
        "receive",  # the escort, from the police in Luleå
        "release",  # to the lodging in the evening
        "receive",  # the lodging
        "release",  # back to the escort in the morning
        "receive",
        "redirect",
        "release",
        "receive",  # Sollentuna completes it
    ]


async def test_the_simulate_command_runs_for_its_duration(cast: Cast, settings: Settings) -> None:
    after = await cast.planner.feed_head()
    assert after is not None
    created = await cast.police.create(transfer())
    argv = [
        "simulate",
        "--base-url",
        cast.base_url,
        "--jwt-secret",
        settings.jwt_secret,
        "--seed",
        "1",
        "--duration",
        "3",
        "--defer-probability",
        "0",
        "--pace",
        "0.1",
        "--after",
        after,
    ]
    await asyncio.to_thread(cli.main, argv)
    accepted = await cast.police.get(created.id)
    assert accepted.state == State.ACCEPTED  # no assessment yet: not scheduled
    assert accepted.deferral is None


async def test_a_token_command_is_asked_per_unit_and_role_and_cached() -> None:
    script = "import sys, time; print(f'token-{sys.argv[1]}-{sys.argv[2]}-{time.time_ns()}')"
    tokens = command_tokens(
        f"{shlex.quote(sys.executable)} -c {shlex.quote(script)} {{unit}} {{role}}"
    )
    source = tokens("kv-hakte-kronoberg", Role.RECEPTION_OFFICER)
    first = source()
    assert not isinstance(first, str)
    token = await first
    assert token.startswith("token-kv-hakte-kronoberg-reception_officer-")
    again = source()
    assert not isinstance(again, str)
    assert await again == token  # cached: the command ran once
    failing = command_tokens(f"{shlex.quote(sys.executable)} -c 'raise SystemExit(3)'")
    broken = failing("kv-nte-stockholm", Role.ESCORT_OFFICER)()
    assert not isinstance(broken, str)
    with pytest.raises(RuntimeError, match="token command"):
        await broken
