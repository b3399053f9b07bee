"""The request workflow: the only writer of a request's state, its event log and its projection."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    import msgspec

    from contracts.api import CustodySegment, HandoverRecord, Responsibility
    from contracts.common import FINAL_STATES, Kind, Org, State
    from contracts.eventlog import GENESIS_HASH, sealed
    from contracts.workflow import (
        ACTIVITY_PROJECT,
        QUERY_RECORD,
        UPDATE_CREATE,
        WORKFLOW_NAME,
        CommandMeta,
        CreateHandover,
        Event,
        EventType,
        HandoverStart,
        Outcome,
        Projection,
    )

# A start whose create update never arrived (the API validates before it calls) ends itself.
CREATE_GRACE = timedelta(hours=1)
# The projection retries until PostgreSQL is back: an accepted change is never dropped.
PROJECTION_RETRY = RetryPolicy(
    initial_interval=timedelta(milliseconds=200),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=30),
)


@workflow.defn(name=WORKFLOW_NAME)
class HandoverWorkflow:
    """One request from creation to a final state."""

    @workflow.init
    def __init__(self, start: HandoverStart) -> None:
        self._id = start.handover_id
        self._record: HandoverRecord | None = None
        self._fingerprint: str | None = None
        self._events: list[Event] = []
        self._lock = asyncio.Lock()

    @workflow.run
    async def run(self, start: HandoverStart) -> Outcome:
        try:
            await workflow.wait_condition(lambda: self._record is not None, timeout=CREATE_GRACE)
        except TimeoutError:
            workflow.logger.warning("handover.abandoned", extra={"handover_id": self._id})
            return Outcome(handover_id=self._id, state="abandoned", version=0)
        await workflow.wait_condition(
            lambda: self._record is not None and self._record.state in FINAL_STATES
        )
        await workflow.wait_condition(workflow.all_handlers_finished)
        record = self._current()
        return Outcome(handover_id=self._id, state=record.state, version=record.version)

    @workflow.query(name=QUERY_RECORD)
    def record(self) -> HandoverRecord | None:
        return self._record

    @workflow.update(name=UPDATE_CREATE)
    async def create(self, cmd: CreateHandover) -> HandoverRecord:
        async with self._lock:
            if self._record is not None:
                # A retry with the same body whose first attempt already applied.
                self._check_same_request(cmd)
                return self._record
            now = workflow.now()
            body = cmd.body
            actor = cmd.meta.actor
            self._fingerprint = cmd.fingerprint
            record = HandoverRecord(
                id=self._id,
                reference=cmd.reference,
                kind=Kind.TRANSFER,
                state=State.REQUESTED,
                version=0,
                person=body.person,
                from_unit=body.from_unit,
                to_unit=body.to_unit,
                decision=body.decision,
                restrictions=body.restrictions,
                relatives_notified=body.relatives_notified,
                notes=body.notes,
                responsible=Responsibility(unit=body.from_unit, org=Org.POLISEN, since=now),
                custody_chain=[CustodySegment(unit=body.from_unit, org=Org.POLISEN, since=now)],
                created_by=actor.ref(),
                created_at=now,
                updated_at=now,
            )
            data: dict[str, Any] = {
                "kind": record.kind,
                "from_unit": record.from_unit,
                "to_unit": record.to_unit,
                "decision": msgspec.to_builtins(body.decision),
            }
            await self._apply(record, EventType.REQUESTED, cmd.meta, now, data)
            workflow.logger.info(
                "handover.requested",
                extra={
                    "handover_id": self._id,
                    "reference": cmd.reference,
                    "request_id": cmd.meta.request_id,
                    "unit": actor.unit,
                },
            )
            return self._current()

    @create.validator
    def validate_create(self, cmd: CreateHandover) -> None:
        if self._record is not None:
            self._check_same_request(cmd)

    def _check_same_request(self, cmd: CreateHandover) -> None:
        if cmd.fingerprint != self._fingerprint:
            raise ApplicationError(
                "This Idempotency-Key was used for a different request body.",
                type="idempotency_key_reused",
                non_retryable=True,
            )

    def _current(self) -> HandoverRecord:
        assert self._record is not None
        return self._record

    async def _apply(
        self,
        record: HandoverRecord,
        event_type: EventType,
        meta: CommandMeta,
        occurred_at: datetime,
        data: dict[str, Any],
    ) -> None:
        """Append one event, move the record to the event's version and project both."""
        now = workflow.now()
        prev_hash = self._events[-1].hash if self._events else GENESIS_HASH
        event = sealed(
            Event(
                handover_id=self._id,
                seq=len(self._events) + 1,
                type=event_type,
                actor=meta.actor.ref(),
                occurred_at=occurred_at,
                recorded_at=now,
                data=data,
                request_id=meta.request_id,
                prev_hash=prev_hash,
            )
        )
        self._events.append(event)
        self._record = msgspec.structs.replace(record, version=event.seq, updated_at=now)
        await workflow.execute_activity(
            ACTIVITY_PROJECT,
            Projection(record=self._record, events=[event], request_id=meta.request_id),
            start_to_close_timeout=timedelta(seconds=15),
            retry_policy=PROJECTION_RETRY,
        )
