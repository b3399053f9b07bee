"""The reconciliation activity and its schedule (workflows/reconcile.py says what it does)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import msgspec
import structlog
from temporalio import activity
from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleIntervalSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleSpec,
    ScheduleUpdate,
    ScheduleUpdateInput,
    WorkflowQueryFailedError,
    WorkflowQueryRejectedError,
)
from temporalio.service import RPCError

from contracts.reconcile import (
    ACTIVITY_RECONCILE,
    QUERY_SNAPSHOT,
    SCHEDULE_ID,
    WORKFLOW_RECONCILE,
    ReconcileRun,
    Reconciliation,
    Repair,
    Snapshot,
)
from contracts.workflow import WORKFLOW_NAME, Projection, workflow_id
from workflows.activities import Projector
from workflows.reconcile import ACTIVITY_TIMEOUT

log = structlog.get_logger(__name__)

_SQL = Path(__file__).with_name("sql")
STATE = (_SQL / "reconcile_state.sql").read_text()
LOCK = (_SQL / "reconcile_lock.sql").read_text()
RECORD = (_SQL / "reconcile_record.sql").read_text()

# Workflows asked at once, and how long one may take to answer (a workflow evicted from
# every worker's cache is replayed to answer).
CONCURRENCY = 4
QUERY_TIMEOUT = timedelta(seconds=10)
PREFIX = workflow_id("")
# A workflow that cannot answer: no worker in time, a worker without the query (a rolling
# deploy), a handler that failed. Logged and counted; the next run asks again.
QUERY_FAILURES = (
    TimeoutError,
    RPCError,
    WorkflowQueryFailedError,
    WorkflowQueryRejectedError,
)
_json = msgspec.json.Encoder()


def open_requests_query(task_queue: str) -> str:
    """Visibility query: running request workflows of this deployment's task queue."""
    return (
        f'WorkflowType="{WORKFLOW_NAME}" AND ExecutionStatus="Running" AND TaskQueue="{task_queue}"'
    )


class Reconciler:
    """The reconciliation activity: needs the Temporal client (list, query) and PostgreSQL."""

    def __init__(self, client: Client, pool: asyncpg.Pool, projector: Projector) -> None:
        self._client = client
        self._pool = pool
        self._projector = projector

    @activity.defn(name=ACTIVITY_RECONCILE)
    async def reconcile(self, run: ReconcileRun) -> Reconciliation:
        info = activity.info()
        result = await self.run(run, task_queue=info.task_queue, beat=activity.heartbeat)
        await self._pool.execute(
            RECORD,
            info.workflow_id,
            result.trigger,
            result.started_at,
            result.finished_at,
            result.checked,
            result.skipped,
            result.busy,
            result.repaired,
            result.events_written,
            len(result.failed),
            _json.encode(result.repairs).decode(),
        )
        log.info(
            "reconcile.finished",
            trigger=result.trigger,
            checked=result.checked,
            skipped=result.skipped,
            busy=result.busy,
            repaired=result.repaired,
            events_written=result.events_written,
            failed=len(result.failed),
            seconds=round((result.finished_at - result.started_at).total_seconds(), 3),
        )
        return result

    async def run(
        self, run: ReconcileRun, *, task_queue: str, beat: Callable[[], None] | None = None
    ) -> Reconciliation:
        """Compare and repair (without recording the run; `reconcile` does)."""
        started = datetime.now(UTC)
        ids: list[str] = []
        async for execution in self._client.list_workflows(open_requests_query(task_queue)):
            handover_id = execution.id.removeprefix(PREFIX)
            if execution.id.startswith(PREFIX) and _is_uuid(handover_id):
                ids.append(handover_id)
                if beat is not None and len(ids) % 100 == 0:
                    beat()
        rows = {r["id"]: r for r in await self._pool.fetch(STATE, ids)} if ids else {}
        gate = asyncio.Semaphore(CONCURRENCY)
        skipped = busy = 0
        repairs: list[Repair] = []
        failed: list[str] = []

        async def one(handover_id: str) -> None:
            nonlocal skipped, busy
            async with gate:
                if beat is not None:
                    beat()
                try:
                    snapshot = await self._snapshot(handover_id)
                except QUERY_FAILURES as exc:
                    failed.append(handover_id)
                    log.warning(
                        "reconcile.query_failed",
                        handover_id=handover_id,
                        error=type(exc).__name__,
                    )
                    return
                if snapshot is None:
                    skipped += 1
                    return
                if snapshot.busy:
                    busy += 1
                    return
                if _in_step(snapshot, rows.get(handover_id)):
                    return
                try:
                    repair = await self._repair(snapshot)
                except (OSError, asyncpg.PostgresError) as exc:
                    failed.append(handover_id)
                    log.warning(
                        "reconcile.repair_failed",
                        handover_id=handover_id,
                        error=type(exc).__name__,
                        sqlstate=getattr(exc, "sqlstate", None),
                    )
                    return
                if repair is not None:
                    repairs.append(repair)
                    log.warning(
                        "reconcile.repaired",
                        handover_id=handover_id,
                        workflow_version=repair.workflow_version,
                        read_version=repair.read_version,
                        events_written=repair.events_written,
                        row_moved=repair.row_moved,
                    )

        await asyncio.gather(*(one(i) for i in ids))
        return Reconciliation(
            trigger=run.trigger,
            started_at=started,
            finished_at=datetime.now(UTC),
            checked=len(ids),
            skipped=skipped,
            busy=busy,
            repairs=sorted(repairs, key=lambda r: r.handover_id),
            failed=sorted(failed),
        )

    async def _snapshot(self, handover_id: str) -> Snapshot | None:
        handle = self._client.get_workflow_handle(workflow_id(handover_id))
        snapshot: Snapshot | None = await handle.query(
            QUERY_SNAPSHOT, result_type=Snapshot, rpc_timeout=QUERY_TIMEOUT
        )
        return snapshot

    async def _repair(self, snapshot: Snapshot) -> Repair | None:
        """Write what the read model lacks, in one transaction; None when nothing was."""
        record = snapshot.record
        async with self._pool.acquire() as conn, conn.transaction():
            found = await conn.fetchrow(LOCK, record.id)
            assert found is not None
            version: int | None = found["version"]
            have = set(found["seqs"])
            missing = [e for e in snapshot.events if e.seq not in have]
            if not missing and version is not None and version >= record.version:
                return None
            moved = await self._projector.write(
                conn,
                Projection(record=record, events=missing, request_id=f"reconcile:{record.id}"),
            )
        return Repair(
            handover_id=record.id,
            workflow_version=record.version,
            read_version=version,
            events_written=len(missing),
            row_moved=moved,
        )


def _in_step(snapshot: Snapshot, row: asyncpg.Record | None) -> bool:
    """The read model holds the workflow's version and all of its events."""
    if row is None or row["version"] is None:
        return False
    version = snapshot.record.version
    return bool(
        row["version"] >= version and row["events"] >= version and row["last_seq"] == version
    )


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def schedule(task_queue: str, every: timedelta) -> Schedule:
    """Every `every`, one run at a time (a run still going skips the next)."""
    return Schedule(
        action=ScheduleActionStartWorkflow(
            WORKFLOW_RECONCILE,
            ReconcileRun(trigger="schedule"),
            id=f"{SCHEDULE_ID}-run",
            task_queue=task_queue,
            execution_timeout=ACTIVITY_TIMEOUT * 2,
        ),
        spec=ScheduleSpec(intervals=[ScheduleIntervalSpec(every=every)]),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
    )


async def install_schedule(client: Client, *, task_queue: str, every: timedelta) -> str:
    """Create the schedule, or bring an existing one to this interval and task queue
    (keeping its state: an operator's pause stays). Returns what it did."""
    wanted = schedule(task_queue, every)
    try:
        await client.create_schedule(SCHEDULE_ID, wanted)
    except ScheduleAlreadyRunningError:
        pass
    else:
        return "created"
    changed = False

    def update(given: ScheduleUpdateInput) -> ScheduleUpdate | None:
        nonlocal changed
        current = given.description.schedule
        action = current.action
        same = (
            [i.every for i in current.spec.intervals] == [every]
            and isinstance(action, ScheduleActionStartWorkflow)
            and action.task_queue == task_queue
        )
        if same:
            return None
        changed = True
        current.spec = wanted.spec
        current.action = wanted.action
        current.policy = wanted.policy
        return ScheduleUpdate(schedule=current)

    await client.get_schedule_handle(SCHEDULE_ID).update(update)
    return "updated" if changed else "unchanged"
