"""Reads of the PostgreSQL read model; rows come back as contract Structs."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import asyncpg
import msgspec

from contracts.api import (
    AccessView,
    EscalationView,
    EventView,
    FeedEvent,
    HandoverRecord,
    HandoverSummary,
    Unit,
)
from contracts.common import Actor, ActorRef
from contracts.person import Identity, masked_identity
from services.handover.errors import Forbidden, NotFound

_SQL_DIR = Path(__file__).with_name("sql")


@cache
def sql(name: str) -> str:
    return (_SQL_DIR / f"{name}.sql").read_text()


class ListedRow(msgspec.Struct, frozen=True, kw_only=True):
    """One list row plus its keyset position."""

    summary: HandoverSummary
    created_at: datetime
    id: str


class Repository:
    """Every query the API makes; keyword-only arguments, Structs out, NotFound for no row."""

    def __init__(self, pool: asyncpg.Pool, *, timeout: float) -> None:
        self._pool = pool
        self._timeout = timeout

    async def _fetch(self, query: str, *args: Any) -> list[asyncpg.Record]:
        async with self._pool.acquire(timeout=self._timeout) as conn:
            rows: list[asyncpg.Record] = await conn.fetch(sql(query), *args, timeout=self._timeout)
            return rows

    async def ping(self) -> None:
        async with self._pool.acquire(timeout=self._timeout) as conn:
            await conn.fetchval("SELECT 1", timeout=self._timeout)

    async def get_handover(self, *, handover_id: str) -> HandoverRecord:
        rows = await self._fetch("get_handover", handover_id)
        if not rows:
            raise NotFound(f"No handover request {handover_id}.")
        return msgspec.json.decode(rows[0]["doc"], type=HandoverRecord)

    async def list_handovers(
        self,
        *,
        visible_units: list[str] | None,
        executing_org: str | None,
        state: str | None,
        kind: str | None,
        unit: str | None,
        after: tuple[datetime, str] | None,
        limit: int,
        due_before: datetime | None = None,
        breached: bool | None = None,
        by_due: bool = False,
        scope_org: str | None = None,
        scope_region: str | None = None,
    ) -> list[ListedRow]:
        rows = await self._fetch(
            "list_handovers_by_due" if by_due else "list_handovers",
            visible_units,
            state,
            kind,
            unit,
            after[0] if after else None,
            after[1] if after else None,
            limit,
            executing_org,
            due_before,
            breached,
            scope_org,
            scope_region,
        )
        return [
            ListedRow(
                summary=HandoverSummary(
                    id=str(r["id"]),
                    reference=r["reference"],
                    kind=r["kind"],
                    state=r["state"],
                    version=r["version"],
                    person_identity=masked_identity(
                        msgspec.json.decode(r["identity"], type=Identity)
                    ),
                    requesting_unit=r["requesting_unit"],
                    executing_unit=r["executing_unit"],
                    responsible_unit=r["responsible_unit"],
                    created_at=r["created_at"],
                    updated_at=r["updated_at"],
                    next_due_at=r["next_due_at"],
                    breached=r["breached"],
                ),
                created_at=r["next_due_at"] if by_due else r["created_at"],
                id=str(r["id"]),
            )
            for r in rows
        ]

    async def handover_exists(self, *, handover_id: str) -> bool:
        rows = await self._fetch("exists_handover", handover_id)
        return bool(rows[0][0])

    async def list_events(self, *, handover_id: str) -> list[EventView]:
        rows = await self._fetch("list_events", handover_id)
        return [
            EventView(
                seq=r["seq"],
                type=r["type"],
                actor=msgspec.json.decode(r["actor"], type=ActorRef),
                occurred_at=r["occurred_at"],
                recorded_at=r["recorded_at"],
                data=msgspec.json.decode(r["data"]),
                request_id=r["request_id"],
                prev_hash=r["prev_hash"],
                hash=r["hash"],
            )
            for r in rows
        ]

    async def list_access(
        self,
        *,
        handover_id: str | None,
        sub: str | None,
        unit: str | None,
        outside_own_cases: bool | None,
        after: tuple[int, str] | None,
        limit: int,
    ) -> list[AccessView]:
        rows = await self._fetch(
            "list_access",
            handover_id,
            sub,
            unit,
            outside_own_cases,
            after[0] if after else None,
            after[1] if after else None,
            limit,
        )
        return [
            AccessView(
                id=r["id"],
                at=r["at"],
                sub=r["sub"],
                org=r["org"],
                unit=r["unit"],
                roles=list(r["roles"]),
                action=r["action"],
                purpose=r["purpose"],
                request_id=r["request_id"],
                handover_id=str(r["handover_id"]),
                reference=r["reference"],
                outside_own_cases=r["outside_own_cases"],
            )
            for r in rows
        ]

    async def event_feed(
        self,
        *,
        after: tuple[str, int] | None,
        visible_units: list[str] | None,
        executing_org: str | None,
        scope_org: str | None,
        scope_region: str | None,
        limit: int,
    ) -> list[tuple[tuple[str, int], FeedEvent]]:
        rows = await self._fetch(
            "event_feed",
            after[0] if after else None,
            after[1] if after else None,
            visible_units,
            executing_org,
            scope_org,
            scope_region,
            limit,
        )
        return [
            (
                (r["tx"], r["global_seq"]),
                FeedEvent(
                    handover_id=str(r["handover_id"]),
                    reference=r["reference"],
                    seq=r["seq"],
                    type=r["type"],
                    actor=msgspec.json.decode(r["actor"], type=ActorRef),
                    occurred_at=r["occurred_at"],
                    recorded_at=r["recorded_at"],
                    data=msgspec.json.decode(r["data"]),
                ),
            )
            for r in rows
        ]

    async def list_units(self, *, org: str | None, kind: str | None) -> list[Unit]:
        rows = await self._fetch("list_units", org, kind)
        return [msgspec.convert(dict(r), Unit) for r in rows]

    async def get_units(self, *, ids: list[str]) -> dict[str, Unit]:
        rows = await self._fetch("get_units", ids)
        return {r["id"]: msgspec.convert(dict(r), Unit) for r in rows}

    async def is_national(self, *, unit: str) -> bool:
        rows = await self._fetch("get_unit_scope", unit)
        return bool(rows and rows[0]["national"])

    async def escalation_scope(self, *, escalation_id: str) -> tuple[str, list[str]] | None:
        """The request an escalation belongs to and the organisations it involves."""
        rows = await self._fetch("get_escalation", escalation_id)
        return (str(rows[0]["handover_id"]), list(rows[0]["orgs"])) if rows else None

    async def list_escalations(
        self,
        *,
        org: str | None,
        region: str | None,
        unit: str | None,
        kind: str | None,
        level: str | None,
        acknowledged: bool | None,
        after: tuple[datetime, str] | None,
        limit: int,
    ) -> list[EscalationView]:
        rows = await self._fetch(
            "list_escalations",
            org,
            region,
            unit,
            kind,
            level,
            acknowledged,
            after[0] if after else None,
            after[1] if after else None,
            limit,
        )
        return [
            EscalationView(
                id=str(r["id"]),
                handover_id=str(r["handover_id"]),
                reference=r["reference"],
                kind=r["kind"],
                level=r["level"],
                subject=r["subject"],
                legal=r["legal"],
                at=r["at"],
                detail=r["detail"],
                units=list(r["units"]),
                acknowledged_at=r["acknowledged_at"],
                acknowledged_by=(
                    msgspec.json.decode(r["acknowledged_by"], type=ActorRef)
                    if r["acknowledged_by"]
                    else None
                ),
                note=r["note"],
            )
            for r in rows
        ]

    async def caller_unit(self, actor: Actor) -> Unit:
        """The caller's unit from the reference data; a token for an unknown unit is refused."""
        unit = (await self.get_units(ids=[actor.unit])).get(actor.unit)
        if unit is None or unit.org != actor.org:
            raise Forbidden("The token's unit is not a unit of its organisation.")
        return unit

    async def next_reference_number(self) -> int:
        rows = await self._fetch("next_reference")
        return int(rows[0][0])

    async def log_access(
        self,
        *,
        actor: Actor,
        action: str,
        handover_ids: list[str],
        purpose: str,
        request_id: str,
    ) -> None:
        """Audit a read or write of personal data; the read fails if this cannot be written."""
        async with self._pool.acquire(timeout=self._timeout) as conn:
            await conn.execute(
                sql("insert_access"),
                actor.sub,
                actor.org,
                actor.unit,
                action,
                handover_ids,
                purpose,
                request_id,
                [str(role) for role in actor.roles],
                timeout=self._timeout,
            )
