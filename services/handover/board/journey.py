"""The request page's journey: its stops in order, the redirects and the return unit.

Nothing here reads anything: the page reads the record (audited as `board_view`) and the
units' names (reference data, not personal data); this only arranges them for the template.
Place texts and free texts stay as they are; Jinja's autoescape escapes them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from contracts.journey import Journey, RedirectRecord, Stop, StopStatus
from contracts.places import Place


@dataclass(frozen=True)
class Where:
    """A unit (its id and name; the id when the name is unknown) or a place outside both
    agencies (its text, `unit` None)."""

    name: str
    unit: str | None = None


@dataclass(frozen=True)
class StopRow:
    stop: Stop
    where: Where | None
    # Still `reached` after its planned departure: the person stays past the plan.
    overdue: bool


@dataclass(frozen=True)
class RedirectRow:
    redirect: RedirectRecord
    source: Where | None
    target: Where | None


@dataclass(frozen=True)
class JourneyView:
    stops: list[StopRow]
    redirects: list[RedirectRow]
    return_to: Where | None


def journey_units(journey: Journey) -> list[str]:
    """Every unit the journey names, for one look-up of their names."""
    units: set[str | None] = {stop.unit for stop in journey.stops}
    for r in journey.redirects:
        units |= {r.from_unit, r.to_unit}
        units |= {p.unit for p in (r.from_place, r.to_place) if p is not None}
    units.add(journey.return_to)
    return sorted(u for u in units if u)


def is_overdue(stop: Stop, now: datetime) -> bool:
    return stop.status == StopStatus.REACHED and stop.depart_at is not None and stop.depart_at < now


def journey_view(
    journey: Journey | None, names: Mapping[str, str], now: datetime
) -> JourneyView | None:
    """The section's rows; None when there is no journey to show."""
    if journey is None or not (journey.stops or journey.redirects or journey.return_to):
        return None

    def unit(unit_id: str | None) -> Where | None:
        return Where(name=names.get(unit_id, unit_id), unit=unit_id) if unit_id else None

    def place(unit_id: str | None, where: Place | None) -> Where | None:
        if unit_id:
            return unit(unit_id)
        if where is not None and where.unit:
            return unit(where.unit)
        if where is not None and where.description:
            return Where(name=where.description)
        return None

    def stop_where(stop: Stop) -> Where | None:
        return unit(stop.unit) or (Where(name=stop.place) if stop.place else None)

    return JourneyView(
        stops=[
            StopRow(stop=s, where=stop_where(s), overdue=is_overdue(s, now))
            for s in sorted(journey.stops, key=lambda s: s.number)
        ],
        redirects=[
            RedirectRow(
                redirect=r,
                source=place(r.from_unit, r.from_place),
                target=place(r.to_unit, r.to_place),
            )
            for r in sorted(journey.redirects, key=lambda r: r.number)
        ],
        return_to=unit(journey.return_to),
    )
