"""Long-running processes: API server, worker, and both together with development servers."""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import os
import signal
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import msgspec
import structlog
import uvicorn

from services.handover.app import connect_temporal, create_app, create_pool
from services.handover.migrate import migrate
from services.handover.settings import Settings
from workflows.codec import new_key
from workflows.worker import create_worker

log = structlog.get_logger(__name__)


def _stop_event() -> asyncio.Event:
    """An event set on SIGINT or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop


def _uvicorn(settings: Settings) -> uvicorn.Server:
    config = uvicorn.Config(
        create_app(settings),
        host=settings.api_host,
        port=settings.api_port,
        log_config=None,
        access_log=False,
        lifespan="on",
    )
    return _Server(config)


class _Server(uvicorn.Server):
    """Signals are ours: one handler stops the API, the worker and the servers in order."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def serve(settings: Settings, *, api: bool, worker: bool, stop: asyncio.Event) -> None:
    """Run the API and/or the worker until `stop` is set, then shut both down cleanly."""
    tasks: list[asyncio.Task[None]] = []
    server = _uvicorn(settings) if api else None
    pool = None
    temporal_worker = None
    if worker:
        pool = await create_pool(settings)
        client = await connect_temporal(settings)
        temporal_worker = create_worker(
            client, pool, task_queue=settings.task_queue, audit_key=settings.audit_key_bytes()
        )
        tasks.append(asyncio.create_task(temporal_worker.run(), name="worker"))
    if server is not None:
        tasks.append(asyncio.create_task(server.serve(), name="api"))
    waiter = asyncio.create_task(stop.wait())
    done, _ = await asyncio.wait([*tasks, waiter], return_when=asyncio.FIRST_COMPLETED)
    failed = [t for t in done if t is not waiter and t.exception() is not None]
    if server is not None:
        server.should_exit = True
    if temporal_worker is not None:
        await temporal_worker.shutdown()
    await asyncio.gather(*tasks, return_exceptions=True)
    if pool is not None:
        await pool.close()
    waiter.cancel()
    if failed:
        raise failed[0].exception()  # type: ignore[misc]


async def run_processes(settings: Settings, *, api: bool, worker: bool) -> None:
    await serve(settings, api=api, worker=worker, stop=_stop_event())


async def run_dev(settings: Settings, announce: Callable[[Settings], None]) -> None:
    """Everything on one machine: development PostgreSQL and Temporal unless URLs are given."""
    if settings.database_url is None or settings.temporal_address is None:
        _require_devservers()
    stop = _stop_event()
    dev_dir = Path(settings.dev_dir)
    await asyncio.to_thread(dev_dir.mkdir, parents=True, exist_ok=True)
    if settings.payload_key is None:
        key = await asyncio.to_thread(_dev_payload_key, dev_dir / "payload.key")
        settings = msgspec.structs.replace(settings, payload_key=key)
    if settings.audit_key is None:
        key = await asyncio.to_thread(_dev_payload_key, dev_dir / "audit.key")
        settings = msgspec.structs.replace(settings, audit_key=key)
    cleanups: list[Callable[[], Awaitable[None]]] = []
    try:
        database_url = settings.database_url
        if database_url is None:
            from devservers import EmbeddedPostgres

            postgres = EmbeddedPostgres(dev_dir / "postgres", settings.pg_port)
            await asyncio.to_thread(postgres.start)
            cleanups.append(lambda: asyncio.to_thread(postgres.stop))
            database_url = postgres.url
        temporal_address = settings.temporal_address
        if temporal_address is None:
            from devservers import EmbeddedTemporal

            temporal = EmbeddedTemporal(
                port=settings.temporal_port,
                ui_port=settings.temporal_ui_port,
                db_file=dev_dir / "temporal.db",
                log_file=dev_dir / "temporal.log",
            )
            await temporal.start()
            cleanups.append(temporal.stop)
            temporal_address = temporal.address
        settings = settings.with_servers(
            database_url=database_url, temporal_address=temporal_address
        )
        await asyncio.to_thread(migrate, database_url, settings.migrations_dir)
        if not stop.is_set():
            announce(settings)
            await serve(settings, api=True, worker=True, stop=stop)
    finally:
        for cleanup in reversed(cleanups):
            with contextlib.suppress(Exception):
                await cleanup()
        log.info("dev.stopped")


def _require_devservers() -> None:
    """The development servers live in the source tree (devservers/), not in the package."""
    if importlib.util.find_spec("devservers") is None:
        raise RuntimeError(
            "the development servers (devservers/ in the source tree) are not installed: "
            "run `make run` from a checkout, or point DATABASE_URL and TEMPORAL_ADDRESS at "
            "running servers"
        )


def _dev_payload_key(path: Path) -> str:
    """A development key (payload or audit), made once and kept with the data it protects."""
    if not path.exists():
        path.write_text(new_key() + "\n")
        path.chmod(0o600)
    return path.read_text().strip()


def exit_now(code: int) -> None:
    """Leave without interpreter teardown, which can abort with temporalio (sdk-python#300)."""
    import logging
    import sys

    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
