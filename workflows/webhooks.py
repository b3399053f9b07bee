"""The delivery workflow of one webhook subscription (`webhook-<subscription id>`).

It reads the subscriber's next events from the event feed (in the feed's order, which never
skips an event that commits late), delivers them one at a time, in order, and moves its
cursor only past a delivered one. A delivery is retried with exponential backoff by the
activity's retry policy; after `max_failures` consecutive failed attempts the subscription
pauses (status `paused`, reason `failing: ...`) and keeps its cursor, so `resume` continues
with the first undelivered event. Updates pause, resume, stop and redeliver. The workflow is
the only writer of the subscription's status, and continues as new every `steps_per_run`
steps (or when Temporal suggests it) to keep its history short.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from contracts.webhooks import (
        ACTIVITY_WEBHOOK_DELIVER,
        ACTIVITY_WEBHOOK_FETCH,
        ACTIVITY_WEBHOOK_STATUS,
        UPDATE_WEBHOOK_PAUSE,
        UPDATE_WEBHOOK_REDELIVER,
        UPDATE_WEBHOOK_RESUME,
        UPDATE_WEBHOOK_STOP,
        WEBHOOK_REFUSED,
        WEBHOOK_WORKFLOW,
        DeliverRequest,
        DeliverResult,
        EventRef,
        FetchRequest,
        Position,
        Redeliver,
        StatusChange,
        SubscriptionStatus,
        WebhookStart,
    )

# Reading the feed and writing a status: PostgreSQL away is retried until it is back.
DATABASE = RetryPolicy(
    initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=30)
)


class Stopped(Exception):
    """The in-flight delivery was abandoned for a pause or a stop."""


@workflow.defn(name=WEBHOOK_WORKFLOW)
class WebhookWorkflow:
    @workflow.init
    def __init__(self, start: WebhookStart) -> None:
        # Set from the start argument before any handler runs: a pause, stop or redeliver
        # may arrive in the very first workflow task, before `run` has begun.
        self._start: WebhookStart | None = start
        self._cursor: Position | None = start.cursor
        self._paused = start.paused
        self._stopped = False
        self._version = start.status_version
        self._redeliveries: list[EventRef] = list(start.redeliveries)
        self._pending: list[EventRef] = []

    @workflow.run
    async def run(self, start: WebhookStart) -> None:
        policy = start.policy
        steps = 0
        while not self._stopped:
            if steps >= policy.steps_per_run or workflow.info().is_continue_as_new_suggested():
                await workflow.wait_condition(workflow.all_handlers_finished)
                if self._stopped:
                    break
                workflow.continue_as_new(
                    WebhookStart(
                        subscription_id=start.subscription_id,
                        policy=policy,
                        cursor=self._cursor,
                        paused=self._paused,
                        status_version=self._version,
                        redeliveries=self._redeliveries,
                    )
                )
            steps += 1
            if self._paused:
                await workflow.wait_condition(lambda: not self._paused or self._stopped)
                self._pending = []  # read again from the cursor
                continue
            if self._redeliveries:
                event = self._redeliveries[0]
                with contextlib.suppress(Stopped):
                    await self._deliver(event, redelivery=True)
                    self._redeliveries.pop(0)
                continue
            if not self._pending:
                self._pending = await workflow.execute_activity(
                    ACTIVITY_WEBHOOK_FETCH,
                    FetchRequest(
                        subscription_id=start.subscription_id,
                        after=self._cursor,
                        limit=policy.batch,
                    ),
                    result_type=list[EventRef],
                    start_to_close_timeout=timedelta(seconds=30),
                    retry_policy=DATABASE,
                )
                if not self._pending:
                    with contextlib.suppress(asyncio.TimeoutError):
                        await workflow.wait_condition(
                            lambda: self._stopped or self._paused or bool(self._redeliveries),
                            timeout=timedelta(seconds=policy.poll_seconds),
                        )
                continue
            event = self._pending[0]
            try:
                await self._deliver(event, redelivery=False)
            except Stopped:
                continue
            self._pending.pop(0)
            self._cursor = event.position
        await workflow.wait_condition(workflow.all_handlers_finished)

    async def _deliver(self, event: EventRef, *, redelivery: bool) -> None:
        """Deliver one event; after the last failed attempt, pause (a redelivery gives up)."""
        assert self._start is not None
        policy = self._start.policy
        task = asyncio.ensure_future(
            workflow.execute_activity(
                ACTIVITY_WEBHOOK_DELIVER,
                DeliverRequest(
                    subscription_id=self._start.subscription_id,
                    event=event,
                    redelivery=redelivery,
                    policy=policy,
                ),
                result_type=DeliverResult,
                start_to_close_timeout=timedelta(seconds=policy.timeout_seconds + 30),
                retry_policy=RetryPolicy(
                    initial_interval=timedelta(seconds=policy.initial_backoff_seconds),
                    backoff_coefficient=2.0,
                    maximum_interval=timedelta(seconds=policy.max_backoff_seconds),
                    maximum_attempts=policy.max_failures,
                    non_retryable_error_types=[WEBHOOK_REFUSED],
                ),
            )
        )
        await workflow.wait_condition(lambda: task.done() or self._paused or self._stopped)
        if not task.done():
            task.cancel()
            with contextlib.suppress(BaseException):
                await task
            raise Stopped()
        try:
            task.result()
        except ActivityError as exc:
            if redelivery:
                workflow.logger.info("webhook redelivery given up")
                return
            cause = exc.cause
            why = cause.message if isinstance(cause, ApplicationError) else "failed"
            refused = isinstance(cause, ApplicationError) and cause.type == WEBHOOK_REFUSED
            attempts = "refused" if refused else f"{policy.max_failures} attempts failed"
            self._paused = True
            await self._status(
                SubscriptionStatus.PAUSED,
                f"failing: {attempts} for event {event.handover_id}:{event.seq}; last: {why}",
            )
            raise Stopped() from None

    async def _status(self, status: SubscriptionStatus, reason: str | None) -> None:
        assert self._start is not None
        self._version += 1
        await workflow.execute_activity(
            ACTIVITY_WEBHOOK_STATUS,
            StatusChange(
                subscription_id=self._start.subscription_id,
                status=status,
                reason=reason,
                version=self._version,
            ),
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=DATABASE,
        )

    @workflow.update(name=UPDATE_WEBHOOK_PAUSE)
    async def pause(self) -> None:
        if not self._paused:
            self._paused = True
            await self._status(SubscriptionStatus.PAUSED, "paused by the subscriber")

    @workflow.update(name=UPDATE_WEBHOOK_RESUME)
    async def resume(self) -> None:
        if self._paused:
            self._paused = False
            await self._status(SubscriptionStatus.ACTIVE, None)

    @workflow.update(name=UPDATE_WEBHOOK_STOP)
    async def stop(self) -> None:
        if not self._stopped:
            self._stopped = True
            await self._status(SubscriptionStatus.STOPPED, "stopped by the subscriber")

    @workflow.update(name=UPDATE_WEBHOOK_REDELIVER)
    async def redeliver(self, request: Redeliver) -> None:
        self._redeliveries.append(request.event)

    @pause.validator
    def _may_pause(self) -> None:
        self._running()

    @resume.validator
    def _may_resume(self) -> None:
        self._running()

    @redeliver.validator
    def _may_redeliver(self, request: Redeliver) -> None:
        self._running()

    def _running(self) -> None:
        if self._stopped:
            raise ApplicationError("The subscription is stopped.", type="stopped")
