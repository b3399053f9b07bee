"""Signed webhooks end to end: subscriptions through the API, deliveries by the workflow to a
real HTTP receiver on loopback (signed, in order, once per event), failures retried with
backoff and visible, pause after repeated failure, resume, redelivery, visibility, SSRF."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import asyncpg
import httpx
import pytest

from contracts.common import Org, Role, State
from contracts.webhooks import EVENT_ID_HEADER, SIGNATURE_HEADER, verify
from services.handover.settings import Settings
from tests.flow import Flow, Parties, auth, fresh
from tests.webhooks.conftest import MAX_FAILURES, TIMEOUT_SECONDS, Receiver, eventually, system


async def subscribe(
    api: httpx.AsyncClient, settings: Settings, url: str, **extra: Any
) -> dict[str, Any]:
    response = await api.post(
        "/v1/subscriptions", json={"url": url, **extra}, headers=system(settings)
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    assert response.headers["location"] == f"/v1/subscriptions/{created['id']}"
    return created


async def event_ids(api: httpx.AsyncClient, parties: Parties, flow: Flow) -> list[str]:
    response = await api.get(f"{flow.path}/events", headers=parties.police)
    assert response.status_code == 200, response.text
    return [f"{flow.id}:{event['seq']}" for event in response.json()]


def ids_of(receiver: Receiver, handover_id: str) -> list[str]:
    """Event ids of one request in the order they arrived."""
    return [
        r.headers[EVENT_ID_HEADER.lower()]
        for r in receiver.arrivals
        if r.headers[EVENT_ID_HEADER.lower()].startswith(handover_id)
    ]


def in_order(ids: list[str]) -> bool:
    seqs = [int(i.rsplit(":", 1)[1]) for i in ids]
    return seqs == sorted(seqs)


def dedup(ids: list[str]) -> list[str]:
    return list(dict.fromkeys(ids))


async def stop(api: httpx.AsyncClient, settings: Settings, subscription_id: str) -> None:
    response = await api.delete(f"/v1/subscriptions/{subscription_id}", headers=system(settings))
    assert response.status_code == 204, response.text


async def test_signed_in_order_once_and_only_what_the_subscriber_may_see(
    hooks: httpx.AsyncClient, hook_settings: Settings, pool: asyncpg.Pool, receiver: Receiver
) -> None:
    created = await subscribe(hooks, hook_settings, receiver.url, description="planning")
    secret = created["secret"]
    p = Parties(hook_settings)
    other = await Flow(hooks, p).create(fresh() | {"from_unit": "pa-malmo"}, p.stranger)
    flow = await Flow(hooks, p).to(State.SCHEDULED)
    expected = await event_ids(hooks, p, flow)

    async def all_there() -> bool:
        return len(ids_of(receiver, flow.id)) >= len(expected)

    await eventually(all_there)
    assert ids_of(receiver, flow.id) == expected  # in order, each exactly once
    assert not ids_of(receiver, other.id), "a request of another unit was delivered"
    now = time.time()
    for arrival in receiver.arrivals:
        assert verify(secret, arrival.headers[SIGNATURE_HEADER.lower()], arrival.body, now=now)
        assert not verify(
            "whsec_other", arrival.headers[SIGNATURE_HEADER.lower()], arrival.body, now=now
        )
    bodies = [b for b in receiver.deliveries() if b["handover_id"] == flow.id]
    assert [b["event_id"] for b in bodies] == expected
    assert {b["subscription_id"] for b in bodies} == {created["id"]}
    assert bodies[0]["type"] == "requested"
    served = (await hooks.get(f"{flow.path}/events", headers=p.police)).json()
    assert [b["data"] for b in bodies] == [e["data"] for e in served]  # sealed data, opened
    audited = await pool.fetchval(
        "SELECT count(*) FROM access_log WHERE action = 'webhook_delivery' AND sub = $1"
        " AND $2::uuid = ANY (handover_ids)",
        f"webhook:{created['id']}",
        flow.id,
    )
    assert audited == len(expected)
    page = await hooks.get(
        f"/v1/subscriptions/{created['id']}/deliveries", headers=system(hook_settings)
    )
    assert page.status_code == 200
    assert {d["outcome"] for d in page.json()["items"]} == {"delivered"}
    await stop(hooks, hook_settings, created["id"])


async def test_secret_is_shown_once_and_stored_sealed(
    hooks: httpx.AsyncClient, hook_settings: Settings, pool: asyncpg.Pool
) -> None:
    created = await subscribe(hooks, hook_settings, "https://kv-integration.example.se/hooks")
    assert created["secret"].startswith("whsec_")
    assert created["status"] == "active"
    headers = system(hook_settings)
    one = await hooks.get(f"/v1/subscriptions/{created['id']}", headers=headers)
    assert one.status_code == 200
    assert "secret" not in one.json()
    assert created["secret"] not in one.text
    listed = await hooks.get("/v1/subscriptions", headers=headers)
    assert created["id"] in {s["id"] for s in listed.json()["items"]}
    assert created["secret"] not in listed.text
    sealed = await pool.fetchval(
        "SELECT secret_sealed FROM webhook_subscriptions WHERE id = $1::uuid", created["id"]
    )
    assert created["secret"].encode() not in sealed
    # Another unit's subscription is not there for you; other roles may not subscribe.
    stranger = system(hook_settings, "pa-malmo")
    assert (
        await hooks.get(f"/v1/subscriptions/{created['id']}", headers=stranger)
    ).status_code == 404
    assert created["id"] not in (await hooks.get("/v1/subscriptions", headers=stranger)).text
    officer = auth(
        hook_settings, org=Org.POLISEN, unit="pa-kronoberg", roles=[Role.CUSTODY_OFFICER]
    )
    refused = await hooks.post("/v1/subscriptions", json={"url": created["url"]}, headers=officer)
    assert refused.status_code == 403
    await stop(hooks, hook_settings, created["id"])
    stopped = await hooks.get(f"/v1/subscriptions/{created['id']}", headers=headers)
    assert stopped.json()["status"] == "stopped"
    again = await hooks.post(f"/v1/subscriptions/{created['id']}/resume", headers=headers)
    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"


async def test_a_failing_receiver_recovers_in_order_and_failures_are_visible(
    hooks: httpx.AsyncClient, hook_settings: Settings, receiver: Receiver
) -> None:
    failures = MAX_FAILURES - 1  # one short of pausing
    receiver.answer = lambda n: (500 if n <= failures else 200, 0.0)
    created = await subscribe(hooks, hook_settings, receiver.url)
    p = Parties(hook_settings)
    flow = await Flow(hooks, p).to(State.ACCEPTED)
    await flow.assess()
    expected = await event_ids(hooks, p, flow)

    async def all_there() -> bool:
        return len(dedup(ids_of(receiver, flow.id))) >= len(expected)

    await eventually(all_there)
    arrived = ids_of(receiver, flow.id)
    assert in_order(arrived)
    assert dedup(arrived) == expected
    assert arrived[: failures + 1] == [expected[0]] * (failures + 1)  # retried, not skipped
    headers = system(hook_settings)
    path = f"/v1/subscriptions/{created['id']}/deliveries"
    failed = (await hooks.get(path, params={"outcome": "failed"}, headers=headers)).json()["items"]
    assert len(failed) == failures
    assert {f["error"] for f in failed} == {"HTTP 500"}
    assert {f["http_status"] for f in failed} == {500}
    assert sorted(f["attempt"] for f in failed) == list(range(1, failures + 1))
    assert all(f["next_attempt_at"] for f in failed)
    assert all(f["event_id"] == expected[0] for f in failed)
    delivered = (await hooks.get(path, params={"outcome": "delivered"}, headers=headers)).json()
    first = [d for d in delivered["items"] if d["event_id"] == expected[0]]
    assert [d["attempt"] for d in first] == [failures + 1]
    await stop(hooks, hook_settings, created["id"])


async def test_a_slow_receiver_times_out_and_is_retried_without_reordering(
    hooks: httpx.AsyncClient, hook_settings: Settings, receiver: Receiver
) -> None:
    receiver.answer = lambda n: (200, TIMEOUT_SECONDS * 3 if n in (2, 3) else 0.0)
    created = await subscribe(hooks, hook_settings, receiver.url)
    p = Parties(hook_settings)
    flow = await Flow(hooks, p).to(State.ACCEPTED)
    await flow.assess()
    expected = await event_ids(hooks, p, flow)

    async def all_there() -> bool:
        return len(dedup(ids_of(receiver, flow.id))) >= len(expected)

    await eventually(all_there)
    arrived = ids_of(receiver, flow.id)
    assert in_order(arrived), arrived
    assert dedup(arrived) == expected
    assert arrived.count(expected[1]) == 3  # two timeouts, then delivered
    path = f"/v1/subscriptions/{created['id']}/deliveries"
    failed = await hooks.get(path, params={"outcome": "failed"}, headers=system(hook_settings))
    errors = {f["error"] for f in failed.json()["items"]}
    assert errors == {f"no answer within {TIMEOUT_SECONDS:g} s"}
    await stop(hooks, hook_settings, created["id"])


async def test_paused_after_repeated_failure_resumed_from_the_first_undelivered(
    hooks: httpx.AsyncClient, hook_settings: Settings, receiver: Receiver
) -> None:
    healthy = False
    receiver.answer = lambda n: (200 if healthy else 503, 0.0)
    created = await subscribe(hooks, hook_settings, receiver.url)
    headers = system(hook_settings)
    path = f"/v1/subscriptions/{created['id']}"
    p = Parties(hook_settings)
    flow = await Flow(hooks, p).create()

    async def paused() -> bool:
        status: str = (await hooks.get(path, headers=headers)).json()["status"]
        return status == "paused"

    await eventually(paused)
    state = (await hooks.get(path, headers=headers)).json()
    assert state["status_reason"].startswith(f"failing: {MAX_FAILURES} attempts failed")
    assert len(receiver.arrivals) == MAX_FAILURES
    await flow.post("accept", {}, p.planner)  # recorded while paused
    healthy = True
    resumed = await hooks.post(f"{path}/resume", headers=headers)
    assert resumed.status_code == 200, resumed.text
    assert resumed.json()["status"] == "active"
    expected = await event_ids(hooks, p, flow)

    async def all_there() -> bool:
        return len(dedup(ids_of(receiver, flow.id))) >= len(expected)

    await eventually(all_there)
    arrived = ids_of(receiver, flow.id)
    assert dedup(arrived) == expected
    assert arrived == [expected[0]] * (MAX_FAILURES + 1) + expected[1:]

    # Paused by the subscriber: nothing goes out until resumed.
    assert (await hooks.post(f"{path}/pause", headers=headers)).json()["status"] == "paused"
    count = len(receiver.arrivals)
    await flow.assess()
    await _settle()
    assert len(receiver.arrivals) == count
    assert (await hooks.post(f"{path}/resume", headers=headers)).status_code == 200
    expected = await event_ids(hooks, p, flow)
    await eventually(all_there)
    assert dedup(ids_of(receiver, flow.id)) == expected

    # Redeliver one: the same event id again, after the others.
    deliveries = (await hooks.get(f"{path}/deliveries", headers=headers)).json()["items"]
    first = next(
        d for d in deliveries if d["event_id"] == expected[0] and d["outcome"] == "delivered"
    )
    again = await hooks.post(f"{path}/deliveries/{first['id']}/redeliver", headers=headers)
    assert again.status_code == 202, again.text
    assert again.json() == {"event_id": expected[0]}
    count = len(receiver.arrivals)

    async def redelivered() -> bool:
        return len(receiver.arrivals) > count

    await eventually(redelivered)
    assert receiver.arrivals[count].headers[EVENT_ID_HEADER.lower()] == expected[0]
    listed = (await hooks.get(f"{path}/deliveries", headers=headers)).json()["items"]
    assert any(d["redelivery"] for d in listed)
    await stop(hooks, hook_settings, created["id"])


async def _settle() -> None:
    await asyncio.sleep(1.0)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hooks",  # plain http, loopback: only where a setting allows
        "https://127.0.0.1/hooks",
        "https://localhost/hooks",
        "https://api.localhost/hooks",
        "https://[::1]/hooks",
        "https://10.0.0.5/hooks",
        "https://192.168.1.10/hooks",
        "https://172.16.0.1/hooks",
        "https://169.254.169.254/latest/meta-data/",  # cloud metadata, link-local
        "https://[fe80::1]/hooks",
        "https://[::ffff:10.0.0.1]/hooks",
        "https://0.0.0.0/hooks",
        "https://100.64.0.1/hooks",  # carrier-grade NAT
        "https://metadata.google.internal/computeMetadata/v1/",
        "https://printer.local/hooks",
        "https://intranet/hooks",
        "https://user:password@example.com/hooks",
        "http://kv-integration.example.se/hooks",  # not https
        "ftp://kv-integration.example.se/hooks",
        "https://kv-integration.example.se:0/hooks",
        "https://kv-integration.example.se:99999/hooks",
        "not a url at all",
    ],
)
async def test_urls_that_could_reach_inside_are_refused(
    api: httpx.AsyncClient, settings: Settings, url: str
) -> None:
    """The session's API does not allow loopback (the production stance)."""
    response = await api.post("/v1/subscriptions", json={"url": url}, headers=system(settings))
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    "payload",
    [
        {"url": "https://10.1.2.3/hooks"},  # loopback allowed is not private allowed
        {"url": "http://192.168.0.1/hooks"},
        {"url": "https://kv.example.se/h", "event_types": ["no_such_type"]},
        {"url": "https://kv.example.se/h", "event_types": []},
        {"url": "https://kv.example.se/h", "secret": "mine"},
        {"url": "https://kv.example.se/h", "description": "a\u202eb"},
        {"url": 5},
        {},
    ],
)
async def test_bad_subscriptions_are_4xx_problems(
    hooks: httpx.AsyncClient, hook_settings: Settings, payload: dict[str, Any]
) -> None:
    response = await hooks.post("/v1/subscriptions", json=payload, headers=system(hook_settings))
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/problem+json"


async def test_unknown_ids_are_404(hooks: httpx.AsyncClient, hook_settings: Settings) -> None:
    headers = system(hook_settings)
    unknown = "00000000-0000-4000-8000-000000000000"
    for method, path in [
        ("GET", f"/v1/subscriptions/{unknown}"),
        ("DELETE", f"/v1/subscriptions/{unknown}"),
        ("POST", f"/v1/subscriptions/{unknown}/pause"),
        ("GET", f"/v1/subscriptions/{unknown}/deliveries"),
        ("POST", f"/v1/subscriptions/{unknown}/deliveries/{unknown}/redeliver"),
    ]:
        response = await hooks.request(method, path, headers=headers)
        assert response.status_code == 404, (method, path, response.text)
        assert response.headers["content-type"] == "application/problem+json"


async def test_pause_and_stop_right_after_creation_are_not_lost(
    hooks: httpx.AsyncClient, hook_settings: Settings
) -> None:
    """A pause or stop may reach the delivery workflow in its very first task, before its
    main method runs (a CI run caught a stop failing there): it must apply, not fail."""
    headers = system(hook_settings)
    for _ in range(3):
        paused = await subscribe(hooks, hook_settings, "https://kv-integration.example.se/p")
        first = await hooks.post(f"/v1/subscriptions/{paused['id']}/pause", headers=headers)
        assert first.status_code == 200, first.text
        assert first.json()["status"] == "paused"
        gone = await subscribe(hooks, hook_settings, "https://kv-integration.example.se/s")
        await stop(hooks, hook_settings, gone["id"])
        read = await hooks.get(f"/v1/subscriptions/{gone['id']}", headers=headers)
        assert read.json()["status"] == "stopped"
        await stop(hooks, hook_settings, paused["id"])
