"""Use cases that read: one request, lists, event log, assessment, incidents. All audited."""

from __future__ import annotations

import base64
import binascii
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, TypeVar

import msgspec
from msgspec import Meta

from contracts.api import (
    AccessPage,
    CaseExport,
    EscalationPage,
    EventView,
    FeedPage,
    Handover,
    HandoverPage,
    HandoverRecord,
    Unit,
)
from contracts.common import Actor, AwareDatetime, Count, Role, instant_in_range
from contracts.eventlog import GENESIS_HASH, verify_served
from contracts.person import normalised_number, number_key
from services.handover.audit_context import current_purpose
from services.handover.errors import (
    FieldError,
    Forbidden,
    Gone,
    InvalidInput,
    NotFound,
    Unprocessable,
)
from services.handover.repository import Repository
from services.handover.views import plans_for_agency, representation

# Roles that take part in requests (everyone but coordinators and auditors).
PARTY_ROLES = tuple(r for r in Role if r not in (Role.COORDINATOR, Role.AUDITOR))
# More distinct requests than this, read one by one within an hour, flag a reader.
MANY_PERSONS = 20
# PostgreSQL's 64-bit transaction ids, as the feed's cursor carries them.
TransactionId = Annotated[str, Meta(pattern=r"^[0-9]{1,19}$")]
T = TypeVar("T")


def encode_position(*values: object) -> str:
    """An opaque cursor: the values that place the last row handed out."""
    raw = msgspec.json.encode(list(values))
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_position(cursor: str, shape: type[T], parameter: str = "cursor") -> T:
    """The values of a cursor this API made, or a 400 naming the parameter."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        return msgspec.json.decode(raw, type=shape)
    except (binascii.Error, ValueError, msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise InvalidInput(
            f"{parameter} is not a position this API returned",
            errors=[FieldError(parameter, "not a cursor this API returned")],
        ) from exc


def encode_cursor(order: str, key: datetime, row_id: str) -> str:
    """A list position: the sort order, the sort key and the id of the last row."""
    return encode_position(order, key.isoformat(), row_id)


def decode_cursor(cursor: str, order: str) -> tuple[datetime, str]:
    kind, key, row_id = decode_position(cursor, tuple[str, AwareDatetime, uuid.UUID])
    if not instant_in_range(key):
        raise InvalidInput(
            "cursor is not a position this API returned",
            errors=[FieldError("cursor", "not a cursor this API returned")],
        )
    if kind != order:
        raise InvalidInput(
            "cursor belongs to another sort order",
            errors=[FieldError("cursor", "not a cursor of this sort order")],
        )
    return key, str(row_id)


def access_position(cursor: str) -> tuple[int, str]:
    access_id, handover_id = decode_position(cursor, tuple[Count, uuid.UUID])
    return access_id, str(handover_id)


def feed_position(after: str) -> tuple[str, int]:
    tx, seq = decode_position(after, tuple[TransactionId, Count], "after")
    if int(tx) > 2**63 - 1:
        raise InvalidInput(
            "after is not a position this API returned",
            errors=[FieldError("after", "not a cursor this API returned")],
        )
    return tx, seq


def with_corrections(events: list[EventView]) -> list[EventView]:
    """The log with each event's `corrected_by`: the later `corrected` events naming it."""
    found: dict[int, list[int]] = {}
    for event in events:
        if event.type == "corrected" and event.data is not None:
            found.setdefault(int(event.data["corrects"]), []).append(event.seq)
    if not found:
        return events
    return [
        msgspec.structs.replace(e, corrected_by=found[e.seq]) if e.seq in found else e
        for e in events
    ]


@dataclass(frozen=True)
class Scope:
    visible_units: list[str] | None
    org: str | None
    region: str | None
    executing_org: str | None


class HandoverQueries:
    """Reads from the read model; every read of a person's data writes the access log."""

    def __init__(self, repository: Repository, *, audit_key: bytes | None = None) -> None:
        self._repo = repository
        self._audit_key = audit_key

    async def handover(self, *, actor: Actor, handover_id: str, request_id: str) -> Handover:
        """One request as this caller sees it (allowed actions, time left); audited."""
        record, unit = await self._read(actor, handover_id, request_id, "read")
        return representation(record, actor, unit.kind)

    async def record(
        self, *, actor: Actor, handover_id: str, request_id: str, what: str = "read"
    ) -> HandoverRecord:
        record, _ = await self._read(actor, handover_id, request_id, what)
        return record

    async def _read(
        self, actor: Actor, handover_id: str, request_id: str, what: str
    ) -> tuple[HandoverRecord, Unit]:
        unit = await self._visible_to(actor, handover_id)
        # Gone (410) once the person's data is erased; only someone who may see it learns so.
        record = await self._repo.get_handover(handover_id=handover_id)
        await self._repo.log_access(
            actor=actor,
            action=what,
            handover_ids=[record.id],
            purpose=current_purpose(),
            request_id=request_id,
        )
        return record, unit

    async def _visible_to(self, actor: Actor, handover_id: str) -> Unit:
        """The caller's unit, when the caller may see the request; NotFound otherwise."""
        unit = await self._repo.caller_unit(actor)
        scope = await self._scope(actor, unit)
        if not await self._repo.can_see(
            handover_id=handover_id,
            visible_units=scope.visible_units,
            executing_org=scope.executing_org,
            scope_org=scope.org,
            scope_region=scope.region,
        ):
            raise NotFound(f"No handover request {handover_id}.")
        return unit

    async def scope(self, actor: Actor) -> Scope:
        """The caller's visibility scope (a webhook subscription keeps its creator's)."""
        return await self._scope(actor)

    async def _scope(self, actor: Actor, own: Unit | None = None) -> Scope:
        """Which requests a caller may see: the arguments of the one rule, handover_visible
        (infra/migrations/20261201000400_visibility.sql), that lists, the feed, escalations
        and the single read apply alike. `own` is the caller's unit, if already read."""
        own = own or await self._repo.caller_unit(actor)
        if not actor.has_any(Role.COORDINATOR, *PARTY_ROLES):
            # Auditors see the access log, not the cases: no request is theirs to read.
            return Scope([], None, None, None)
        national = actor.has_any(Role.COORDINATOR) and await self._repo.is_national(unit=own.id)
        regional = actor.has_any(Role.COORDINATOR) and not national
        return Scope(
            visible_units=[actor.unit],
            org=actor.org if national else None,
            region=f"{actor.org}:{own.region}" if regional else None,
            executing_org=actor.org if plans_for_agency(actor, own.kind) else None,
        )

    async def feed(
        self, *, actor: Actor, after: str | None, limit: int, request_id: str
    ) -> FeedPage:
        """Events of every request the caller may see, in an order that never skips one."""
        scope = await self._scope(actor)
        position = feed_position(after) if after else None
        rows = await self._repo.event_feed(
            after=position,
            visible_units=scope.visible_units,
            executing_org=scope.executing_org,
            scope_org=scope.org,
            scope_region=scope.region,
            limit=limit,
        )
        if rows:
            after = encode_position(*rows[-1][0])
            await self._repo.log_access(
                actor=actor,
                action="read_feed",
                handover_ids=sorted({event.handover_id for _, event in rows}),
                purpose=current_purpose(),
                request_id=request_id,
            )
        return FeedPage(items=[event for _, event in rows], next_after=after)

    async def visible(self, actor: Actor, unit: Unit, record: HandoverRecord) -> bool:
        """Parties see their requests; coordinators their agency's region (national
        coordination units: their whole agency); auditors none (they read the access log).
        Asked of PostgreSQL, by the same rule and scope as the lists (`_scope`)."""
        scope = await self._scope(actor, unit)
        return await self._repo.can_see(
            handover_id=record.id,
            visible_units=scope.visible_units,
            executing_org=scope.executing_org,
            scope_org=scope.org,
            scope_region=scope.region,
        )

    async def export(self, *, actor: Actor, handover_id: str, request_id: str) -> CaseExport:
        """The case as one verifiable document; writing it is audited as an export."""
        await self._visible_to(actor, handover_id)
        try:
            record: HandoverRecord | None = await self._repo.get_handover(handover_id=handover_id)
        except Gone:
            record = None
        events = with_corrections(await self._repo.list_events(handover_id=handover_id))
        await self._repo.log_access(
            actor=actor,
            action="export",
            handover_ids=[handover_id],
            purpose=current_purpose(),
            request_id=request_id,
        )
        return CaseExport(
            handover_id=handover_id,
            exported_at=datetime.now(UTC),
            exported_by=actor.ref(),
            handover=record,
            events=events,
            head_hash=events[-1].hash if events else GENESIS_HASH,
            chain_verified=verify_served(msgspec.to_builtins(events)) is None,
        )

    async def events(
        self, *, actor: Actor, handover_id: str, request_id: str, action: str = "read_events"
    ) -> list[EventView]:
        """The event log; after erasure its envelopes still serve to verify the chain."""
        await self._visible_to(actor, handover_id)
        events = with_corrections(await self._repo.list_events(handover_id=handover_id))
        await self._repo.log_access(
            actor=actor,
            action=action,
            handover_ids=[handover_id],
            purpose=current_purpose(),
            request_id=request_id,
        )
        return events

    async def list(
        self,
        *,
        actor: Actor,
        state: str | None,
        kind: str | None,
        unit: str | None,
        cursor: str | None,
        limit: int,
        request_id: str,
        due_before: datetime | None = None,
        breached: bool | None = None,
        sort: str = "created",
        legal_basis: str | None = None,
        action: str = "list",
    ) -> HandoverPage:
        after = decode_cursor(cursor, sort) if cursor else None
        scope = await self._scope(actor)
        rows = await self._repo.list_handovers(
            visible_units=scope.visible_units,
            scope_org=scope.org,
            scope_region=scope.region,
            executing_org=scope.executing_org,
            state=state,
            kind=kind,
            unit=unit,
            after=after,
            limit=limit + 1,
            due_before=due_before,
            breached=breached,
            by_due=sort == "next_due",
            legal_basis=legal_basis,
        )
        page, more = rows[:limit], len(rows) > limit
        if page:
            await self._repo.log_access(
                actor=actor,
                action=action,
                handover_ids=[row.id for row in page],
                purpose=current_purpose(),
                request_id=request_id,
            )
        last = page[-1] if more else None
        return HandoverPage(
            items=[row.summary for row in page],
            next_cursor=encode_cursor(sort, last.sort_key, last.id) if last else None,
        )

    async def access(
        self,
        *,
        actor: Actor,
        handover_id: str | None,
        sub: str | None,
        unit: str | None,
        outside_own_cases: bool | None,
        cursor: str | None,
        limit: int,
        person: str | None = None,
        flagged: bool | None = None,
    ) -> AccessPage:
        """Who read which request's personal data, and whether it was outside their cases."""
        if not actor.has_any(Role.AUDITOR):
            raise Forbidden("The access log is for auditors.")
        rows = await self._repo.list_access(
            person_key=self._person_key(person) if person is not None else None,
            flagged=flagged,
            many_persons=MANY_PERSONS,
            handover_id=handover_id,
            sub=sub,
            unit=unit,
            outside_own_cases=outside_own_cases,
            after=access_position(cursor) if cursor else None,
            limit=limit + 1,
        )
        page, more = rows[:limit], len(rows) > limit
        last = page[-1] if more else None
        next_cursor = encode_position(last.id, last.handover_id) if last else None
        return AccessPage(items=page, next_cursor=next_cursor)

    def _person_key(self, person: str) -> str:
        """The pseudonym the read model keeps for this identity number."""
        if self._audit_key is None:
            raise Unprocessable("Searching by person needs HANDOVER_AUDIT_KEY on this service.")
        try:
            number = normalised_number(person)
        except ValueError as exc:
            raise InvalidInput(f"person: {exc}", errors=[FieldError("person", str(exc))]) from exc
        return number_key(number, self._audit_key)

    async def escalations(
        self,
        *,
        actor: Actor,
        unit: str | None,
        kind: str | None,
        level: str | None,
        acknowledged: bool | None,
        cursor: str | None,
        limit: int,
    ) -> EscalationPage:
        """Coordinators' list: national units see their agency, regional ones their region."""
        if not actor.has_any(Role.COORDINATOR, Role.AUDITOR):
            raise Forbidden("Escalations are for coordinators.")
        own = await self._repo.caller_unit(actor)
        national = await self._repo.is_national(unit=own.id)
        rows = await self._repo.list_escalations(
            org=actor.org if national else None,
            region=None if national else f"{actor.org}:{own.region}",
            unit=unit,
            kind=kind,
            level=level,
            acknowledged=acknowledged,
            after=decode_cursor(cursor, "escalations") if cursor else None,
            limit=limit + 1,
        )
        page, more = rows[:limit], len(rows) > limit
        last = page[-1] if more else None
        return EscalationPage(
            items=page,
            next_cursor=encode_cursor("escalations", last.at, last.id) if last else None,
        )
