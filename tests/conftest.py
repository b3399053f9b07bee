"""Throwaway real servers for the whole session: PostgreSQL, the Temporal dev server, a worker."""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import httpx
import pytest
import uvicorn
from temporalio.client import Client
from temporalio.worker import Worker

from devservers import EmbeddedPostgres, EmbeddedTemporal, free_port
from services.handover.app import connect_temporal, create_app, create_pool
from services.handover.logs import configure_logging
from services.handover.migrate import migrate
from services.handover.settings import Settings, load_settings
from workflows.codec import new_key
from workflows.worker import create_worker


def _scratch_dir() -> Path:
    path = Path(tempfile.mkdtemp(prefix="handover-test-"))
    path.chmod(0o755)  # the postgres user (when we are root) must be able to enter it
    return path


@pytest.fixture(scope="session")
def scratch() -> Iterator[Path]:
    path = _scratch_dir()
    yield path
    if not os.environ.get("HANDOVER_KEEP_TEST_DATA"):
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_url(scratch: Path) -> Iterator[str]:
    server = EmbeddedPostgres(scratch / "postgres", free_port())
    server.start()
    try:
        migrate(server.url, load_settings().migrations_dir)
        yield server.url
    finally:
        server.stop()


@pytest.fixture(scope="session")
async def temporal_address(scratch: Path) -> AsyncIterator[str]:
    async with EmbeddedTemporal(port=free_port(), log_file=scratch / "temporal.log") as server:
        yield server.address


@pytest.fixture(scope="session")
def settings(postgres_url: str, temporal_address: str) -> Settings:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HANDOVER_")}
    env |= {"DATABASE_URL": postgres_url, "TEMPORAL_ADDRESS": temporal_address}
    env["HANDOVER_TASK_QUEUE"] = f"test-{uuid.uuid4().hex[:8]}"
    env["HANDOVER_UPDATE_TIMEOUT_SECONDS"] = "10"
    env["HANDOVER_LOG_FORMAT"] = "console"
    env["HANDOVER_PAYLOAD_KEY"] = new_key()
    env["HANDOVER_AUDIT_KEY"] = new_key()
    env["HANDOVER_JWT_SECRET"] = new_key()  # 44 characters of randomness
    # The suite sends thousands of calls a minute as a few test users; tests/api/
    # test_rate_limits.py checks the limit with its own, small one.
    env["HANDOVER_RATE_LIMIT_PER_MINUTE"] = "1000000"
    settings = load_settings(env)
    configure_logging(settings)
    return settings


@pytest.fixture(scope="session")
async def pool(settings: Settings) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(settings)
    yield pool
    await pool.close()


@pytest.fixture(scope="session")
async def temporal(settings: Settings) -> Client:
    return await connect_temporal(settings)


@pytest.fixture(scope="session")
async def worker(temporal: Client, pool: asyncpg.Pool, settings: Settings) -> AsyncIterator[Worker]:
    worker = create_worker(
        temporal, pool, task_queue=settings.task_queue, audit_key=settings.audit_key_bytes()
    )
    task = asyncio.create_task(worker.run())
    yield worker
    await worker.shutdown()
    await task


@pytest.fixture(scope="session")
async def api(settings: Settings, worker: Worker) -> AsyncIterator[httpx.AsyncClient]:
    """The real app behind a real uvicorn on a free port, in this event loop."""
    async with running_api(settings) as base_url, httpx.AsyncClient(base_url=base_url) as client:
        yield client


@asynccontextmanager
async def running_api(settings: Settings) -> AsyncIterator[str]:
    port = free_port()
    config = uvicorn.Config(
        create_app(settings), host="127.0.0.1", port=port, log_config=None, lifespan="on"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
