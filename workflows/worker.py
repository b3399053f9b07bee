"""The Temporal worker: request workflows plus the projection activity."""

from __future__ import annotations

from datetime import timedelta

import asyncpg
from temporalio.client import Client
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from workflows.activities import Projector
from workflows.handover import HandoverWorkflow
from workflows.reconcile import ReconcileWorkflow
from workflows.reconcile_activities import Reconciler
from workflows.unit_incident import UnitIncidentWorkflow
from workflows.unit_incident_activities import UnitIncidentProjector
from workflows.webhook_activities import WebhookActivities, WebhookConfig
from workflows.webhooks import WebhookWorkflow

# Pure modules shared with the API; passing them through avoids reloading them per run.
PASSTHROUGH = ("msgspec", "personnummer", "contracts")
# Recovery (measured by the fault suite, tests/faults/): a workflow cached on a worker that
# died waits this long on that worker's sticky queue before any worker may take it (SDK: 10 s).
STICKY_TIMEOUT = timedelta(seconds=1)
# Heartbeats reach Temporal at least this often, within an activity's heartbeat timeout.
HEARTBEAT_THROTTLE = timedelta(seconds=1)
# On SIGTERM, in-flight activities get this long to finish before they are cancelled.
GRACEFUL_SHUTDOWN = timedelta(seconds=15)


def create_worker(
    client: Client,
    pool: asyncpg.Pool,
    *,
    task_queue: str,
    audit_key: bytes | None = None,
    webhooks: WebhookConfig | None = None,
) -> Worker:
    """A worker for one task queue; the client must use the msgspec data converter.

    `audit_key` keys the pseudonym of each person's identity number in the read model.
    `webhooks` holds the key that opens subscription secrets (`Settings.webhook_config`);
    without it, subscriptions' deliveries fail as refused and the subscriptions pause.
    """
    projector = Projector(pool, audit_key=audit_key)
    hooks = WebhookActivities(pool, webhooks or WebhookConfig())
    incidents = UnitIncidentProjector(pool)
    reconciler = Reconciler(client, pool, projector)
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[HandoverWorkflow, WebhookWorkflow, UnitIncidentWorkflow, ReconcileWorkflow],
        activities=[
            projector.project,
            projector.erase,
            hooks.fetch,
            hooks.deliver,
            hooks.status,
            incidents.project,
            incidents.erase,
            reconciler.reconcile,
        ],
        workflow_runner=SandboxedWorkflowRunner(
            restrictions=SandboxRestrictions.default.with_passthrough_modules(*PASSTHROUGH)
        ),
        sticky_queue_schedule_to_start_timeout=STICKY_TIMEOUT,
        max_heartbeat_throttle_interval=HEARTBEAT_THROTTLE,
        graceful_shutdown_timeout=GRACEFUL_SHUTDOWN,
    )
