"""What each event of a request's log says: one Struct per event type, in a tagged union.

The tag is the event's type, and the log does not repeat it inside the data: `logged` gives
the data as the log stores, serves and hashes it, `read` the Struct back. The keys, their
order, and which are null or absent are those the log has always had, so old chains verify:
a field without a default is written even when null, a field defaulting to None is left out
when None (`omit_defaults`), and an UNSET one is left out until set.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar

import msgspec
from msgspec import UNSET, UnsetType

from contracts.actions import (
    CancellationReason,
    DeferralReason,
    ExtensionReason,
    NotExecutedReason,
    RejectionReason,
    RescheduleReason,
)
from contracts.amendments import AmendedField
from contracts.api import Assistance, Regime
from contracts.assessment import FlagEntry, IncidentKind, Severity
from contracts.capacity import CapacityCategory
from contracts.common import Kind, State
from contracts.deadline_policy import DeadlineName, DeadlineState
from contracts.journey import CancelStopReason, DeclineReason, RedirectReason
from contracts.lifecycle import Party
from contracts.person import Decision
from contracts.places import Place
from contracts.refusals import Refusal
from contracts.relatives import NoticeMethod, NotNotifiedReason
from contracts.workflow import EventType

TAG = "type"


class EventData(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True, tag_field=TAG):
    """Base of every event's data; the tag is the event's type."""

    @property
    def type(self) -> EventType:
        return EventType(str(self.__struct_config__.tag))


# -- the lifecycle --------------------------------------------------------------------------


class Requested(EventData, frozen=True, kw_only=True, tag="requested"):
    kind: Kind
    # Always written now; absent from requests logged before the parties and the regime were.
    requesting_unit: str | None = None
    executing_unit: str | None = None
    from_unit: str | None
    to_unit: str | None
    decision: Decision
    regime: Regime | None = None
    assistance: Assistance | None = None
    deadlines: dict[str, str] | None = None  # deadline id -> due time (isoformat)
    policy_version: int | None = None


class Accepted(EventData, frozen=True, kw_only=True, tag="accepted"):
    note: str | None = None
    from_state: State


class Deferred(EventData, frozen=True, kw_only=True, tag="deferred"):
    text: str | None = None
    reason: DeferralReason
    expected_at: datetime | None = None
    from_state: State
    escalation: str | None = None
    # No capacity (since December 2026; absent before): the unit that is full, the kind of
    # place, and the flag: the capacity data showed room elsewhere in its region (null: not
    # checked), with the units that had room.
    full_unit: str | None = None
    category: CapacityCategory | None = None
    room_elsewhere: bool | None = None
    room_at: tuple[str, ...] | None = None


class Rejected(EventData, frozen=True, kw_only=True, tag="rejected"):
    text: str | None = None
    reason: RejectionReason
    from_state: State


class _Scheduling(EventData, frozen=True, kw_only=True):
    text: str | None = None
    pickup_at: datetime
    transport_unit: str
    reason: RescheduleReason | None = None
    note: str | None = None
    revision: int
    from_state: State


class Scheduled(_Scheduling, frozen=True, kw_only=True, tag="scheduled"):
    pass


class Rescheduled(_Scheduling, frozen=True, kw_only=True, tag="rescheduled"):
    pass


class Released(EventData, frozen=True, kw_only=True, tag="released"):
    to_unit: str
    occurred_at: datetime
    identity_checked: bool
    documents: tuple[str, ...]
    medication: tuple[str, ...]
    property_seals: tuple[str, ...]
    remarks: str | None
    from_unit: str
    step: int


class Received(EventData, frozen=True, kw_only=True, tag="received"):
    occurred_at: datetime
    identity_confirmed: bool
    received_from: str | None
    remarks: str | None
    unit: str
    step: int


class Completed(EventData, frozen=True, kw_only=True, tag="completed"):
    """A delivery outside both agencies (the body's fields), or the reception at the destination."""

    occurred_at: datetime | None = None
    delivered_to: str | None = None
    remarks: str | UnsetType | None = UNSET  # null for a delivery without remarks
    from_state: State | None = None
    destination: str | None = None


class Cancelled(EventData, frozen=True, kw_only=True, tag="cancelled"):
    text: str | None = None
    reason: CancellationReason
    from_state: State


class NotExecuted(EventData, frozen=True, kw_only=True, tag="not_executed"):
    text: str | None = None
    reason: NotExecutedReason
    occurred_at: datetime
    from_state: State


class Placed(EventData, frozen=True, kw_only=True, tag="placed"):
    """The convicted person was placed in a prison: the prison-place clocks are met."""

    prison_unit: str
    occurred_at: datetime
    decision: str | None = None
    remarks: str | None = None


# -- beside the lifecycle -------------------------------------------------------------------


class RelativesRecorded(EventData, frozen=True, kw_only=True, tag="relatives_recorded"):
    """Whether the person's close relatives were told of the move: who, when, how, or why not."""

    notified: bool
    relative: str | None = None
    notified_at: datetime | None = None
    method: NoticeMethod | None = None
    reason: NotNotifiedReason | None = None
    text: str | None = None
    number: int


class _Assessed(EventData, frozen=True, kw_only=True):
    flags: tuple[FlagEntry, ...]
    complete: bool
    interpreter_language: str | None
    amendment_reason: str | None
    version: int
    notify: Party | None = None  # set when the assessment changed after scheduling


class SecurityAssessmentRecorded(
    _Assessed, frozen=True, kw_only=True, tag="security_assessment_recorded"
):
    pass


class SecurityAssessmentAmended(
    _Assessed, frozen=True, kw_only=True, tag="security_assessment_amended"
):
    pass


class IncidentRecorded(EventData, frozen=True, kw_only=True, tag="incident_recorded"):
    kind: IncidentKind
    severity: Severity
    occurred_at: datetime
    place: str
    description: str
    actions_taken: str
    number: int
    escalation: str | None = None


class IncidentReported(EventData, frozen=True, kw_only=True, tag="incident_reported"):
    number: int
    reference: str


# -- deadlines, escalations and the service's own events ----------------------------------


class _Fired(EventData, frozen=True, kw_only=True):
    deadline: str
    name: DeadlineName
    legal: bool
    due_at: str  # isoformat, as the log has always written it (+00:00, not Z)
    escalation: str | None = None


class DeadlineWarned(_Fired, frozen=True, kw_only=True, tag="deadline_warned"):
    pass


class DeadlineBreached(_Fired, frozen=True, kw_only=True, tag="deadline_breached"):
    pass


class DeadlineExtended(EventData, frozen=True, kw_only=True, tag="deadline_extended"):
    deadline: str
    old_due_at: str  # isoformat, as in DeadlineWarned
    new_due_at: str
    reason: ExtensionReason
    decision: str
    text: str | None
    was: DeadlineState


class EscalationAcknowledged(EventData, frozen=True, kw_only=True, tag="escalation_acknowledged"):
    escalation: str
    note: str


class PersonalDataErased(EventData, frozen=True, kw_only=True, tag="personal_data_erased"):
    policy: str


class ChangeRefused(EventData, frozen=True, kw_only=True, tag="change_refused"):
    """A change the service could not apply, with the escalation that tells coordinators."""

    update: str
    reason: Refusal
    escalation: str


# -- amendments and corrections -------------------------------------------------------------


class Amended(EventData, frozen=True, kw_only=True, tag="amended"):
    """A fact of the request changed: the changed keys' old and new values, and why."""

    field: AmendedField
    old: dict[str, Any]
    new: dict[str, Any]
    reason: str


class Corrected(EventData, frozen=True, kw_only=True, tag="corrected"):
    """Event `corrects` was recorded in error: the corrected values beside the old ones."""

    corrects: int
    corrected_type: str
    old: dict[str, Any]
    new: dict[str, Any]
    reason: str


class DeadlineRecomputed(EventData, frozen=True, kw_only=True, tag="deadline_recomputed"):
    """A clock moved because the time it runs from was amended or corrected."""

    deadline: str
    old_starts_at: str  # isoformat, as in DeadlineExtended
    new_starts_at: str
    old_due_at: str
    new_due_at: str


# -- journeys with stops -------------------------------------------------------------------


class LodgingPlanned(EventData, frozen=True, kw_only=True, tag="lodging_planned"):
    stop: int
    unit: str
    arrive_at: datetime
    depart_at: datetime
    note: str | None = None


class LodgingAnswered(EventData, frozen=True, kw_only=True, tag="lodging_answered"):
    stop: int
    unit: str
    accepted: bool
    decline_reason: DeclineReason | None = None
    text: str | None = None


class StopCancelled(EventData, frozen=True, kw_only=True, tag="stop_cancelled"):
    stop: int
    cancel_reason: CancelStopReason
    text: str | None = None


class Redirected(EventData, frozen=True, kw_only=True, tag="redirected"):
    """The destination changed after pickup: the old one and the new one, and why."""

    number: int
    from_unit: str | None
    to_unit: str | None
    from_place: Place | None = None
    to_place: Place | None = None
    reason: RedirectReason
    text: str | None = None


class ReturnPlanned(EventData, frozen=True, kw_only=True, tag="return_planned"):
    """The destination became a turnaround stop; the person is taken back to `to_unit`."""

    stop: int
    unit: str | None
    from_place: Place | None = None
    to_unit: str
    depart_at: datetime | None = None
    note: str | None = None


class StopArrived(EventData, frozen=True, kw_only=True, tag="stop_arrived"):
    stop: int
    occurred_at: datetime


class StopDeparted(EventData, frozen=True, kw_only=True, tag="stop_departed"):
    stop: int
    occurred_at: datetime


AnyEventData = (
    Requested
    | Accepted
    | Deferred
    | Rejected
    | Scheduled
    | Rescheduled
    | Released
    | Received
    | Completed
    | Cancelled
    | NotExecuted
    | SecurityAssessmentRecorded
    | SecurityAssessmentAmended
    | IncidentRecorded
    | IncidentReported
    | DeadlineWarned
    | DeadlineBreached
    | DeadlineExtended
    | EscalationAcknowledged
    | PersonalDataErased
    | ChangeRefused
    | Placed
    | RelativesRecorded
    | Amended
    | Corrected
    | DeadlineRecomputed
    | LodgingPlanned
    | LodgingAnswered
    | StopCancelled
    | Redirected
    | ReturnPlanned
    | StopArrived
    | StopDeparted
)


D = TypeVar("D", bound=EventData)


def from_body(kind: type[D], body: msgspec.Struct, **facts: Any) -> D:
    """The body's fields as the caller sent them, then the facts the workflow adds.

    A body field the event does not declare fails here: the log changes shape only on purpose.
    """
    return kind(**msgspec.structs.asdict(body), **facts)


def logged(data: EventData) -> dict[str, Any]:
    """The data as the log stores, serves and hashes it: without the tag."""
    raw: dict[str, Any] = msgspec.to_builtins(data)
    del raw[TAG]
    return raw


def read(event_type: str, data: dict[str, Any]) -> AnyEventData:
    """The typed data of a logged event of type `event_type` (an EventType)."""
    typed: AnyEventData = msgspec.convert({**data, TAG: str(event_type)}, AnyEventData)
    return typed
