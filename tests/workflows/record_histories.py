"""Record workflow histories of representative runs for the replay tests.

Run `python -m tests.workflows.record_histories` after a change to workflow code that is
released: it starts throwaway servers, drives each scenario and writes
tests/workflows/histories/<scenario>-<tag>.json. Histories recorded by older code stay
committed so that new code must replay them (use `workflow.patched` to stay compatible).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import shutil
import tempfile
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import msgspec
from msgspec.structs import replace
from temporalio.client import Client, WithStartWorkflowOperation, WorkflowHandle
from temporalio.common import WorkflowIDConflictPolicy

from contracts import actions
from contracts.api import AssistanceCreate, HandoverCreate, HandoverRecord, TransferCreate
from contracts.assessment import IncidentBody
from contracts.common import UnitKind
from contracts.journey import AnswerLodging, JourneyCommand, PlanLodging, Redirect, RedirectReason
from contracts.workflow import (
    UPDATE_CREATE,
    UPDATE_INCIDENT,
    UPDATE_JOURNEY,
    WORKFLOW_NAME,
    CommandMeta,
    CreateHandover,
    HandoverStart,
    workflow_id,
)
from devservers import EmbeddedPostgres, EmbeddedTemporal, free_port
from services.handover.api import examples
from services.handover.api.examples import ASSISTANCE_CREATE, TRANSFER_CREATE
from services.handover.app import create_pool
from services.handover.migrate import migrate
from services.handover.settings import load_settings
from tests.workflows.driver import (
    GOTEBORG,
    HAKTE,
    LODGING,
    OFFICER,
    PLANNER,
    schedule,
    step,
)
from workflows.converter import msgspec_data_converter
from workflows.worker import create_worker

HISTORIES = Path(__file__).with_name("histories")
TASK_QUEUE = "record-histories"

Scenario = Callable[[Client], Awaitable[WorkflowHandle[object, object]]]


async def create(
    client: Client, body: HandoverCreate | None = None
) -> WorkflowHandle[object, object]:
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
            meta=CommandMeta(
                actor=OFFICER, request_id="record", actor_unit_kind=UnitKind.POLICE_CUSTODY
            ),
            reference="HO-2026-900001",
            fingerprint="recorded",
            body=body or msgspec.convert(TRANSFER_CREATE, TransferCreate),
        ),
        start_workflow_operation=start,
        result_type=HandoverRecord,
    )
    return await start.workflow_handle()


def _now() -> datetime:
    return datetime.now(UTC)


async def transfer_completed(client: Client) -> WorkflowHandle[object, object]:
    handle = await create(client)
    await schedule(handle, pickup_at=_now() + timedelta(hours=1))
    release = msgspec.convert(examples.RELEASE, actions.ReleaseBody)
    receive = msgspec.convert(examples.RECEIVE, actions.ReceiveBody)
    await step(handle, "release", OFFICER, replace(release, occurred_at=_now()))
    await step(handle, "receive", PLANNER, replace(receive, occurred_at=_now()))
    await step(
        handle,
        UPDATE_INCIDENT,
        PLANNER,
        msgspec.convert(examples.INCIDENT | {"occurred_at": _now().isoformat()}, IncidentBody),
    )
    await step(
        handle,
        "release",
        PLANNER,
        replace(release, to_unit="kv-hakte-kronoberg", occurred_at=_now()),
    )
    await step(handle, "receive", HAKTE, replace(receive, occurred_at=_now()))
    return handle


async def deferred_then_cancelled(client: Client) -> WorkflowHandle[object, object]:
    handle = await create(client)
    await step(handle, "defer", PLANNER, msgspec.convert(examples.DEFER, actions.DeferBody))
    await step(handle, "accept", PLANNER, actions.AcceptBody(note="Place found."))
    await step(handle, "cancel", OFFICER, msgspec.convert(examples.CANCEL, actions.CancelBody))
    return handle


async def assistance_deferred(client: Client) -> WorkflowHandle[object, object]:
    """An LVU request (policy version 2: its execution clock and the deferral reminder),
    deferred, accepted and cancelled."""
    body = msgspec.convert(ASSISTANCE_CREATE | {"legal_basis": "lvu_43"}, AssistanceCreate)
    handle = await create(client, body)
    await step(handle, "defer", PLANNER, msgspec.convert(examples.DEFER, actions.DeferBody))
    await step(handle, "accept", PLANNER, actions.AcceptBody(note="Place found."))
    await step(handle, "cancel", OFFICER, msgspec.convert(examples.CANCEL, actions.CancelBody))
    return handle


async def journey(client: Client) -> WorkflowHandle[object, object]:
    """A transfer with a night's lodging (planned, accepted, reached, left) and a redirect."""
    handle = await create(client)
    await schedule(handle, pickup_at=_now() + timedelta(hours=1))
    lodging = PlanLodging(
        unit=LODGING.unit,
        arrive_at=_now() + timedelta(hours=2),
        depart_at=_now() + timedelta(hours=14),
    )
    plan = JourneyCommand(change=lodging, unit_kind=UnitKind.REMAND_PRISON)
    await step(handle, UPDATE_JOURNEY, PLANNER, plan)
    answer = JourneyCommand(change=AnswerLodging(stop=1, accepted=True))
    await step(handle, UPDATE_JOURNEY, LODGING, answer)
    release = msgspec.convert(examples.RELEASE, actions.ReleaseBody)
    receive = msgspec.convert(examples.RECEIVE, actions.ReceiveBody)
    for holder, receiver in ((OFFICER, PLANNER), (PLANNER, LODGING), (LODGING, PLANNER)):
        to = replace(release, to_unit=receiver.unit, occurred_at=_now())
        await step(handle, "release", holder, to)
        await step(handle, "receive", receiver, replace(receive, occurred_at=_now()))
    redirect = Redirect(to_unit=GOTEBORG.unit, reason=RedirectReason.PLACEMENT_DECISION)
    moved = JourneyCommand(change=redirect, unit_kind=UnitKind.REMAND_PRISON)
    await step(handle, UPDATE_JOURNEY, PLANNER, moved)
    await step(
        handle, "release", PLANNER, replace(release, to_unit=GOTEBORG.unit, occurred_at=_now())
    )
    await step(handle, "receive", GOTEBORG, replace(receive, occurred_at=_now()))
    return handle


SCENARIOS: dict[str, Scenario] = {
    "created": create,
    "transfer-completed": transfer_completed,
    "deferred-cancelled": deferred_then_cancelled,
    "assistance-deferred": assistance_deferred,
    "journey": journey,
}


async def record(tag: str, only: list[str]) -> None:
    scratch = Path(tempfile.mkdtemp(prefix="record-"))
    scratch.chmod(0o755)
    async with (
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
                if only and name not in only:
                    continue
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
    parser.add_argument("scenarios", nargs="*", help=f"default: all of {sorted(SCENARIOS)}")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(record(args.tag, args.scenarios))


if __name__ == "__main__":
    main()
