"""The embedded PostgreSQL and Temporal servers used by `handover dev` and the test fixtures."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest
from temporalio.client import Client

from services.handover.embedded import EmbeddedPostgres, EmbeddedTemporal, free_port


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


async def _check_health(address: str) -> bool:
    client = await Client.connect(address)
    return await client.service_client.check_health()


def test_temporal_starts_answers_health_check_and_stops(scratch_dir: Path) -> None:
    server = EmbeddedTemporal(
        port=free_port(), db_file=scratch_dir / "temporal.db", log_file=scratch_dir / "t.log"
    )
    with server:
        pid = server.pid
        assert pid is not None
        assert asyncio.run(_check_health(server.address)) is True
        assert (scratch_dir / "temporal.db").is_file()

    assert server.pid is None
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    with (
        pytest.raises(ConnectionRefusedError),
        socket.create_connection(("127.0.0.1", server.port), timeout=1),
    ):
        pass
    server.stop()  # idempotent
