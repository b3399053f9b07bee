"""The Temporal worker: request workflows plus the projection activity."""

from __future__ import annotations

import asyncpg
from temporalio.client import Client
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from workflows.activities import Projector
from workflows.handover import HandoverWorkflow

# Pure modules shared with the API; passing them through avoids reloading them per run.
PASSTHROUGH = ("msgspec", "personnummer", "contracts")


def create_worker(
    client: Client, pool: asyncpg.Pool, *, task_queue: str, audit_key: bytes | None = None
) -> Worker:
    """A worker for one task queue; the client must use the msgspec data converter.

    `audit_key` keys the pseudonym of each person's identity number in the read model.
    """
    projector = Projector(pool, audit_key=audit_key)
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[HandoverWorkflow],
        activities=[projector.project, projector.erase],
        workflow_runner=SandboxedWorkflowRunner(
            restrictions=SandboxRestrictions.default.with_passthrough_modules(*PASSTHROUGH)
        ),
    )
