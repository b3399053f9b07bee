"""Bodies and representations of the HTTP API (`/v1`)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Annotated, Any

import msgspec
from msgspec import Meta, field

from contracts.actions import (
    DeferralReason,
    RescheduleReason,
)
from contracts.assessment import Incident, SecurityAssessment
from contracts.capacity import CapacityCategory
from contracts.common import (
    ActorRef,
    AwareDatetime,
    Input,
    Kind,
    LongText,
    Org,
    State,
    UnitId,
    UnitKind,
)
from contracts.deadline_policy import (
    PRISON_PLACE_CLOCKS,
    Clocks,
    Deadline,
    Escalation,
    EscalationLevel,
)
from contracts.journey import Journey
from contracts.lifecycle import Action, Situation
from contracts.person import Decision, Person, Restrictions
from contracts.places import Place
from contracts.relatives import RelativesNotice


class LegalBasis(enum.StrEnum):
    """The provision an enforcement-assistance request rests on (exactly one)."""

    LVM_45 = "lvm_45"
    LVU_43 = "lvu_43"
    LSU_20 = "lsu_20"
    LPT_47 = "lpt_47"
    LRV_27 = "lrv_27"
    UTLL_10_19A = "utll_10_19a"
    POLISLAGEN_29A = "polislagen_29a"
    STRAFFTIDSLAG_6 = "strafftidslag_6"


class OrderType(enum.StrEnum):
    TRANSPORT = "transport"
    TRANSPORT_WITH_GUARDING = "transport_with_guarding"
    APPREHENSION_FOR_ENFORCEMENT = "apprehension_for_enforcement"


class Regime(enum.StrEnum):
    """The data-protection law a case falls under."""

    BDL = "brottsdatalagen"
    GDPR_KVDL = "gdpr_kriminalvardsdatalagen"


def regime_for(kind: Kind, basis: LegalBasis | None) -> Regime:
    """Transfers and förpassning are law enforcement (BDL); care and migration are GDPR + KVDL."""
    if kind == Kind.TRANSFER or basis in (LegalBasis.STRAFFTIDSLAG_6, LegalBasis.POLISLAGEN_29A):
        return Regime.BDL
    return Regime.GDPR_KVDL


class Guarding(Input, frozen=True, kw_only=True):
    """Guarding at the destination (transport med förrättning), e.g. during a court hearing."""

    description: LongText
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime | None = None


class TransferCreate(Input, frozen=True, kw_only=True, tag_field="kind", tag="transfer"):
    """A person in police custody to move to a remand prison or prison."""

    person: Person
    from_unit: Annotated[
        UnitId,
        Meta(description="The police custody unit holding the person.", examples=["pa-kronoberg"]),
    ]
    to_unit: Annotated[
        UnitId,
        Meta(description="The receiving remand prison or prison.", examples=["kv-hakte-kronoberg"]),
    ]
    decision: Decision
    restrictions: Restrictions = Restrictions()
    relatives_notified: bool | None = None
    notes: LongText | None = None
    apprehended_at: Annotated[
        AwareDatetime | None,
        Meta(description="Gripande; starts the 96-hour detention-hearing clock (awareness)."),
    ] = None
    arrested_at: Annotated[
        AwareDatetime | None,
        Meta(description="Anhållningsbeslut; starts the detention-request clock (awareness)."),
    ] = None


class AssistanceCreate(
    Input, frozen=True, kw_only=True, tag_field="kind", tag="enforcement_assistance"
):
    """One agency asks the other to transport, escort or apprehend a person (handräckning)."""

    legal_basis: LegalBasis
    order_type: OrderType
    requesting_unit: Annotated[UnitId, Meta(examples=["pa-kronoberg"])]
    executing_unit: Annotated[UnitId, Meta(examples=["kv-nte-stockholm"])]
    person: Person
    decision: Decision
    origin: Place
    destination: Place
    lpt_intake_decision: Annotated[
        Decision | None, Meta(description="Required for LPT 47 §: the intake decision (6 b §).")
    ] = None
    guarding: Annotated[
        Guarding | None, Meta(description="Required for transport_with_guarding.")
    ] = None
    restrictions: Restrictions = Restrictions()
    relatives_notified: bool | None = None
    notes: LongText | None = None
    placed_at: Annotated[
        AwareDatetime | None,
        Meta(description="UtlL: when the person was placed in police custody for the transport."),
    ] = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.legal_basis == LegalBasis.LPT_47 and self.lpt_intake_decision is None:
            raise ValueError("LPT 47 § needs `lpt_intake_decision` (6 b §)")
        if self.order_type == OrderType.TRANSPORT_WITH_GUARDING and self.guarding is None:
            raise ValueError("transport_with_guarding needs `guarding`")


HandoverCreate = TransferCreate | AssistanceCreate


class Assistance(msgspec.Struct, frozen=True, kw_only=True):
    """What an enforcement-assistance request adds to the common record."""

    legal_basis: LegalBasis
    order_type: OrderType
    origin: Place
    destination: Place
    lpt_intake_decision: Decision | None = None
    guarding: Guarding | None = None


class Responsibility(msgspec.Struct, frozen=True, kw_only=True):
    """The unit responsible for the person right now."""

    unit: str
    org: Org
    since: datetime


class CustodySegment(msgspec.Struct, frozen=True, kw_only=True):
    """One unit's stretch of responsibility; `until` is null for the current holder."""

    unit: str
    org: Org
    since: datetime
    until: datetime | None = None


class Release(msgspec.Struct, frozen=True, kw_only=True):
    """The holder's half of a handover."""

    by: ActorRef
    from_unit: str
    to_unit: str
    occurred_at: datetime
    recorded_at: datetime
    identity_checked: bool
    documents: tuple[str, ...] = ()
    medication: tuple[str, ...] = ()
    property_seals: tuple[str, ...] = ()
    remarks: str | None = None


class Reception(msgspec.Struct, frozen=True, kw_only=True):
    """The receiver's half; responsibility moves at `occurred_at`."""

    by: ActorRef
    unit: str
    occurred_at: datetime
    recorded_at: datetime
    identity_confirmed: bool
    received_from: str | None = None
    remarks: str | None = None


class HandoverStep(msgspec.Struct, frozen=True, kw_only=True):
    """One two-party handover; `reception` is null while it awaits confirmation."""

    number: int
    release: Release | None
    reception: Reception | None = None


class Schedule(msgspec.Struct, frozen=True, kw_only=True):
    """The planned pick-up; `revision` counts reschedules."""

    pickup_at: datetime
    transport_unit: str
    revision: int
    by: ActorRef
    at: datetime
    reason: RescheduleReason | None = None
    text: str | None = None
    note: str | None = None


class Deferral(msgspec.Struct, frozen=True, kw_only=True):
    reason: DeferralReason
    by: ActorRef
    at: datetime
    text: str | None = None
    expected_at: datetime | None = None
    # A deferral for no capacity: the unit that is full, the kind of place, and whether the
    # capacity data showed room elsewhere in its region (null: not checked) and where.
    full_unit: str | None = None
    category: CapacityCategory | None = None
    room_elsewhere: bool | None = None
    room_at: tuple[str, ...] | None = None


class Placement(msgspec.Struct, frozen=True, kw_only=True):
    """A convicted person waiting in a remand prison was placed in a prison (strafftidslag 10 §)."""

    prison_unit: str
    occurred_at: datetime
    by: ActorRef
    recorded_at: datetime
    decision: str | None = None
    remarks: str | None = None


class Closure(msgspec.Struct, frozen=True, kw_only=True):
    """How and why the request ended."""

    state: State
    by: ActorRef
    at: datetime
    reason: Annotated[str | None, Meta(description="The closed reason of the action.")] = None
    text: str | None = None
    occurred_at: datetime | None = None
    delivered_to: str | None = None


class HandoverRecord(msgspec.Struct, frozen=True, kw_only=True):
    """A request as its workflow holds it; the read model stores exactly this.

    Fields are only ever added, with defaults, so histories of older runs still decode.
    """

    id: str
    reference: str
    kind: Kind
    state: State
    version: int
    person: Person
    from_unit: str | None
    to_unit: str | None
    decision: Decision
    restrictions: Restrictions
    relatives_notified: bool | None
    notes: str | None
    responsible: Responsibility | None
    custody_chain: list[CustodySegment]
    created_by: ActorRef
    created_at: datetime
    updated_at: datetime
    requesting_unit: str | None = None
    requesting_org: Org = Org.POLISEN
    executing_unit: str | None = None
    executing_org: Org = Org.KRIMINALVARDEN
    regime: Regime = Regime.BDL
    assistance: Assistance | None = None
    schedule: Schedule | None = None
    deferral: Deferral | None = None
    handovers: list[HandoverStep] = field(default_factory=list)
    security_assessments: list[SecurityAssessment] = field(default_factory=list)
    incidents: list[Incident] = field(default_factory=list)
    closure: Closure | None = None
    policy_version: int | None = None
    clocks: Clocks | None = None
    deadlines: tuple[Deadline, ...] = ()
    escalations: tuple[Escalation, ...] = ()
    apprehended_at: datetime | None = None
    arrested_at: datetime | None = None
    placed_at: datetime | None = None
    destination_kind: UnitKind | None = None
    erased_at: datetime | None = None
    placement: Placement | None = None
    relatives: tuple[RelativesNotice, ...] = ()
    journey: Journey | None = None

    @property
    def requester(self) -> str:
        return self.requesting_unit or self.from_unit or ""

    @property
    def executor(self) -> str:
        return self.executing_unit or self.to_unit or ""

    @property
    def pending_release(self) -> Release | None:
        last = self.handovers[-1] if self.handovers else None
        return last.release if last is not None and last.reception is None else None

    @property
    def assessment(self) -> SecurityAssessment | None:
        return self.security_assessments[-1] if self.security_assessments else None

    def parties(self) -> list[str]:
        """Every unit that may see the request: both parties, both ends and every holder."""
        units = {self.requester, self.executor, *(s.unit for s in self.custody_chain)}
        units |= {u for u in (self.from_unit, self.to_unit) if u}
        if self.schedule is not None:
            units.add(self.schedule.transport_unit)
        units |= {step.release.to_unit for step in self.handovers if step.release}
        if self.journey is not None:
            units |= self.journey.units()
        return sorted(u for u in units if u)

    def situation(self) -> Situation:
        """What the lifecycle policy needs to know."""
        assessment = self.assessment
        pending = self.pending_release
        return Situation(
            state=self.state,
            requesting_unit=self.requester,
            executing_unit=self.executor,
            executing_org=self.executing_org,
            transport_unit=self.schedule.transport_unit if self.schedule else None,
            holder=self.responsible.unit if self.responsible else None,
            pending_release_to=pending.to_unit if pending else None,
            any_reception=any(step.reception is not None for step in self.handovers),
            assessment_complete=assessment is not None and assessment.complete,
            destination_unit=self.to_unit,
            lodging_units=self.journey.lodging_units() if self.journey else frozenset(),
            awaiting_placement=self.placement is None
            and any(
                d.name in PRISON_PLACE_CLOCKS and d.met_at is None and d.cancelled_at is None
                for d in self.deadlines
            ),
        )


class DeadlineView(Deadline, frozen=True, kw_only=True):
    """A deadline as the API shows it, with the time left when it was read."""

    remaining_seconds: float | None = None


class Handover(HandoverRecord, frozen=True, kw_only=True):
    """A handover request as a caller sees it, with what that caller may do next."""

    allowed_actions: list[Action] = field(default_factory=list)
    deadlines: tuple[DeadlineView, ...] = ()


class HandoverSummary(msgspec.Struct, frozen=True, kw_only=True):
    """A request in a list: no name, identity number masked to the date of birth."""

    id: str
    reference: str
    kind: Kind
    state: State
    version: int
    person_identity: Annotated[str, Meta(examples=["19121212-****"])]
    requesting_unit: str
    executing_unit: str
    responsible_unit: str | None
    created_at: datetime
    updated_at: datetime
    next_due_at: datetime | None = None
    breached: bool = False


class HandoverPage(msgspec.Struct, frozen=True, kw_only=True):
    """One page of requests, newest first; pass `next_cursor` as `cursor` for the next."""

    items: list[HandoverSummary]
    next_cursor: str | None


LogInstant = Annotated[
    str,
    Meta(
        pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z$",
        description="UTC with microseconds, exactly as the hash chain covers it.",
        examples=["2026-12-01T08:15:00.000000Z"],
    ),
]


class EventView(msgspec.Struct, frozen=True, kw_only=True):
    """One entry of a request's event log, with its place in the hash chain.

    The README ("Verifying an event log") shows how to check the chain with `hashlib` and
    `json` alone. After the retention time `data` and `salt` are null (erased); the chain
    still verifies over `data_digest`.
    """

    seq: int
    type: str
    actor: ActorRef
    occurred_at: LogInstant
    recorded_at: LogInstant
    data: dict[str, Any] | None
    request_id: str
    prev_hash: str
    hash: str
    handover_id: str
    hash_alg: Annotated[
        str,
        Meta(
            description="How `hash` was computed: canonical-json-v2, or msgspec-sorted-v1 for "
            "events written before December 2026.",
            examples=["canonical-json-v2"],
        ),
    ]
    salt: str | None = None
    data_digest: str | None = None
    corrected_by: Annotated[
        list[int],
        Meta(
            description="The `seq` of each later `corrected` event that marks this one as "
            "recorded in error (computed when read; not part of the hash chain; empty once "
            "the data is erased)."
        ),
    ] = msgspec.field(default_factory=list)


class CaseExport(msgspec.Struct, frozen=True, kw_only=True):
    """A whole case as one document, for JO and for archives: the request (custody chain,
    deadlines, incidents and assessment versions included), its event log, and the chain's
    head hash. Check it with `handover verify FILE` or the README's verifier."""

    handover_id: str
    exported_at: datetime
    exported_by: ActorRef
    handover: Annotated[
        HandoverRecord | None,
        Meta(description="Null once the person's data was erased after the retention time."),
    ]
    events: list[EventView]
    head_hash: Annotated[str, Meta(description="The last event's hash: the whole chain's seal.")]
    chain_verified: Annotated[
        bool, Meta(description="The service checked the chain before exporting it.")
    ]


class EscalationView(msgspec.Struct, frozen=True, kw_only=True):
    """An escalation in the coordinators' list, with the request it concerns."""

    id: str
    handover_id: str
    reference: str
    kind: Kind
    level: EscalationLevel
    subject: Annotated[str, Meta(description="The deadline id, `deferral` or `incident-N`.")]
    legal: bool
    at: datetime
    detail: str
    units: list[str]
    acknowledged_at: datetime | None = None
    acknowledged_by: ActorRef | None = None
    note: str | None = None


class EscalationPage(msgspec.Struct, frozen=True, kw_only=True):
    items: list[EscalationView]
    next_cursor: str | None


class AccessFlag(enum.StrEnum):
    """Patterns of an unauthorised lookup an auditor should look at."""

    OUTSIDE_OWN_CASES_WITHOUT_PURPOSE = "outside_own_cases_without_purpose"
    UNUSUAL_HOUR = "unusual_hour"
    """Between 22:00 and 06:00 in Stockholm."""
    MANY_PERSONS = "many_persons"
    """The reader opened more than 20 requests one by one within the hour up to this read."""


class AccessView(msgspec.Struct, frozen=True, kw_only=True):
    """One read of a request's personal data, for auditors."""

    id: int
    at: datetime
    sub: str
    org: str
    unit: str
    roles: list[str]
    action: str
    purpose: Annotated[
        str, Meta(description="The reader's X-Purpose, or `unstated` when none was given.")
    ]
    request_id: str
    handover_id: str
    reference: str
    outside_own_cases: Annotated[
        bool, Meta(description="The reader's unit is no party to the request (any role).")
    ]
    flags: list[AccessFlag] = msgspec.field(default_factory=list)


class AccessPage(msgspec.Struct, frozen=True, kw_only=True):
    items: list[AccessView]
    next_cursor: str | None


class FeedEvent(msgspec.Struct, frozen=True, kw_only=True):
    """One event of any request you may see, in the order the feed hands them out."""

    handover_id: str
    reference: str
    seq: int
    type: str
    actor: ActorRef
    occurred_at: datetime
    recorded_at: datetime
    data: Annotated[
        dict[str, Any] | None, Meta(description="Null once the person's data is erased.")
    ]


class FeedPage(msgspec.Struct, frozen=True, kw_only=True):
    """Events after your cursor; poll again with `next_after` (the same one if none came)."""

    items: list[FeedEvent]
    next_after: str | None


class Unit(msgspec.Struct, frozen=True, kw_only=True):
    """A party: police custody unit, remand prison, prison, transport office or coordination."""

    id: str
    name: str
    org: Org
    kind: UnitKind
    region: str
    municipality: str | None


class Health(msgspec.Struct, frozen=True, kw_only=True):
    """Readiness of the service and each dependency."""

    status: str
    checks: dict[str, str]
