"""Vocabulary shared by the API and the workflows: organisations, roles, states, units."""

from __future__ import annotations

import enum
from datetime import datetime, timedelta
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

# Characters no text may hold, so that every layer can store it and show it as written:
# C0/C1 controls and DEL (which PostgreSQL or JSON refuse, or which hide text), lone
# surrogates (not encodable as UTF-8), bidirectional embeddings, overrides and isolates
# (they make text display as other text), the byte-order mark and two non-characters.
_NEVER = (
    r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff"
    r"\u202a-\u202e\u2066-\u2069\ufeff\ufffe\uffff"
)
# `(?![\s\S])` ends the match at the end of the text in both Python and ECMAScript regexes
# (Python's `$` also matches before a final line break).
LINE_PATTERN = rf"^[^\t\n\r{_NEVER}]*(?![\s\S])"
"""One line of text: no control characters at all."""
TEXT_PATTERN = rf"^[^{_NEVER}]*(?![\s\S])"
"""Free text: tab and line breaks allowed, no other control characters."""

CURSOR_PATTERN = r"^[A-Za-z0-9_-]*$"
"""An opaque position this API handed out: unpadded URL-safe base64."""

EARLIEST_YEAR, LATEST_YEAR = 1900, 2100
INSTANT_PATTERN = r"^(19[0-9]{2}|20[0-9]{2}|2100)-"
CLOCK_SKEW = timedelta(minutes=2)
"""How far ahead of the service's clock a client-given instant may lie (clocks drift)."""

UNIT_PATTERN = r"^[a-z0-9][a-z0-9-]{1,62}(?![\s\S])"
UnitId = Annotated[
    str,
    Meta(
        pattern=UNIT_PATTERN,
        description="Unit id from GET /v1/units.",
        examples=["pa-kronoberg"],
    ),
]
AwareDatetime = Annotated[
    datetime,
    Meta(
        tz=True,
        description=f"RFC 3339 timestamp with offset, years {EARLIEST_YEAR} to {LATEST_YEAR}.",
        examples=["2026-11-28T09:30:00+01:00"],
        # Litestar reads `extra` into the OpenAPI schema: the years, as a pattern clients see.
        extra_json_schema={"extra": {"pattern": INSTANT_PATTERN}},
    ),
]
ShortText = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=200,
        pattern=LINE_PATTERN,
        description="One line of text without control characters.",
    ),
]
LongText = Annotated[
    str,
    Meta(
        min_length=1,
        max_length=4000,
        pattern=TEXT_PATTERN,
        description="Free text: tabs and line breaks, no other control characters.",
    ),
]
Count = Annotated[int, Meta(ge=0, le=2**63 - 1)]


def instant_in_range(value: datetime) -> bool:
    """Within the years every layer computes with (calendar, PostgreSQL, JSON) without overflow."""
    return EARLIEST_YEAR <= value.year <= LATEST_YEAR


class Input(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Base of every body a client sends: strict, immutable, keyword-only.

    msgspec has no range for datetimes, so instants are checked here (as written, with
    their own offset: the `pattern` the contract shows for them says the same).
    """

    def __post_init__(self) -> None:
        for name in self.__struct_fields__:
            value = getattr(self, name)
            if isinstance(value, datetime) and not instant_in_range(value):
                raise ValueError(f"`{name}` must lie in the years {EARLIEST_YEAR} to {LATEST_YEAR}")


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
