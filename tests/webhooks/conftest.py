"""Webhooks against real servers: an API and a worker of their own (loopback allowed, short
timeouts and backoff) on the session's PostgreSQL and Temporal, and receivers on loopback."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import httpx
import msgspec
import pytest
import uvicorn
from temporalio.client import Client

from contracts.common import Org, Role
from devservers import free_port
from services.handover.settings import Settings
from tests.conftest import running_api
from tests.flow import auth
from workflows.codec import new_key
from workflows.worker import create_worker

MAX_FAILURES = 4
TIMEOUT_SECONDS = 0.5


@pytest.fixture(scope="session")
def hook_settings(settings: Settings) -> Settings:
    return msgspec.structs.replace(
        settings,
        task_queue=f"hooks-{uuid.uuid4().hex[:8]}",
        webhook_key=new_key(),
        webhook_allow_loopback=True,
        webhook_timeout_seconds=TIMEOUT_SECONDS,
        webhook_initial_backoff_seconds=0.2,
        webhook_max_backoff_seconds=0.4,
        webhook_max_failures=MAX_FAILURES,
        webhook_poll_seconds=0.2,
    )


@pytest.fixture(scope="session")
async def hooks(
    hook_settings: Settings, temporal: Client, pool: asyncpg.Pool
) -> AsyncIterator[httpx.AsyncClient]:
    """The API, and a worker running both request and webhook workflows, on their own queue."""
    worker = create_worker(
        temporal,
        pool,
        task_queue=hook_settings.task_queue,
        audit_key=hook_settings.audit_key_bytes(),
        webhooks=hook_settings.webhook_config(),
    )
    task = asyncio.create_task(worker.run())
    try:
        async with running_api(hook_settings) as url, httpx.AsyncClient(base_url=url) as client:
            yield client
    finally:
        await worker.shutdown()
        await task


def system(
    settings: Settings, unit: str = "pa-kronoberg", org: Org = Org.POLISEN
) -> dict[str, str]:
    return auth(settings, org=org, unit=unit, roles=[Role.SYSTEM], sub=f"system-{unit}")


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    at: float


@dataclass
class Receiver:
    """A webhook receiver on loopback. `answer(n)` gives the status and the delay of the
    n-th request (1-based); every request is recorded as it arrives."""

    url: str = ""
    arrivals: list[Received] = field(default_factory=list)
    answer: Callable[[int], tuple[int, float]] = lambda _: (200, 0.0)

    async def __call__(
        self,
        scope: dict[str, Any],
        receive: Callable[[], Awaitable[dict[str, Any]]],
        send: Callable[[dict[str, Any]], Awaitable[None]],
    ) -> None:
        assert scope["type"] == "http"
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        self.arrivals.append(Received(headers, body, time.time()))
        status, delay = self.answer(len(self.arrivals))
        if delay:
            await asyncio.sleep(delay)
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    def deliveries(self) -> list[dict[str, Any]]:
        """The bodies in arrival order."""
        return [msgspec.json.decode(r.body) for r in self.arrivals]


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    result = Receiver()
    port = free_port()
    config = uvicorn.Config(result, host="127.0.0.1", port=port, log_config=None, lifespan="off")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    result.url = f"http://127.0.0.1:{port}/hooks"
    try:
        yield result
    finally:
        server.should_exit = True
        await task


async def eventually(check: Callable[[], Awaitable[bool]], within: float = 15.0) -> None:
    deadline = time.monotonic() + within
    while not await check():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.1)
