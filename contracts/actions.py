"""Bodies of the action endpoints, with their closed reason lists (plus free text).

The lifecycle actions first, then the deadline, escalation and incident-report actions.
"""

from __future__ import annotations

import enum
from typing import Annotated

from msgspec import Meta

from contracts.capacity import CapacityCategory
from contracts.common import AwareDatetime, Input, LongText, ShortText, UnitId

Items = Annotated[tuple[ShortText, ...], Meta(max_length=50)]


class _Body(Input, frozen=True, kw_only=True):
    """Base of the action bodies: strict, immutable, keyword-only."""


class _Reasoned(_Body, frozen=True, kw_only=True):
    """A closed reason plus free text, which is required when the reason is `other`."""

    text: LongText | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if getattr(self, "reason", None) == "other" and not self.text:
            raise ValueError("`text` is required when the reason is `other`")


class DeferralReason(enum.StrEnum):
    NO_CAPACITY = "no_capacity"
    NO_TRANSPORT_AVAILABLE = "no_transport_available"
    AWAITING_INFORMATION = "awaiting_information"
    OTHER = "other"


class RejectionReason(enum.StrEnum):
    """Only for an invalid request: lack of space is never a reason to reject (JO)."""

    WRONG_RECIPIENT = "wrong_recipient"
    MISSING_LEGAL_BASIS = "missing_legal_basis"
    INVALID_DECISION = "invalid_decision"
    DUPLICATE = "duplicate"
    OTHER = "other"


class RescheduleReason(enum.StrEnum):
    TRANSPORT_REPLANNED = "transport_replanned"
    REQUESTER_ASKED = "requester_asked"
    COURT_TIME_CHANGED = "court_time_changed"
    SECURITY = "security"
    OTHER = "other"


class CancellationReason(enum.StrEnum):
    DECISION_REVOKED = "decision_revoked"
    PERSON_RELEASED = "person_released"
    DUPLICATE = "duplicate"
    ENTERED_IN_ERROR = "entered_in_error"
    OTHER = "other"


class NotExecutedReason(enum.StrEnum):
    PERSON_NOT_FOUND = "person_not_found"
    REFUSED_BY_COURT = "refused_by_court"
    PERSON_ILL = "person_ill"
    SECURITY_RISK = "security_risk"
    TRANSPORT_FAILURE = "transport_failure"
    OTHER = "other"


class AcceptBody(_Body, frozen=True, kw_only=True):
    """Accept the request; the executor takes it on."""

    note: LongText | None = None


class DeferBody(_Reasoned, frozen=True, kw_only=True):
    """Not now (e.g. no capacity): the legal deadline keeps running and coordinators see it."""

    reason: DeferralReason
    expected_at: AwareDatetime | None = None
    full_unit: Annotated[
        UnitId | None,
        Meta(
            description=(
                "Only with `no_capacity`: the remand prison or prison that is full. When left "
                "out, the request's destination (if a remand prison or prison) is taken."
            ),
            examples=["kv-hakte-kronoberg"],
        ),
    ] = None
    category: Annotated[
        CapacityCategory | None,
        Meta(
            description=(
                "Only with `no_capacity`: the kind of place that is lacking; the deferral is "
                "flagged when other units of the full unit's region publish free places of it."
            )
        ),
    ] = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.reason != DeferralReason.NO_CAPACITY and (
            self.full_unit is not None or self.category is not None
        ):
            raise ValueError("`full_unit` and `category` are only for the reason `no_capacity`")


class RejectBody(_Reasoned, frozen=True, kw_only=True):
    """Reject an invalid request (wrong recipient, missing legal basis...)."""

    reason: RejectionReason


class ScheduleBody(_Reasoned, frozen=True, kw_only=True):
    """Plan (or re-plan, with a reason) the pick-up; needs a complete security assessment."""

    pickup_at: AwareDatetime
    transport_unit: Annotated[UnitId, Meta(examples=["kv-nte-stockholm"])]
    reason: RescheduleReason | None = None
    note: LongText | None = None


class ReleaseBody(_Body, frozen=True, kw_only=True):
    """The holder hands the person over; they stay responsible until the receiver confirms."""

    to_unit: Annotated[UnitId, Meta(examples=["kv-nte-stockholm"])]
    occurred_at: AwareDatetime
    identity_checked: bool
    documents: Items = ()
    medication: Items = ()
    property_seals: Items = ()
    remarks: LongText | None = None


class ReceiveBody(_Body, frozen=True, kw_only=True):
    """The receiver confirms; responsibility moves now."""

    occurred_at: AwareDatetime
    identity_confirmed: bool
    received_from: Annotated[
        ShortText | None,
        Meta(description="Only for a pick-up from outside both agencies (e.g. a care home)."),
    ] = None
    remarks: LongText | None = None


class CancelBody(_Reasoned, frozen=True, kw_only=True):
    """The requester withdraws the request before the first handover."""

    reason: CancellationReason


class CompleteBody(_Body, frozen=True, kw_only=True):
    """Delivery to a destination outside both agencies (a court, a care home)."""

    occurred_at: AwareDatetime
    delivered_to: ShortText
    remarks: LongText | None = None


class NotExecutedBody(_Reasoned, frozen=True, kw_only=True):
    """The order could not be carried out."""

    reason: NotExecutedReason
    occurred_at: AwareDatetime


class PlacedBody(_Body, frozen=True, kw_only=True):
    """A convicted person waiting in the remand prison was placed in a prison (strafftidslag
    10 §): meets the prison-place clocks."""

    prison_unit: Annotated[
        UnitId, Meta(description="The prison (anstalt) placed in.", examples=["kv-anstalt-kumla"])
    ]
    occurred_at: Annotated[
        AwareDatetime,
        Meta(description="When the person was received at (moved into) the prison."),
    ]
    decision: Annotated[
        ShortText | None,
        Meta(description="The placement decision (placeringsbeslut), e.g. its reference."),
    ] = None
    remarks: LongText | None = None


class ExtensionReason(enum.StrEnum):
    COURT_DECISION = "court_decision"
    PROSECUTOR_DECISION = "prosecutor_decision"
    AGENCY_DECISION = "agency_decision"
    REPORT_FILED = "report_filed"
    OTHER = "other"


class ExtendBody(Input, frozen=True, kw_only=True):
    """Move a deadline by a recorded decision; old and new due times stay in the log."""

    reason: ExtensionReason
    decision: Annotated[ShortText, Meta(examples=["Stockholms tingsrätt B 12345-26, 2026-11-28"])]
    new_due_at: AwareDatetime
    text: LongText | None = None


class AcknowledgeBody(Input, frozen=True, kw_only=True):
    note: LongText


class ReportBody(Input, frozen=True, kw_only=True):
    """A serious incident reported to Arbetsmiljöverket."""

    reported_at: AwareDatetime
    reference: ShortText
