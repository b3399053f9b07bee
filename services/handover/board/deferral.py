"""A request's deferral on the board: the list's marker for a deferral for no capacity that the
capacity data flagged, and the request page's deferral block.

A deferral for no capacity carries `room_elsewhere` (true: the capacity data of the full unit's
region showed free places of the lacking category at other units, `room_at`, when the request
was deferred; false: none; null: not checked). It is a fact, kept in the record.

The list reads summaries (`HandoverSummary`), which do not carry the deferral, and the public
API's schemas stay as they are: for the listed rows in state `deferred`, one query reads the
flag from the read model's clear facts (`Repository.flagged_deferrals`); nothing is unsealed,
and nothing personal is shown, so nothing more is audited. The request page shows the deferral of
the record it reads (audited), the units' names (reference data) and, for coordinators, what
the units with room publish now, from the same data as the Free places section.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from contracts.api import Deferral, HandoverSummary
from contracts.common import State
from services.handover.board.free_places import Places
from services.handover.repository import Repository


async def flagged_deferrals(repository: Repository, items: Iterable[HandoverSummary]) -> set[str]:
    """The ids of the deferred requests among `items` whose deferral is flagged."""
    deferred = [item.id for item in items if item.state == State.DEFERRED]
    return await repository.flagged_deferrals(ids=deferred) if deferred else set()


@dataclass(frozen=True)
class RoomAt:
    """A unit that had room when the request was deferred, and what it publishes now for the
    deferral's category (`free` None: nothing the caller may read, or no figure for it)."""

    unit: str
    name: str
    free: int | None = None
    as_of: datetime | None = None
    stale: bool = False


@dataclass(frozen=True)
class DeferralView:
    deferral: Deferral
    by_name: str
    full_unit_name: str | None
    room_at: list[RoomAt]

    @property
    def flagged(self) -> bool:
        return self.deferral.room_elsewhere is True

    @property
    def checked(self) -> str:
        """The capacity check in one word: `flagged`, `no_room` or `unchecked`."""
        if self.deferral.room_elsewhere is None:
            return "unchecked"
        return "flagged" if self.deferral.room_elsewhere else "no_room"


def deferral_units(deferral: Deferral | None) -> list[str]:
    """Every unit the deferral names, for one look-up of their names."""
    if deferral is None:
        return []
    units = {deferral.by.unit, deferral.full_unit, *(deferral.room_at or ())}
    return sorted(u for u in units if u)


def deferral_view(
    deferral: Deferral | None, names: Mapping[str, str], places: list[Places] | None
) -> DeferralView | None:
    """The deferral arranged for the template; `places` is the caller's Free places section
    (None for callers who may not read it: the units with room then show without figures)."""
    if deferral is None:
        return None
    published = {p.unit.unit: p for p in places or ()}
    rooms: list[RoomAt] = []
    for unit in deferral.room_at or ():  # most free first, as the check found them
        room = RoomAt(unit=unit, name=names.get(unit, unit))
        shown = published.get(unit)
        if shown is not None:
            for c in shown.unit.categories:
                if c.category == deferral.category:
                    room = RoomAt(
                        unit=unit,
                        name=room.name,
                        free=c.free,
                        as_of=shown.unit.as_of,
                        stale=shown.stale,
                    )
        rooms.append(room)
    full = deferral.full_unit
    return DeferralView(
        deferral=deferral,
        by_name=names.get(deferral.by.unit, deferral.by.unit),
        full_unit_name=names.get(full, full) if full else None,
        room_at=rooms,
    )
