"""Activities: the side effects of the request workflow (writing the read model)."""

from __future__ import annotations

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
from contracts.person import person_key
from contracts.workflow import ACTIVITY_PROJECT, PROJECTION_REFUSED, Projection

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


def next_due(record: HandoverRecord) -> datetime | None:
    """The next moment a deadline falls due; erasure is bookkeeping, not urgency."""
    due = [d.due_at for d in record.deadlines if d.open and d.name != DeadlineName.ERASURE]
    return min(due) if due else None


def breached(record: HandoverRecord) -> bool:
    return any(d.breached_at is not None for d in record.deadlines)


_json = msgspec.json.Encoder()

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


class Projector:
    """Writes a workflow's new events and row to PostgreSQL in one transaction."""

    def __init__(self, pool: asyncpg.Pool, *, audit_key: bytes | None = None) -> None:
        self._pool = pool
        self._audit_key = audit_key

    @activity.defn(name=ACTIVITY_PROJECT)
    async def project(self, projection: Projection) -> None:
        try:
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

    async def _write(self, projection: Projection) -> None:
        record = projection.record
        async with self._pool.acquire() as conn, conn.transaction():
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
                _json.encode(record).decode(),
                record.requester,
                record.executor,
                record.executing_org,
                next_due(record),
                breached(record),
                person_key(record.person.identity, self._audit_key) if self._audit_key else None,
            )
            await conn.executemany(
                INSERT_EVENT,
                [
                    (
                        e.handover_id,
                        e.seq,
                        e.type,
                        _json.encode(e.actor).decode(),
                        e.occurred_at,
                        e.recorded_at,
                        _json.encode(e.data).decode(),
                        e.request_id,
                        e.prev_hash,
                        e.hash,
                    )
                    for e in projection.events
                ],
            )
            if moved is not None:
                await self._children(conn, record)

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
                        _json.encode(i).decode(),
                    )
                    for i in record.incidents
                ],
            )
