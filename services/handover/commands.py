"""Sends commands to request workflows and turns Temporal's failures into problems."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from temporalio.client import (
    Client,
    WithStartWorkflowOperation,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError

from contracts.api import HandoverRecord
from contracts.workflow import (
    UPDATE_CREATE,
    WORKFLOW_NAME,
    CreateHandover,
    HandoverStart,
    workflow_id,
)
from services.handover.errors import (
    Conflict,
    IdempotencyKeyReused,
    ProblemError,
    Unprocessable,
    unavailable,
)

_PROBLEMS: dict[str, type[ProblemError]] = {
    "idempotency_key_reused": IdempotencyKeyReused,
    "conflict": Conflict,
}


class WorkflowCommands:
    """The API's only way into Temporal."""

    def __init__(
        self, client: Client, *, task_queue: str, timeout: float, retry_after: int
    ) -> None:
        self._client = client
        self._task_queue = task_queue
        self._timeout = timeout
        self._retry_after = retry_after

    async def create(
        self, *, handover_id: str, update_id: str, cmd: CreateHandover
    ) -> HandoverRecord:
        """Start the request's workflow if needed and apply `create`, awaiting its projection."""
        start: WithStartWorkflowOperation[Any, Any] = WithStartWorkflowOperation(
            WORKFLOW_NAME,
            HandoverStart(handover_id=handover_id),
            id=workflow_id(handover_id),
            task_queue=self._task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            # A closed request's id is never reused: a late retry must not start a new run.
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
        )
        try:
            async with asyncio.timeout(self._timeout):
                record: HandoverRecord = await self._client.execute_update_with_start_workflow(
                    UPDATE_CREATE,
                    cmd,
                    start_workflow_operation=start,
                    id=update_id,
                    result_type=HandoverRecord,
                    rpc_timeout=timedelta(seconds=self._timeout),
                )
                return record
        except WorkflowUpdateFailedError as exc:
            raise self._problem(exc) from exc
        except WorkflowAlreadyStartedError as exc:
            raise Conflict("This request is already closed.") from exc
        except RuntimeError as exc:
            # The SDK reports a failed (lazy) connection as a bare RuntimeError.
            if not str(exc).startswith("Failed client connect"):
                raise
            raise self._unavailable() from exc
        except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError, RPCError) as exc:
            raise self._unavailable() from exc

    def _unavailable(self) -> ProblemError:
        return unavailable(
            self._retry_after,
            "The change was not confirmed in time. Retry with the same Idempotency-Key: "
            "it is applied once and the retry returns its result.",
        )

    @staticmethod
    def _problem(exc: WorkflowUpdateFailedError) -> ProblemError:
        cause = exc.cause
        if isinstance(cause, ApplicationError):
            problem = _PROBLEMS.get(cause.type or "", Unprocessable)
            return problem(cause.message)
        return Unprocessable("The change could not be applied.")
