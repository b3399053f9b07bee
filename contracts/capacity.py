"""Free places published by remand prisons and prisons, and the check a deferral gets.

Capacity is reference data about units, not personal data and not the state of a request:
the API writes it to PostgreSQL directly (`PUT /v1/units/{id}/capacity`) and reads it back
(`GET /v1/capacity`). A deferral for no capacity names the unit that is full; the API looks
up what the other units of that unit's region published and passes it to the request's
workflow in the command (`CapacityCheck`), so the workflow's decision stays deterministic.
"""

from __future__ import annotations

import enum
from datetime import datetime, timedelta
from typing import Annotated

import msgspec
from msgspec import Meta

from contracts.common import AwareDatetime, Input, Org, UnitKind

# Published figures older than this are not taken as evidence of room elsewhere.
FRESH_FOR = timedelta(hours=24)


class CapacityCategory(enum.StrEnum):
    """Kinds of places a remand prison or prison publishes (the list may grow within v1)."""

    REMAND_MEN = "remand_men"
    REMAND_WOMEN = "remand_women"
    REMAND_JUVENILE = "remand_juvenile"
    REMAND_ISOLATION = "remand_isolation"
    PRISON_MEN = "prison_men"
    PRISON_WOMEN = "prison_women"
    PRISON_HIGH_SECURITY = "prison_high_security"


PLACE_KINDS = frozenset({UnitKind.REMAND_PRISON, UnitKind.PRISON})


class CategoryPlaces(Input, frozen=True, kw_only=True):
    category: CapacityCategory
    free: Annotated[int, Meta(ge=0, le=100_000, description="Free places now.")]


class CapacityBody(Input, frozen=True, kw_only=True):
    """A unit's free places by category, as of a moment; replaces what it published before."""

    categories: Annotated[tuple[CategoryPlaces, ...], Meta(max_length=20)]
    as_of: AwareDatetime

    def __post_init__(self) -> None:
        super().__post_init__()
        seen = [c.category for c in self.categories]
        if len(seen) != len(set(seen)):
            raise ValueError("each category may appear once")


class UnitCapacity(msgspec.Struct, frozen=True, kw_only=True):
    """What one unit published last."""

    unit: str
    name: str
    org: Org
    kind: UnitKind
    region: str
    categories: tuple[CategoryPlaces, ...]
    as_of: datetime
    updated_at: datetime
    updated_by: str


class Room(msgspec.Struct, frozen=True, kw_only=True):
    """Free places of one other unit of the region, as the capacity data said."""

    unit: str
    free: int
    as_of: datetime


class CapacityCheck(msgspec.Struct, frozen=True, kw_only=True):
    """What the API found for a deferral for no capacity, passed into the workflow.

    `full_unit` is the unit named full (or the request's destination when the body names
    none); `room` lists other units of its region that published free places of `category`
    within `FRESH_FOR` (empty: none; not checked when `category` is None).
    """

    full_unit: str
    region: str | None = None
    category: CapacityCategory | None = None
    room: tuple[Room, ...] = ()


def room_elsewhere(
    rows: list[UnitCapacity], *, full_unit: str, category: CapacityCategory, now: datetime
) -> tuple[Room, ...]:
    """Other units with free places of `category` in fresh figures, most free first."""
    found = [
        Room(unit=row.unit, free=c.free, as_of=row.as_of)
        for row in rows
        if row.unit != full_unit and now - row.as_of <= FRESH_FOR
        for c in row.categories
        if c.category == category and c.free > 0
    ]
    return tuple(sorted(found, key=lambda r: (-r.free, r.unit)))
