"""The API's only way into Temporal: sends commands to request workflows, turns the
workflow's refusals into problems and Temporal being away into TemporalUnavailable."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, TypeVar

from temporalio.client import (
    Client,
    WithStartWorkflowOperation,
    WorkflowUpdateFailedError,
    WorkflowUpdateRPCTimeoutOrCancelledError,
)
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from contracts.api import HandoverRecord
from contracts.lifecycle import Action
from contracts.refusals import Refusal
from contracts.unit_incidents import (
    UNIT_INCIDENT_WORKFLOW,
    UPDATE_UNIT_INCIDENT_RECORD,
    UnitIncident,
    UnitIncidentCommand,
    UnitIncidentStart,
    unit_incident_workflow_id,
)
from contracts.webhooks import WEBHOOK_WORKFLOW, WebhookStart, webhook_workflow_id
from contracts.workflow import (
    UPDATE_CREATE,
    WORKFLOW_NAME,
    Command,
    CreateHandover,
    HandoverStart,
    workflow_id,
)
from services.handover.api.links import see
from services.handover.errors import (
    BlockedAction,
    ChangeNotStored,
    Conflict,
    FieldError,
    Forbidden,
    IdempotencyKeyReused,
    IllegalTransition,
    InternalError,
    InvalidInput,
    NotFound,
    PreconditionFailed,
    ProblemError,
    TemporalUnavailable,
    Unprocessable,
)

T = TypeVar("T")

# Temporal is not there, or too busy, for now: a retry later can succeed. Any other status
# is a bug or a misconfiguration and surfaces as a 500.
TRANSIENT = frozenset(
    {RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.RESOURCE_EXHAUSTED}
)
# A workflow task a worker took and never finished (the worker was killed) is given to
# another after this long; Temporal's default is 10 s. A request's task is small (one
# update, a short history): 3 s leaves room for a loaded machine (a task that overruns is
# only retried). Fixed when the workflow starts. Measured by tests/faults/ (4 s: ~4.3 s).
WORKFLOW_TASK_TIMEOUT = timedelta(seconds=3)
NOT_CONFIRMED = (
    "The change was not confirmed in time. Retry with the same Idempotency-Key: "
    "it is applied once and the retry returns its result."
)


def blocked_actions(found: object) -> list[BlockedAction]:
    """The workflow's `blocked_actions` detail, each with where the contract explains it."""
    result: list[BlockedAction] = []
    for item in found if isinstance(found, list) else []:
        try:
            action, reason = Action(item["action"]), Refusal(item["reason"])
        except (KeyError, TypeError, ValueError):
            continue
        detail = str(item.get("detail", ""))
        result.append(
            BlockedAction(action=action, reason=reason, detail=detail, see=see(action, reason))
        )
    return result


def _settle(start: WithStartWorkflowOperation[Any, Any]) -> None:
    """Read the start's outcome, which nobody here needs, so that it is not left unread.

    The SDK hands the start's result, or its error when the update-with-start failed (the
    RPC error, or the CancelledError of our timeout), to a future of the operation that
    only `workflow_handle()` reads. Unread, a failed one is logged as "Future exception was
    never retrieved" when it is collected; the call's own error is what we report.
    """
    future = getattr(start, "_workflow_handle", None)
    if isinstance(future, asyncio.Future) and future.done() and not future.cancelled():
        future.exception()


class WorkflowGone(Exception):
    """The workflow does not exist (any more): unknown id, or closed after its follow-up."""


class TemporalGateway:
    """The API's only way into Temporal; connects on first use, and again after a failure."""

    def __init__(
        self, connect: Callable[[], Awaitable[Client]], *, task_queue: str, timeout: float
    ) -> None:
        self._connect = connect
        self._client: Client | None = None
        self._connecting = asyncio.Lock()
        self._task_queue = task_queue
        self._timeout = timeout

    async def _connected(self) -> Client:
        if self._client is None:
            async with self._connecting:
                if self._client is None:
                    try:
                        self._client = await self._connect()
                    except RuntimeError as exc:
                        # The SDK's one report of a failed connect (the cause only as text).
                        # Nothing but connecting runs here, so no bug can hide behind it.
                        raise TemporalUnavailable(NOT_CONFIRMED) from exc
        return self._client

    async def ping(self) -> None:
        """Temporal answers its health check (the readiness probe)."""
        await (await self._connected()).service_client.check_health()

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
            task_timeout=WORKFLOW_TASK_TIMEOUT,
        )

        async def call(client: Client) -> HandoverRecord:
            record: HandoverRecord = await client.execute_update_with_start_workflow(
                UPDATE_CREATE, cmd, start_workflow_operation=start, **self._update(update_id)
            )
            return record

        try:
            return await self._guarded(call)
        except WorkflowAlreadyStartedError as exc:
            raise IllegalTransition("This request is already closed.") from exc
        finally:
            _settle(start)

    async def update(
        self, *, handover_id: str, name: str, update_id: str, cmd: Command[Any]
    ) -> HandoverRecord:
        """Apply one update to an existing request and return the record after it."""

        async def call(client: Client) -> HandoverRecord:
            handle = client.get_workflow_handle(workflow_id(handover_id))
            record: HandoverRecord = await handle.execute_update(
                name, cmd, **self._update(update_id)
            )
            return record

        try:
            return await self._guarded(call)
        except RPCError as exc:
            if exc.status != RPCStatusCode.NOT_FOUND:
                raise
            raise WorkflowGone(handover_id) from exc

    async def start_webhook(self, start: WebhookStart) -> None:
        """Start a subscription's delivery workflow (its id is never reused)."""

        async def call(client: Client) -> None:
            await client.start_workflow(
                WEBHOOK_WORKFLOW,
                start,
                id=webhook_workflow_id(start.subscription_id),
                task_queue=self._task_queue,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            )

        await self._guarded(call)

    async def webhook_update(self, subscription_id: str, name: str, arg: object = None) -> None:
        """Send pause, resume, stop or redeliver to a subscription's workflow and await it.
        A stopped subscription is a 409; a workflow that is gone raises WorkflowGone."""

        async def call(client: Client) -> None:
            handle = client.get_workflow_handle(webhook_workflow_id(subscription_id))
            extra: dict[str, Any] = {} if arg is None else {"arg": arg}
            try:
                await handle.execute_update(
                    name, rpc_timeout=timedelta(seconds=self._timeout), **extra
                )
            except WorkflowUpdateFailedError as exc:
                raise Conflict("The subscription is stopped.") from exc

        try:
            await self._guarded(call)
        except RPCError as exc:
            if exc.status != RPCStatusCode.NOT_FOUND:
                raise
            raise WorkflowGone(subscription_id) from exc

    async def record_unit_incident(
        self, *, start: UnitIncidentStart, update_id: str, cmd: UnitIncidentCommand
    ) -> UnitIncident:
        """Start a unit incident's workflow if needed and record it, awaiting its projection."""
        operation: WithStartWorkflowOperation[Any, Any] = WithStartWorkflowOperation(
            UNIT_INCIDENT_WORKFLOW,
            start,
            id=unit_incident_workflow_id(start.incident_id),
            task_queue=self._task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            task_timeout=WORKFLOW_TASK_TIMEOUT,
        )

        async def call(client: Client) -> UnitIncident:
            found: UnitIncident = await client.execute_update_with_start_workflow(
                UPDATE_UNIT_INCIDENT_RECORD,
                cmd,
                start_workflow_operation=operation,
                id=update_id,
                result_type=UnitIncident,
                rpc_timeout=timedelta(seconds=self._timeout),
            )
            return found

        try:
            return await self._guarded(call)
        except WorkflowAlreadyStartedError as exc:
            raise IllegalTransition("This incident is already closed.") from exc
        finally:
            _settle(operation)

    async def unit_incident_update(
        self, *, incident_id: str, name: str, update_id: str, cmd: UnitIncidentCommand
    ) -> UnitIncident:
        """Investigate, close or report a unit incident; its workflow gone raises WorkflowGone."""

        async def call(client: Client) -> UnitIncident:
            handle = client.get_workflow_handle(unit_incident_workflow_id(incident_id))
            found: UnitIncident = await handle.execute_update(
                name,
                cmd,
                id=update_id,
                result_type=UnitIncident,
                rpc_timeout=timedelta(seconds=self._timeout),
            )
            return found

        try:
            return await self._guarded(call)
        except RPCError as exc:
            if exc.status != RPCStatusCode.NOT_FOUND:
                raise
            raise WorkflowGone(incident_id) from exc

    def _update(self, update_id: str) -> dict[str, Any]:
        """An update's options: its id (deduplicated by Temporal), result type, RPC timeout."""
        return {
            "id": update_id,
            "result_type": HandoverRecord,
            "rpc_timeout": timedelta(seconds=self._timeout),
        }

    async def _guarded(self, call: Callable[[Client], Awaitable[T]]) -> T:
        """Run one call; a refusal becomes its problem, Temporal away or slow is unavailable."""
        try:
            async with asyncio.timeout(self._timeout):
                return await call(await self._connected())
        except WorkflowUpdateFailedError as exc:
            raise self._problem(exc) from exc
        except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError) as exc:
            raise TemporalUnavailable(NOT_CONFIRMED) from exc
        except RPCError as exc:
            if exc.status not in TRANSIENT:
                raise
            raise TemporalUnavailable(NOT_CONFIRMED) from exc

    @staticmethod
    def _problem(exc: WorkflowUpdateFailedError) -> ProblemError:
        """The workflow's refusal as a problem whose status the refusal table gives."""
        cause = exc.cause
        if not isinstance(cause, ApplicationError):
            return Unprocessable("The change could not be applied.")
        details: dict[str, Any] = (
            cause.details[0] if cause.details and isinstance(cause.details[0], dict) else {}
        )
        try:
            refusal = Refusal(cause.type or "")
        except ValueError:
            return Unprocessable(cause.message)
        match refusal:
            case Refusal.NOT_FOUND:
                return NotFound(cause.message)
            case Refusal.FORBIDDEN:
                return Forbidden(
                    cause.message, extra={"current_state": details.get("current_state")}
                )
            case Refusal.PRECONDITION_FAILED:
                return PreconditionFailed(
                    cause.message, extra={"current_version": details.get("current_version")}
                )
            case Refusal.IDEMPOTENCY_KEY_REUSED:
                return IdempotencyKeyReused(cause.message)
            case Refusal.INVALID_INPUT:
                field = str(details.get("field", "$"))
                reason = str(details.get("reason", cause.message))
                return InvalidInput(cause.message, errors=[FieldError(field, reason)])
            case Refusal.CHANGE_NOT_STORED:
                return ChangeNotStored(cause.message, extra={"reason": refusal})
            case Refusal.INTERNAL_ERROR:
                return InternalError(cause.message, extra={"reason": refusal})
        assert refusal.status == 409, refusal
        extra: dict[str, Any] = {
            "current_state": details.get("current_state"),
            "allowed_actions": details.get("allowed_actions", []),
            "reason": refusal,
        }
        if "blocked_actions" in details:
            extra["blocked_actions"] = blocked_actions(details["blocked_actions"])
        return IllegalTransition(cause.message, extra=extra)
