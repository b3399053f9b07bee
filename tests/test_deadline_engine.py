"""The deadline engine (`workflows.deadline_engine`) at the edge minutes, by hand.

Deadlines started on records, warned and breached exactly at their instants, extended, and
the child rule. Pure and fast: no servers. How the expected instants are written:
`tests.swedish_time`.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

import msgspec
import pytest
from msgspec.structs import replace

from contracts import events
from contracts.actions import CancellationReason, DeferralReason, ExtendBody, RejectionReason
from contracts.api import Assistance, AssistanceCreate, HandoverRecord, TransferCreate
from contracts.common import ActorRef, Kind, Org, State
from contracts.deadline_policy import POLICY_VERSION, Clocks, DeadlineName, DeadlineState
from contracts.person import (
    Identity,
    Person,
    PersonnummerIdentity,
    SamordningsnummerIdentity,
    UnknownIdentity,
)
from services.handover.api.examples import ASSISTANCE_CREATE, TRANSFER_CREATE
from tests.swedish_time import (
    MICROSECOND,
    MINUTE,
    POLICY_CASES,
    STHLM,
    UTC,
    assert_instant,
    instant,
    sthlm,
)
from workflows import deadline_engine
from workflows.transitions import Change, NewEvent

# -- the operational clocks a deployment configures ------------------------------------------


def test_configured_operational_clocks() -> None:
    clocks = Clocks(
        response_seconds=1000, custody_gap_seconds=600, incident_report_days=1, retention_days=365
    )
    start = sthlm("2026-10-25T01:50:00+02:00")  # 23:50 UTC on 24 October
    response = deadline_engine._new(DeadlineName.RESPONSE, start, clocks)
    assert_instant(response.due_at, "2026-10-25T02:06:40+02:00", "2026-10-25T00:06:40+00:00")
    assert_instant(response.warn_at, "2026-10-25T02:02:30+02:00", "2026-10-25T00:02:30+00:00")
    gap = deadline_engine._new(DeadlineName.CUSTODY_GAP, start, clocks)
    assert_instant(gap.due_at, "2026-10-25T02:00:00+02:00", "2026-10-25T00:00:00+00:00")
    assert_instant(gap.warn_at, "2026-10-25T01:57:30+02:00", "2026-10-24T23:57:30+00:00")
    report = deadline_engine._new(DeadlineName.INCIDENT_REPORT, start, clocks)
    assert_instant(report.due_at, "2026-10-27T00:00:00+01:00", "2026-10-26T23:00:00+00:00")
    erasure = deadline_engine._new(DeadlineName.ERASURE, start, clocks)
    assert_instant(erasure.due_at, "2027-10-25T01:50:00+02:00", "2027-10-24T23:50:00+00:00")


# -- records through deadline_engine.start(): the edge minutes ---------------------------------

OFFICER = ActorRef(sub="officer-1", org=Org.POLISEN, unit="pa-kronoberg")
ADULT = {"type": "personnummer", "number": "19121212-1212"}


def transfer_record(
    *,
    decided_at: datetime,
    apprehended_at: datetime | None = None,
    arrested_at: datetime | None = None,
    kind: str = "remand_decision",
) -> HandoverRecord:
    data: dict[str, Any] = dict(TRANSFER_CREATE)
    data["decision"] = dict(TRANSFER_CREATE["decision"], kind=kind, decided_at=decided_at)
    body = msgspec.convert(data, TransferCreate)
    body = replace(body, apprehended_at=apprehended_at, arrested_at=arrested_at)
    return HandoverRecord(
        id="00000000-0000-4000-8000-000000000001",
        reference="HO-TEST-CAL",
        kind=Kind.TRANSFER,
        state=State.REQUESTED,
        version=0,
        person=body.person,
        from_unit=body.from_unit,
        to_unit=body.to_unit,
        decision=body.decision,
        restrictions=body.restrictions,
        relatives_notified=body.relatives_notified,
        notes=body.notes,
        responsible=None,
        custody_chain=[],
        created_by=OFFICER,
        created_at=decided_at,
        updated_at=decided_at,
        apprehended_at=body.apprehended_at,
        arrested_at=body.arrested_at,
    )


def assistance_record(
    *,
    legal_basis: str,
    created_at: datetime,
    placed_at: datetime | None = None,
    identity: dict[str, str] | None = None,
) -> HandoverRecord:
    data: dict[str, Any] = dict(ASSISTANCE_CREATE, legal_basis=legal_basis)
    if legal_basis == "lpt_47":  # LPT 47 § rests on an intake decision (6 b §)
        data["lpt_intake_decision"] = dict(ASSISTANCE_CREATE["decision"], kind="intake_decision")
    if identity is not None:
        data["person"] = dict(ASSISTANCE_CREATE["person"], identity=identity)
    body = replace(msgspec.convert(data, AssistanceCreate), placed_at=placed_at)
    return HandoverRecord(
        id="00000000-0000-4000-8000-000000000002",
        reference="HO-TEST-CAL-A",
        kind=Kind.ENFORCEMENT_ASSISTANCE,
        state=State.REQUESTED,
        version=0,
        person=body.person,
        from_unit=body.origin.unit,
        to_unit=body.destination.unit,
        decision=body.decision,
        restrictions=body.restrictions,
        relatives_notified=body.relatives_notified,
        notes=body.notes,
        responsible=None,
        custody_chain=[],
        created_by=OFFICER,
        created_at=created_at,
        updated_at=created_at,
        requesting_unit=body.requesting_unit,
        executing_unit=body.executing_unit,
        assistance=Assistance(
            legal_basis=body.legal_basis,
            order_type=body.order_type,
            origin=body.origin,
            destination=body.destination,
        ),
        placed_at=body.placed_at,
    )


def reported(record: HandoverRecord, deadline_id: str, now: datetime) -> str | None:
    """What `due()` says about one deadline at `now`: "warn", "breach" or nothing."""
    found = {deadline.id: what for deadline, what in deadline_engine.due(record, now)}
    return found.get(deadline_id)


def assert_edges(
    record: HandoverRecord,
    deadline_id: str,
    warn: tuple[str, str],
    due: tuple[str, str],
) -> None:
    """The warning and the breach come exactly at their instants, not a minute (or µs) early."""
    deadline = next(d for d in record.deadlines if d.id == deadline_id)
    assert_instant(deadline.warn_at, *warn)
    assert_instant(deadline.due_at, *due)
    warn_at, due_at = instant(warn[0]), instant(due[0])
    for early in (MINUTE, MICROSECOND):
        assert reported(record, deadline_id, warn_at - early) is None
        assert reported(record, deadline_id, due_at - early) == "warn"
    assert reported(record, deadline_id, warn_at) == "warn"
    assert reported(record, deadline_id, due_at) == "breach"
    assert reported(record, deadline_id, due_at + timedelta(days=400)) == "breach"
    # Once warned, nothing more until the due minute; then the breach.
    change = deadline_engine.fire(record, deadline, "warn", warn_at)
    assert change.events[0].occurred_at == deadline.warn_at
    warned = change.record
    assert reported(warned, deadline_id, due_at - MINUTE) is None
    assert reported(warned, deadline_id, due_at - MICROSECOND) is None
    assert reported(warned, deadline_id, due_at) == "breach"
    breach = deadline_engine.fire(warned, deadline, "breach", due_at)
    assert breach.events[0].occurred_at == deadline.due_at


def test_remand_decision_edges_over_the_spring_change() -> None:
    """Warning at 24:00 the decision's local day, breach at 24:00 the next (23 hours long)."""
    created = datetime(2026, 3, 28, 9, 30, tzinfo=UTC)  # 10:30 CET
    record = deadline_engine.start(
        transfer_record(decided_at=sthlm("2026-03-28T10:00:00+01:00")), Clocks(), created
    )
    assert {d.id for d in record.deadlines} == {"remand_to_remand_prison", "response"}
    assert_edges(
        record,
        "remand_to_remand_prison",
        warn=("2026-03-29T00:00:00+01:00", "2026-03-28T23:00:00+00:00"),
        due=("2026-03-30T00:00:00+02:00", "2026-03-29T22:00:00+00:00"),
    )
    assert_edges(
        record,
        "response",
        warn=("2026-03-28T12:00:00+01:00", "2026-03-28T11:00:00+00:00"),
        due=("2026-03-28T12:30:00+01:00", "2026-03-28T11:30:00+00:00"),
    )
    assert deadline_engine.next_moment(record) == instant("2026-03-28T12:00:00+01:00")


def test_remand_decision_edges_over_the_autumn_change() -> None:
    created = datetime(2026, 10, 24, 8, 0, tzinfo=UTC)
    record = deadline_engine.start(
        transfer_record(decided_at=sthlm("2026-10-24T10:00:00+02:00")), Clocks(), created
    )
    assert_edges(
        record,
        "remand_to_remand_prison",
        warn=("2026-10-25T00:00:00+02:00", "2026-10-24T22:00:00+00:00"),
        due=("2026-10-26T00:00:00+01:00", "2026-10-25T23:00:00+00:00"),
    )


@pytest.mark.parametrize(
    ("decided_at", "warn", "due"),
    [
        pytest.param(
            datetime(2026, 6, 30, 23, 59, tzinfo=STHLM),
            ("2026-07-01T00:00:00+02:00", "2026-06-30T22:00:00+00:00"),
            ("2026-07-02T00:00:00+02:00", "2026-07-01T22:00:00+00:00"),
            id="23:59-local",
        ),
        pytest.param(
            datetime(2026, 7, 1, 0, 0, tzinfo=STHLM),
            ("2026-07-02T00:00:00+02:00", "2026-07-01T22:00:00+00:00"),
            ("2026-07-03T00:00:00+02:00", "2026-07-02T22:00:00+00:00"),
            id="00:00-local",
        ),
        pytest.param(
            datetime(2026, 7, 1, 0, 1, tzinfo=STHLM),
            ("2026-07-02T00:00:00+02:00", "2026-07-01T22:00:00+00:00"),
            ("2026-07-03T00:00:00+02:00", "2026-07-02T22:00:00+00:00"),
            id="00:01-local",
        ),
        # 00:30 local on 1 July given in UTC, where it is still 30 June.
        pytest.param(
            datetime(2026, 6, 30, 22, 30, tzinfo=UTC),
            ("2026-07-02T00:00:00+02:00", "2026-07-01T22:00:00+00:00"),
            ("2026-07-03T00:00:00+02:00", "2026-07-02T22:00:00+00:00"),
            id="00:30-local-as-utc",
        ),
        pytest.param(
            datetime(2026, 6, 30, 21, 59, tzinfo=UTC),
            ("2026-07-01T00:00:00+02:00", "2026-06-30T22:00:00+00:00"),
            ("2026-07-02T00:00:00+02:00", "2026-07-01T22:00:00+00:00"),
            id="23:59-local-as-utc",
        ),
        pytest.param(
            datetime(2026, 12, 31, 23, 30, tzinfo=STHLM),
            ("2027-01-01T00:00:00+01:00", "2026-12-31T23:00:00+00:00"),
            ("2027-01-02T00:00:00+01:00", "2027-01-01T23:00:00+00:00"),
            id="new-years-eve",
        ),
    ],
)
def test_remand_decision_around_midnight(
    decided_at: datetime, warn: tuple[str, str], due: tuple[str, str]
) -> None:
    created = decided_at.astimezone(UTC) + timedelta(minutes=5)
    record = deadline_engine.start(transfer_record(decided_at=decided_at), Clocks(), created)
    assert_edges(record, "remand_to_remand_prison", warn, due)


def test_detention_clocks_edges_when_the_remand_decision_came_late() -> None:
    """Hearing at +96 h real time, request at 12:00 on the third day; both over 25 October.

    The remand decision came after both: neither clock is met, both stay open.
    """
    record = deadline_engine.start(
        transfer_record(
            decided_at=sthlm("2026-10-27T13:00:00+01:00"),
            apprehended_at=sthlm("2026-10-23T13:00:00+02:00"),
            arrested_at=sthlm("2026-10-23T15:00:00+02:00"),
        ),
        Clocks(),
        datetime(2026, 10, 27, 12, 30, tzinfo=UTC),
    )
    assert_edges(
        record,
        "detention_hearing",
        warn=("2026-10-26T12:00:00+01:00", "2026-10-26T11:00:00+00:00"),
        due=("2026-10-27T12:00:00+01:00", "2026-10-27T11:00:00+00:00"),
    )
    # 70 real hours (the autumn hour added): the warning after 52 h 30 min.
    assert_edges(
        record,
        "detention_request",
        warn=("2026-10-25T18:30:00+01:00", "2026-10-25T17:30:00+00:00"),
        due=("2026-10-26T12:00:00+01:00", "2026-10-26T11:00:00+00:00"),
    )


def test_detention_clocks_are_met_by_a_timely_remand_decision() -> None:
    decided = sthlm("2026-03-30T11:59:00+02:00")  # one minute before the request's due
    record = deadline_engine.start(
        transfer_record(
            decided_at=decided,
            apprehended_at=sthlm("2026-03-27T13:00:00+01:00"),
            arrested_at=sthlm("2026-03-27T15:00:00+01:00"),
        ),
        Clocks(),
        datetime(2026, 3, 30, 10, 0, tzinfo=UTC),
    )
    by_id = {d.id: d for d in record.deadlines}
    assert_instant(
        by_id["detention_request"].due_at, "2026-03-30T12:00:00+02:00", "2026-03-30T10:00:00+00:00"
    )
    assert_instant(
        by_id["detention_hearing"].due_at, "2026-03-31T14:00:00+02:00", "2026-03-31T12:00:00+00:00"
    )
    for name in ("detention_request", "detention_hearing"):
        assert by_id[name].state == DeadlineState.MET
        assert by_id[name].met_at == decided
        assert reported(record, name, datetime(2026, 4, 30, tzinfo=UTC)) is None


def test_lvm_transport_start_edges_from_a_request_at_23_59() -> None:
    created = datetime(2026, 10, 24, 21, 59, tzinfo=UTC)  # 23:59 CEST
    record = deadline_engine.start(
        assistance_record(legal_basis="lvm_45", created_at=created), Clocks(), created
    )
    assert {d.id for d in record.deadlines} == {"lvm_transport_start", "response"}
    assert_edges(
        record,
        "lvm_transport_start",
        warn=("2026-10-25T00:00:00+02:00", "2026-10-24T22:00:00+00:00"),
        due=("2026-10-26T00:00:00+01:00", "2026-10-25T23:00:00+00:00"),
    )
    assert_edges(
        record,
        "response",
        warn=("2026-10-25T01:29:00+02:00", "2026-10-24T23:29:00+00:00"),
        due=("2026-10-25T01:59:00+02:00", "2026-10-24T23:59:00+00:00"),
    )
    assert deadline_engine.next_moment(record) == instant("2026-10-25T00:00:00+02:00")


def test_lvm_transport_start_edges_over_the_spring_change() -> None:
    created = datetime(2026, 3, 28, 0, 0, tzinfo=UTC)  # 01:00 CET on 28 March
    record = deadline_engine.start(
        assistance_record(legal_basis="lvm_45", created_at=created), Clocks(), created
    )
    assert_edges(
        record,
        "lvm_transport_start",
        warn=("2026-03-29T00:00:00+01:00", "2026-03-28T23:00:00+00:00"),
        due=("2026-03-30T00:00:00+02:00", "2026-03-29T22:00:00+00:00"),
    )


def test_utl_placement_edges_for_an_adult() -> None:
    placed = sthlm("2026-03-28T22:30:00+01:00")
    created = datetime(2026, 3, 28, 22, 0, tzinfo=UTC)
    record = deadline_engine.start(
        assistance_record(legal_basis="utll_10_19a", created_at=created, placed_at=placed),
        Clocks(),
        created,
    )
    assert_edges(
        record,
        "utl_placement",
        warn=("2026-03-31T05:30:00+02:00", "2026-03-31T03:30:00+00:00"),
        due=("2026-03-31T23:30:00+02:00", "2026-03-31T21:30:00+00:00"),
    )


def test_custody_gap_edges() -> None:
    base = deadline_engine.start(
        transfer_record(decided_at=sthlm("2026-11-27T14:05:00+01:00")),
        Clocks(),
        datetime(2026, 11, 27, 13, 30, tzinfo=UTC),
    )
    gap = deadline_engine._new(
        DeadlineName.CUSTODY_GAP, sthlm("2026-11-28T09:41:00+01:00"), Clocks(), suffix="-1"
    )
    record = replace(base, deadlines=(*base.deadlines, gap))
    assert_edges(
        record,
        "custody_gap-1",
        warn=("2026-11-28T09:52:15+01:00", "2026-11-28T08:52:15+00:00"),
        due=("2026-11-28T09:56:00+01:00", "2026-11-28T08:56:00+00:00"),
    )


@pytest.mark.parametrize(
    "name", [DeadlineName.PRISON_PLACE_TARGET, DeadlineName.PRISON_PLACE_ABSOLUTE]
)
def test_calendar_day_entries_edges(name: DeadlineName) -> None:
    start, due_local, due_utc, warn_local, warn_utc = POLICY_CASES[name]
    base = transfer_record(decided_at=sthlm(start), kind="sentence_enforcement")
    record = replace(base, deadlines=(deadline_engine._new(name, sthlm(start), Clocks()),))
    assert_edges(record, name, (warn_local, warn_utc), (due_local, due_utc))


def test_incident_report_edges_on_the_23_hour_day() -> None:
    start, due_local, due_utc, warn_local, warn_utc = POLICY_CASES[DeadlineName.INCIDENT_REPORT]
    base = transfer_record(decided_at=sthlm(start))
    report = deadline_engine._new(DeadlineName.INCIDENT_REPORT, sthlm(start), Clocks(), suffix="-1")
    record = replace(base, deadlines=(report,))
    assert_edges(record, "incident_report-1", (warn_local, warn_utc), (due_local, due_utc))


def test_erasure_edges() -> None:
    start, due_local, due_utc, warn_local, warn_utc = POLICY_CASES[DeadlineName.ERASURE]
    base = transfer_record(decided_at=sthlm(start))
    record = replace(
        base, deadlines=(deadline_engine._new(DeadlineName.ERASURE, sthlm(start), Clocks()),)
    )
    deadline = record.deadlines[0]
    assert_instant(deadline.due_at, due_local, due_utc)
    assert_instant(deadline.warn_at, warn_local, warn_utc)
    assert reported(record, "erasure", instant(warn_local) - MINUTE) is None
    assert reported(record, "erasure", instant(warn_local)) == "warn"
    assert reported(record, "erasure", instant(due_local) - MINUTE) == "warn"
    assert reported(record, "erasure", instant(due_local)) == "breach"


def test_extension_moves_the_breach_minute() -> None:
    created = datetime(2026, 3, 28, 9, 30, tzinfo=UTC)
    record = deadline_engine.start(
        transfer_record(decided_at=sthlm("2026-03-28T10:00:00+01:00")), Clocks(), created
    )
    body = msgspec.convert(
        {
            "reason": "court_decision",
            "decision": "Stockholms tingsrätt B 12345-26",
            "new_due_at": "2026-03-31T00:00:00+02:00",
        },
        ExtendBody,
    )
    now = datetime(2026, 3, 29, 12, 0, tzinfo=UTC)
    extended = deadline_engine.extend(record, "remand_to_remand_prison", body, OFFICER, now).record
    deadline = next(d for d in extended.deadlines if d.id == "remand_to_remand_prison")
    assert deadline.state == DeadlineState.EXTENDED
    # The new due time is kept as the decision gave it (here +02:00): compare the instant.
    assert deadline.due_at == instant("2026-03-31T00:00:00+02:00")
    assert deadline.due_at.astimezone(UTC).isoformat() == "2026-03-30T22:00:00+00:00"
    assert deadline.extensions[0].old_due_at == instant("2026-03-30T00:00:00+02:00")
    assert reported(extended, deadline.id, instant("2026-03-30T23:59:00+02:00")) == "warn"
    assert reported(extended, deadline.id, instant("2026-03-31T00:00:00+02:00")) == "breach"


# -- birth date and children: personnummer and samordningsnummer --------------------------------

BORN_2008_06_15 = [
    pytest.param(PersonnummerIdentity(number="20080615-1239"), id="personnummer"),
    pytest.param(SamordningsnummerIdentity(number="20080675-1236"), id="samordningsnummer"),
]


@pytest.mark.parametrize(
    ("identity", "born"),
    [
        (PersonnummerIdentity(number="20080615-1239"), date(2008, 6, 15)),
        (PersonnummerIdentity(number="080615-1239"), date(2008, 6, 15)),
        (SamordningsnummerIdentity(number="20080675-1236"), date(2008, 6, 15)),
        (PersonnummerIdentity(number="19121212-1212"), date(1912, 12, 12)),
        (SamordningsnummerIdentity(number="19121272-1219"), date(1912, 12, 12)),
        (PersonnummerIdentity(number="20080229-1237"), date(2008, 2, 29)),
        (SamordningsnummerIdentity(number="20080289-1234"), date(2008, 2, 29)),
        (UnknownIdentity(description="refuses to give a name"), None),
    ],
    ids=[
        "pnr",
        "pnr-10-digits",
        "samnr-day-plus-60",
        "pnr-1912",
        "samnr-1912",
        "pnr-leap-day",
        "samnr-leap-day",
        "unknown",
    ],
)
def test_birth_date(identity: Identity, born: date | None) -> None:
    assert deadline_engine.birth_date(identity) == born


@pytest.mark.parametrize("identity", BORN_2008_06_15)
@pytest.mark.parametrize(
    ("at", "child"),
    [
        ("2008-06-15T00:00:00+02:00", True),
        ("2025-06-15T12:00:00+02:00", True),
        ("2026-06-14T23:59:00+02:00", True),
        ("2026-06-15T00:00:00+02:00", False),  # the 18th birthday, local midnight
        ("2026-06-15T00:01:00+02:00", False),
        ("2026-06-16T12:00:00+02:00", False),
    ],
)
def test_is_child_at_the_18th_birthday_in_local_time(
    identity: Identity, at: str, child: bool
) -> None:
    assert deadline_engine.is_child(identity, sthlm(at)) is child


# The same instants as in the test above, written in UTC (how workflow.now() gives them) or
# with a wrong-season offset. The 18th birthday starts at 00:00 Stockholm time, which is still
# the previous date in UTC (a bug once: `is_child` used the date of the zone it was handed).


@pytest.mark.parametrize("identity", BORN_2008_06_15)
@pytest.mark.parametrize(
    ("at", "child"),
    [
        pytest.param(datetime(2026, 6, 14, 21, 59, tzinfo=UTC), True, id="23:59-local"),
        pytest.param(
            datetime(2026, 6, 14, 22, 0, tzinfo=UTC),
            False,
            id="00:00-local",
        ),
        pytest.param(
            datetime(2026, 6, 14, 23, 30, tzinfo=UTC),
            False,
            id="01:30-local",
        ),
        pytest.param(datetime(2026, 6, 15, 0, 0, tzinfo=UTC), False, id="02:00-local"),
    ],
)
def test_is_child_at_the_18th_birthday_given_in_utc(
    identity: Identity, at: datetime, child: bool
) -> None:
    assert deadline_engine.is_child(identity, at) is child


@pytest.mark.parametrize(
    "identity",
    [
        pytest.param(PersonnummerIdentity(number="20080229-1237"), id="personnummer"),
        pytest.param(SamordningsnummerIdentity(number="20080289-1234"), id="samordningsnummer"),
    ],
)
def test_is_child_born_on_a_leap_day(identity: Identity) -> None:
    """Born 29 February 2008: 2026 has no 29 February; 18 at the start of 1 March."""
    assert deadline_engine.is_child(identity, sthlm("2026-02-28T23:59:00+01:00")) is True
    assert deadline_engine.is_child(identity, sthlm("2026-03-01T00:00:00+01:00")) is False


def test_unknown_identity_is_not_taken_for_a_child() -> None:
    unknown = UnknownIdentity(description="no papers")
    assert deadline_engine.is_child(unknown, sthlm("2026-06-15T00:00:00+02:00")) is False


CHILD_UNTIL_MIDNIGHT = {"type": "personnummer", "number": "20080615-1239"}


def test_utl_placement_of_a_child_is_breached_at_once() -> None:
    placed = sthlm("2026-06-14T23:59:00+02:00")  # the day before the 18th birthday
    record = deadline_engine.start(
        assistance_record(
            legal_basis="utll_10_19a",
            created_at=placed,
            placed_at=placed,
            identity=CHILD_UNTIL_MIDNIGHT,
        ),
        Clocks(),
        placed.astimezone(UTC),
    )
    deadline = next(d for d in record.deadlines if d.id == "utl_placement")
    # Due at the placement itself (kept in the shape it was given): compare the instant.
    assert deadline.due_at == instant("2026-06-14T23:59:00+02:00")
    assert deadline.due_at.astimezone(UTC).isoformat() == "2026-06-14T21:59:00+00:00"
    assert deadline.warn_at == deadline.due_at
    assert reported(record, "utl_placement", instant("2026-06-14T23:58:00+02:00")) is None
    assert reported(record, "utl_placement", instant("2026-06-14T23:59:00+02:00")) == "breach"


@pytest.mark.parametrize(
    "placed",
    [
        pytest.param(datetime(2026, 6, 15, 0, 0, tzinfo=STHLM), id="local"),
        pytest.param(datetime(2026, 6, 14, 22, 0, tzinfo=UTC), id="utc"),
        pytest.param(
            datetime(2026, 6, 14, 23, 0, tzinfo=timezone(timedelta(hours=1))),
            id="winter-offset",
        ),
    ],
)
def test_utl_placement_on_the_18th_birthday_runs_72_hours(placed: datetime) -> None:
    record = deadline_engine.start(
        assistance_record(
            legal_basis="utll_10_19a",
            created_at=placed,
            placed_at=placed,
            identity=CHILD_UNTIL_MIDNIGHT,
        ),
        Clocks(),
        placed.astimezone(UTC),
    )
    deadline = next(d for d in record.deadlines if d.id == "utl_placement")
    assert deadline.due_at.astimezone(UTC) - placed.astimezone(UTC) == timedelta(hours=72)
    assert_instant(deadline.due_at, "2026-06-18T00:00:00+02:00", "2026-06-17T22:00:00+00:00")
    assert_instant(deadline.warn_at, "2026-06-17T06:00:00+02:00", "2026-06-17T04:00:00+00:00")


@pytest.mark.parametrize(
    "now",
    [
        pytest.param(datetime(2026, 6, 14, 22, 0, tzinfo=UTC), id="00:00-local"),
        pytest.param(datetime(2026, 6, 15, 0, 0, tzinfo=UTC), id="02:00-local"),
    ],
)
def test_utl_placement_without_placed_at_uses_the_workflow_clock(now: datetime) -> None:
    """No `placed_at`: the request's creation (workflow.now(), in UTC) is the placement."""
    record = deadline_engine.start(
        assistance_record(legal_basis="utll_10_19a", created_at=now, identity=CHILD_UNTIL_MIDNIGHT),
        Clocks(),
        now,
    )
    deadline = next(d for d in record.deadlines if d.id == "utl_placement")
    assert deadline.due_at - now == timedelta(hours=72)


# -- policy version 2: a clock for every basis, the deferral reminder, children ---------------

EXECUTION_BY_BASIS = {
    "lvu_43": "lvu_execution",
    "lsu_20": "lsu_execution",
    "lpt_47": "lpt_execution",
    "lrv_27": "lrv_execution",
    "polislagen_29a": "pl29a_execution",
    "strafftidslag_6": "forpassning_execution",
}
CHILD_IN_2026 = {"type": "personnummer", "number": "20120505-1236"}


@pytest.mark.parametrize("basis", sorted(EXECUTION_BY_BASIS))
def test_version_2_starts_the_execution_clock_of_the_basis(basis: str) -> None:
    created = sthlm("2026-03-28T20:00:00+01:00")
    record = deadline_engine.start(
        assistance_record(legal_basis=basis, created_at=created),
        Clocks(),
        created.astimezone(UTC),
    )
    assert record.policy_version == POLICY_VERSION  # 3: the execution clocks came with 2
    clock_id = EXECUTION_BY_BASIS[basis]
    assert {d.id for d in record.deadlines} == {"response", clock_id}
    assert all(d.policy_version == POLICY_VERSION for d in record.deadlines)
    clock = next(d for d in record.deadlines if d.id == clock_id)
    assert clock.legal is False
    assert_edges(
        record,
        clock_id,
        warn=("2026-03-29T15:00:00+02:00", "2026-03-29T13:00:00+00:00"),
        due=("2026-03-29T21:00:00+02:00", "2026-03-29T19:00:00+00:00"),
    )


@pytest.mark.parametrize("basis", sorted(EXECUTION_BY_BASIS))
def test_a_child_gets_the_12_hour_execution_clock(basis: str) -> None:
    created = sthlm("2026-10-24T20:00:00+02:00")
    record = deadline_engine.start(
        assistance_record(legal_basis=basis, created_at=created, identity=CHILD_IN_2026),
        Clocks(),
        created.astimezone(UTC),
    )
    assert_edges(
        record,
        EXECUTION_BY_BASIS[basis],
        warn=("2026-10-25T04:00:00+01:00", "2026-10-25T03:00:00+00:00"),
        due=("2026-10-25T07:00:00+01:00", "2026-10-25T06:00:00+00:00"),
    )


@pytest.mark.parametrize("basis", sorted(EXECUTION_BY_BASIS))
def test_version_1_requests_keep_version_1(basis: str) -> None:
    created = sthlm("2026-03-28T20:00:00+01:00")
    record = deadline_engine.start(
        assistance_record(legal_basis=basis, created_at=created),
        Clocks(),
        created.astimezone(UTC),
        version=1,
    )
    assert record.policy_version == 1
    assert {d.id for d in record.deadlines} == {"response"}
    assert {d.policy_version for d in record.deadlines} == {1}
    deferred = _deferred(record, sthlm("2026-03-28T20:10:00+01:00"))
    assert {d.id for d in deferred.deadlines} == {"response"}


def _deferred(record: HandoverRecord, at: datetime) -> HandoverRecord:
    """`record` after a deferral at `at`, through the engine's `follow`."""
    data = events.Deferred(reason=DeferralReason.NO_CAPACITY, from_state=State.REQUESTED)
    after = replace(record, state=State.DEFERRED)
    change = deadline_engine.follow(
        record, Change(after, [NewEvent(at.astimezone(UTC), data)]), PLANNER, at
    )
    return change.record


def _then(
    record: HandoverRecord, data: events.EventData, state: State, at: datetime
) -> HandoverRecord:
    after = replace(record, state=state)
    change = deadline_engine.follow(
        record, Change(after, [NewEvent(at.astimezone(UTC), data)]), PLANNER, at
    )
    return change.record


PLANNER = ActorRef(sub="planner-1", org=Org.KRIMINALVARDEN, unit="kv-nte-stockholm")


def _lvu(identity: dict[str, str] | None = None) -> HandoverRecord:
    created = sthlm("2026-03-28T23:00:00+01:00")
    return deadline_engine.start(
        assistance_record(legal_basis="lvu_43", created_at=created, identity=identity),
        Clocks(),
        created.astimezone(UTC),
    )


def test_deferral_reminder_repeats_every_4_hours_while_deferred() -> None:
    """Deferred at 00:30 on the 23-hour day: reminders due 05:30, 09:30 (+02:00), each
    warning an hour before; a breached reminder starts the next from its own due time."""
    record = _deferred(_lvu(), sthlm("2026-03-29T00:30:00+01:00"))
    assert_edges(
        record,
        "deferral_reminder-1",
        warn=("2026-03-29T04:30:00+02:00", "2026-03-29T02:30:00+00:00"),
        due=("2026-03-29T05:30:00+02:00", "2026-03-29T03:30:00+00:00"),
    )
    first = next(d for d in record.deadlines if d.id == "deferral_reminder-1")
    assert (first.legal, first.policy_version) == (False, POLICY_VERSION)
    warned = deadline_engine.fire(record, first, "warn", instant("2026-03-29T04:30:00+02:00"))
    # An operational warning is a record, not a task: no escalation.
    assert warned.record.escalations == record.escalations
    breached = deadline_engine.fire(
        warned.record, first, "breach", instant("2026-03-29T05:30:00+02:00")
    )
    escalated = [e for e in breached.record.escalations if e.subject == "deferral_reminder-1"]
    assert [e.level for e in escalated] == ["breach"]
    assert_edges(
        breached.record,
        "deferral_reminder-2",
        warn=("2026-03-29T08:30:00+02:00", "2026-03-29T06:30:00+00:00"),
        due=("2026-03-29T09:30:00+02:00", "2026-03-29T07:30:00+00:00"),
    )
    second = next(d for d in breached.record.deadlines if d.id == "deferral_reminder-2")
    again = deadline_engine.fire(
        breached.record, second, "breach", instant("2026-03-29T09:30:00+02:00")
    )
    assert "deferral_reminder-3" in {d.id for d in again.record.deadlines}
    # Accepted: the reminders are met (a breached one keeps its breach on record).
    accepted = _then(
        again.record,
        events.Accepted(from_state=State.DEFERRED),
        State.ACCEPTED,
        sthlm("2026-03-29T10:00:00+02:00"),
    )
    reminders = {d.id: d for d in accepted.deadlines if d.name == "deferral_reminder"}
    assert reminders["deferral_reminder-3"].state == DeadlineState.MET
    assert reminders["deferral_reminder-1"].state == DeadlineState.BREACHED
    assert all(d.met_at == instant("2026-03-29T10:00:00+02:00") for d in reminders.values())
    assert deadline_engine.next_moment(accepted) == next(
        d.warn_at for d in accepted.deadlines if d.id == "lvu_execution"
    )


def test_deferral_reminder_every_hour_for_a_child() -> None:
    record = _deferred(_lvu(CHILD_IN_2026), sthlm("2026-03-29T00:30:00+01:00"))
    assert_edges(
        record,
        "deferral_reminder-1",
        warn=("2026-03-29T01:15:00+01:00", "2026-03-29T00:15:00+00:00"),
        due=("2026-03-29T01:30:00+01:00", "2026-03-29T00:30:00+00:00"),
    )
    first = next(d for d in record.deadlines if d.id == "deferral_reminder-1")
    breached = deadline_engine.fire(record, first, "breach", instant("2026-03-29T01:30:00+01:00"))
    # 01:30 CET + 1 real hour is 03:30 CEST: the hour 02:00-03:00 does not exist that night.
    assert_edges(
        breached.record,
        "deferral_reminder-2",
        warn=("2026-03-29T03:15:00+02:00", "2026-03-29T01:15:00+00:00"),
        due=("2026-03-29T03:30:00+02:00", "2026-03-29T01:30:00+00:00"),
    )


@pytest.mark.parametrize(
    ("data", "state"),
    [
        pytest.param(
            events.Rejected(reason=RejectionReason.WRONG_RECIPIENT, from_state=State.DEFERRED),
            State.REJECTED,
            id="rejected",
        ),
        pytest.param(
            events.Cancelled(reason=CancellationReason.DECISION_REVOKED, from_state=State.DEFERRED),
            State.CANCELLED,
            id="cancelled",
        ),
    ],
)
def test_deferral_reminder_is_met_by_a_rejection_or_cancellation(
    data: events.EventData, state: State
) -> None:
    record = _deferred(_lvu(), sthlm("2026-03-29T00:30:00+01:00"))
    closed = _then(record, data, state, sthlm("2026-03-29T01:45:00+01:00"))
    reminder = next(d for d in closed.deadlines if d.id == "deferral_reminder-1")
    assert reminder.state == DeadlineState.MET
    assert reminder.met_at == instant("2026-03-29T01:45:00+01:00")
    execution = next(d for d in closed.deadlines if d.id == "lvu_execution")
    assert execution.state == DeadlineState.CANCELLED  # closing cancels the open clocks


def test_a_breached_reminder_after_the_answer_starts_no_next_one() -> None:
    record = _deferred(_lvu(), sthlm("2026-03-29T00:30:00+01:00"))
    first = next(d for d in record.deadlines if d.id == "deferral_reminder-1")
    accepted = replace(record, state=State.ACCEPTED)
    fired = deadline_engine.fire(accepted, first, "breach", instant("2026-03-29T05:30:00+02:00"))
    assert "deferral_reminder-2" not in {d.id for d in fired.record.deadlines}


def test_child_of_takes_the_number_first_then_the_flag() -> None:
    at = sthlm("2026-12-01T12:00:00+01:00")
    unknown = UnknownIdentity(description="A boy, about 14")
    child = PersonnummerIdentity(number="20120505-1236")
    adult = PersonnummerIdentity(number="19121212-1212")
    assert deadline_engine.child_of(Person(identity=unknown, under_18=True), at)
    assert not deadline_engine.child_of(Person(identity=unknown, under_18=False), at)
    assert not deadline_engine.child_of(Person(identity=unknown), at)  # age unknown: no child
    # The number's date of birth decides over a stale flag.
    assert deadline_engine.child_of(Person(identity=child, under_18=False), at)
    assert not deadline_engine.child_of(Person(identity=adult, under_18=True), at)
