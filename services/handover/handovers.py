"""Use cases of handover requests: create, read one, list. Controllers delegate here."""

from __future__ import annotations

import base64
import binascii
import hashlib
import uuid
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import msgspec
import structlog

from contracts.api import Handover, HandoverCreate, HandoverPage, HandoverRecord
from contracts.common import Actor, Org, Role, UnitKind
from contracts.workflow import CommandMeta, CreateHandover
from services.handover.commands import WorkflowCommands
from services.handover.errors import FieldError, Forbidden, InvalidInput, NotFound
from services.handover.repository import Repository

log = structlog.get_logger(__name__)

STOCKHOLM = ZoneInfo("Europe/Stockholm")
# Namespace for request ids derived from (caller, Idempotency-Key): a retry finds the same request.
IDEMPOTENCY_NAMESPACE = uuid.UUID("6f1d7c3e-2f55-4a7e-9d0b-5b8f3c1a9e42")
CREATOR_ROLES = (Role.CUSTODY_OFFICER, Role.CUSTODY_SUPERVISOR, Role.SYSTEM)
# Roles that see every request of their agency rather than only their unit's.
OVERVIEW_ROLES = (Role.COORDINATOR, Role.AUDITOR)
PURPOSE = "case_handling"


def fingerprint(body: HandoverCreate) -> str:
    """A stable hash of a request body, to tell a retry from a reuse of its Idempotency-Key."""
    return hashlib.sha256(msgspec.json.encode(body, order="sorted")).hexdigest()


def format_reference(number: int, at: datetime) -> str:
    return f"HO-{at.astimezone(STOCKHOLM).year}-{number:06d}"


def representation(record: HandoverRecord) -> Handover:
    return Handover(**msgspec.structs.asdict(record))


def etag(record: HandoverRecord) -> str:
    return f'"{record.version}"'


def encode_cursor(created_at: datetime, handover_id: str) -> str:
    raw = msgspec.json.encode([created_at.isoformat(), handover_id])
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        created, handover_id = msgspec.json.decode(raw, type=tuple[datetime, uuid.UUID])
    except (binascii.Error, ValueError, msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise InvalidInput(
            "cursor is not one this API returned",
            errors=[FieldError("cursor", "not a cursor from next_cursor")],
        ) from exc
    return created, str(handover_id)


class HandoverService:
    """Creates requests through their workflows and reads them from the read model."""

    def __init__(self, repository: Repository, commands: WorkflowCommands) -> None:
        self._repo = repository
        self._commands = commands

    async def create(
        self,
        *,
        actor: Actor,
        body: HandoverCreate,
        idempotency_key: str | None,
        request_id: str,
    ) -> Handover:
        await self._check_create(actor, body)
        print_ = fingerprint(body)
        if idempotency_key:
            scope = f"{actor.org}/{actor.unit}/{idempotency_key}"
            handover_id = str(uuid.uuid5(IDEMPOTENCY_NAMESPACE, scope))
            update_id = f"create/{idempotency_key}/{print_}"
        else:
            handover_id = str(uuid.uuid4())
            update_id = f"create/{handover_id}"
        number = await self._repo.next_reference_number()
        cmd = CreateHandover(
            meta=CommandMeta(actor=actor, request_id=request_id),
            reference=format_reference(number, datetime.now(UTC)),
            fingerprint=print_,
            body=body,
        )
        record = await self._commands.create(handover_id=handover_id, update_id=update_id, cmd=cmd)
        log.info(
            "handover.created",
            handover_id=record.id,
            reference=record.reference,
            version=record.version,
            unit=actor.unit,
        )
        return representation(record)

    async def _check_create(self, actor: Actor, body: HandoverCreate) -> None:
        """Check reference data before Temporal: a rejected start would still leave a run."""
        if actor.org != Org.POLISEN or not actor.has_any(*CREATOR_ROLES):
            raise Forbidden("Transfers are created by police custody staff or systems.")
        if actor.unit != body.from_unit and not actor.has_any(Role.SYSTEM):
            raise Forbidden("You can only create transfers from your own custody unit.")
        units = await self._repo.get_units(ids=[body.from_unit, body.to_unit])
        errors: list[FieldError] = []
        source = units.get(body.from_unit)
        target = units.get(body.to_unit)
        if source is None:
            errors.append(FieldError("$.from_unit", "unknown unit; see GET /v1/units"))
        elif source.kind != UnitKind.POLICE_CUSTODY:
            errors.append(FieldError("$.from_unit", "must be a police_custody unit"))
        if target is None:
            errors.append(FieldError("$.to_unit", "unknown unit; see GET /v1/units"))
        elif target.kind not in (UnitKind.REMAND_PRISON, UnitKind.PRISON):
            errors.append(FieldError("$.to_unit", "must be a remand_prison or prison unit"))
        if body.decision.decided_at > datetime.now(UTC):
            errors.append(FieldError("$.decision.decided_at", "lies in the future"))
        if errors:
            raise InvalidInput("; ".join(f"{e.field}: {e.message}" for e in errors), errors=errors)

    async def get(self, *, actor: Actor, handover_id: str, request_id: str) -> Handover:
        record = await self._repo.get_handover(handover_id=handover_id)
        if not self._may_see(actor, record):
            raise NotFound(f"No handover request {handover_id}.")
        await self._repo.log_access(
            actor=actor,
            action="read",
            handover_ids=[record.id],
            purpose=PURPOSE,
            request_id=request_id,
        )
        return representation(record)

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
    ) -> HandoverPage:
        after = decode_cursor(cursor) if cursor else None
        rows = await self._repo.list_handovers(
            visible_units=None if actor.has_any(*OVERVIEW_ROLES) else [actor.unit],
            state=state,
            kind=kind,
            unit=unit,
            after=after,
            limit=limit + 1,
        )
        page, more = rows[:limit], len(rows) > limit
        if page:
            await self._repo.log_access(
                actor=actor,
                action="list",
                handover_ids=[row.id for row in page],
                purpose=PURPOSE,
                request_id=request_id,
            )
        last = page[-1] if more else None
        return HandoverPage(
            items=[row.summary for row in page],
            next_cursor=encode_cursor(last.created_at, last.id) if last else None,
        )

    @staticmethod
    def _may_see(actor: Actor, record: HandoverRecord) -> bool:
        if actor.has_any(*OVERVIEW_ROLES):
            return True
        units = {record.from_unit, record.to_unit, *(s.unit for s in record.custody_chain)}
        return actor.unit in units
