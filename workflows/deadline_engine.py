"""The deadline engine: start, meet, cancel, warn, breach and extend a request's deadlines.

Pure; time is passed in. It applies `contracts.deadline_policy`; `rules` beside it checks the
deadline updates. The workflow calls `follow` after every change and `due` to find warnings
and breaches whose instant has come; `next_moment` tells it how long to sleep.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

from msgspec.structs import replace

from contracts import events
from contracts.actions import ExtendBody
from contracts.api import HandoverRecord
from contracts.assessment import SERIOUS
from contracts.calendar import STOCKHOLM, UTC
from contracts.common import FINAL_STATES, ActorRef, Org, State, UnitKind
from contracts.deadline_policy import (
    BY_NAME,
    EXECUTION_CLOCKS,
    POLICY_VERSION,
    PRISON_PLACE_CLOCKS,
    Clocks,
    Deadline,
    DeadlineName,
    DeadlineState,
    Due,
    Entry,
    Escalation,
    EscalationLevel,
    Extension,
    Rule,
    compute,
    warning,
)
from contracts.journey import StopKind, StopStatus
from contracts.person import (
    Identity,
    Person,
    PersonnummerIdentity,
    SamordningsnummerIdentity,
    UnknownIdentity,
)
from workflows.transitions import Change, NewEvent

ESCALATION_NAMESPACE = uuid.UUID("2b0f8c55-61c4-4f8e-9a7e-64a1f0d5c3b1")
# Deadlines a closed request still carries: the person's legal situation goes on.
OUTLIVE_CLOSURE = frozenset(
    {
        DeadlineName.INCIDENT_REPORT,
        DeadlineName.PRISON_PLACE_TARGET,
        DeadlineName.PRISON_PLACE_ABSOLUTE,
        DeadlineName.ERASURE,
    }
)
NAMELESS = ActorRef(sub="handover-service", org=Org.KRIMINALVARDEN, unit="system")


def _entry(name: DeadlineName, clocks: Clocks, child: bool = False) -> Entry:
    """The policy entry with this deployment's operational clocks applied (a child's stricter
    rule in place of the general one, where the policy has one)."""
    entry = BY_NAME[name]
    if name in EXECUTION_CLOCKS:
        hours = (
            clocks.assistance_execution_child_hours if child else clocks.assistance_execution_hours
        )
        return replace(entry, due=Due(Rule.ELAPSED_HOURS, hours))
    if name == DeadlineName.DEFERRAL_REMINDER:
        hours = clocks.deferral_reminder_child_hours if child else clocks.deferral_reminder_hours
        return replace(entry, due=Due(Rule.ELAPSED_HOURS, hours))
    if name == DeadlineName.LODGING_DEPARTURE:
        return replace(entry, due=Due(Rule.ELAPSED_HOURS, clocks.lodging_overstay_hours))
    if child and entry.child_due is not None:
        return replace(entry, due=entry.child_due)
    match name:
        case DeadlineName.RESPONSE:
            return replace(entry, due=Due(Rule.ELAPSED_SECONDS, clocks.response_seconds))
        case DeadlineName.CUSTODY_GAP:
            return replace(entry, due=Due(Rule.ELAPSED_SECONDS, clocks.custody_gap_seconds))
        case DeadlineName.INCIDENT_REPORT:
            return replace(entry, due=Due(Rule.END_OF_DAY, clocks.incident_report_days))
        case DeadlineName.ERASURE:
            return replace(entry, due=Due(Rule.CALENDAR_DAYS, clocks.retention_days))
    return entry


def _new(
    name: DeadlineName,
    start: datetime,
    clocks: Clocks,
    *,
    suffix: str = "",
    child: bool = False,
    version: int = POLICY_VERSION,
) -> Deadline:
    entry = _entry(name, clocks, child)
    due_at = compute(entry.due, start)
    return Deadline(
        id=f"{name}{suffix}",
        name=name,
        legal=entry.legal,
        basis=entry.basis,
        starts_at=start,
        due_at=due_at,
        warn_at=warning(entry, start, due_at),
        state=DeadlineState.RUNNING,
        policy_version=version,
    )


def _applies(entry: Entry, record: HandoverRecord) -> bool:
    if record.kind not in entry.kinds:
        return False
    basis = record.assistance.legal_basis if record.assistance else None
    if entry.legal_bases is not None and basis not in entry.legal_bases:
        return False
    return entry.decision_kinds is None or record.decision.kind in entry.decision_kinds


def birth_date(identity: Identity) -> date | None:
    match identity:
        case PersonnummerIdentity(number=number) | SamordningsnummerIdentity(number=number):
            day = int(number[6:8])
            day = day - 60 if day > 60 else day
            try:
                return date(int(number[:4]), int(number[4:6]), day)
            except ValueError:
                return None
    return None


def is_child(identity: Identity, at: datetime) -> bool:
    born = birth_date(identity)
    if born is None:
        return False
    today = at.astimezone(STOCKHOLM).date()  # birthdays begin at midnight in Sweden
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    return age < 18


def child_of(person: Person, at: datetime) -> bool:
    """Whether the person is under 18 at `at`: from the identity number's date of birth when
    it has one, otherwise from the `under_18` flag (a person of unknown age is not a child)."""
    if birth_date(person.identity) is not None:
        return is_child(person.identity, at)
    return person.under_18 is True


def child_at_request(record: HandoverRecord) -> bool:
    """Whether the person was under 18 when the request was made."""
    return child_of(record.person, record.created_at)


def start(
    record: HandoverRecord, clocks: Clocks, now: datetime, version: int = POLICY_VERSION
) -> HandoverRecord:
    """The deadlines a new request carries from the start, under policy `version`."""
    found: list[Deadline] = []
    decision = record.decision
    for name in (DeadlineName.REMAND_TO_REMAND_PRISON, DeadlineName.LVM_TRANSPORT_START):
        if _applies(BY_NAME[name], record):
            begins = decision.decided_at if name == DeadlineName.REMAND_TO_REMAND_PRISON else now
            found.append(_new(name, begins, clocks, version=version))
    found.append(_new(DeadlineName.RESPONSE, now, clocks, version=version))
    if _applies(BY_NAME[DeadlineName.UTL_PLACEMENT], record):
        placed = record.placed_at or now
        # Children are never to be placed in police custody: the clock is out at once.
        child = child_of(record.person, placed)
        found.append(_new(DeadlineName.UTL_PLACEMENT, placed, clocks, child=child, version=version))
    for name in EXECUTION_CLOCKS:
        entry = BY_NAME[name]
        if entry.since <= version and _applies(entry, record):
            child = child_at_request(record)
            found.append(_new(name, now, clocks, child=child, version=version))
    remanded = decision.kind == "remand_decision"
    awareness: list[tuple[DeadlineName, datetime | None]] = [
        (DeadlineName.DETENTION_HEARING, record.apprehended_at),
        (DeadlineName.DETENTION_REQUEST, record.arrested_at),
    ]
    for name, started in awareness:
        if started is None:
            continue
        clock = _new(name, started, clocks, version=version)
        if remanded and decision.decided_at <= clock.due_at:
            clock = replace(clock, state=DeadlineState.MET, met_at=decision.decided_at)
        found.append(clock)
    return replace(record, deadlines=tuple(found), policy_version=version, clocks=clocks)


def _set(record: HandoverRecord, deadline: Deadline) -> HandoverRecord:
    return replace(
        record,
        deadlines=tuple(deadline if d.id == deadline.id else d for d in record.deadlines),
    )


def _meet(
    record: HandoverRecord, names: set[DeadlineName], at: datetime, suffix: str = ""
) -> HandoverRecord:
    for deadline in record.deadlines:
        if deadline.name in names and deadline.id.endswith(suffix) and deadline.met_at is None:
            if deadline.state == DeadlineState.CANCELLED:
                continue
            state = DeadlineState.BREACHED if deadline.breached_at else DeadlineState.MET
            record = _set(record, replace(deadline, state=state, met_at=at))
    return record


def escalate(
    record: HandoverRecord,
    level: EscalationLevel,
    subject: str,
    legal: bool,
    detail: str,
    at: datetime,
) -> tuple[HandoverRecord, Escalation]:
    number = len(record.escalations) + 1
    escalation = Escalation(
        id=str(uuid.uuid5(ESCALATION_NAMESPACE, f"{record.id}/{number}")),
        level=level,
        subject=subject,
        legal=legal,
        at=at,
        detail=detail,
    )
    return replace(record, escalations=(*record.escalations, escalation)), escalation


def follow(before: HandoverRecord, change: Change, actor: ActorRef, now: datetime) -> Change:
    """Meet, cancel and start deadlines after a lifecycle change; raise escalations it needs."""
    record = change.record
    if record.policy_version is None:  # created before deadlines existed
        return change
    clocks = record.clocks or Clocks()
    version = record.policy_version
    new = list(change.events)
    for index, event in enumerate(change.events):
        match event.data:
            case events.Accepted() | events.Rejected():
                record = _meet(
                    record,
                    {DeadlineName.RESPONSE, DeadlineName.DEFERRAL_REMINDER},
                    event.occurred_at,
                )
            case events.Cancelled():
                record = _meet(record, {DeadlineName.DEFERRAL_REMINDER}, event.occurred_at)
            case events.Deferred() as deferred:
                record = _meet(record, {DeadlineName.RESPONSE}, event.occurred_at)
                if BY_NAME[DeadlineName.DEFERRAL_REMINDER].since <= version:
                    record = _remind(record, event.occurred_at, clocks, 1)
                record, escalation = escalate(
                    record,
                    EscalationLevel.DEFERRAL,
                    "deferral",
                    True,
                    f"Deferred by {actor.unit} ({deferred.reason}); the legal clock runs on."
                    + capacity_detail(deferred),
                    now,
                )
                deferred = replace(deferred, escalation=escalation.id)
                new[index] = NewEvent(event.occurred_at, deferred)
            case events.Released(step=step, from_unit=holder):
                record = _leave_lodging(record, holder, event.occurred_at)
                gap = _new(
                    DeadlineName.CUSTODY_GAP,
                    event.occurred_at,
                    clocks,
                    suffix=f"-{step}",
                    version=version,
                )
                record = replace(record, deadlines=(*record.deadlines, gap))
            case events.Received(step=step, unit=unit):
                record = _meet(record, {DeadlineName.CUSTODY_GAP}, event.occurred_at, f"-{step}")
                if BY_NAME[DeadlineName.LODGING_DEPARTURE].since <= version:
                    record = _lodge(record, unit, event.occurred_at, clocks, version)
                record = _meet(
                    record,
                    {DeadlineName.LVM_TRANSPORT_START, *EXECUTION_CLOCKS},
                    event.occurred_at,
                )
                if actor.org != Org.POLISEN:
                    record = _meet(
                        record,
                        {DeadlineName.REMAND_TO_REMAND_PRISON, DeadlineName.UTL_PLACEMENT},
                        event.occurred_at,
                    )
                if record.to_unit == unit:
                    record = _intake(record, event.occurred_at, clocks, version)
            case events.Redirected(to_unit=str() as unit) if (
                record.state == State.COMPLETED
                and record.to_unit == unit
                and record.responsible is not None
                and record.responsible.unit == unit
            ):
                # Redirected to where the person is: the intake was the reception there.
                record = _intake(record, record.responsible.since, clocks, version)
            case events.IncidentRecorded(number=number) as incident if incident.severity in SERIOUS:
                report = _new(
                    DeadlineName.INCIDENT_REPORT,
                    event.occurred_at,
                    clocks,
                    suffix=f"-{number}",
                    version=version,
                )
                record = replace(record, deadlines=(*record.deadlines, report))
                record, escalation = escalate(
                    record,
                    EscalationLevel.INCIDENT,
                    f"incident-{number}",
                    True,
                    f"Serious incident ({incident.kind}) recorded by {actor.unit}.",
                    now,
                )
                incident = replace(incident, escalation=escalation.id)
                new[index] = NewEvent(event.occurred_at, incident)
            case events.Placed():
                record = _meet(record, set(PRISON_PLACE_CLOCKS), event.occurred_at)
            case events.IncidentReported(number=number):
                record = _meet(
                    record, {DeadlineName.INCIDENT_REPORT}, event.occurred_at, f"-{number}"
                )
    if before.state not in FINAL_STATES and record.state in FINAL_STATES:
        record = _close(record, clocks, now)
    return Change(record, new)


def _intake(record: HandoverRecord, at: datetime, clocks: Clocks, version: int) -> HandoverRecord:
    """A convicted person received at the remand prison that is the destination: the
    prison-place clocks (strafftidslag 10 §) start."""
    if record.destination_kind != UnitKind.REMAND_PRISON or not _applies(
        BY_NAME[DeadlineName.PRISON_PLACE_TARGET], record
    ):
        return record
    names = (DeadlineName.PRISON_PLACE_TARGET, DeadlineName.PRISON_PLACE_ABSOLUTE)
    started = tuple(_new(name, at, clocks, version=version) for name in names)
    return replace(record, deadlines=(*record.deadlines, *started))


def _lodge(
    record: HandoverRecord, unit: str, at: datetime, clocks: Clocks, version: int
) -> HandoverRecord:
    """A reception that reached a lodging starts its clock from the planned departure."""
    stops = record.journey.stops if record.journey is not None else ()
    for stop in stops:
        reached = stop.status == StopStatus.REACHED and stop.reached_at == at
        if stop.kind == StopKind.LODGING and stop.unit == unit and reached and stop.depart_at:
            clock = _new(
                DeadlineName.LODGING_DEPARTURE,
                stop.depart_at,
                clocks,
                suffix=f"-{stop.number}",
                version=version,
            )
            return replace(record, deadlines=(*record.deadlines, clock))
    return record


def _leave_lodging(record: HandoverRecord, unit: str, at: datetime) -> HandoverRecord:
    """The lodging's release of the person meets its clock."""
    stops = record.journey.stops if record.journey is not None else ()
    for stop in stops:
        if stop.kind == StopKind.LODGING and stop.unit == unit and stop.left_at == at:
            return _meet(record, {DeadlineName.LODGING_DEPARTURE}, at, f"-{stop.number}")
    return record


def capacity_detail(deferred: events.Deferred) -> str:
    """What a deferral for no capacity adds to its escalation: the full unit, and the flag when
    the capacity data showed room elsewhere in its region. Empty for other deferrals."""
    if deferred.full_unit is None:
        return ""
    kind = f" for {deferred.category}" if deferred.category else ""
    text = f" Full: {deferred.full_unit}{kind}."
    if deferred.room_elsewhere:
        where = ", ".join(deferred.room_at or ())
        return text + f" FLAGGED: the capacity data shows room elsewhere in the region: {where}."
    if deferred.room_elsewhere is False:
        return text + " The capacity data shows no room elsewhere in the region."
    return text


def _remind(record: HandoverRecord, at: datetime, clocks: Clocks, number: int) -> HandoverRecord:
    """The `number`-th reminder of a deferral, running from `at` (every 4 h; 1 h for a child)."""
    reminder = _new(
        DeadlineName.DEFERRAL_REMINDER,
        at,
        clocks,
        suffix=f"-{number}",
        child=child_at_request(record),
        version=record.policy_version or POLICY_VERSION,
    )
    return replace(record, deadlines=(*record.deadlines, reminder))


def _close(record: HandoverRecord, clocks: Clocks, now: datetime) -> HandoverRecord:
    kept = []
    for deadline in record.deadlines:
        if deadline.open and deadline.name not in OUTLIVE_CLOSURE:
            deadline = replace(deadline, state=DeadlineState.CANCELLED, cancelled_at=now)
        kept.append(deadline)
    erasure = _new(
        DeadlineName.ERASURE, now, clocks, version=record.policy_version or POLICY_VERSION
    )
    return replace(record, deadlines=(*kept, erasure))


def due(record: HandoverRecord, now: datetime) -> list[tuple[Deadline, str]]:
    """Warnings and breaches whose instant has come, in time order."""
    found: list[tuple[datetime, Deadline, str]] = []
    for deadline in record.deadlines:
        if not deadline.open:
            continue
        if deadline.due_at <= now:
            found.append((deadline.due_at, deadline, "breach"))
        elif deadline.warned_at is None and deadline.warn_at <= now:
            found.append((deadline.warn_at, deadline, "warn"))
    found.sort(key=lambda item: (item[0], item[1].id))
    return [(deadline, what) for _, deadline, what in found]


def next_moment(record: HandoverRecord) -> datetime | None:
    moments = [
        d.due_at if d.warned_at is not None else min(d.warn_at, d.due_at)
        for d in record.deadlines
        if d.open
    ]
    return min(moments) if moments else None


def fire(record: HandoverRecord, deadline: Deadline, what: str, now: datetime) -> Change:
    """Warn or breach one deadline; breaches (and legal warnings) escalate."""
    kind: type[events.DeadlineWarned | events.DeadlineBreached]
    if what == "warn":
        updated = replace(deadline, state=DeadlineState.WARNED, warned_at=now)
        record = _set(record, updated)
        kind = events.DeadlineWarned
        at = deadline.warn_at
        # Erasure is the service's own act: its warning is a record, not a task for anyone.
        level = (
            EscalationLevel.WARNING
            if deadline.legal and deadline.name != DeadlineName.ERASURE
            else None
        )
    else:
        updated = replace(
            deadline,
            state=DeadlineState.BREACHED,
            breached_at=now,
            warned_at=deadline.warned_at or now,
        )
        record = _set(record, updated)
        kind = events.DeadlineBreached
        at = deadline.due_at
        level = EscalationLevel.BREACH
    if deadline.name == DeadlineName.ERASURE and what == "breach":
        return erase(record, updated, now)
    if (
        deadline.name == DeadlineName.DEFERRAL_REMINDER
        and what == "breach"
        and record.state == State.DEFERRED
    ):
        # Still deferred: the next reminder runs from this one's due time.
        number = int(deadline.id.rsplit("-", 1)[1]) + 1
        record = _remind(record, deadline.due_at, record.clocks or Clocks(), number)
    escalation: str | None = None
    if level is not None:
        record, raised = escalate(
            record,
            level,
            deadline.id,
            deadline.legal,
            f"{deadline.name} {'is due soon' if what == 'warn' else 'was breached'}: "
            f"due {deadline.due_at.isoformat()}.",
            now,
        )
        escalation = raised.id
    data = kind(
        deadline=deadline.id,
        name=deadline.name,
        legal=deadline.legal,
        due_at=deadline.due_at.isoformat(),
        escalation=escalation,
    )
    return Change(record, [NewEvent(at, data)])


def erase(record: HandoverRecord, deadline: Deadline, now: datetime) -> Change:
    """Erase the person's data; the non-personal facts stay for statistics."""
    erased = Person(identity=UnknownIdentity(description="erased after the retention time"))
    record = _set(record, replace(deadline, state=DeadlineState.MET, met_at=now, breached_at=None))
    record = replace(record, person=erased, notes=None, erased_at=now)
    return Change(record, [NewEvent(now, events.PersonalDataErased(policy="retention"))])


def extend(
    record: HandoverRecord, deadline_id: str, body: ExtendBody, actor: ActorRef, now: datetime
) -> Change:
    deadline = next(d for d in record.deadlines if d.id == deadline_id)
    extension = Extension(
        by=actor,
        at=now,
        reason=body.reason,
        decision=body.decision,
        old_due_at=deadline.due_at,
        new_due_at=body.new_due_at.astimezone(UTC),
        text=body.text,
    )
    span = deadline.due_at - deadline.starts_at
    lead = deadline.due_at - deadline.warn_at
    new_due = body.new_due_at.astimezone(UTC)
    warn_at = new_due - (lead if span > timedelta(0) else timedelta(0))
    updated = replace(
        deadline,
        state=DeadlineState.EXTENDED,
        due_at=body.new_due_at.astimezone(UTC),
        warn_at=max(warn_at, now),
        warned_at=None,
        extensions=(*deadline.extensions, extension),
    )
    data = events.DeadlineExtended(
        deadline=deadline.id,
        old_due_at=deadline.due_at.isoformat(),
        new_due_at=new_due.isoformat(),
        reason=body.reason,
        decision=body.decision,
        text=body.text,
        was=deadline.state,
    )
    return Change(_set(record, updated), [NewEvent(now, data)])


def restart(record: HandoverRecord, deadline_id: str, start: datetime, now: datetime) -> Change:
    """Run an open clock again from a start time that was amended or corrected, under the
    request's policy version; logged as `deadline_recomputed`. A clock moved by a recorded
    decision (extended) keeps the due time that decision gave; a closed one stays as it was."""
    deadline = next((d for d in record.deadlines if d.id == deadline_id), None)
    if deadline is None or not deadline.open or deadline.extensions or deadline.starts_at == start:
        return Change(record, [])
    child = deadline.name == DeadlineName.UTL_PLACEMENT and child_of(record.person, start)
    return _rerun(record, deadline, start, child, now)


def _rerun(
    record: HandoverRecord, deadline: Deadline, start: datetime, child: bool, now: datetime
) -> Change:
    """`deadline` run again from `start` under the rule for a child or not (its policy
    version, the request's clocks), logged as `deadline_recomputed`; a warning already given
    stays when the new warning time has passed too."""
    fresh = _new(
        deadline.name,
        start,
        record.clocks or Clocks(),
        suffix=deadline.id[len(deadline.name) :],
        child=child,
        version=deadline.policy_version,
    )
    warned = deadline.warned_at is not None and fresh.warn_at <= now
    updated = replace(
        deadline,
        starts_at=fresh.starts_at,
        due_at=fresh.due_at,
        warn_at=fresh.warn_at,
        state=DeadlineState.WARNED if warned else DeadlineState.RUNNING,
        warned_at=deadline.warned_at if warned else None,
    )
    data = events.DeadlineRecomputed(
        deadline=deadline.id,
        old_starts_at=deadline.starts_at.isoformat(),
        new_starts_at=fresh.starts_at.isoformat(),
        old_due_at=deadline.due_at.isoformat(),
        new_due_at=fresh.due_at.isoformat(),
    )
    return Change(_set(record, updated), [NewEvent(now, data)])


# The awareness clocks a timely remand decision meets (at its `decided_at`).
MET_BY_REMAND = frozenset({DeadlineName.DETENTION_HEARING, DeadlineName.DETENTION_REQUEST})
# Clocks with a stricter rule for a child (the UtlL placement's is judged at the placement).
CHILD_RULED = frozenset(
    {*EXECUTION_CLOCKS, DeadlineName.DEFERRAL_REMINDER, DeadlineName.UTL_PLACEMENT}
)


def child_changed(before: HandoverRecord, after: HandoverRecord, now: datetime) -> Change:
    """An amendment changed whether the person is a child (the identity established, or the
    age): the open clocks with a child's rule run again from their own start under the rule
    that now applies, each logged as `deadline_recomputed`. A clock extended by a recorded
    decision keeps its due time; closed clocks stay as they were."""
    record, found = after, list[NewEvent]()
    for deadline in after.deadlines:
        if deadline.name not in CHILD_RULED or not deadline.open or deadline.extensions:
            continue
        if deadline.name == DeadlineName.UTL_PLACEMENT:
            was = child_of(before.person, deadline.starts_at)
            now_child = child_of(after.person, deadline.starts_at)
        else:
            was, now_child = child_at_request(before), child_at_request(after)
        if was != now_child:
            rerun = _rerun(record, deadline, deadline.starts_at, now_child, now)
            record, found = rerun.record, [*found, *rerun.events]
    return Change(record, found)


def moved_meeting(
    record: HandoverRecord,
    old: datetime,
    new: datetime,
    names: frozenset[DeadlineName] | None = None,
) -> HandoverRecord:
    """Clocks met at `old` (a reception whose time was corrected, a decision whose time was
    amended; only those of `names` when given) are met at `new`; one whose corrected meeting
    lies after its due time counts as breached (a breach stays on record)."""
    for deadline in record.deadlines:
        if deadline.met_at != old or (names is not None and deadline.name not in names):
            continue
        late = new > deadline.due_at
        state = DeadlineState.BREACHED if late or deadline.breached_at else DeadlineState.MET
        breached_at = deadline.breached_at or (deadline.due_at if late else None)
        record = _set(record, replace(deadline, met_at=new, state=state, breached_at=breached_at))
    return record
