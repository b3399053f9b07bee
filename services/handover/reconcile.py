"""`handover reconcile`: one reconciliation run now, on the workers, and its report.

The same workflow the schedule starts (workflows/reconcile.py), so it needs the workers
running; it talks to them only through Temporal (`WORKFLOW_RECONCILE`).
"""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

import msgspec
from temporalio.client import Client

from contracts.reconcile import SCHEDULE_ID, WORKFLOW_RECONCILE, ReconcileRun, Reconciliation

# A run over many open requests may take a while; the workers must be up to start it.
RUN_TIMEOUT = timedelta(hours=1)


async def reconcile_now(client: Client, task_queue: str) -> Reconciliation:
    """Start a run (trigger `manual`) and wait for its report."""
    result: Reconciliation = await client.execute_workflow(
        WORKFLOW_RECONCILE,
        ReconcileRun(trigger="manual"),
        id=f"{SCHEDULE_ID}-manual-{uuid.uuid4().hex[:12]}",
        task_queue=task_queue,
        result_type=Reconciliation,
        execution_timeout=RUN_TIMEOUT,
    )
    return result


def report(result: Reconciliation) -> str:
    """The run as operators read it: counts, then each repair and each failure."""
    document: dict[str, Any] = msgspec.to_builtins(result)
    document["repaired"] = result.repaired
    document["events_written"] = result.events_written
    return json.dumps(document, indent=2)
