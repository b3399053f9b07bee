"""Security assessment (säkerhetsbedömning) and incidents: what travels with a person."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Annotated

import msgspec
from msgspec import Meta

from contracts.common import ActorRef, AwareDatetime, Input, LongText, ShortText


class Flag(enum.StrEnum):
    VIOLENCE = "violence"
    ESCAPE_RISK = "escape_risk"
    SELF_HARM = "self_harm"
    SUICIDE_RISK = "suicide_risk"
    HOLD_SEPARATELY = "hold_separately"
    MEDICAL_NEEDS = "medical_needs"
    MEDICATION = "medication"
    CONTAGION = "contagion"
    INTERPRETER = "interpreter"


class Level(enum.StrEnum):
    INFORMATION = "information"
    ATTENTION = "attention"
    WARNING = "warning"
    ALERT = "alert"


class FlagEntry(Input, frozen=True, kw_only=True):
    flag: Flag
    level: Level
    comment: LongText | None = None


class AssessmentBody(Input, frozen=True, kw_only=True):
    """A new version of the security assessment (the first, or an amendment with a reason)."""

    flags: Annotated[tuple[FlagEntry, ...], Meta(max_length=len(Flag))]
    complete: bool
    interpreter_language: ShortText | None = None
    amendment_reason: LongText | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        seen = [entry.flag for entry in self.flags]
        if len(seen) != len(set(seen)):
            raise ValueError("each flag may appear once")
        if Flag.INTERPRETER in seen and not self.interpreter_language:
            raise ValueError("`interpreter_language` is required with the interpreter flag")


class SecurityAssessment(msgspec.Struct, frozen=True, kw_only=True):
    """One version of the assessment, as recorded."""

    version: int
    flags: tuple[FlagEntry, ...]
    complete: bool
    interpreter_language: str | None
    amendment_reason: str | None
    recorded_by: ActorRef
    recorded_at: datetime
    after_scheduling: bool


class AssessmentHistory(msgspec.Struct, frozen=True, kw_only=True):
    """The current assessment and every earlier version."""

    current: SecurityAssessment | None
    versions: list[SecurityAssessment]


class IncidentKind(enum.StrEnum):
    NEAR_MISS = "near_miss"
    WORK_INJURY = "work_injury"
    ESCAPE = "escape"
    VIOLENCE = "violence"
    SELF_HARM = "self_harm"
    MEDICAL_EMERGENCY = "medical_emergency"
    VEHICLE_BREAKDOWN = "vehicle_breakdown"
    DEVIATION = "deviation"


class Severity(enum.StrEnum):
    MINOR = "minor"
    SERIOUS = "serious"
    CRITICAL = "critical"


SERIOUS = frozenset({Severity.SERIOUS, Severity.CRITICAL})


class IncidentBody(Input, frozen=True, kw_only=True):
    """An incident (tillbud, arbetsskada, rymning...) on a request, by either party."""

    kind: IncidentKind
    severity: Severity
    occurred_at: AwareDatetime
    place: ShortText
    description: LongText
    actions_taken: LongText


class Incident(msgspec.Struct, frozen=True, kw_only=True):
    """A recorded incident."""

    number: int
    kind: IncidentKind
    severity: Severity
    occurred_at: datetime
    place: str
    description: str
    actions_taken: str
    recorded_by: ActorRef
    recorded_at: datetime
    reported_at: datetime | None = None
    report_reference: str | None = None
