"""JO inspections and the per-unit export (issue 11 part 5, issue 10's export per unit).

Both cover a unit and a period of days in Europe/Stockholm, and the requests the unit is a
party to that were created in it or had a deadline breached in it, within the caller's scope
as the escalations list and the reports give it (national coordination units their agency,
regional ones their region).

- The inspection is facts only (sql/inspection.sql reads no sealed column), so coordinators
  and auditors both read it; it is not audited, like the reports.
- The export is every case in full, each exactly as `GET /v1/handovers/{id}/export` gives it
  and audited as `export` the same way. Coordinators only: an auditor's role is to read the
  access log, and `contracts/access.py` gives auditors no case contents (they are no party
  and `handover_visible` shows them nothing); the inspection is their view of a unit.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import msgspec

from contracts.common import Actor, Role
from contracts.inspections import Inspection, UnitExport
from services.handover.errors import FieldError, Forbidden, InvalidInput, NotFound
from services.handover.read_use_cases import HandoverQueries, decode_cursor, encode_cursor
from services.handover.reports import STOCKHOLM
from services.handover.repository import Repository

MAX_DAYS = 366


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=STOCKHOLM).astimezone(UTC)


def period(start: date, end: date) -> tuple[datetime, datetime]:
    """[start 00:00, the day after end 00:00) in Stockholm, in UTC."""
    if end < start:
        raise InvalidInput("`to` lies before `from`.", errors=[FieldError("to", "before from")])
    if (end - start).days >= MAX_DAYS:
        raise InvalidInput(
            f"A period is at most {MAX_DAYS} days.", errors=[FieldError("to", "too long")]
        )
    return _midnight(start), _midnight(end + timedelta(days=1))


class Inspections:
    def __init__(self, repository: Repository, queries: HandoverQueries) -> None:
        self._repo = repository
        self._queries = queries

    async def _scope(self, actor: Actor, unit: str) -> tuple[str, str | None, str | None]:
        own = await self._repo.caller_unit(actor)
        found = (await self._repo.get_units(ids=[unit])).get(unit)
        if found is None:
            raise NotFound(f"No unit {unit}.")
        national = await self._repo.is_national(unit=own.id)
        org = str(actor.org) if national else None
        region = None if national else f"{actor.org}:{own.region}"
        return found.name, org, region

    async def inspection(self, *, actor: Actor, unit: str, start: date, end: date) -> Inspection:
        if not actor.has_any(Role.COORDINATOR, Role.AUDITOR):
            raise Forbidden("Inspections are for coordinators and auditors.")
        name, org, region = await self._scope(actor, unit)
        first, after = period(start, end)
        row = await self._repo.aggregate(
            "inspection", unit=unit, period_start=first, period_end=after, org=org, region=region
        )
        return msgspec.convert(
            {
                "unit": unit,
                "unit_name": name,
                "start": start.isoformat(),
                "end": end.isoformat(),
                "scope": org or region,
                "generated_at": datetime.now(UTC).isoformat(),
                "requests": row["requests"],
                "breaches": row["breaches"],
                "incidents": row["incidents"],
                "access": row["access"],
            },
            Inspection,
        )

    async def export(
        self,
        *,
        actor: Actor,
        unit: str,
        start: date,
        end: date,
        cursor: str | None,
        limit: int,
        request_id: str,
    ) -> UnitExport:
        if actor.has_any(Role.AUDITOR) and not actor.has_any(Role.COORDINATOR):
            raise Forbidden(
                "Auditors do not see case contents; GET /v1/inspections gives the unit's "
                "facts and the access-log summary."
            )
        if not actor.has_any(Role.COORDINATOR):
            raise Forbidden("The per-unit export is for coordinators.")
        _, org, region = await self._scope(actor, unit)
        first, after = period(start, end)
        position = decode_cursor(cursor, "unit-export") if cursor else None
        rows = await self._repo.named(
            "list_unit_period",
            unit=unit,
            org=org,
            region=region,
            period_start=first,
            period_end=after,
            after_key=position[0] if position else None,
            after_id=position[1] if position else None,
            limit=limit + 1,
        )
        page, more = rows[:limit], len(rows) > limit
        items = [
            await self._queries.export(actor=actor, handover_id=row["id"], request_id=request_id)
            for row in page
        ]
        last = page[-1] if more else None
        return UnitExport(
            unit=unit,
            start=start,
            end=end,
            exported_at=datetime.now(UTC),
            items=items,
            next_cursor=encode_cursor("unit-export", last["created_at"], last["id"])
            if last
            else None,
        )
