"""The deadline policy: one versioned table of every clock a request carries, and the clocks.

A request stores the policy version that computed its deadlines. Change a rule by adding a
new version; running requests keep the version they started with (`Entry.since` is the
version that brought an entry in; `entries(version)` is the table a request runs under).

Version 2 added a clock for every legal basis of enforcement assistance that had none (the
law names no hours for them: operational defaults, `legal=False`, set by configuration), the
repeating reminder while a request stays deferred, and stricter clocks for children.
Version 3 added the lodging clock: a person who stays at a night's lodging on the way past its
planned departure (an operational default, set by configuration).

The bodies that move a deadline or acknowledge an escalation are in `contracts.actions`.
"""

from __future__ import annotations

import enum
from datetime import datetime

import msgspec

from contracts import calendar
from contracts.common import ActorRef, Kind

POLICY_VERSION = 3


class DeadlineName(enum.StrEnum):
    REMAND_TO_REMAND_PRISON = "remand_to_remand_prison"
    DETENTION_HEARING = "detention_hearing"
    DETENTION_REQUEST = "detention_request"
    RESPONSE = "response"
    LVM_TRANSPORT_START = "lvm_transport_start"
    UTL_PLACEMENT = "utl_placement"
    PRISON_PLACE_TARGET = "prison_place_target"
    PRISON_PLACE_ABSOLUTE = "prison_place_absolute"
    CUSTODY_GAP = "custody_gap"
    INCIDENT_REPORT = "incident_report"
    ERASURE = "erasure"
    # Policy version 2: operational execution clocks of the bases the law gives no hours,
    # and the reminder that repeats while a request stays deferred.
    LVU_EXECUTION = "lvu_execution"
    LSU_EXECUTION = "lsu_execution"
    LPT_EXECUTION = "lpt_execution"
    LRV_EXECUTION = "lrv_execution"
    PL29A_EXECUTION = "pl29a_execution"
    FORPASSNING_EXECUTION = "forpassning_execution"
    DEFERRAL_REMINDER = "deferral_reminder"
    # Policy version 3: a person staying at a lodging past its planned departure.
    LODGING_DEPARTURE = "lodging_departure"


class Start(enum.StrEnum):
    """The event a deadline runs from."""

    REMAND_DECISION = "remand_decision"
    APPREHENSION = "apprehension"
    ARREST_DECISION = "arrest_decision"
    REQUEST_CREATED = "request_created"
    PLACEMENT = "placement"
    INTAKE = "intake"
    RELEASE = "release"
    SERIOUS_INCIDENT = "serious_incident"
    CLOSURE = "closure"
    DEFERRAL = "deferral"  # the deferral, then each reminder's due time (repeating)
    PLANNED_DEPARTURE = "planned_departure"  # a lodging's planned departure, once reached


class Rule(enum.StrEnum):
    """How the due time follows from the start."""

    END_OF_DAY = "end_of_day"  # 24:00 local, `amount` days after the start's day
    NOON_ON_DAY_AFTER = "noon_on_day_after"  # 12:00 local on the `amount`-th day after
    ELAPSED_HOURS = "elapsed_hours"  # real hours
    ELAPSED_SECONDS = "elapsed_seconds"  # real seconds (operational, configurable clocks)
    CALENDAR_DAYS = "calendar_days"  # same local time `amount` days later


class Due(msgspec.Struct, frozen=True):
    rule: Rule
    amount: float


class Entry(msgspec.Struct, frozen=True, kw_only=True):
    """One deadline of the policy."""

    name: DeadlineName
    legal: bool
    basis: str
    starts_from: Start
    due: Due
    # The warning: another rule (e.g. end of the same day), or a fraction of the interval.
    warn: Due | float
    kinds: frozenset[Kind] = frozenset(Kind)
    legal_bases: frozenset[str] | None = None
    decision_kinds: frozenset[str] | None = None
    met_by: str
    configurable: str | None = None
    # The due rule for a child (under 18 at the request): stricter; 0 hours where the law
    # says "never" (the clock is out at once and escalates).
    child_due: Due | None = None
    # The policy version that brought the entry in; requests of older versions never get it.
    since: int = 1
    # A clock that starts again from its own due time while its condition holds (deferral).
    repeats: bool = False


POLICY: tuple[Entry, ...] = (
    Entry(
        name=DeadlineName.REMAND_TO_REMAND_PRISON,
        legal=True,
        basis="RB 24:22 'utan dröjsmål'; JO 3315-2014: same day, the following day at the latest",
        starts_from=Start.REMAND_DECISION,
        due=Due(Rule.END_OF_DAY, 1),
        warn=Due(Rule.END_OF_DAY, 0),
        kinds=frozenset({Kind.TRANSFER}),
        decision_kinds=frozenset({"remand_decision"}),
        met_by="reception by a Kriminalvården unit (the person leaves police custody)",
    ),
    Entry(
        name=DeadlineName.DETENTION_HEARING,
        legal=True,
        basis="RB 24:13: detention hearing within 96 hours of the apprehension (for awareness)",
        starts_from=Start.APPREHENSION,
        due=Due(Rule.ELAPSED_HOURS, 96),
        warn=0.75,
        met_by="the remand decision",
    ),
    Entry(
        name=DeadlineName.DETENTION_REQUEST,
        legal=True,
        basis="RB 24:12: detention request by 12:00 on the third day after the arrest decision",
        starts_from=Start.ARREST_DECISION,
        due=Due(Rule.NOON_ON_DAY_AFTER, 3),
        warn=0.75,
        met_by="the remand decision",
    ),
    Entry(
        name=DeadlineName.RESPONSE,
        legal=False,
        basis="Agreement between the agencies: accept, defer or reject within 2 hours",
        starts_from=Start.REQUEST_CREATED,
        due=Due(Rule.ELAPSED_SECONDS, 7200),
        warn=0.75,
        met_by="accept, defer or reject",
        configurable="HANDOVER_RESPONSE_DEADLINE_SECONDS",
    ),
    Entry(
        name=DeadlineName.LVM_TRANSPORT_START,
        legal=True,
        basis="LVM 45 §, JO 6293-2014: the transport starts by the end of the following day",
        starts_from=Start.REQUEST_CREATED,
        due=Due(Rule.END_OF_DAY, 1),
        warn=Due(Rule.END_OF_DAY, 0),
        kinds=frozenset({Kind.ENFORCEMENT_ASSISTANCE}),
        legal_bases=frozenset({"lvm_45"}),
        met_by="the first reception by the executor (the transport has started)",
    ),
    Entry(
        name=DeadlineName.UTL_PLACEMENT,
        legal=True,
        basis="UtlL 10 kap. 19 a §, prop. 2016/17:191: at most 72 hours; never for children",
        starts_from=Start.PLACEMENT,
        due=Due(Rule.ELAPSED_HOURS, 72),
        warn=0.75,
        kinds=frozenset({Kind.ENFORCEMENT_ASSISTANCE}),
        legal_bases=frozenset({"utll_10_19a"}),
        met_by="the person leaving police custody",
        child_due=Due(Rule.ELAPSED_HOURS, 0),
    ),
    Entry(
        name=DeadlineName.PRISON_PLACE_TARGET,
        legal=True,
        basis="Strafftidslag 10 §: a convicted person waits in a remand prison at most 7 days",
        starts_from=Start.INTAKE,
        due=Due(Rule.CALENDAR_DAYS, 7),
        warn=0.75,
        kinds=frozenset({Kind.TRANSFER}),
        decision_kinds=frozenset({"sentence_enforcement"}),
        met_by="the placement in a prison: POST .../placed",
    ),
    Entry(
        name=DeadlineName.PRISON_PLACE_ABSOLUTE,
        legal=True,
        basis="Strafftidslag 10 §: 30 days in a remand prison is the absolute limit",
        starts_from=Start.INTAKE,
        due=Due(Rule.CALENDAR_DAYS, 30),
        warn=0.75,
        kinds=frozenset({Kind.TRANSFER}),
        decision_kinds=frozenset({"sentence_enforcement"}),
        met_by="the placement in a prison: POST .../placed",
    ),
    Entry(
        name=DeadlineName.CUSTODY_GAP,
        legal=False,
        basis="This system's safety rule: a release must be confirmed by the receiver",
        starts_from=Start.RELEASE,
        due=Due(Rule.ELAPSED_SECONDS, 900),
        warn=0.75,
        met_by="the receiver's reception",
        configurable="HANDOVER_CUSTODY_GAP_SECONDS",
    ),
    Entry(
        name=DeadlineName.INCIDENT_REPORT,
        legal=True,
        basis="AML 3:3 a: a serious incident is reported to Arbetsmiljöverket the same day",
        starts_from=Start.SERIOUS_INCIDENT,
        due=Due(Rule.END_OF_DAY, 0),
        warn=0.75,
        met_by="recording the report: POST .../incidents/{number}/report",
        configurable="HANDOVER_INCIDENT_REPORT_DAYS",
    ),
    Entry(
        name=DeadlineName.ERASURE,
        legal=True,
        basis="Förordning 2018:1236: personal data of a closed request is erased after 2 years",
        starts_from=Start.CLOSURE,
        due=Due(Rule.CALENDAR_DAYS, 730),
        warn=0.99,
        met_by="the erasure itself",
        configurable="HANDOVER_RETENTION_DAYS",
    ),
)

# Where the law names no hours: the operational default every such basis shares (configurable),
# what it rests on, and what meets it.
_NO_HOURS = (
    "The law names no time for carrying the request out: operational default (configurable), "
    "{hours}. JO has criticised long waits (a 17-hour LVU delay for a 13-year-old) and "
    "children kept in police custody while Kriminalvården limited capacity (JO 8337-2018)."
)
_EXECUTION_HOURS = "24 h from the request, 12 h for a child"
_EXECUTION_MET_BY = "the first reception by the executor (the transport has started)"
_EXECUTION_CONFIG = (
    "HANDOVER_ASSISTANCE_EXECUTION_HOURS; HANDOVER_ASSISTANCE_EXECUTION_CHILD_HOURS for a child"
)


def _execution(name: DeadlineName, basis: str, law: str) -> Entry:
    return Entry(
        name=name,
        legal=False,
        basis=f"{law}: " + _NO_HOURS.format(hours=_EXECUTION_HOURS),
        starts_from=Start.REQUEST_CREATED,
        due=Due(Rule.ELAPSED_HOURS, 24),
        warn=0.75,
        kinds=frozenset({Kind.ENFORCEMENT_ASSISTANCE}),
        legal_bases=frozenset({basis}),
        met_by=_EXECUTION_MET_BY,
        configurable=_EXECUTION_CONFIG,
        child_due=Due(Rule.ELAPSED_HOURS, 12),
        since=2,
    )


POLICY_V2: tuple[Entry, ...] = (
    _execution(DeadlineName.LVU_EXECUTION, "lvu_43", "LVU 43 §"),
    _execution(DeadlineName.LSU_EXECUTION, "lsu_20", "LSU 20 §"),
    _execution(DeadlineName.LPT_EXECUTION, "lpt_47", "LPT 47 §"),
    _execution(DeadlineName.LRV_EXECUTION, "lrv_27", "LRV 27 §"),
    _execution(DeadlineName.PL29A_EXECUTION, "polislagen_29a", "Polislagen 29 a §"),
    _execution(DeadlineName.FORPASSNING_EXECUTION, "strafftidslag_6", "Strafftidslag 6 §"),
    Entry(
        name=DeadlineName.DEFERRAL_REMINDER,
        legal=False,
        basis=(
            "Operational default (configurable): a deferral does not stop any legal clock "
            "(JO: no capacity is no ground for leaving a person in police custody), so while a "
            "request stays deferred coordinators are reminded every 4 hours, every hour for a "
            "child (JO 8337-2018: children kept in police custody while Kriminalvården "
            "limited capacity)"
        ),
        starts_from=Start.DEFERRAL,
        due=Due(Rule.ELAPSED_HOURS, 4),
        warn=0.75,
        met_by="accept, reject or cancel of the deferred request",
        configurable=(
            "HANDOVER_DEFERRAL_REMINDER_HOURS; HANDOVER_DEFERRAL_REMINDER_CHILD_HOURS for a child"
        ),
        child_due=Due(Rule.ELAPSED_HOURS, 1),
        since=2,
        repeats=True,
    ),
)

POLICY_V3: tuple[Entry, ...] = (
    Entry(
        name=DeadlineName.LODGING_DEPARTURE,
        legal=False,
        basis=(
            "Operational default (configurable): a night's lodging on the way is a stop, not a "
            "placement; a person still at the lodging 2 hours after its planned departure has "
            "been left behind by the journey, and coordinators are told (DOMAIN: the clocks "
            "follow the person; JO's criticism of people left waiting in custody)"
        ),
        starts_from=Start.PLANNED_DEPARTURE,
        due=Due(Rule.ELAPSED_HOURS, 2),
        warn=0.5,
        met_by="the lodging's release of the person to the next holder",
        configurable="HANDOVER_LODGING_OVERSTAY_HOURS",
        since=3,
    ),
)

POLICY = (*POLICY, *POLICY_V2, *POLICY_V3)

BY_NAME = {entry.name: entry for entry in POLICY}
# The clocks of strafftidslag 10 §, met by the `placed` action.
PRISON_PLACE_CLOCKS = frozenset(
    {DeadlineName.PRISON_PLACE_TARGET, DeadlineName.PRISON_PLACE_ABSOLUTE}
)
# The assistance bases whose execution clock is an operational default (policy version 2).
EXECUTION_CLOCKS = tuple(entry.name for entry in POLICY_V2 if not entry.repeats)


def entries(version: int) -> tuple[Entry, ...]:
    """The table a request of this policy version runs under."""
    return tuple(entry for entry in POLICY if entry.since <= version)


def compute(due: Due, start: datetime) -> datetime:
    """The instant a rule gives for a start time, in UTC."""
    match due.rule:
        case Rule.END_OF_DAY:
            return calendar.end_of_day(start, int(due.amount))
        case Rule.NOON_ON_DAY_AFTER:
            return calendar.noon_on_day_after(start, int(due.amount))
        case Rule.ELAPSED_HOURS:
            return calendar.elapsed_hours(start, due.amount)
        case Rule.ELAPSED_SECONDS:
            return calendar.elapsed_hours(start, due.amount / 3600)
        case Rule.CALENDAR_DAYS:
            return calendar.calendar_days(start, int(due.amount))


def warning(entry: Entry, start: datetime, due_at: datetime) -> datetime:
    if isinstance(entry.warn, Due):
        return min(compute(entry.warn, start), due_at)
    return calendar.fraction_between(start, due_at, entry.warn)


class DeadlineState(enum.StrEnum):
    RUNNING = "running"
    WARNED = "warned"
    MET = "met"
    BREACHED = "breached"
    EXTENDED = "extended"
    CANCELLED = "cancelled"


OPEN_STATES = frozenset({DeadlineState.RUNNING, DeadlineState.WARNED, DeadlineState.EXTENDED})


class Extension(msgspec.Struct, frozen=True, kw_only=True):
    by: ActorRef
    at: datetime
    reason: str
    decision: str
    old_due_at: datetime
    new_due_at: datetime
    text: str | None = None


class Deadline(msgspec.Struct, frozen=True, kw_only=True):
    """One clock on a request; `id` is the name, or name-N for repeating ones."""

    id: str
    name: DeadlineName
    legal: bool
    basis: str
    starts_at: datetime
    due_at: datetime
    warn_at: datetime
    state: DeadlineState
    policy_version: int = POLICY_VERSION
    warned_at: datetime | None = None
    breached_at: datetime | None = None
    met_at: datetime | None = None
    cancelled_at: datetime | None = None
    extensions: tuple[Extension, ...] = ()

    @property
    def open(self) -> bool:
        return self.state in OPEN_STATES


class Clocks(msgspec.Struct, frozen=True, kw_only=True):
    """The operational clocks, configurable per deployment and stored with each request."""

    response_seconds: float = 7200
    custody_gap_seconds: float = 900
    incident_report_days: int = 0  # 0: the same day
    retention_days: int = 730
    # Policy version 2: the bases the law gives no hours, and the reminder while deferred.
    assistance_execution_hours: float = 24
    assistance_execution_child_hours: float = 12
    deferral_reminder_hours: float = 4
    deferral_reminder_child_hours: float = 1
    # Policy version 3: how long after a lodging's planned departure the person may still be there.
    lodging_overstay_hours: float = 2


class EscalationLevel(enum.StrEnum):
    WARNING = "warning"
    BREACH = "breach"
    DEFERRAL = "deferral"
    INCIDENT = "incident"
    OPERATIONS = "operations"
    RELATIVES = "relatives"  # a move completed without a record of whether relatives were told


class Escalation(msgspec.Struct, frozen=True, kw_only=True):
    """Something coordinators must see; it stays visible until acknowledged."""

    id: str
    level: EscalationLevel
    subject: str
    legal: bool
    at: datetime
    detail: str
    acknowledged_at: datetime | None = None
    acknowledged_by: ActorRef | None = None
    note: str | None = None
