"""The request workflow on the time-skipping server, with its real projection into PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import timedelta

import asyncpg
import msgspec
from temporalio.client import WithStartWorkflowOperation, WorkflowHandle
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.testing import WorkflowEnvironment

from contracts.api import HandoverRecord, TransferCreate
from contracts.common import Actor, Org, Role
from contracts.workflow import (
    QUERY_RECORD,
    UPDATE_CREATE,
    WORKFLOW_NAME,
    CommandMeta,
    CreateHandover,
    HandoverStart,
    Outcome,
    workflow_id,
)
from services.handover.api.examples import TRANSFER_CREATE
from workflows.worker import create_worker

ACTOR = Actor(sub="officer-1", org=Org.POLISEN, unit="pa-kronoberg", roles=(Role.CUSTODY_OFFICER,))


def _create_cmd() -> CreateHandover:
    return CreateHandover(
        meta=CommandMeta(actor=ACTOR, request_id="req-1"),
        reference=f"HO-TEST-{uuid.uuid4().hex[:6]}",
        fingerprint="fp",
        body=msgspec.convert(TRANSFER_CREATE, TransferCreate),
    )


async def test_unused_start_ends_itself_after_the_grace_period(
    time_env: WorkflowEnvironment, pool: asyncpg.Pool
) -> None:
    queue = f"tq-{uuid.uuid4().hex}"
    handover_id = str(uuid.uuid4())
    async with create_worker(time_env.client, pool, task_queue=queue):
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
    time_env: WorkflowEnvironment, pool: asyncpg.Pool
) -> None:
    queue = f"tq-{uuid.uuid4().hex}"
    handover_id = str(uuid.uuid4())
    async with create_worker(time_env.client, pool, task_queue=queue):
        start: WithStartWorkflowOperation[object, Outcome] = WithStartWorkflowOperation(
            WORKFLOW_NAME,
            HandoverStart(handover_id=handover_id),
            id=workflow_id(handover_id),
            task_queue=queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            result_type=Outcome,
        )
        record = await time_env.client.execute_update_with_start_workflow(
            UPDATE_CREATE,
            _create_cmd(),
            start_workflow_operation=start,
            result_type=HandoverRecord,
        )
        assert record.state == "requested"
        handle = await start.workflow_handle()
        await time_env.sleep(timedelta(days=30))
        later = await handle.query(QUERY_RECORD, result_type=HandoverRecord)
        description = await handle.describe()
    assert later is not None
    assert (later.state, later.reference, later.custody_chain) == (
        record.state,
        record.reference,
        record.custody_chain,
    )
    assert description.status is not None
    assert description.status.name == "RUNNING"
    async with pool.acquire() as conn:
        row = await conn.fetchrow(
            "SELECT state, version, reference FROM handovers WHERE id = $1", handover_id
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
