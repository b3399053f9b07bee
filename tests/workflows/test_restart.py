"""A deadline set by one worker fires on another: timers live in Temporal, not in a process.

Runs on the real dev server with a three-second clock, so a real restart happens in between.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
from temporalio.client import Client

from contracts.deadline_policy import Clocks
from tests.workflows.driver import create, deadline, record_of, transfer
from workflows.worker import create_worker


async def test_a_deadline_fires_after_a_worker_restart(
    temporal: Client, pool: asyncpg.Pool
) -> None:
    queue = f"restart-{uuid.uuid4().hex[:8]}"
    decided = datetime.now(UTC) - timedelta(minutes=5)
    async with create_worker(temporal, pool, task_queue=queue):
        handle, created = await create(
            temporal, queue, transfer(decided), clocks=Clocks(response_seconds=3)
        )
    response = deadline(created, "response")
    # The first worker is gone before the deadline; a second one, with an empty cache,
    # rebuilds the workflow from its history and fires the timer the first one set.
    await asyncio.sleep(1)
    occurred = None
    async with create_worker(temporal, pool, task_queue=queue):
        # Wait for the breach in the read model, not only in the workflow's state: the
        # worker must not stop while the breach's projection is still being written.
        for _ in range(150):
            occurred = await pool.fetchval(
                "SELECT occurred_at FROM handover_events"
                " WHERE handover_id = $1 AND type = 'deadline_breached'",
                created.id,
            )
            if occurred is not None:
                break
            await asyncio.sleep(0.1)
        fired = deadline(await record_of(handle), "response")
    assert fired.state == "breached"
    assert occurred == response.due_at
    await handle.terminate("test done")
