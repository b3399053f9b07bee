"""Reconciliation: a read model behind its workflows (a restored backup, lost events) is
repaired from the workflows' own state; what it repaired is recorded and on /metrics.

The requests here run on a task queue of their own (their own worker and API), so one run
checks exactly them; the reconciliation workflow and its activity run on that worker.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import msgspec
import pytest
from temporalio.client import Client, ScheduleActionStartWorkflow

from contracts.api import HandoverRecord
from contracts.common import State
from contracts.eventlog import GENESIS_HASH, verify_served
from contracts.reconcile import QUERY_SNAPSHOT, SCHEDULE_ID, Snapshot
from contracts.workflow import (
    QUERY_RECORD,
    WORKFLOW_NAME,
    Archive,
    HandoverStart,
    workflow_id,
)
from services.handover.api import examples
from services.handover.reconcile import reconcile_now
from services.handover.settings import Settings
from tests.api.test_metrics import scrape, series
from tests.conftest import running_api
from tests.flow import Flow, Parties, body
from workflows.reconcile_activities import install_schedule
from workflows.worker import create_worker

# Every column of the row a restore from an earlier backup would bring back.
ROW = "SELECT * FROM handovers WHERE id = $1"


@dataclass
class Deployment:
    """An API and a worker on a task queue of their own."""

    api: httpx.AsyncClient
    settings: Settings
    queue: str


@pytest.fixture
async def own_queue(
    temporal: Client, pool: asyncpg.Pool, settings: Settings
) -> AsyncIterator[Deployment]:
    queue = f"reconcile-{uuid.uuid4().hex[:8]}"
    local = msgspec.structs.replace(settings, task_queue=queue)
    worker = create_worker(temporal, pool, task_queue=queue, audit_key=settings.audit_key_bytes())
    async with worker, running_api(local) as base_url, httpx.AsyncClient(base_url=base_url) as api:
        yield Deployment(api, local, queue)


async def restore_row(pool: asyncpg.Pool, saved: asyncpg.Record) -> None:
    """Put back a row as it was earlier (what a point-in-time restore does)."""
    columns = [c for c in dict(saved) if c != "id"]
    assignments = ", ".join(f"{c} = ${n}" for n, c in enumerate(columns, start=2))
    await pool.execute(
        f"UPDATE handovers SET {assignments} WHERE id = $1",
        saved["id"],
        *(saved[c] for c in columns),
    )


async def drop_events_after(pool: asyncpg.Pool, handover_id: str, seq: int) -> int:
    """Delete events past `seq`, the append-only trigger off within this transaction alone
    (DDL is transactional: it is on again for everyone else, whatever happens)."""
    trigger = "TRIGGER handover_events_append_only"
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(f"ALTER TABLE handover_events DISABLE {trigger}")
        status: str = await conn.execute(
            "DELETE FROM handover_events WHERE handover_id = $1 AND seq > $2",
            uuid.UUID(handover_id),
            seq,
        )
        await conn.execute(f"ALTER TABLE handover_events ENABLE {trigger}")
    return int(status.split()[-1])


async def assert_equals_workflow(
    temporal: Client, api: httpx.AsyncClient, flow: Flow
) -> HandoverRecord:
    """The read model serves the workflow's record and its whole, verifying event log."""
    handle = temporal.get_workflow_handle(workflow_id(flow.id))
    own: HandoverRecord = await handle.query(QUERY_RECORD, result_type=HandoverRecord)
    got = await api.get(flow.path, headers=flow.p.police)
    assert got.status_code == 200, got.text
    read = msgspec.json.decode(got.content, type=HandoverRecord)
    assert msgspec.to_builtins(read) == msgspec.to_builtins(own)
    events: list[dict[str, Any]] = (
        await api.get(f"{flow.path}/events", headers=flow.p.police)
    ).json()
    assert [e["seq"] for e in events] == list(range(1, own.version + 1))
    assert verify_served(events) is None
    return own


async def test_a_run_repairs_stale_rows_and_lost_events(
    own_queue: Deployment, temporal: Client, pool: asyncpg.Pool
) -> None:
    api, p = own_queue.api, Parties(own_queue.settings)
    # restored: the whole row as it was at version 2, and events after 2 lost (a restore)
    restored = await Flow(api, p).create()
    await restored.post("accept", examples.ACCEPT, p.planner)
    saved = await pool.fetchrow(ROW, uuid.UUID(restored.id))
    assert saved is not None
    assert saved["version"] == 2
    await restored.assess()
    await restored.post("schedule", body(examples.SCHEDULE), p.planner)
    # lost: the row is current, events after 2 are gone
    lost = await (await Flow(api, p).create()).to(State.SCHEDULED)
    # whole: nothing touched
    whole = await (await Flow(api, p).create()).to(State.ACCEPTED)
    # a retention run (a closed request past its follow-up window) has nothing to project
    retained = str(uuid.uuid4())
    await temporal.start_workflow(
        WORKFLOW_NAME,
        HandoverStart(
            handover_id=retained,
            archive=Archive(
                reference="HO-2026-999999",
                state="completed",
                version=9,
                last_seq=9,
                last_hash=GENESIS_HASH,
                erase_at=datetime.now(UTC) + timedelta(days=1),
            ),
        ),
        id=workflow_id(retained),
        task_queue=own_queue.queue,
    )
    restored_version = (await restored.get())["version"]
    lost_version = (await lost.get())["version"]
    assert restored_version >= 4
    assert lost_version >= 4

    await restore_row(pool, saved)
    assert await drop_events_after(pool, restored.id, 2) == restored_version - 2
    assert await drop_events_after(pool, lost.id, 2) == lost_version - 2
    stale = await api.get(restored.path, headers=p.police)
    assert stale.json()["version"] == 2
    assert stale.json()["state"] == "accepted"

    result = await reconcile_now(temporal, own_queue.queue)

    assert result.trigger == "manual"
    assert result.checked == 4
    assert result.skipped == 1  # the retention run
    assert result.busy == 0
    assert result.failed == []
    repairs = {r.handover_id: r for r in result.repairs}
    assert set(repairs) == {restored.id, lost.id}
    assert repairs[restored.id].read_version == 2
    assert repairs[restored.id].workflow_version == restored_version
    assert repairs[restored.id].events_written == restored_version - 2
    assert repairs[restored.id].row_moved
    assert repairs[lost.id].read_version == lost_version
    assert repairs[lost.id].events_written == lost_version - 2
    assert not repairs[lost.id].row_moved
    for flow in (restored, lost, whole):
        await assert_equals_workflow(temporal, api, flow)
    # The repaired request moves on as usual from its repaired state.
    await restored.post("release", body(examples.RELEASE), p.police)
    await assert_equals_workflow(temporal, api, restored)

    # The run is on record (ids and versions only) and on /metrics.
    recorded = await pool.fetchrow(
        "SELECT trigger, checked, skipped, repaired, events_written, failed, repairs"
        " FROM reconciliations WHERE workflow_id LIKE $1 ORDER BY id DESC LIMIT 1",
        f"{SCHEDULE_ID}-manual-%",
    )
    assert recorded is not None
    assert dict(recorded) | {"repairs": None} == {
        "trigger": "manual",
        "checked": 4,
        "skipped": 1,
        "repaired": 2,
        "events_written": restored_version - 2 + lost_version - 2,
        "failed": 0,
        "repairs": None,
    }
    assert {r["handover_id"] for r in msgspec.json.decode(recorded["repairs"])} == set(repairs)
    metrics = await scrape(api)
    assert series(metrics, "handover_reconcile_last_run_repaired") == {(): 2.0}
    assert series(metrics, "handover_reconcile_last_run_failed") == {(): 0.0}
    assert series(metrics, "handover_reconcile_repaired_requests")[()] >= 2

    # In normal operation a run finds nothing.
    again = await reconcile_now(temporal, own_queue.queue)
    assert again.repairs == []
    assert again.failed == []
    assert again.checked == 4
    await temporal.get_workflow_handle(workflow_id(retained)).terminate("test over")


async def test_the_snapshot_is_none_for_a_retention_run_and_whole_otherwise(
    own_queue: Deployment, temporal: Client
) -> None:
    p = Parties(own_queue.settings)
    flow = await (await Flow(own_queue.api, p).create()).to(State.ACCEPTED)
    handle = temporal.get_workflow_handle(workflow_id(flow.id))
    snapshot: Snapshot = await handle.query(QUERY_SNAPSHOT, result_type=Snapshot)
    assert snapshot.record.version == 2
    assert [e.seq for e in snapshot.events] == [1, 2]
    assert not snapshot.busy


async def test_every_worker_installs_the_schedule_once(temporal: Client) -> None:
    queue = f"reconcile-{uuid.uuid4().hex[:8]}"
    every = timedelta(hours=1)
    handle = temporal.get_schedule_handle(SCHEDULE_ID)
    try:
        assert await install_schedule(temporal, task_queue=queue, every=every) == "created"
        assert await install_schedule(temporal, task_queue=queue, every=every) == "unchanged"
        await handle.pause(note="an operator's pause")
        later = timedelta(minutes=10)
        assert await install_schedule(temporal, task_queue=queue, every=later) == "updated"
        described = (await handle.describe()).schedule
        assert [i.every for i in described.spec.intervals] == [later]
        assert isinstance(described.action, ScheduleActionStartWorkflow)
        assert described.action.task_queue == queue
        assert described.state.paused  # the operator's pause stays
    finally:
        await handle.delete()
