"""Activities: the side effects of the request workflow (writing the read model)."""

from __future__ import annotations

from pathlib import Path

import asyncpg
import msgspec
import structlog
from asyncpg.pool import PoolConnectionProxy
from temporalio import activity

from contracts.api import HandoverRecord
from contracts.workflow import ACTIVITY_PROJECT, Projection

log = structlog.get_logger(__name__)

_SQL = Path(__file__).with_name("sql")
INSERT_EVENT = (_SQL / "insert_event.sql").read_text()
UPSERT_HANDOVER = (_SQL / "upsert_handover.sql").read_text()
DELETE_SEGMENTS = (_SQL / "delete_segments.sql").read_text()
REPLACE_SEGMENTS = (_SQL / "replace_segments.sql").read_text()
UPSERT_INCIDENT = (_SQL / "upsert_incident.sql").read_text()
_json = msgspec.json.Encoder()


class Projector:
    """Writes a workflow's new events and row to PostgreSQL in one transaction."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    @activity.defn(name=ACTIVITY_PROJECT)
    async def project(self, projection: Projection) -> None:
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
        log.info(
            "handover.projected",
            handover_id=record.id,
            version=record.version,
            request_id=projection.request_id,
        )

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
