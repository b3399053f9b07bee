"""Incidents of a unit and their follow-up (tillbud och arbetsskador).

An incident that happens outside a handover (in a cell, during a hearing, on the premises) is
recorded for a unit, not a request. Each one runs its own small Temporal workflow
(`unit-incident-<id>`, `workflows/unit_incident.py`), the only writer of its row in the read
model, with the same projection discipline as a request. It gets an investigation (a
responsible person and measures), a closing decision, and, when serious, the employer's
reporting clock of AML 3:3 a (the policy's `incident_report` entry: one source of truth).
A work injury to staff is the incident kind `work_injury`.

Texts (place, description, actions, the responsible person, measures, the decision) are
personal data: the read model keeps them only sealed with the incident's own key
(`incident_keys`), which is overwritten at erasure, as a request's.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Annotated

import msgspec
from msgspec import Meta

from contracts.assessment import IncidentKind, Severity
from contracts.common import ActorRef, AwareDatetime, Input, LongText, ShortText
from contracts.deadline_policy import Clocks

UNIT_INCIDENT_WORKFLOW = "UnitIncident"
UPDATE_UNIT_INCIDENT_RECORD = "record"
UPDATE_UNIT_INCIDENT_INVESTIGATE = "investigate"
UPDATE_UNIT_INCIDENT_CLOSE = "close"
UPDATE_UNIT_INCIDENT_REPORT = "report"
ACTIVITY_PROJECT_UNIT_INCIDENT = "project_unit_incident"
ACTIVITY_ERASE_UNIT_INCIDENT = "erase_unit_incident"


def unit_incident_workflow_id(incident_id: str) -> str:
    return f"unit-incident-{incident_id}"


class Setting(enum.StrEnum):
    """Where, outside a handover, the incident happened."""

    CELL = "cell"
    HEARING = "hearing"
    PREMISES = "premises"
    TRANSPORT = "transport"
    OTHER = "other"


class InvestigationState(enum.StrEnum):
    NONE = "none"
    OPEN = "open"
    CLOSED = "closed"


class UnitIncidentBody(Input, frozen=True, kw_only=True):
    """An incident of the caller's own unit, outside any handover request."""

    kind: IncidentKind
    severity: Severity
    setting: Setting
    occurred_at: AwareDatetime
    place: ShortText
    description: LongText
    actions_taken: LongText
    staff_injured: bool = False


class Measure(Input, frozen=True, kw_only=True):
    description: LongText
    due_on: date | None = None
    done: bool = False


class InvestigationBody(Input, frozen=True, kw_only=True):
    """Open the investigation, or replace its responsible person and measures."""

    responsible: ShortText
    measures: Annotated[tuple[Measure, ...], Meta(max_length=50)] = ()


class CloseBody(Input, frozen=True, kw_only=True):
    """The closing decision of the investigation."""

    decision: LongText
    decided_at: AwareDatetime


class IncidentReportBody(Input, frozen=True, kw_only=True):
    """The incident reported to Arbetsmiljöverket (meets the `incident_report` clock)."""

    reported_at: AwareDatetime
    reference: ShortText


class Investigation(msgspec.Struct, frozen=True, kw_only=True):
    state: InvestigationState
    responsible: str | None = None
    measures: tuple[Measure, ...] = ()
    opened_at: datetime | None = None
    opened_by: ActorRef | None = None
    decision: str | None = None
    decided_at: datetime | None = None
    closed_by: ActorRef | None = None


class ReportClock(msgspec.Struct, frozen=True, kw_only=True):
    """The employer's reporting clock (`incident_report` of the deadline policy)."""

    name: str
    legal: bool
    basis: str
    starts_at: datetime
    warn_at: datetime
    due_at: datetime
    met_at: datetime | None = None
    report_reference: str | None = None


class UnitIncident(msgspec.Struct, frozen=True, kw_only=True):
    """A unit's incident with its follow-up, as recorded."""

    id: str
    version: int
    unit: str
    org: str
    kind: IncidentKind
    severity: Severity
    setting: Setting
    staff_injured: bool
    occurred_at: datetime
    place: str
    description: str
    actions_taken: str
    recorded_by: ActorRef
    recorded_at: datetime
    investigation: Investigation
    report: ReportClock | None = None
    updated_at: datetime | None = None


class UnitIncidentFacts(msgspec.Struct, frozen=True, kw_only=True):
    """An incident without its texts: what lists, inspections and statistics show."""

    id: str
    unit: str
    kind: IncidentKind
    severity: Severity
    setting: Setting
    staff_injured: bool
    occurred_at: datetime
    recorded_at: datetime
    investigation: InvestigationState
    measures: int
    measures_done: int
    opened_at: datetime | None
    closed_at: datetime | None
    report_due_at: datetime | None
    reported_at: datetime | None
    report_overdue: bool


class UnitIncidentPage(msgspec.Struct, frozen=True, kw_only=True):
    items: list[UnitIncidentFacts]
    next_cursor: str | None


# --- workflow messages ----------------------------------------------------------------------


class UnitIncidentStart(msgspec.Struct, frozen=True, kw_only=True):
    incident_id: str
    clocks: Clocks


class UnitIncidentCommand(msgspec.Struct, frozen=True, kw_only=True):
    """One update: who, the body (one of the bodies above), and the unit's reference facts."""

    actor: ActorRef
    request_id: str
    record: UnitIncidentBody | None = None
    investigate: InvestigationBody | None = None
    close: CloseBody | None = None
    report: IncidentReportBody | None = None
    unit_org: str = ""
    unit_region: str = ""


class UnitIncidentProjection(msgspec.Struct, frozen=True, kw_only=True):
    incident: UnitIncident
    region: str


class UnitIncidentErasure(msgspec.Struct, frozen=True, kw_only=True):
    incident_id: str
    erased_at: datetime
