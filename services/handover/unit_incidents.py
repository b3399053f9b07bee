"""Unit incidents and their follow-up: the use cases behind /v1/incidents and the board.

Changes go to the incident's own workflow (`unit-incident-<id>`, the only writer of its row);
reads open the sealed record with the incident's key and write the access log (the
`incident_ids` of a row). Who: the incident's own unit (any party role) records, reads and
follows it up; coordinators within the scope the escalations list gives them (national
coordination units their agency, regional ones their region). Auditors read the access log,
not incidents (an inspection gives them the facts).
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg
import msgspec

from contracts.common import CLOCK_SKEW, Actor, Role
from contracts.deadline_policy import Clocks
from contracts.sealing import Unreadable, unseal
from contracts.unit_incidents import (
    UPDATE_UNIT_INCIDENT_CLOSE,
    UPDATE_UNIT_INCIDENT_INVESTIGATE,
    UPDATE_UNIT_INCIDENT_REPORT,
    CloseBody,
    IncidentReportBody,
    InvestigationBody,
    InvestigationState,
    UnitIncident,
    UnitIncidentBody,
    UnitIncidentCommand,
    UnitIncidentFacts,
    UnitIncidentPage,
    UnitIncidentStart,
)
from services.handover.audit_context import current_purpose
from services.handover.errors import (
    FieldError,
    Forbidden,
    Gone,
    IllegalTransition,
    InvalidInput,
    NotFound,
)
from services.handover.read_use_cases import PARTY_ROLES, decode_cursor, encode_cursor
from services.handover.repository import Repository
from services.handover.temporal_gateway import TemporalGateway, WorkflowGone
from workflows.unit_incident_activities import incident_context

NAMESPACE = uuid.UUID("0f3a5c62-5d0e-4b8e-9a59-3c1b8f1e7a21")


@dataclass(frozen=True)
class IncidentScope:
    units: list[str]
    org: str | None
    region: str | None

    def covers(self, *, unit: str, org: str, region: str) -> bool:
        return (
            unit in self.units
            or (self.org is not None and org == self.org)
            or (self.region is not None and f"{org}:{region}" == self.region)
        )


def _key(actor: Actor, name: str, idempotency_key: str | None, body: msgspec.Struct) -> str:
    """The update id: the client's Idempotency-Key with the body's hash (a reused key with
    another body is then another update, refused by the workflow's state), or a new one."""
    if idempotency_key is None:
        return uuid.uuid4().hex
    digest = hashlib.sha256(msgspec.json.encode(body)).hexdigest()[:16]
    return f"{actor.org}:{actor.unit}:{name}:{idempotency_key}:{digest}"


def _not_future(at: datetime, field: str) -> None:
    if at > datetime.now(UTC) + CLOCK_SKEW:
        raise InvalidInput(
            f"{field} lies in the future.", errors=[FieldError(field, "in the future")]
        )


class UnitIncidents:
    def __init__(self, repository: Repository, temporal: TemporalGateway, clocks: Clocks) -> None:
        self._repo = repository
        self._temporal = temporal
        self._clocks = clocks

    async def scope(self, actor: Actor) -> IncidentScope:
        own = await self._repo.caller_unit(actor)
        if actor.has_any(Role.COORDINATOR):
            national = await self._repo.is_national(unit=own.id)
            return IncidentScope(
                units=[actor.unit],
                org=str(actor.org) if national else None,
                region=None if national else f"{actor.org}:{own.region}",
            )
        if actor.has_any(*PARTY_ROLES):
            return IncidentScope(units=[actor.unit], org=None, region=None)
        raise Forbidden("Unit incidents are for their unit and coordinators.")

    async def record(
        self,
        *,
        actor: Actor,
        body: UnitIncidentBody,
        idempotency_key: str | None,
        request_id: str,
    ) -> UnitIncident:
        """An incident of the caller's own unit (party roles; coordinators record theirs)."""
        own = await self._repo.caller_unit(actor)
        await self.scope(actor)
        _not_future(body.occurred_at, "occurred_at")
        if idempotency_key is None:
            incident_id = str(uuid.uuid4())
        else:
            name = f"{actor.org}:{actor.unit}:{idempotency_key}"
            incident_id = str(uuid.uuid5(NAMESPACE, name))
        cmd = UnitIncidentCommand(
            actor=actor.ref(),
            request_id=request_id,
            record=body,
            unit_org=str(own.org),
            unit_region=own.region,
        )
        incident = await self._temporal.record_unit_incident(
            start=UnitIncidentStart(incident_id=incident_id, clocks=self._clocks),
            update_id=_key(actor, "record", idempotency_key, body),
            cmd=cmd,
        )
        await self._audit(actor, "record_incident", incident.id, request_id)
        return incident

    async def _audit(self, actor: Actor, what: str, incident_id: str, request_id: str) -> None:
        await self._repo.log_incident_access(
            actor=actor,
            action=what,
            incident_ids=[incident_id],
            purpose=current_purpose(),
            request_id=request_id,
        )

    async def _visible_row(self, actor: Actor, incident_id: str) -> asyncpg.Record:
        scope = await self.scope(actor)
        row = await self._repo.unit_incident_row(incident_id=incident_id)
        if row is None or not scope.covers(unit=row["unit"], org=row["org"], region=row["region"]):
            raise NotFound(f"No incident {incident_id}.")
        return row

    async def get(
        self, *, actor: Actor, incident_id: str, request_id: str, what: str = "read_incident"
    ) -> UnitIncident:
        row = await self._visible_row(actor, incident_id)
        if row["key"] is None or row["sealed"] is None:
            raise Gone(f"The personal data of incident {incident_id} was erased.")
        try:
            plain = unseal(row["key"], row["sealed"], incident_context(incident_id))
        except Unreadable as exc:
            raise Gone(f"Incident {incident_id} cannot be opened.") from exc
        await self._audit(actor, what, incident_id, request_id)
        return msgspec.json.decode(plain, type=UnitIncident)

    async def change(
        self,
        *,
        actor: Actor,
        incident_id: str,
        body: InvestigationBody | CloseBody | IncidentReportBody,
        idempotency_key: str | None,
        request_id: str,
    ) -> UnitIncident:
        """Investigate (open or update), close with a decision, or record the report."""
        await self._visible_row(actor, incident_id)
        if isinstance(body, InvestigationBody):
            name = UPDATE_UNIT_INCIDENT_INVESTIGATE
            cmd = UnitIncidentCommand(actor=actor.ref(), request_id=request_id, investigate=body)
        elif isinstance(body, CloseBody):
            _not_future(body.decided_at, "decided_at")
            name = UPDATE_UNIT_INCIDENT_CLOSE
            cmd = UnitIncidentCommand(actor=actor.ref(), request_id=request_id, close=body)
        else:
            _not_future(body.reported_at, "reported_at")
            name = UPDATE_UNIT_INCIDENT_REPORT
            cmd = UnitIncidentCommand(actor=actor.ref(), request_id=request_id, report=body)
        try:
            incident = await self._temporal.unit_incident_update(
                incident_id=incident_id,
                name=name,
                update_id=_key(actor, name, idempotency_key, body),
                cmd=cmd,
            )
        except WorkflowGone as exc:
            raise IllegalTransition("The incident's follow-up is closed.") from exc
        await self._audit(actor, f"{name}_incident", incident_id, request_id)
        return incident

    async def list(
        self,
        *,
        actor: Actor,
        unit: str | None,
        investigation: list[InvestigationState] | None,
        occurred_from: datetime | None = None,
        occurred_to: datetime | None = None,
        cursor: str | None,
        limit: int,
        scope: IncidentScope | None = None,
    ) -> UnitIncidentPage:
        """Facts only (no text): not audited."""
        scope = scope or await self.scope(actor)
        after = decode_cursor(cursor, "unit-incidents") if cursor else None
        rows = await self._repo.list_unit_incidents(
            units=scope.units,
            org=scope.org,
            region=scope.region,
            unit=unit,
            investigation=[str(s) for s in investigation] if investigation else None,
            occurred_from=occurred_from,
            occurred_to=occurred_to,
            after_key=after[0] if after else None,
            after_id=after[1] if after else None,
            limit=limit + 1,
        )
        items = [msgspec.convert(dict(row), UnitIncidentFacts) for row in rows]
        page, more = items[:limit], len(items) > limit
        last = page[-1] if more else None
        return UnitIncidentPage(
            items=page,
            next_cursor=encode_cursor("unit-incidents", last.occurred_at, last.id)
            if last
            else None,
        )
