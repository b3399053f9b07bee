"""Journeys with stops: overnight lodgings, redirects and a return leg.

A request moves a person from its origin to its destination. On the way the person may stay
overnight at a remand prison or police custody unit that accepts it (a *lodging*), the
destination may change after pickup (a *redirect*, with a reason), and an enforcement-assistance
request may come back (a *return leg*: to a hearing and back), which makes the outward
destination a *turnaround* stop.

Responsibility never moves by planning: the person reaches a lodging or a turnaround unit by the
usual two-party handover (the release to that unit and its reception), and leaves it the same
way, so the custody chain stays gapless across every stop. The workflow follows the handovers
and marks each stop reached and left. A turnaround outside both agencies (a court) is reached
and left while the escort keeps the person: the holder records the arrival and the departure.

One endpoint, `POST /v1/handovers/{id}/journey`, takes every change, tagged by `change`.
"""

from __future__ import annotations

import enum
from datetime import datetime, timedelta
from typing import Annotated

import msgspec
from msgspec import Meta

from contracts.common import ActorRef, AwareDatetime, Input, LongText, UnitId, UnitKind
from contracts.places import Place

# Where a person may stay overnight on the way.
LODGING_KINDS = frozenset({UnitKind.REMAND_PRISON, UnitKind.POLICE_CUSTODY})
# A lodging is a stop on a journey, not a placement: at most this long.
LONGEST_LODGING = timedelta(hours=72)


class StopKind(enum.StrEnum):
    LODGING = "lodging"
    TURNAROUND = "turnaround"


class StopStatus(enum.StrEnum):
    """planned -> accepted (or declined) -> reached -> left; cancelled before it is reached.

    A turnaround needs no answer: it is planned as accepted.
    """

    PLANNED = "planned"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    CANCELLED = "cancelled"
    REACHED = "reached"
    LEFT = "left"


# A stop that is still part of the plan (the person is expected, there, or has been there).
LIVE = frozenset({StopStatus.PLANNED, StopStatus.ACCEPTED, StopStatus.REACHED, StopStatus.LEFT})


class DeclineReason(enum.StrEnum):
    NO_CAPACITY = "no_capacity"
    SECURITY = "security"
    NOT_SUITABLE = "not_suitable"
    OTHER = "other"


class CancelStopReason(enum.StrEnum):
    REPLANNED = "replanned"
    DECLINED_ELSEWHERE = "declined_elsewhere"
    NOT_NEEDED = "not_needed"
    OTHER = "other"


class RedirectReason(enum.StrEnum):
    COURT_DECISION = "court_decision"
    PLACEMENT_DECISION = "placement_decision"
    NO_CAPACITY = "no_capacity"
    SECURITY = "security"
    MEDICAL = "medical"
    OTHER = "other"


class _Change(Input, frozen=True, kw_only=True, tag_field="change"):
    """Base of the journey changes: strict, immutable, tagged by `change`."""


class _Reasoned(_Change, frozen=True, kw_only=True):
    text: LongText | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if getattr(self, "reason", None) == "other" and not self.text:
            raise ValueError("`text` is required when the reason is `other`")


StopNumber = Annotated[int, Meta(ge=1, le=1000, description="The stop's `number`.")]


class PlanLodging(_Change, frozen=True, kw_only=True, tag="lodging"):
    """An overnight stay on the way at a remand prison or police custody unit, which must
    accept it before the person is released to it."""

    unit: Annotated[UnitId, Meta(examples=["kv-hakte-sundsvall"])]
    arrive_at: Annotated[AwareDatetime, Meta(description="Planned arrival at the lodging.")]
    depart_at: Annotated[AwareDatetime, Meta(description="Planned departure (within 72 h).")]
    note: LongText | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.depart_at <= self.arrive_at:
            raise ValueError("`depart_at` must be after `arrive_at`")
        if self.depart_at - self.arrive_at > LONGEST_LODGING:
            raise ValueError("a lodging lasts at most 72 hours (`depart_at` - `arrive_at`)")


class AnswerLodging(_Reasoned, frozen=True, kw_only=True, tag="lodging_answer"):
    """The lodging unit's answer: it takes the person for the night, or not (with a reason)."""

    stop: StopNumber
    accepted: bool
    reason: DeclineReason | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.accepted and self.reason is None:
            raise ValueError("a declined lodging needs a `reason`")
        if self.accepted and self.reason is not None:
            raise ValueError("`reason` is only for a declined lodging")


class CancelStop(_Reasoned, frozen=True, kw_only=True, tag="cancel_stop"):
    """Take a stop out of the plan before the person reaches it."""

    stop: StopNumber
    reason: CancelStopReason


class Redirect(_Reasoned, frozen=True, kw_only=True, tag="redirect"):
    """A new destination after pickup: `to_unit` for a transfer (a remand prison or prison),
    `destination` for enforcement assistance. Before pickup, amend the destination instead."""

    reason: RedirectReason
    to_unit: Annotated[UnitId | None, Meta(examples=["kv-hakte-goteborg"])] = None
    destination: Place | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if (self.to_unit is None) == (self.destination is None):
            raise ValueError("give `to_unit` (a transfer) or `destination` (assistance)")


class PlanReturn(_Change, frozen=True, kw_only=True, tag="return"):
    """Enforcement assistance only: after the destination (now a turnaround stop) the person is
    taken back to `return_to`, whose reception then completes the request."""

    return_to: Annotated[
        UnitId, Meta(description="The unit the person returns to.", examples=["kv-hakte-kronoberg"])
    ]
    depart_at: Annotated[
        AwareDatetime | None, Meta(description="Planned departure from the turnaround.")
    ] = None
    note: LongText | None = None


class StopArrival(_Change, frozen=True, kw_only=True, tag="arrived"):
    """The escort holding the person arrived at a turnaround outside both agencies."""

    stop: StopNumber
    occurred_at: AwareDatetime


class StopDeparture(_Change, frozen=True, kw_only=True, tag="departed"):
    """The escort holding the person left a turnaround outside both agencies."""

    stop: StopNumber
    occurred_at: AwareDatetime


JourneyChange = (
    PlanLodging | AnswerLodging | CancelStop | Redirect | PlanReturn | StopArrival | StopDeparture
)


class JourneyCommand(msgspec.Struct, frozen=True, kw_only=True):
    """What the API sends the workflow: the change and the kind of the unit it names (looked up
    in the reference data; the workflow looks nothing up)."""

    change: JourneyChange
    unit_kind: UnitKind | None = None


class Stop(msgspec.Struct, frozen=True, kw_only=True):
    """A stop on the way: a lodging, or the turnaround of a journey with a return leg."""

    number: int
    kind: StopKind
    status: StopStatus
    unit: str | None = None
    place: Annotated[str | None, Meta(description="A turnaround outside both agencies.")] = None
    arrive_at: datetime | None = None
    depart_at: datetime | None = None
    planned_by: ActorRef
    planned_at: datetime
    answered_by: ActorRef | None = None
    answered_at: datetime | None = None
    decline_reason: DeclineReason | None = None
    cancel_reason: CancelStopReason | None = None
    text: str | None = None
    note: str | None = None
    reached_at: datetime | None = None
    left_at: datetime | None = None


class RedirectRecord(msgspec.Struct, frozen=True, kw_only=True):
    """A change of destination after pickup; the old destination stays on record."""

    number: int
    from_unit: str | None
    to_unit: str | None
    from_place: Place | None = None
    to_place: Place | None = None
    reason: RedirectReason
    text: str | None = None
    by: ActorRef
    at: datetime


class Journey(msgspec.Struct, frozen=True, kw_only=True):
    """The plan beyond origin and destination, and how it went."""

    stops: tuple[Stop, ...] = ()
    redirects: tuple[RedirectRecord, ...] = ()
    return_to: str | None = None

    def stop(self, number: int) -> Stop | None:
        return self.stops[number - 1] if 0 < number <= len(self.stops) else None

    def units(self) -> set[str]:
        """Units the plan involves: live stops' units and every earlier destination."""
        found = {s.unit for s in self.stops if s.unit and s.status in LIVE}
        found |= {r.from_unit for r in self.redirects if r.from_unit}
        return found

    def lodging_units(self) -> frozenset[str]:
        """Units that take part as lodgings now (planned, accepted or reached)."""
        return frozenset(
            s.unit for s in self.stops if s.unit and s.kind == StopKind.LODGING and s.status in LIVE
        )
