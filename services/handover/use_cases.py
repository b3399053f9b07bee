"""Use cases that change requests: create, lifecycle actions, assessment, incidents."""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
import structlog

from contracts.actions import DeferBody, DeferralReason, PlacedBody, ReleaseBody, ScheduleBody
from contracts.amendments import AmendCommand, Amendment, DestinationAmendment
from contracts.api import (
    AssistanceCreate,
    Handover,
    HandoverCreate,
    OrderType,
    TransferCreate,
    Unit,
)
from contracts.capacity import PLACE_KINDS, CapacityCheck, room_elsewhere
from contracts.common import CLOCK_SKEW, Actor, Org, Role, UnitKind
from contracts.deadline_policy import Clocks
from contracts.journey import (
    LODGING_KINDS,
    JourneyChange,
    JourneyCommand,
    PlanLodging,
    PlanReturn,
    Redirect,
)
from contracts.person import TRANSFER_DECISIONS, Person, birth_date
from contracts.places import Place
from contracts.workflow import UPDATE_AMEND, UPDATE_JOURNEY, Command, CommandMeta, CreateHandover
from services.handover.audit_context import current_purpose
from services.handover.errors import (
    FieldError,
    Forbidden,
    Gone,
    IllegalTransition,
    InvalidInput,
    NotFound,
)
from services.handover.read_use_cases import HandoverQueries
from services.handover.repository import Repository
from services.handover.temporal_gateway import TemporalGateway, WorkflowGone
from services.handover.views import representation
from workflows.deadline_engine import is_child

log = structlog.get_logger(__name__)

STOCKHOLM = ZoneInfo("Europe/Stockholm")
# Namespace for request ids derived from (caller, Idempotency-Key): a retry finds the same request.
IDEMPOTENCY_NAMESPACE = uuid.UUID("6f1d7c3e-2f55-4a7e-9d0b-5b8f3c1a9e42")
CREATOR_ROLES = (
    Role.CUSTODY_OFFICER,
    Role.CUSTODY_SUPERVISOR,
    Role.TRANSPORT_PLANNER,
    Role.RECEPTION_OFFICER,
    Role.SYSTEM,
)


def fingerprint(name: str, body: msgspec.Struct) -> str:
    """A stable hash of what was asked, to tell a retry from a reuse of its Idempotency-Key."""
    canonical = msgspec.json.encode(body, order="sorted")
    return hashlib.sha256(name.encode() + b"\0" + canonical).hexdigest()


def scoped_key(actor: Actor, key: str) -> str:
    """Idempotency keys belong to the caller's unit: two units may use the same key."""
    return hashlib.sha256(f"{actor.org}/{actor.unit}/{key}".encode()).hexdigest()[:32]


def format_reference(number: int, at: datetime) -> str:
    return f"HO-{at.astimezone(STOCKHOLM).year}-{number:06d}"


def _invalid(errors: list[FieldError]) -> InvalidInput:
    return InvalidInput("; ".join(f"{e.field}: {e.message}" for e in errors), errors=errors)


class HandoverService:
    """Every change goes to the request's workflow; nothing here writes PostgreSQL state."""

    def __init__(self, repository: Repository, temporal: TemporalGateway, clocks: Clocks) -> None:
        self._repo = repository
        self._temporal = temporal
        self._clocks = clocks
        self._queries = HandoverQueries(repository)

    async def actor_unit(self, actor: Actor) -> Unit:
        """The caller's unit from the reference data; a token for an unknown unit is refused."""
        return await self._repo.caller_unit(actor)

    async def create(
        self,
        *,
        actor: Actor,
        body: HandoverCreate,
        idempotency_key: str | None,
        request_id: str,
    ) -> Handover:
        unit = await self.actor_unit(actor)
        origin_org, destination_kind = await self._check_create(actor, body)
        print_ = fingerprint("create", body)
        if idempotency_key:
            scope = f"{actor.org}/{actor.unit}/{idempotency_key}"
            handover_id = str(uuid.uuid5(IDEMPOTENCY_NAMESPACE, scope))
            update_id = f"create/{scoped_key(actor, idempotency_key)}/{print_}"
        else:
            handover_id = str(uuid.uuid4())
            update_id = f"create/{handover_id}"
        number = await self._repo.next_reference_number()
        cmd = CreateHandover(
            meta=CommandMeta(actor=actor, request_id=request_id, actor_unit_kind=unit.kind),
            reference=format_reference(number, datetime.now(UTC)),
            fingerprint=print_,
            body=body,
            origin_org=origin_org,
            destination_kind=destination_kind,
            clocks=self._clocks,
        )
        record = await self._temporal.create(handover_id=handover_id, update_id=update_id, cmd=cmd)
        log.info(
            "handover.created",
            handover_id=record.id,
            reference=record.reference,
            kind=record.kind,
            unit=actor.unit,
        )
        await self._audit(actor, "create", record.id, request_id)
        return representation(record, actor, unit.kind, now=record.updated_at)

    async def _audit(self, actor: Actor, what: str, handover_id: str, request_id: str) -> None:
        """A change answers with the whole record, personal data included: that is a read."""
        await self._repo.log_access(
            actor=actor,
            action=f"write:{what}",
            handover_ids=[handover_id],
            purpose=current_purpose(),
            request_id=request_id,
        )

    async def _check_create(
        self, actor: Actor, body: HandoverCreate
    ) -> tuple[Org | None, UnitKind | None]:
        """Check reference data before Temporal: a rejected start would still leave a run.

        Returns the organisation of the origin unit and the kind of the destination unit.
        """
        if not actor.has_any(*CREATOR_ROLES):
            raise Forbidden("Your role may not create requests.")
        match body:
            case TransferCreate():
                return await self._check_transfer(actor, body)
            case AssistanceCreate():
                return await self._check_assistance(actor, body)

    async def _check_transfer(
        self, actor: Actor, body: TransferCreate
    ) -> tuple[Org | None, UnitKind | None]:
        if actor.org != Org.POLISEN:
            raise Forbidden("Transfers are created by the police custody unit holding the person.")
        if actor.unit != body.from_unit and not actor.has_any(Role.SYSTEM):
            raise Forbidden("You can only create transfers from your own custody unit.")
        units = await self._repo.get_units(ids=[body.from_unit, body.to_unit])
        errors = _expect_unit(units, body.from_unit, "$.from_unit", {UnitKind.POLICE_CUSTODY})
        errors += _expect_unit(
            units, body.to_unit, "$.to_unit", {UnitKind.REMAND_PRISON, UnitKind.PRISON}
        )
        if body.decision.kind not in TRANSFER_DECISIONS:
            errors.append(
                FieldError("$.decision.kind", "a transfer rests on a remand decision or a sentence")
            )
        errors += _person(body.person)
        errors += _decision_times(body.decision.decided_at, "$.decision.decided_at")
        for at, path in (
            (body.apprehended_at, "$.apprehended_at"),
            (body.arrested_at, "$.arrested_at"),
        ):
            if at is not None:
                errors += _decision_times(at, path)
        if errors:
            raise _invalid(errors)
        return Org.POLISEN, units[body.to_unit].kind

    async def _check_assistance(
        self, actor: Actor, body: AssistanceCreate
    ) -> tuple[Org | None, UnitKind | None]:
        if actor.unit != body.requesting_unit and not actor.has_any(Role.SYSTEM):
            raise Forbidden("You can only ask for assistance on behalf of your own unit.")
        ids = [body.requesting_unit, body.executing_unit]
        ids += [u for u in (body.origin.unit, body.destination.unit) if u]
        units = await self._repo.get_units(ids=ids)
        errors = _expect_unit(units, body.requesting_unit, "$.requesting_unit", None)
        errors += _expect_unit(units, body.executing_unit, "$.executing_unit", None)
        requesting, executing = units.get(body.requesting_unit), units.get(body.executing_unit)
        if requesting is not None and requesting.org != actor.org:
            errors.append(FieldError("$.requesting_unit", "is not a unit of your organisation"))
        if executing is not None and executing.org == actor.org:
            errors.append(FieldError("$.executing_unit", "must be a unit of the other agency"))
        if (
            executing is not None
            and body.order_type == OrderType.APPREHENSION_FOR_ENFORCEMENT
            and executing.org != Org.POLISEN
        ):
            errors.append(
                FieldError("$.executing_unit", "an apprehension is carried out by the police")
            )
        for place, path in (
            (body.origin, "$.origin.unit"),
            (body.destination, "$.destination.unit"),
        ):
            if place.unit is not None:
                errors += _expect_unit(units, place.unit, path, None)
        errors += _person(body.person)
        errors += _decision_times(body.decision.decided_at, "$.decision.decided_at")
        if body.placed_at is not None:
            errors += _decision_times(body.placed_at, "$.placed_at")
        if errors:
            raise _invalid(errors)
        origin = units.get(body.origin.unit) if body.origin.unit else None
        destination = units.get(body.destination.unit) if body.destination.unit else None
        return (origin.org if origin else None), (destination.kind if destination else None)

    async def act(
        self,
        *,
        actor: Actor,
        handover_id: str,
        name: str,
        body: msgspec.Struct,
        expected_version: int | None,
        idempotency_key: str | None,
        request_id: str,
        target: str | None = None,
    ) -> Handover:
        """Send one update to the request; the answer is the request as this caller sees it,
        with each deadline's time left counted from the change (so a replay is identical)."""
        unit = await self.actor_unit(actor)
        if actor.has_any(Role.COORDINATOR, Role.AUDITOR):
            # Coordinators act outside the parties, within their agency's region: a check of
            # who the caller is against reference data, not of the request's state.
            try:
                record = await self._repo.get_handover(handover_id=handover_id)
            except (NotFound, Gone):
                record = None
            if record is None or not await self._queries.visible(actor, unit, record):
                raise NotFound(f"No handover request {handover_id}.")
        await self._check_references(body)
        capacity = await self._capacity_check(handover_id, body)
        print_ = fingerprint(f"{name}/{target or ''}", body)
        key = scoped_key(actor, idempotency_key) if idempotency_key else None
        update_id = f"{name}/{key}/{print_}" if key else f"{name}/{uuid.uuid4()}"
        cmd: Command[Any] = Command(
            meta=CommandMeta(actor=actor, request_id=request_id, actor_unit_kind=unit.kind),
            body=body,
            expected_version=expected_version,
            idempotency_key=key,
            fingerprint=print_,
            target=target,
            capacity=capacity,
        )
        try:
            record = await self._temporal.update(
                handover_id=handover_id, name=name, update_id=update_id, cmd=cmd
            )
        except WorkflowGone:
            if await self._repo.handover_exists(handover_id=handover_id):
                raise IllegalTransition("The request is closed for changes.") from None
            raise NotFound(f"No handover request {handover_id}.") from None
        log.info("handover.updated", handover_id=handover_id, action=name, state=record.state)
        await self._audit(actor, name, record.id, request_id)
        return representation(record, actor, unit.kind, now=record.updated_at)

    async def amend(
        self,
        *,
        actor: Actor,
        handover_id: str,
        body: Amendment,
        expected_version: int | None,
        idempotency_key: str | None,
        request_id: str,
    ) -> Handover:
        """An amendment; a new destination unit must exist (a transfer's: a remand prison or
        prison), and the workflow gets its kind with it."""
        unit_id, path, kinds = None, "", None
        if isinstance(body, DestinationAmendment):
            if body.to_unit is not None:
                unit_id, path = body.to_unit, "$.to_unit"
                kinds = {UnitKind.REMAND_PRISON, UnitKind.PRISON}
            elif body.destination is not None and body.destination.unit is not None:
                unit_id, path = body.destination.unit, "$.destination.unit"
        kind = await self._unit_kind(unit_id, path, kinds)
        return await self.act(
            actor=actor,
            handover_id=handover_id,
            name=UPDATE_AMEND,
            body=AmendCommand(amendment=body, destination_kind=kind),
            expected_version=expected_version,
            idempotency_key=idempotency_key,
            request_id=request_id,
        )

    async def change_journey(
        self,
        *,
        actor: Actor,
        handover_id: str,
        body: JourneyChange,
        expected_version: int | None,
        idempotency_key: str | None,
        request_id: str,
    ) -> Handover:
        """A change of the journey; the unit it names must exist (a lodging: a remand prison
        or police custody unit), and the workflow gets its kind with it."""
        unit_id, path, kinds = None, "", None
        match body:
            case PlanLodging():
                unit_id, path, kinds = body.unit, "$.unit", set(LODGING_KINDS)
            case Redirect(to_unit=str() as unit):
                unit_id, path = unit, "$.to_unit"
            case Redirect(destination=Place(unit=str() as unit)):
                unit_id, path = unit, "$.destination.unit"
            case PlanReturn():
                unit_id, path = body.return_to, "$.return_to"
        kind = await self._unit_kind(unit_id, path, kinds)
        return await self.act(
            actor=actor,
            handover_id=handover_id,
            name=UPDATE_JOURNEY,
            body=JourneyCommand(change=body, unit_kind=kind),
            expected_version=expected_version,
            idempotency_key=idempotency_key,
            request_id=request_id,
        )

    async def _unit_kind(
        self, unit_id: str | None, path: str, kinds: set[UnitKind] | None
    ) -> UnitKind | None:
        """The kind of a unit a body names (None when it names none); a 400 naming `path`
        when no such unit exists or it is not of `kinds`."""
        if unit_id is None:
            return None
        units = await self._repo.get_units(ids=[unit_id])
        errors = _expect_unit(units, unit_id, path, kinds)
        if errors:
            raise _invalid(errors)
        return units[unit_id].kind

    async def escalation_handover(self, actor: Actor, escalation_id: str) -> str:
        """The request an escalation belongs to, if the caller's agency is involved in it."""
        scope = await self._repo.escalation_scope(escalation_id=escalation_id)
        if scope is None or actor.org not in scope[1]:
            raise NotFound(f"No escalation {escalation_id}.")
        return scope[0]

    async def _capacity_check(self, handover_id: str, body: msgspec.Struct) -> CapacityCheck | None:
        """For a deferral for no capacity: the full unit (named, or the request's destination
        when that is a remand prison or prison) and the other units of its region whose fresh
        figures show free places of the category. Looked up here, decided in the workflow."""
        if not isinstance(body, DeferBody) or body.reason != DeferralReason.NO_CAPACITY:
            return None
        full = body.full_unit
        if full is None:
            try:
                record = await self._repo.get_handover(handover_id=handover_id)
            except (NotFound, Gone):
                return None  # the workflow answers for the request itself
            if record.to_unit is None or record.destination_kind not in PLACE_KINDS:
                return None
            full = record.to_unit
        unit = (await self._repo.get_units(ids=[full])).get(full)
        if unit is None:
            return None
        if body.category is None:
            return CapacityCheck(full_unit=full, region=unit.region)
        rows = await self._repo.list_capacity(region=unit.region)
        room = room_elsewhere(rows, full_unit=full, category=body.category, now=datetime.now(UTC))
        return CapacityCheck(full_unit=full, region=unit.region, category=body.category, room=room)

    async def _check_references(self, body: msgspec.Struct) -> None:
        """Units named in a body must exist (and be of the right kind) in the reference data."""
        match body:
            case ScheduleBody():
                units = await self._repo.get_units(ids=[body.transport_unit])
                errors = _expect_unit(
                    units, body.transport_unit, "$.transport_unit", {UnitKind.TRANSPORT}
                )
            case ReleaseBody():
                units = await self._repo.get_units(ids=[body.to_unit])
                errors = _expect_unit(units, body.to_unit, "$.to_unit", None)
            case PlacedBody():
                units = await self._repo.get_units(ids=[body.prison_unit])
                errors = _expect_unit(units, body.prison_unit, "$.prison_unit", {UnitKind.PRISON})
            case DeferBody(full_unit=str(full)):
                units = await self._repo.get_units(ids=[full])
                errors = _expect_unit(units, full, "$.full_unit", set(PLACE_KINDS))
            case _:
                errors = []
        if errors:
            raise _invalid(errors)


def _expect_unit(
    units: dict[str, Unit], unit_id: str, path: str, kinds: set[UnitKind] | None
) -> list[FieldError]:
    unit = units.get(unit_id)
    if unit is None:
        return [FieldError(path, "unknown unit; see GET /v1/units")]
    if kinds is not None and unit.kind not in kinds:
        return [FieldError(path, f"must be a {' or '.join(sorted(kinds))} unit")]
    return []


def _decision_times(decided_at: datetime, path: str) -> list[FieldError]:
    """A decision already taken: in the past, with the clock skew every client instant gets."""
    if decided_at > datetime.now(UTC) + CLOCK_SKEW:
        return [FieldError(path, "lies in the future")]
    return []


def _person(person: Person) -> list[FieldError]:
    born = birth_date(person.identity)
    if born is not None and born > datetime.now(STOCKHOLM).date():
        return [FieldError("$.person.identity.number", "has a date of birth in the future")]
    if born is not None and person.under_18 is not None:
        child = is_child(person.identity, datetime.now(UTC))
        if child != person.under_18:
            age = "under 18" if child else "18 or older"
            return [
                FieldError(
                    "$.person.under_18",
                    f"contradicts the identity number, whose date of birth says {age}",
                )
            ]
    return []
