"""Reconciliation: repair a read model that lags the request workflows.

The request workflow is the only writer of PostgreSQL and its projection writes only a
change's new events, so a row or events lost there (a backup restored to a point before
the failure, a write lost with a server) would stay lost. A Temporal Schedule
(`SCHEDULE_ID`, created or updated by every worker at start, `install_schedule`) starts
`ReconcileWorkflow` every few minutes; `handover reconcile` starts one at once. Its activity:

1. lists the open request workflows of this task queue (Temporal's visibility API);
2. reads each one's row version and events from PostgreSQL, asks each workflow for its
   snapshot (query `snapshot`: the record and every event of its run);
3. where the row is behind the workflow's version or events are missing, writes the
   missing events and the row in one transaction (the projection's own statements: an
   event is written once, a row only moves forward), having locked the row and re-read what
   is there, so a write racing with the workflow's own projection is counted only when it
   added something;
4. records the run in `reconciliations` (ids and versions only) for /metrics, and logs
   `reconcile.repaired` per request and `reconcile.finished`.

Skipped: retention runs of closed requests (no personal data, the snapshot is None), starts
whose create never came, and workflows busy applying a change (their own projection is on
its way; the next run sees them). In normal operation a run repairs nothing.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from contracts.reconcile import (
        ACTIVITY_RECONCILE,
        WORKFLOW_RECONCILE,
        ReconcileRun,
        Reconciliation,
    )

# One run lists and compares every open request; it heartbeats while it does.
ACTIVITY_TIMEOUT = timedelta(minutes=30)
ACTIVITY_HEARTBEAT = timedelta(seconds=30)


@workflow.defn(name=WORKFLOW_RECONCILE)
class ReconcileWorkflow:
    """One reconciliation run (workflows/reconcile_activities.py does the work)."""

    @workflow.run
    async def run(self, run: ReconcileRun) -> Reconciliation:
        result: Reconciliation = await workflow.execute_activity(
            ACTIVITY_RECONCILE,
            run,
            result_type=Reconciliation,
            start_to_close_timeout=ACTIVITY_TIMEOUT,
            heartbeat_timeout=ACTIVITY_HEARTBEAT,
            retry_policy=RetryPolicy(initial_interval=timedelta(seconds=5), maximum_attempts=3),
        )
        return result
