"""The board's free places: what each remand prison and prison in the caller's scope published
last (`PUT /v1/units/{id}/capacity`), read with the query behind `GET /v1/capacity`.

Coordinators only, in the scope their other board sections have (escalations, investigations:
`UnitIncidents.scope`: national coordination units everything, regional ones their region),
applied to the publishing unit's region for coordinators of either agency. Capacity is not
personal data: nothing is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from contracts.capacity import FRESH_FOR, UnitCapacity
from contracts.common import Actor, Role
from services.handover.repository import Repository
from services.handover.unit_incidents import UnitIncidents

FRESH_HOURS = int(FRESH_FOR.total_seconds() // 3600)


@dataclass(frozen=True)
class Places:
    """One unit's last publication; stale when older than `FRESH_FOR` (as a deferral's check
    of room elsewhere counts it)."""

    unit: UnitCapacity
    stale: bool


async def free_places(
    actor: Actor, repository: Repository, unit_incidents: UnitIncidents, *, now: datetime
) -> list[Places] | None:
    """Units in the caller's scope, by region and name; None for callers who are no
    coordinator (the section is not shown)."""
    if not actor.has_any(Role.COORDINATOR):
        return None
    scope = await unit_incidents.scope(actor)
    return [
        Places(unit=row, stale=now - row.as_of > FRESH_FOR)
        for row in await repository.list_capacity()
        # Free places are reference data for both agencies: a police coordinator sees
        # Kriminalvården's units of the region of the same name (national: all of them), as
        # `GET /v1/capacity?region=` lets any coordinator read them.
        if scope.covers(unit=row.unit, org=str(actor.org), region=row.region)
    ]
