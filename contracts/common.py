"""Vocabulary shared by the API and the workflows: organisations, roles, states, units."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Annotated

import msgspec
from msgspec import Meta


class Org(enum.StrEnum):
    """The two agencies."""

    POLISEN = "polisen"
    KRIMINALVARDEN = "kriminalvarden"


class UnitKind(enum.StrEnum):
    """What a unit is; decides which requests it can be a party to."""

    POLICE_CUSTODY = "police_custody"
    REMAND_PRISON = "remand_prison"
    PRISON = "prison"
    TRANSPORT = "transport"
    COORDINATION = "coordination"


class Role(enum.StrEnum):
    """Roles a token can carry."""

    CUSTODY_OFFICER = "custody_officer"
    CUSTODY_SUPERVISOR = "custody_supervisor"
    TRANSPORT_PLANNER = "transport_planner"
    RECEPTION_OFFICER = "reception_officer"
    ESCORT_OFFICER = "escort_officer"
    COORDINATOR = "coordinator"
    AUDITOR = "auditor"
    SYSTEM = "system"


class Kind(enum.StrEnum):
    """The two kinds of request."""

    TRANSFER = "transfer"
    ENFORCEMENT_ASSISTANCE = "enforcement_assistance"


class State(enum.StrEnum):
    """Lifecycle states shared by both kinds."""

    REQUESTED = "requested"
    ACCEPTED = "accepted"
    DEFERRED = "deferred"
    REJECTED = "rejected"
    SCHEDULED = "scheduled"
    IN_TRANSIT = "in_transit"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    NOT_EXECUTED = "not_executed"


FINAL_STATES: frozenset[State] = frozenset(
    {State.REJECTED, State.COMPLETED, State.CANCELLED, State.NOT_EXECUTED}
)

UnitId = Annotated[
    str,
    Meta(
        pattern=r"^[a-z0-9][a-z0-9-]{1,62}$",
        description="Unit id from GET /v1/units.",
        examples=["pa-kronoberg"],
    ),
]
AwareDatetime = Annotated[
    datetime,
    Meta(
        tz=True,
        description="RFC 3339 timestamp with offset.",
        examples=["2026-11-28T09:30:00+01:00"],
    ),
]
ShortText = Annotated[str, Meta(min_length=1, max_length=200)]
LongText = Annotated[str, Meta(min_length=1, max_length=4000)]


class ActorRef(msgspec.Struct, frozen=True, kw_only=True):
    """Who did something: the token's subject and the unit it acted for.

    `org` is null only for the service itself (deadline warnings and breaches).
    """

    sub: str
    org: Org | None
    unit: str


SERVICE = ActorRef(sub="handover-service", org=None, unit="system")


class Actor(ActorRef, frozen=True, kw_only=True):
    """An authenticated caller, as taken from a verified token."""

    org: Org
    roles: tuple[Role, ...]

    def ref(self) -> ActorRef:
        return ActorRef(sub=self.sub, org=self.org, unit=self.unit)

    def has_any(self, *roles: Role) -> bool:
        return any(role in self.roles for role in roles)
