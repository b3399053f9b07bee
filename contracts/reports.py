"""Follow-up reports (`GET /v1/reports/{unit}`): aggregates of the clear facts, no person."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Annotated

import msgspec
from msgspec import Meta

from contracts.actions import DeferralReason
from contracts.api import LegalBasis
from contracts.assessment import IncidentKind, Severity
from contracts.common import Kind
from contracts.deadline_policy import DeadlineName


class Period(enum.StrEnum):
    WEEK = "week"
    MONTH = "month"


class Chart(enum.StrEnum):
    """The charts of a report (`GET /v1/reports/{unit}/charts/{chart}`)."""

    REQUESTS = "requests"
    DURATIONS = "durations"
    DEADLINES = "deadlines"
    DEFERRALS = "deferrals"
    INCIDENTS = "incidents"


Seconds = Annotated[float | None, Meta(description="Seconds; null when nothing was measured.")]


class KindCount(msgspec.Struct, frozen=True, kw_only=True):
    kind: Kind
    legal_basis: Annotated[
        LegalBasis | None, Meta(description="The assistance's basis; null for a transfer.")
    ]
    count: int


class Durations(msgspec.Struct, frozen=True, kw_only=True):
    """How long: `count` requests measured; `waiting` not (yet) there."""

    count: int
    median_seconds: Seconds
    p90_seconds: Seconds
    waiting: int


class RemandCustody(Durations, frozen=True, kw_only=True):
    max_seconds: Seconds


class DeadlineOutcomes(msgspec.Struct, frozen=True, kw_only=True):
    """One deadline's outcomes: `met` in time, ever `warned`, `breached` (also when met late),
    still `open` (running, warned or extended)."""

    name: DeadlineName
    total: int
    met: int
    warned: int
    breached: int
    open: int


class Deferrals(msgspec.Struct, frozen=True, kw_only=True):
    count: Annotated[int, Meta(description="Deferrals (`deferred` events).")]
    requests: Annotated[int, Meta(description="Requests deferred at least once.")]
    reasons: Annotated[dict[DeferralReason, int], Meta(description="Deferrals per closed reason.")]


class IncidentCount(msgspec.Struct, frozen=True, kw_only=True):
    kind: IncidentKind
    severity: Severity
    count: int


class Report(msgspec.Struct, frozen=True, kw_only=True):
    """A unit's follow-up for a week or a month (Europe/Stockholm).

    The cohort is the requests the unit is a party to that were created in the period, within
    the caller's scope; incidents are those that occurred in the period on the unit's requests.
    """

    unit: str
    unit_name: str
    period: Period
    start: Annotated[
        date, Meta(description="First day (a Monday for a week, the 1st for a month).")
    ]
    end: Annotated[date, Meta(description="The day after the last day.")]
    scope: Annotated[str, Meta(description="The caller's scope: an agency, or agency:region.")]
    generated_at: datetime
    requests: int
    by_kind: list[KindCount]
    by_state: dict[str, int]
    to_handover: Annotated[
        Durations,
        Meta(
            description=(
                "From the request to the first reception by the executing agency "
                "(Kriminalvården for a transfer)."
            )
        ),
    ]
    remand_custody: Annotated[
        RemandCustody,
        Meta(
            description=(
                "Remanded people: from the remand decision to the first reception by "
                "Kriminalvården; `waiting` are open requests still held by the police."
            )
        ),
    ]
    deadlines: list[DeadlineOutcomes]
    deferrals: Deferrals
    incidents: list[IncidentCount]
