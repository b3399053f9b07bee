"""The projection on real PostgreSQL: refused data is not retried for ever, an outage is.

A change whose data PostgreSQL refuses (here: a CHECK constraint the test adds, standing in
for any data the boundary failed to catch) must not wedge the request: the workflow undoes
the change, frees its lock, answers with a problem and escalates. An outage (the network to
PostgreSQL gone) is the opposite: the change stays applied and is projected when it is back.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import msgspec
import pytest
from temporalio.client import Client

from services.handover.api import examples
from services.handover.settings import Settings
from tests.api.test_escalations import open_escalations
from tests.conftest import running_api
from tests.flow import Flow, Parties, fresh
from workflows import transitions
from workflows.worker import create_worker


@contextlib.asynccontextmanager
async def constraint(pool: asyncpg.Pool, table: str, check: str) -> AsyncIterator[None]:
    name = f"test_refuse_{uuid.uuid4().hex[:8]}"
    await pool.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} CHECK ({check}) NOT VALID")
    try:
        yield
    finally:
        await pool.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")


async def test_refused_action_leaves_the_request_movable(
    api: httpx.AsyncClient, settings: Settings, pool: asyncpg.Pool
) -> None:
    parties = Parties(settings)
    flow = await Flow(api, parties).create()
    before = await flow.get()
    marker = f"refuse-{uuid.uuid4().hex}"
    # Event data is sealed with the request's key: refuse the call by its request id, a fact.
    note = f"note-{uuid.uuid4().hex}"
    refuse = f"request_id IS DISTINCT FROM '{marker}'"
    async with constraint(pool, "handover_events", refuse):
        refused = await api.post(
            f"{flow.path}/accept",
            json={"note": note},
            headers={**parties.planner, "X-Request-Id": marker},
        )
        assert refused.status_code == 422, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
        problem = refused.json()
        assert problem["type"] == "/problems/change-not-stored"
        assert problem["reason"] == "change_not_stored"

        after = await flow.get()
        assert after["state"] == before["state"] == "requested"
        events = (await api.get(f"{flow.path}/events", headers=parties.police)).json()
        types = [e["type"] for e in events]
        # Nothing of the accept stays; the refusal itself is on record, for coordinators.
        assert "accepted" not in types
        assert types[-1] == "change_refused"
        assert after["version"] == before["version"] + 1
        found = await open_escalations(api, parties.coordinator, flow.id)
        assert [e["level"] for e in found] == ["operations"]
        assert "accept" in found[0]["detail"]
        assert note not in found[0]["detail"]

        # The lock is free and the state is the one before: a valid accept goes through.
        await flow.post("accept", examples.ACCEPT, parties.planner)
    assert (await flow.get())["state"] == "accepted"


async def test_refused_create_leaves_no_request_and_a_retry_works(
    api: httpx.AsyncClient, settings: Settings, pool: asyncpg.Pool
) -> None:
    parties = Parties(settings)
    # The read model keeps only facts in clear; a unique apprehension time is one.
    apprehended = datetime.now(UTC).replace(microsecond=0) - timedelta(
        hours=2, microseconds=random.randrange(1, 999_999)
    )
    marker = msgspec.to_builtins(apprehended)
    key = f"refused-create-{uuid.uuid4()}"
    headers = {**parties.police, "Idempotency-Key": key}
    async with constraint(pool, "handovers", f"doc->>'apprehended_at' IS DISTINCT FROM '{marker}'"):
        body = fresh(apprehended_at=apprehended.isoformat())
        refused = await api.post("/v1/handovers", json=body, headers=headers)
        assert refused.status_code == 422, refused.text
        assert refused.json()["type"] == "/problems/change-not-stored"
        # The same key with a storable body makes the request.
        storable = fresh()
        made = await api.post("/v1/handovers", json=storable, headers=headers)
        assert made.status_code == 201, made.text
        assert made.json()["apprehended_at"] is None
        again = await api.post("/v1/handovers", json=storable, headers=headers)
        assert again.status_code in (200, 201), again.text
        assert again.json()["id"] == made.json()["id"]


class Proxy:
    """A TCP proxy to PostgreSQL on loopback that can cut every connection, as a network would."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.up = True
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if not self.up:
            writer.close()
            return
        upstream_reader, upstream_writer = await asyncio.open_connection(
            "127.0.0.1", self.target_port
        )
        self._writers |= {writer, upstream_writer}

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(ConnectionError, OSError):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.close()

        await asyncio.gather(pipe(reader, upstream_writer), pipe(upstream_reader, writer))

    def cut(self) -> None:
        self.up = False
        for writer in self._writers:
            writer.close()
        self._writers.clear()

    async def stop(self) -> None:
        self.cut()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()


async def test_outage_is_retried_until_postgres_is_back(
    settings: Settings, temporal: Client, pool: asyncpg.Pool
) -> None:
    """The worker's way to PostgreSQL is cut: the accept stays applied and lands on return."""
    assert settings.database_url is not None
    url = settings.database_url
    port = int(url.rsplit(":", 1)[1].split("/", 1)[0])
    proxy = Proxy(port)
    proxied_url = url.replace(f":{port}/", f":{await proxy.start()}/")
    queue = f"outage-{uuid.uuid4().hex[:8]}"
    worker_pool = await asyncpg.create_pool(proxied_url, min_size=0, max_size=2, timeout=2)
    worker = create_worker(temporal, worker_pool, task_queue=queue)
    task = asyncio.create_task(worker.run())
    local = msgspec.structs.replace(settings, task_queue=queue, update_timeout_seconds=3)
    parties = Parties(local)
    try:
        async with running_api(local) as base_url, httpx.AsyncClient(base_url=base_url) as api:
            flow = await Flow(api, parties).create()
            proxy.cut()
            key = {"Idempotency-Key": f"outage-{uuid.uuid4()}"}
            response = await api.post(
                f"{flow.path}/accept", json=examples.ACCEPT, headers={**parties.planner, **key}
            )
            assert response.status_code == 503, response.text
            assert "Retry-After" in response.headers
            # The read model still shows the request as it was; the workflow moved on.
            assert (await flow.get())["state"] == "requested"
            proxy.up = True
            for _ in range(100):
                if (await flow.get())["state"] == "accepted":
                    break
                await asyncio.sleep(0.2)
            assert (await flow.get())["state"] == "accepted"
            # The client's retry with the same key returns the result, applied once.
            retry = await api.post(
                f"{flow.path}/accept", json=examples.ACCEPT, headers={**parties.planner, **key}
            )
            assert retry.status_code == 200, retry.text
            events = (await api.get(f"{flow.path}/events", headers=parties.police)).json()
            assert [e["type"] for e in events].count("accepted") == 1
            # And the request moves on as usual.
            await flow.post("cancel", examples.CANCEL, parties.police)
    finally:
        await worker.shutdown()
        await task
        await proxy.stop()
        await worker_pool.close()


async def test_a_fault_in_pure_rules_is_a_500_problem_and_an_escalation(
    api: httpx.AsyncClient, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug in the lifecycle rules must surface, not retry a workflow task for ever unseen."""
    parties = Parties(settings)
    flow = await Flow(api, parties).create()
    before = await flow.get()

    def broken(*_: object, **__: object) -> None:
        raise ZeroDivisionError("a bug")

    with monkeypatch.context() as patch:
        patch.setattr(transitions, "apply", broken)
        response = await api.post(
            f"{flow.path}/accept", json=examples.ACCEPT, headers=parties.planner
        )
        assert response.status_code == 500, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["reason"] == "internal_error"
    after = await flow.get()
    assert after["state"] == before["state"] == "requested"
    found = await open_escalations(api, parties.coordinator, flow.id)
    assert [e["level"] for e in found] == ["operations"]

    with monkeypatch.context() as patch:
        patch.setattr(transitions, "check_action", broken)
        response = await api.post(
            f"{flow.path}/accept", json=examples.ACCEPT, headers=parties.planner
        )
        assert response.status_code == 500, response.text
        assert response.json()["reason"] == "internal_error"
    # A validator's fault leaves no trace in history; the version is where the alert left it.
    assert (await flow.get())["version"] == after["version"]
    await flow.post("accept", examples.ACCEPT, parties.planner)
