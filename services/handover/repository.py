"""Reads of the PostgreSQL read model, and the access log: named SQL in, contract Structs out.

The pool must be created with `init=decode_json` (services/handover/postgres.py), so JSON
columns arrive as Python values and every row becomes a Struct through `msgspec.convert`.
"""

from __future__ import annotations

from datetime import datetime
from typing import TypeVar

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
from contracts.capacity import UnitCapacity
from contracts.common import Actor
from contracts.eventlog import instant
from contracts.person import Identity, masked_identity
from contracts.sealing import event_context, identity_context, record_context, unseal
from services.handover.errors import Forbidden, Gone, NotFound
from services.handover.postgres import outage_is_unavailable, statement

S = TypeVar("S", bound=msgspec.Struct)


class ListedRow(msgspec.Struct, frozen=True, kw_only=True):
    """One list row plus its place in the list's order (its keyset position)."""

    summary: HandoverSummary
    sort_key: datetime
    id: str


def _after(after: tuple[object, str] | None) -> dict[str, object]:
    """A keyset position as the list queries take it: the last row's sort key and its id."""
    key, row_id = after or (None, None)
    return {"after_key": key, "after_id": row_id}


ERASED = "erased"


def _identity(values: dict[str, object]) -> str:
    """The identity as lists show it (masked), opened with the request's key."""
    key, sealed = values.pop("key"), values.pop("identity_sealed")
    if isinstance(key, bytes) and isinstance(sealed, bytes):
        opened = unseal(key, sealed, identity_context(str(values["id"])))
        return masked_identity(msgspec.json.decode(opened, type=Identity))
    if values["identity"] is not None:  # a row written before sealing
        return masked_identity(msgspec.convert(values["identity"], Identity))
    return ERASED


def open_record(row: asyncpg.Record) -> HandoverRecord:
    """The request's record, opened with its key; Gone once the key is erased."""
    key, sealed = row["key"], row["sealed"]
    if key is not None and sealed is not None:
        plain = unseal(key, sealed, record_context(row["id"]))
        return msgspec.json.decode(plain, type=HandoverRecord)
    if "person" in row["doc"]:  # a row written before sealing
        return msgspec.convert(row["doc"], HandoverRecord)
    raise Gone(f"The personal data of handover request {row['id']} was erased.")


def _opened_data(values: dict[str, object], context: str) -> None:
    """An event's data and salt from the sealed column, or null once the key is erased."""
    key, sealed = values.pop("key"), values.pop("sealed")
    if isinstance(key, bytes) and isinstance(sealed, bytes):
        opened = msgspec.json.decode(unseal(key, sealed, context))
        values["data"], values["salt"] = opened["data"], opened["salt"]


def event_view(row: asyncpg.Record) -> EventView:
    values = dict(row)
    _opened_data(values, event_context(values["handover_id"], values["seq"]))
    values["occurred_at"] = instant(values["occurred_at"])
    values["recorded_at"] = instant(values["recorded_at"])
    return msgspec.convert(values, EventView)


def _listed(row: asyncpg.Record) -> ListedRow:
    """A list row: the summary shows the identity masked to the date of birth."""
    values = dict(row)
    values["person_identity"] = _identity(values)
    summary = msgspec.convert(values, HandoverSummary)
    return ListedRow(summary=summary, sort_key=values["sort_key"], id=summary.id)


def _feed_event(row: asyncpg.Record) -> FeedEvent:
    values = dict(row)
    _opened_data(values, event_context(values["handover_id"], values["seq"]))
    return msgspec.convert(values, FeedEvent)


class Repository:
    """Every query the API makes; keyword-only arguments, Structs out, NotFound for no row.

    PostgreSQL being away (unreachable, refusing, too slow) raises DatabaseUnavailable.
    """

    def __init__(self, pool: asyncpg.Pool, *, timeout: float) -> None:
        self._pool = pool
        self._timeout = timeout

    async def _query(self, text: str, *args: object) -> list[asyncpg.Record]:
        with outage_is_unavailable(self._pool):
            async with self._pool.acquire(timeout=self._timeout) as connection:
                rows: list[asyncpg.Record] = await connection.fetch(
                    text, *args, timeout=self._timeout
                )
                return rows

    async def _fetch(self, name: str, /, **values: object) -> list[asyncpg.Record]:
        query = statement(name)
        return await self._query(query.text, *query.arguments(values))

    async def _structs(self, name: str, type_: type[S], /, **values: object) -> list[S]:
        return [msgspec.convert(dict(row), type_) for row in await self._fetch(name, **values)]

    async def revocations_in_force(self) -> list[asyncpg.Record]:
        return await self._fetch("revoked_in_force")

    async def revoke(
        self, *, jti: str | None, sub: str | None, until: datetime, reason: str, revoked_by: str
    ) -> int:
        rows = await self._fetch(
            "insert_revocation", jti=jti, sub=sub, until=until, reason=reason, revoked_by=revoked_by
        )
        return int(rows[0]["id"])

    async def ping(self) -> None:
        await self._query("SELECT 1")

    async def get_handover(self, *, handover_id: str) -> HandoverRecord:
        rows = await self._fetch("get_handover", handover_id=handover_id)
        if not rows:
            raise NotFound(f"No handover request {handover_id}.")
        return open_record(rows[0])

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
        legal_basis: str | None = None,
    ) -> list[ListedRow]:
        rows = await self._fetch(
            "list_handovers_by_due" if by_due else "list_handovers",
            visible_units=visible_units,
            executing_org=executing_org,
            scope_org=scope_org,
            scope_region=scope_region,
            state=state,
            kind=kind,
            unit=unit,
            due_before=due_before,
            breached=breached,
            legal_basis=legal_basis,
            **_after(after),
            limit=limit,
        )
        return [_listed(row) for row in rows]

    async def open_deadline_states(self, *, handover_ids: list[str]) -> dict[str, str]:
        """For each request with an open deadline: `warned` if one is warned, else `running`."""
        rows = await self._fetch("open_deadline_states", handover_ids=handover_ids)
        return {row["handover_id"]: ("warned" if row["warned"] else "running") for row in rows}

    async def can_see(
        self,
        *,
        handover_id: str,
        visible_units: list[str] | None,
        executing_org: str | None,
        scope_org: str | None,
        scope_region: str | None,
    ) -> bool:
        """Whether a caller with this scope may see the request (false if there is none)."""
        rows = await self._fetch(
            "can_see",
            handover_id=handover_id,
            visible_units=visible_units,
            executing_org=executing_org,
            scope_org=scope_org,
            scope_region=scope_region,
        )
        return bool(rows[0]["visible"])

    async def flagged_deferrals(self, *, ids: list[str]) -> set[str]:
        """The ids among `ids` of deferred requests whose deferral was flagged for room
        elsewhere (one query; facts only, nothing unsealed)."""
        return {row["id"] for row in await self._fetch("flagged_deferrals", ids=ids)}

    async def handover_exists(self, *, handover_id: str) -> bool:
        rows = await self._fetch("exists_handover", handover_id=handover_id)
        return bool(rows[0][0])

    async def list_events(self, *, handover_id: str) -> list[EventView]:
        return [
            event_view(row) for row in await self._fetch("list_events", handover_id=handover_id)
        ]

    async def list_access(
        self,
        *,
        person_key: str | None,
        flagged: bool | None,
        many_persons: int,
        handover_id: str | None,
        sub: str | None,
        unit: str | None,
        outside_own_cases: bool | None,
        after: tuple[int, str] | None,
        limit: int,
    ) -> list[AccessView]:
        return await self._structs(
            "list_access",
            AccessView,
            person_key=person_key,
            flagged=flagged,
            many_persons=many_persons,
            handover_id=handover_id,
            sub=sub,
            unit=unit,
            outside_own_cases=outside_own_cases,
            **_after(after),
            limit=limit,
        )

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
            after_tx=after[0] if after else None,
            after_seq=after[1] if after else None,
            visible_units=visible_units,
            executing_org=executing_org,
            scope_org=scope_org,
            scope_region=scope_region,
            limit=limit,
        )
        return [((row["tx"], row["global_seq"]), _feed_event(row)) for row in rows]

    async def feed_head(self) -> tuple[str, int] | None:
        """The position of the newest event the feed may hand out now (None: no event yet)."""
        rows = await self._fetch("feed_head")
        return (rows[0]["tx"], rows[0]["global_seq"]) if rows else None

    async def list_units(self, *, org: str | None, kind: str | None) -> list[Unit]:
        return await self._structs("list_units", Unit, org=org, kind=kind)

    async def get_units(self, *, ids: list[str]) -> dict[str, Unit]:
        return {unit.id: unit for unit in await self._structs("get_units", Unit, ids=ids)}

    async def put_capacity(
        self, *, unit: str, categories: list[dict[str, object]], as_of: datetime, updated_by: str
    ) -> bool:
        """Store a unit's free places; False when a newer publication is already stored."""
        rows = await self._fetch(
            "put_capacity", unit=unit, categories=categories, as_of=as_of, updated_by=updated_by
        )
        return bool(rows)

    async def list_capacity(
        self, *, region: str | None = None, unit: str | None = None
    ) -> list[UnitCapacity]:
        return await self._structs("list_capacity", UnitCapacity, region=region, unit=unit)

    async def is_national(self, *, unit: str) -> bool:
        rows = await self._fetch("get_unit_scope", unit=unit)
        return bool(rows and rows[0]["national"])

    async def escalation_scope(self, *, escalation_id: str) -> tuple[str, list[str]] | None:
        """The request an escalation belongs to and the organisations it involves."""
        rows = await self._fetch("get_escalation", escalation_id=escalation_id)
        return (rows[0]["handover_id"], list(rows[0]["orgs"])) if rows else None

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
        return await self._structs(
            "list_escalations",
            EscalationView,
            org=org,
            region=region,
            unit=unit,
            kind=kind,
            level=level,
            acknowledged=acknowledged,
            **_after(after),
            limit=limit,
        )

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
        await self._fetch(
            "insert_access",
            sub=actor.sub,
            org=actor.org,
            unit=actor.unit,
            action=action,
            handover_ids=handover_ids,
            purpose=purpose,
            request_id=request_id,
            roles=[str(role) for role in actor.roles],
        )

    async def aggregate(self, name: str, /, **values: object) -> asyncpg.Record:
        """One row of aggregates over the clear facts (reports, metrics): never personal data,
        so not audited. `name` is a file in sql/ that returns exactly one row."""
        return (await self._fetch(name, **values))[0]

    # --- unit incidents and JO inspections (services/handover/unit_incidents.py) -----------

    async def unit_incident_row(self, *, incident_id: str) -> asyncpg.Record | None:
        """A unit incident's facts, its sealed record and its key (null once erased)."""
        rows = await self._fetch("get_unit_incident", incident_id=incident_id)
        return rows[0] if rows else None

    async def list_unit_incidents(self, **values: object) -> list[asyncpg.Record]:
        return await self._fetch("list_unit_incidents", **values)

    async def log_incident_access(
        self, *, actor: Actor, action: str, incident_ids: list[str], purpose: str, request_id: str
    ) -> None:
        """Audit a read or write of a unit incident's texts."""
        await self._fetch(
            "insert_incident_access",
            sub=actor.sub,
            org=actor.org,
            unit=actor.unit,
            action=action,
            incident_ids=incident_ids,
            purpose=purpose,
            request_id=request_id,
            roles=[str(role) for role in actor.roles],
        )

    async def named(self, name: str, /, **values: object) -> list[asyncpg.Record]:
        """Rows of a named query over clear facts (inspections); never personal data."""
        return await self._fetch(name, **values)
