"""Bodies and representations of the HTTP API (`/v1`)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from contracts.common import (
    ActorRef,
    AwareDatetime,
    Kind,
    LongText,
    Org,
    State,
    UnitId,
    UnitKind,
)
from contracts.person import Decision, Person, Restrictions


class TransferCreate(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A person in police custody to move to a remand prison or prison."""

    kind: Literal["transfer"]
    person: Person
    from_unit: Annotated[
        UnitId,
        Meta(description="The police custody unit holding the person.", examples=["pa-kronoberg"]),
    ]
    to_unit: Annotated[
        UnitId,
        Meta(description="The receiving remand prison or prison.", examples=["kv-hakte-kronoberg"]),
    ]
    decision: Decision
    restrictions: Restrictions = Restrictions()
    relatives_notified: bool | None = None
    notes: LongText | None = None


HandoverCreate = TransferCreate


class Responsibility(msgspec.Struct, frozen=True, kw_only=True):
    """The unit responsible for the person right now."""

    unit: str
    org: Org
    since: datetime


class CustodySegment(msgspec.Struct, frozen=True, kw_only=True):
    """One unit's stretch of responsibility; `until` is null for the current holder."""

    unit: str
    org: Org
    since: datetime
    until: datetime | None = None


class HandoverRecord(msgspec.Struct, frozen=True, kw_only=True):
    """A request as its workflow holds it; the read model stores exactly this."""

    id: str
    reference: str
    kind: Kind
    state: State
    version: int
    person: Person
    from_unit: str
    to_unit: str
    decision: Decision
    restrictions: Restrictions
    relatives_notified: bool | None
    notes: str | None
    responsible: Responsibility
    custody_chain: list[CustodySegment]
    created_by: ActorRef
    created_at: datetime
    updated_at: datetime


class Handover(HandoverRecord, frozen=True, kw_only=True):
    """A handover request as a caller sees it."""


class HandoverSummary(msgspec.Struct, frozen=True, kw_only=True):
    """A request in a list: no name, identity number masked to the date of birth."""

    id: str
    reference: str
    kind: Kind
    state: State
    version: int
    person_identity: Annotated[str, Meta(examples=["19121212-****"])]
    from_unit: str
    to_unit: str
    responsible_unit: str
    created_at: datetime
    updated_at: datetime


class HandoverPage(msgspec.Struct, frozen=True, kw_only=True):
    """One page of requests, newest first; pass `next_cursor` as `cursor` for the next."""

    items: list[HandoverSummary]
    next_cursor: str | None


class Unit(msgspec.Struct, frozen=True, kw_only=True):
    """A party: police custody unit, remand prison, prison, transport office or coordination."""

    id: str
    name: str
    org: Org
    kind: UnitKind
    region: str
    municipality: str | None


class Health(msgspec.Struct, frozen=True, kw_only=True):
    """Readiness of the service and each dependency."""

    status: str
    checks: dict[str, str]


__all__ = [
    "AwareDatetime",
    "CustodySegment",
    "Handover",
    "HandoverCreate",
    "HandoverPage",
    "HandoverRecord",
    "HandoverSummary",
    "Health",
    "Responsibility",
    "TransferCreate",
    "Unit",
]
