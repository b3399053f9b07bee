"""The request workflow on the time-skipping server, with its real projection into PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import timedelta

import asyncpg
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from contracts.workflow import WORKFLOW_NAME, HandoverStart, Outcome, workflow_id
from tests.workflows.driver import create, record_of, transfer


async def test_unused_start_ends_itself_after_the_grace_period(
    time_env: WorkflowEnvironment, queue: str, pool: asyncpg.Pool
) -> None:
    handover_id = str(uuid.uuid4())
    handle: WorkflowHandle[object, Outcome] = await time_env.client.start_workflow(
        WORKFLOW_NAME,
        HandoverStart(handover_id=handover_id),
        id=workflow_id(handover_id),
        task_queue=queue,
        result_type=Outcome,
    )
    outcome = await handle.result()  # an hour passes in milliseconds
    assert outcome.state == "abandoned"
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM handovers WHERE id = $1", handover_id) == 0


async def test_a_request_stays_open_and_projected_while_time_passes(
    time_env: WorkflowEnvironment, queue: str, pool: asyncpg.Pool
) -> None:
    decided = await time_env.get_current_time()
    handle, record = await create(time_env.client, queue, transfer(decided))
    assert record.state == "requested"
    await time_env.sleep(timedelta(days=30))
    later = await record_of(handle)
    description = await handle.describe()
    assert (later.state, later.reference, later.custody_chain) == (
        record.state,
        record.reference,
        record.custody_chain,
    )
    assert description.status is not None
    assert description.status.name == "RUNNING"
    async with pool.acquire() as conn:
        row = await conn.fetchrow(
            "SELECT state, version, reference FROM handovers WHERE id = $1", record.id
        )
    assert row is not None
    # Thirty days on, the response deadline and the remand deadline have warned and breached:
    # the request is still open and the read model has followed the workflow.
    assert (row["state"], row["version"], row["reference"]) == (
        "requested",
        later.version,
        record.reference,
    )
    assert later.version > record.version
    assert {d.name for d in later.deadlines if d.state == "breached"} >= {
        "response",
        "remand_to_remand_prison",
    }
