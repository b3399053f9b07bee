"""Activities: the side effects of the request workflow (writing the read model)."""

from __future__ import annotations

from pathlib import Path

import asyncpg
import msgspec
import structlog
from temporalio import activity

from contracts.api import HandoverRecord
from contracts.workflow import ACTIVITY_PROJECT, Projection

log = structlog.get_logger(__name__)

_SQL = Path(__file__).with_name("sql")
INSERT_EVENT = (_SQL / "insert_event.sql").read_text()
UPSERT_HANDOVER = (_SQL / "upsert_handover.sql").read_text()
_json = msgspec.json.Encoder()


def parties(record: HandoverRecord) -> list[str]:
    """Every unit that may see the request: both ends and each unit that held the person."""
    units = [record.from_unit, record.to_unit, *(s.unit for s in record.custody_chain)]
    return sorted(set(units))


class Projector:
    """Writes a workflow's new events and row to PostgreSQL in one transaction."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    @activity.defn(name=ACTIVITY_PROJECT)
    async def project(self, projection: Projection) -> None:
        record = projection.record
        async with self._pool.acquire() as conn, conn.transaction():
            await conn.execute(
                UPSERT_HANDOVER,
                record.id,
                record.reference,
                record.kind,
                record.state,
                record.version,
                record.from_unit,
                record.to_unit,
                record.responsible.unit,
                parties(record),
                record.created_at,
                record.updated_at,
                _json.encode(record).decode(),
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
        log.info(
            "handover.projected",
            handover_id=record.id,
            version=record.version,
            request_id=projection.request_id,
        )
