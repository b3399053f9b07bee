"""Activities: the side effects of the request workflow (writing the read model)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

import asyncpg
import msgspec
import structlog
from asyncpg.pool import PoolConnectionProxy
from temporalio import activity
from temporalio.exceptions import ApplicationError

from contracts.api import HandoverRecord
from contracts.deadline_policy import DeadlineName
from contracts.eventlog import HASH_V1
from contracts.person import person_key
from contracts.personal import facts
from contracts.sealing import (
    event_context,
    identity_context,
    new_request_key,
    record_context,
    seal,
)
from contracts.workflow import (
    ACTIVITY_ERASE,
    ACTIVITY_PROJECT,
    PROJECTION_REFUSED,
    Erasure,
    Event,
    EventType,
    Projection,
)

log = structlog.get_logger(__name__)

_SQL = Path(__file__).with_name("sql")
INSERT_EVENT = (_SQL / "insert_event.sql").read_text()
UPSERT_HANDOVER = (_SQL / "upsert_handover.sql").read_text()
DELETE_SEGMENTS = (_SQL / "delete_segments.sql").read_text()
REPLACE_SEGMENTS = (_SQL / "replace_segments.sql").read_text()
UPSERT_INCIDENT = (_SQL / "upsert_incident.sql").read_text()
DELETE_DEADLINES = (_SQL / "delete_deadlines.sql").read_text()
INSERT_DEADLINES = (_SQL / "insert_deadlines.sql").read_text()
UPSERT_ESCALATION = (_SQL / "upsert_escalation.sql").read_text()
REQUEST_KEY = (_SQL / "request_key.sql").read_text()
FORGET = (_SQL / "forget.sql").read_text()
FORGET_ROW = (_SQL / "forget_row.sql").read_text()
FORGET_NOTES = (_SQL / "forget_notes.sql").read_text()
MEET_ERASURE = (_SQL / "meet_erasure.sql").read_text()
# Events the service writes about a request that hold no personal data: stored in clear.
CLEAR_EVENTS = frozenset({EventType.PERSONAL_DATA_ERASED})


def next_due(record: HandoverRecord) -> datetime | None:
    """The next moment a deadline falls due; erasure is bookkeeping, not urgency."""
    due = [d.due_at for d in record.deadlines if d.open and d.name != DeadlineName.ERASURE]
    return min(due) if due else None


def breached(record: HandoverRecord) -> bool:
    return any(d.breached_at is not None for d in record.deadlines)


_json = msgspec.json.Encoder()


def _facts_json(value: msgspec.Struct) -> str:
    return _json.encode(facts(msgspec.to_builtins(value))).decode()


def event_row(event: Event, key: bytes | None) -> tuple[object, ...]:
    """An event as `handover_events` stores it: v2 data and salt sealed with the request's key
    (or in clear for the service's own events without personal data); v1 as it was."""
    data: str | None = None
    salt: str | None = None
    sealed: bytes | None = None
    if event.hash_alg == HASH_V1:
        data = _json.encode(event.data).decode()
    elif event.type in CLEAR_EVENTS:
        data, salt = _json.encode(event.data).decode(), event.salt
    elif key is not None:
        plain = _json.encode({"data": event.data, "salt": event.salt})
        sealed = seal(key, plain, event_context(event.handover_id, event.seq))
    # else: the request's key is erased; nothing personal may be stored any more
    return (
        event.handover_id,
        event.seq,
        event.type,
        _json.encode(event.actor).decode(),
        event.occurred_at,
        event.recorded_at,
        data,
        event.request_id,
        event.prev_hash,
        event.hash,
        event.hash_alg,
        salt,
        event.data_digest or None,
        sealed,
    )


# Failures that say PostgreSQL (or the driver) refuses the data itself: SQLSTATE class 22
# (data exception) and 23 (integrity constraint), and values that cannot be encoded. Retrying
# cannot help them; anything else (connection lost, timeouts, shutdown) is retried until
# PostgreSQL is back.
REFUSED = (
    asyncpg.exceptions.DataError,
    asyncpg.exceptions.IntegrityConstraintViolationError,
    UnicodeError,
    OverflowError,
    msgspec.EncodeError,
)


def refused(exc: BaseException) -> ApplicationError:
    """A non-retryable failure that names the error class and SQLSTATE, never the data."""
    sqlstate = getattr(exc, "sqlstate", None)
    return ApplicationError(
        f"PostgreSQL refused the projection ({type(exc).__name__}, SQLSTATE {sqlstate})",
        type=PROJECTION_REFUSED,
        non_retryable=True,
    )


# How often a running activity tells Temporal it is alive (within its heartbeat timeout).
HEARTBEAT_EVERY = 1.0


@contextlib.asynccontextmanager
async def heartbeating() -> AsyncIterator[None]:
    """Heartbeat while the block runs: when the worker dies mid-activity, Temporal gives the
    activity to another worker after the heartbeat timeout, not after start_to_close."""

    async def beat() -> None:
        while True:
            activity.heartbeat()
            await asyncio.sleep(HEARTBEAT_EVERY)

    task = asyncio.create_task(beat())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


class Projector:
    """Writes a workflow's new events and row to PostgreSQL in one transaction."""

    def __init__(self, pool: asyncpg.Pool, *, audit_key: bytes | None = None) -> None:
        self._pool = pool
        self._audit_key = audit_key

    @activity.defn(name=ACTIVITY_PROJECT)
    async def project(self, projection: Projection) -> None:
        try:
            async with heartbeating():
                await self._write(projection)
        except REFUSED as exc:
            log.error(
                "projection.refused",
                handover_id=projection.record.id,
                version=projection.record.version,
                request_id=projection.request_id,
                error=type(exc).__name__,
                sqlstate=getattr(exc, "sqlstate", None),
            )
            raise refused(exc) from None
        log.info(
            "handover.projected",
            handover_id=projection.record.id,
            version=projection.record.version,
            request_id=projection.request_id,
        )

    @activity.defn(name=ACTIVITY_ERASE)
    async def erase(self, erasure: Erasure) -> None:
        """The retention run's erasure: the key goes, the erasure is logged, facts stay."""
        event = erasure.event
        try:
            async with heartbeating(), self._pool.acquire() as conn, conn.transaction():
                await conn.execute(INSERT_EVENT, *event_row(event, None))
                await conn.execute(FORGET, event.handover_id, event.occurred_at)
                await conn.execute(FORGET_ROW, event.handover_id, event.occurred_at, event.seq)
                await conn.execute(FORGET_NOTES, event.handover_id)
                if erasure.erasure_deadline is not None:
                    await conn.execute(
                        MEET_ERASURE,
                        event.handover_id,
                        erasure.erasure_deadline,
                        event.occurred_at,
                    )
        except REFUSED as exc:
            raise refused(exc) from None
        log.info("handover.erased", handover_id=event.handover_id, version=event.seq)

    async def _write(self, projection: Projection) -> None:
        async with self._pool.acquire() as conn, conn.transaction():
            await self.write(conn, projection)

    async def write(
        self, conn: PoolConnectionProxy[asyncpg.Record], projection: Projection
    ) -> bool:
        """The projection within the caller's transaction; whether the row moved forward."""
        record = projection.record
        erased = record.erased_at is not None
        key: bytes | None = await conn.fetchval(REQUEST_KEY, record.id, new_request_key())
        sealed = identity = None
        if key is not None and not erased:
            sealed = seal(key, _json.encode(record), record_context(record.id))
            identity = seal(key, _json.encode(record.person.identity), identity_context(record.id))
        moved = await conn.fetchval(
            UPSERT_HANDOVER,
            record.id,
            record.reference,
            record.kind,
            record.state,
            record.version,
            record.from_unit,
            record.to_unit,
            record.responsible.unit if record.responsible else None,
            record.parties(),
            record.created_at,
            record.updated_at,
            _facts_json(record),
            record.requester,
            record.executor,
            record.executing_org,
            next_due(record),
            breached(record),
            (
                person_key(record.person.identity, self._audit_key)
                if self._audit_key and not erased
                else None
            ),
            sealed,
            identity,
        )
        await conn.executemany(INSERT_EVENT, [event_row(e, key) for e in projection.events])
        if moved is not None:
            await self._children(conn, record)
        if erased:
            await conn.execute(FORGET, record.id, record.erased_at)
            await conn.execute(FORGET_NOTES, record.id)
        return moved is not None

    @staticmethod
    async def _children(conn: PoolConnectionProxy[asyncpg.Record], record: HandoverRecord) -> None:
        chain = record.custody_chain
        await conn.execute(DELETE_SEGMENTS, record.id)
        await conn.execute(
            REPLACE_SEGMENTS,
            record.id,
            list(range(1, len(chain) + 1)),
            [s.unit for s in chain],
            [s.org for s in chain],
            [s.since for s in chain],
            [s.until for s in chain],
        )
        await conn.execute(DELETE_DEADLINES, record.id)
        if record.deadlines:
            ds = record.deadlines
            await conn.execute(
                INSERT_DEADLINES,
                record.id,
                [d.id for d in ds],
                [d.name for d in ds],
                [d.legal for d in ds],
                [d.state for d in ds],
                [d.starts_at for d in ds],
                [d.due_at for d in ds],
                [d.warn_at for d in ds],
                [d.met_at for d in ds],
                [d.breached_at for d in ds],
                [d.policy_version for d in ds],
            )
        if record.escalations:
            units = record.parties()
            await conn.executemany(
                UPSERT_ESCALATION,
                [
                    (
                        e.id,
                        record.id,
                        record.reference,
                        record.kind,
                        e.level,
                        e.subject,
                        e.legal,
                        e.at,
                        e.detail,
                        units,
                        e.acknowledged_at,
                        _json.encode(e.acknowledged_by).decode() if e.acknowledged_by else None,
                        e.note,
                    )
                    for e in record.escalations
                ],
            )
        if record.incidents:
            await conn.executemany(
                UPSERT_INCIDENT,
                [
                    (
                        record.id,
                        i.number,
                        i.kind,
                        i.severity,
                        i.occurred_at,
                        i.recorded_at,
                        i.recorded_by.unit,
                        _facts_json(i),
                    )
                    for i in record.incidents
                ],
            )
