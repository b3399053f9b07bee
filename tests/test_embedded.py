"""The development PostgreSQL and Temporal servers used by `handover dev` and the test fixtures."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import tempfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import asyncpg
import pytest
from temporalio.client import Client

from devservers import EmbeddedPostgres, EmbeddedServerError, EmbeddedTemporal, free_port


@pytest.fixture
def scratch_dir() -> Iterator[Path]:
    # Not pytest's tmp_path: as root, PostgreSQL runs as `postgres`, which must be able to
    # enter the directory, and /tmp/pytest-of-root is private.
    path = Path(tempfile.mkdtemp(prefix="handover-embedded-", dir="/tmp"))
    if os.geteuid() == 0:
        path.chmod(0o755)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


async def _execute(url: str, *statements: str) -> list[object]:
    conn = await asyncpg.connect(url)
    try:
        return [await conn.fetchval(sql) for sql in statements]
    finally:
        await conn.close()


def test_postgres_starts_keeps_data_across_restarts_and_stops(scratch_dir: Path) -> None:
    data_dir = scratch_dir / "pg"
    port = free_port()

    with EmbeddedPostgres(data_dir, port) as pg:
        assert pg.url == f"postgresql://handover@127.0.0.1:{port}/handover"
        assert asyncio.run(_execute(pg.url, "select 1")) == [1]
        asyncio.run(
            _execute(
                pg.url,
                "create table kept (v text)",
                "insert into kept values ('still here')",
            )
        )
        # A second start on the same data dir (another `handover dev`) reuses the server.
        again = EmbeddedPostgres(data_dir, port)
        again.start()
        assert asyncio.run(_execute(again.url, "select count(*) from kept")) == [1]

    assert (data_dir / "PG_VERSION").is_file()
    assert not (data_dir / "postmaster.pid").exists()
    pg.stop()  # idempotent

    with EmbeddedPostgres(data_dir, port) as pg:
        assert asyncio.run(_execute(pg.url, "select v from kept")) == ["still here"]

    assert not (data_dir / "postmaster.pid").exists()


async def test_temporal_starts_keeps_data_across_restarts_and_stops(scratch_dir: Path) -> None:
    server = EmbeddedTemporal(
        port=free_port(), db_file=scratch_dir / "temporal.db", log_file=scratch_dir / "t.log"
    )
    async with server:
        pid = server.pid
        assert pid is not None
        assert os.getsid(pid) == pid, "not in its own session: Ctrl-C would reach it directly"
        client = await Client.connect(server.address)
        assert await client.service_client.check_health() is True
        handle = await client.start_workflow(
            "Kept", id="kept", task_queue="nobody-polls", execution_timeout=timedelta(hours=1)
        )
        assert (scratch_dir / "temporal.db").is_file()

    assert server.pid is None
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    with (
        pytest.raises(ConnectionRefusedError),
        socket.create_connection(("127.0.0.1", server.port), timeout=1),
    ):
        pass
    await server.stop()  # idempotent

    async with server:  # the next `make run`: the workflow started before is still there
        client = await Client.connect(server.address)
        description = await client.get_workflow_handle(handle.id).describe()
        assert description.run_id == handle.result_run_id
    assert (scratch_dir / "t.log").is_file()


async def test_temporal_refuses_a_port_in_use() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        server = EmbeddedTemporal(port=taken.getsockname()[1])
        with pytest.raises(EmbeddedServerError, match="already in use"):
            await server.start()
    assert server.pid is None
