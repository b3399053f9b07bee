"""The JO inspection of a unit and period, and the per-unit export of whole cases.

An inspection is facts only (no sealed column is read): the requests the unit was a party to
in the period, every breach with what the read model knows of its cause, the incidents (on
requests and of the unit) with their follow-up, and a summary of the access log. Coordinators
and auditors read it. The per-unit export (`UnitExport`) is each case in full, as the single
export gives it: coordinators only, since auditors do not see case contents.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import msgspec
from msgspec import Meta

from contracts.api import CaseExport


class InspectionRequest(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    reference: str
    kind: str
    legal_basis: str | None
    state: str
    requesting_unit: str | None
    executing_unit: str | None
    created_at: datetime
    breached: bool


class Breach(msgspec.Struct, frozen=True, kw_only=True):
    """A breached deadline and its cause as far as the facts tell."""

    handover_id: str
    reference: str
    deadline: str
    legal: bool
    starts_at: datetime
    due_at: datetime
    breached_at: datetime
    met_at: datetime | None
    state_at_breach: Annotated[
        str | None, Meta(description="The last lifecycle event before the breach.")
    ]
    held_by: Annotated[
        str | None, Meta(description="The unit responsible for the person at the breach.")
    ]
    deferral_reasons: Annotated[
        list[str], Meta(description="Closed reasons of the deferrals before the breach.")
    ]
    extended: Annotated[bool, Meta(description="The deadline was extended before it broke.")]


class InspectionIncident(msgspec.Struct, frozen=True, kw_only=True):
    """An incident on a request (`handover_id`, `number`) or of the unit (`id`)."""

    source: Annotated[str, Meta(description="`request` or `unit`.")]
    unit: str
    kind: str
    severity: str
    occurred_at: datetime
    handover_id: str | None = None
    reference: str | None = None
    number: int | None = None
    id: str | None = None
    investigation: Annotated[
        str | None, Meta(description="`none`, `open` or `closed` (unit incidents).")
    ] = None
    measures: int | None = None
    measures_done: int | None = None
    closed_at: datetime | None = None
    report_due_at: datetime | None = None
    reported_at: datetime | None = None


class AccessSummary(msgspec.Struct, frozen=True, kw_only=True):
    """Reads of personal data of the period's requests and the unit's incidents."""

    reads: int
    readers: int
    by_action: dict[str, int]
    by_reader_unit: dict[str, int]
    outside_own_cases: int
    outside_own_cases_without_purpose: int
    unusual_hour: int


class Inspection(msgspec.Struct, frozen=True, kw_only=True):
    unit: str
    unit_name: str
    start: date
    end: Annotated[date, Meta(description="The last day of the period (inclusive).")]
    scope: str | None
    generated_at: datetime
    requests: list[InspectionRequest]
    breaches: list[Breach]
    incidents: list[InspectionIncident]
    access: AccessSummary


class UnitExport(msgspec.Struct, frozen=True, kw_only=True):
    """One page of a unit's cases in a period, each as `GET /v1/handovers/{id}/export`."""

    unit: str
    start: date
    end: date
    exported_at: datetime
    items: list[CaseExport]
    next_cursor: str | None
