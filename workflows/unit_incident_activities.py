"""Activities of the unit-incident workflow: its projection and its erasure."""

from __future__ import annotations

from pathlib import Path

import asyncpg
import msgspec
import structlog
from temporalio import activity

from contracts.sealing import new_request_key, seal
from contracts.unit_incidents import (
    ACTIVITY_ERASE_UNIT_INCIDENT,
    ACTIVITY_PROJECT_UNIT_INCIDENT,
    InvestigationState,
    UnitIncident,
    UnitIncidentErasure,
    UnitIncidentProjection,
)
from workflows.activities import REFUSED, heartbeating, refused

log = structlog.get_logger(__name__)

_SQL = Path(__file__).with_name("sql")
INCIDENT_KEY = (_SQL / "incident_key.sql").read_text()
UPSERT_UNIT_INCIDENT = (_SQL / "upsert_unit_incident.sql").read_text()
FORGET_UNIT_INCIDENT = (_SQL / "forget_unit_incident.sql").read_text()
FORGET_UNIT_INCIDENT_ROW = (_SQL / "forget_unit_incident_row.sql").read_text()


def incident_context(incident_id: str) -> str:
    """The sealing context of a unit incident's record (a copy elsewhere does not open)."""
    return f"unit-incident:{incident_id}"


def row(incident: UnitIncident, region: str, sealed: bytes | None) -> tuple[object, ...]:
    """The clear facts of the incident and its sealed whole, as `unit_incidents` stores them."""
    investigation = incident.investigation
    report = incident.report
    return (
        incident.id,
        incident.version,
        incident.unit,
        incident.org,
        region,
        str(incident.kind),
        str(incident.severity),
        str(incident.setting),
        incident.staff_injured,
        incident.occurred_at,
        incident.recorded_at,
        str(investigation.state),
        len(investigation.measures),
        sum(1 for m in investigation.measures if m.done),
        investigation.opened_at,
        investigation.decided_at if investigation.state == InvestigationState.CLOSED else None,
        report.due_at if report else None,
        report.met_at if report else None,
        incident.updated_at or incident.recorded_at,
        sealed,
    )


class UnitIncidentProjector:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    @activity.defn(name=ACTIVITY_PROJECT_UNIT_INCIDENT)
    async def project(self, projection: UnitIncidentProjection) -> None:
        incident = projection.incident
        try:
            async with heartbeating(), self._pool.acquire() as conn, conn.transaction():
                key = await conn.fetchval(INCIDENT_KEY, incident.id, new_request_key())
                sealed = (
                    seal(key, msgspec.json.encode(incident), incident_context(incident.id))
                    if key is not None
                    else None
                )
                await conn.execute(UPSERT_UNIT_INCIDENT, *row(incident, projection.region, sealed))
        except REFUSED as exc:
            log.error(
                "unit_incident.projection_refused",
                incident_id=incident.id,
                version=incident.version,
                error=type(exc).__name__,
                sqlstate=getattr(exc, "sqlstate", None),
            )
            raise refused(exc) from None
        log.info("unit_incident.projected", incident_id=incident.id, version=incident.version)

    @activity.defn(name=ACTIVITY_ERASE_UNIT_INCIDENT)
    async def erase(self, erasure: UnitIncidentErasure) -> None:
        async with heartbeating(), self._pool.acquire() as conn, conn.transaction():
            await conn.execute(FORGET_UNIT_INCIDENT, erasure.incident_id, erasure.erased_at)
            await conn.execute(FORGET_UNIT_INCIDENT_ROW, erasure.incident_id)
        log.info("unit_incident.erased", incident_id=erasure.incident_id)
