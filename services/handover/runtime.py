"""Long-running processes: API server, worker, and both together with development servers."""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import os
import signal
from collections.abc import Awaitable, Callable, Iterator
from datetime import timedelta
from pathlib import Path

import asyncpg
import msgspec
import structlog
import uvicorn
from temporalio.client import Client
from temporalio.service import RPCError

from services.handover.app import connect_temporal, create_app, create_pool
from services.handover.migrate import migrate
from services.handover.settings import Settings
from workflows.codec import new_key
from workflows.reconcile_activities import install_schedule
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
    halt = asyncio.Event()  # the worker drains and stops
    if worker:
        pool = await create_pool(settings)
        tasks.append(asyncio.create_task(run_worker(settings, pool, halt), name="worker"))
    if server is not None:
        tasks.append(asyncio.create_task(server.serve(), name="api"))
    waiter = asyncio.create_task(stop.wait())
    done, _ = await asyncio.wait([*tasks, waiter], return_when=asyncio.FIRST_COMPLETED)
    failed = [t for t in done if t is not waiter and t.exception() is not None]
    if server is not None:
        server.should_exit = True
    halt.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    if pool is not None:
        await pool.close()
    waiter.cancel()
    if failed:
        raise failed[0].exception()  # type: ignore[misc]


# Back-off between attempts to reach Temporal, or to run the worker again after it stopped
# on an error: from 0.5 s, doubling, at most 10 s; reset once a worker ran a minute.
RECONNECT_FIRST = 0.5
RECONNECT_MAX = 10.0
RAN_LONG_ENOUGH = 60.0


async def run_worker(settings: Settings, pool: asyncpg.Pool, halt: asyncio.Event) -> None:
    """The Temporal worker until `halt`, outliving Temporal's absence.

    When Temporal cannot be reached, or the worker stops on an error (the server went away
    or restarted), this logs it and connects again with back-off instead of leaving the
    process. PostgreSQL's absence does not stop the worker: the projection activity retries
    until it is back. On `halt` (SIGTERM) the worker stops polling and lets in-flight
    workflow tasks and activities finish (`graceful_shutdown_timeout`, workflows/worker.py).
    """
    delay = RECONNECT_FIRST
    failures = 0
    while not halt.is_set():
        try:
            client = await connect_temporal(settings)
        except RuntimeError as exc:  # the SDK's one report of a failed connect
            failures += 1
            log.warning(
                "worker.temporal_unreachable",
                address=settings.temporal_address,
                error=str(exc),
                failures=failures,
                retry_in_seconds=delay,
            )
            await _pause(halt, delay)
            delay = min(delay * 2, RECONNECT_MAX)
            continue
        await _install_schedule(client, settings)
        temporal_worker = create_worker(
            client,
            pool,
            task_queue=settings.task_queue,
            audit_key=settings.audit_key_bytes(),
            webhooks=settings.webhook_config(),
        )
        log.info(
            "worker.connected",
            address=settings.temporal_address,
            task_queue=settings.task_queue,
            after_failures=failures,
        )
        started = asyncio.get_running_loop().time()
        running = asyncio.create_task(temporal_worker.run(), name="temporal-worker")
        halted = asyncio.create_task(halt.wait())
        await asyncio.wait([running, halted], return_when=asyncio.FIRST_COMPLETED)
        if halt.is_set():
            await temporal_worker.shutdown()  # drains; `running` then returns
            with contextlib.suppress(Exception):
                await running
            log.info("worker.stopped")
            return
        halted.cancel()
        error = running.exception()
        if asyncio.get_running_loop().time() - started > RAN_LONG_ENOUGH:
            delay = RECONNECT_FIRST
        failures += 1
        log.warning(
            "worker.failed",
            error=repr(error) if error is not None else "stopped",
            failures=failures,
            retry_in_seconds=delay,
        )
        await _pause(halt, delay)
        delay = min(delay * 2, RECONNECT_MAX)


async def _install_schedule(client: Client, settings: Settings) -> None:
    """The reconciliation schedule, created or brought to this interval (idempotent: every
    worker does it at start). A failure is logged; the worker runs on without it."""
    if settings.reconcile_every_seconds <= 0:
        return
    every = timedelta(seconds=settings.reconcile_every_seconds)
    try:
        done = await install_schedule(client, task_queue=settings.task_queue, every=every)
    except RPCError as exc:
        log.warning("reconcile.schedule_failed", error=str(exc))
        return
    log.info("reconcile.schedule", outcome=done, every_seconds=settings.reconcile_every_seconds)


async def _pause(halt: asyncio.Event, seconds: float) -> None:
    """Sleep, unless halted meanwhile."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(halt.wait(), seconds)


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
