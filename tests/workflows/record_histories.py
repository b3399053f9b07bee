"""Record workflow histories of representative runs for the replay tests.

Run `python -m tests.workflows.record_histories` after a change to workflow code that is
released: it starts throwaway servers, drives each scenario and writes
tests/workflows/histories/<scenario>-<tag>.json. Histories recorded by older code stay
committed so that new code must replay them (use `workflow.patched` to stay compatible).
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import tempfile
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

import msgspec
from temporalio.client import Client, WithStartWorkflowOperation, WorkflowHandle
from temporalio.common import WorkflowIDConflictPolicy

from contracts.api import HandoverRecord, TransferCreate
from contracts.common import Actor, Org, Role
from contracts.workflow import (
    UPDATE_CREATE,
    WORKFLOW_NAME,
    CommandMeta,
    CreateHandover,
    HandoverStart,
    workflow_id,
)
from services.handover.api.examples import TRANSFER_CREATE
from services.handover.app import create_pool
from services.handover.embedded import EmbeddedPostgres, EmbeddedTemporal, free_port
from services.handover.migrate import migrate
from services.handover.settings import load_settings
from workflows.converter import msgspec_data_converter
from workflows.worker import create_worker

HISTORIES = Path(__file__).with_name("histories")
TASK_QUEUE = "record-histories"
OFFICER = Actor(
    sub="officer-1", org=Org.POLISEN, unit="pa-kronoberg", roles=(Role.CUSTODY_OFFICER,)
)

Scenario = Callable[[Client], Awaitable[WorkflowHandle[object, object]]]


async def create(client: Client) -> WorkflowHandle[object, object]:
    handover_id = str(uuid.uuid4())
    start: WithStartWorkflowOperation[object, object] = WithStartWorkflowOperation(
        WORKFLOW_NAME,
        HandoverStart(handover_id=handover_id),
        id=workflow_id(handover_id),
        task_queue=TASK_QUEUE,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
    )
    await client.execute_update_with_start_workflow(
        UPDATE_CREATE,
        CreateHandover(
            meta=CommandMeta(actor=OFFICER, request_id="record"),
            reference="HO-2026-900001",
            fingerprint="recorded",
            body=msgspec.convert(TRANSFER_CREATE, TransferCreate),
        ),
        start_workflow_operation=start,
        result_type=HandoverRecord,
    )
    return await start.workflow_handle()


SCENARIOS: dict[str, Scenario] = {"created": create}


async def record(tag: str) -> None:
    scratch = Path(tempfile.mkdtemp(prefix="record-"))
    scratch.chmod(0o755)
    with (
        EmbeddedPostgres(scratch / "pg", free_port()) as pg,
        EmbeddedTemporal(port=free_port()) as temporal,
    ):
        settings = load_settings({}).with_servers(
            database_url=pg.url, temporal_address=temporal.address
        )
        migrate(pg.url, settings.migrations_dir)
        client = await Client.connect(temporal.address, data_converter=msgspec_data_converter)
        pool = await create_pool(settings)
        async with create_worker(client, pool, task_queue=TASK_QUEUE):
            for name, scenario in SCENARIOS.items():
                handle = await scenario(client)
                history = await handle.fetch_history()
                path = HISTORIES / f"{name}-{tag}.json"
                path.write_text(history.to_json())
                print(f"wrote {path}")
        await pool.close()
    shutil.rmtree(scratch, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("tag", help="a name for the code version, e.g. v1")
    asyncio.run(record(parser.parse_args().tag))


if __name__ == "__main__":
    main()
