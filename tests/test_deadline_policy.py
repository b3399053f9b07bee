"""Every entry of the deadline policy (`contracts.deadline_policy`), computed by hand.

Pure and fast: no servers. How the expected instants are written: `tests.swedish_time`.
"""

from __future__ import annotations

import pytest
from msgspec.structs import replace

from contracts.api import LegalBasis
from contracts.common import Kind
from contracts.deadline_policy import (
    BY_NAME,
    EXECUTION_CLOCKS,
    POLICY,
    POLICY_VERSION,
    Clocks,
    DeadlineName,
    DeadlineState,
    Due,
    Rule,
    compute,
    entries,
    warning,
)
from services.handover.settings import Settings, load_settings
from tests.swedish_time import CHILD_CASES, FORMS, POLICY_CASES, UTC, assert_instant, sthlm
from workflows import deadline_engine

# -- every entry of the policy: compute() and warning() ---------------------------------------

WALL_CLOCK_RULES = frozenset({Rule.END_OF_DAY, Rule.NOON_ON_DAY_AFTER, Rule.CALENDAR_DAYS})


def test_every_policy_entry_has_a_hand_computed_case() -> None:
    assert set(POLICY_CASES) == {entry.name for entry in POLICY}
    assert len(POLICY) == len(BY_NAME)


def test_the_wall_clock_entries_are_the_ones_domain_md_names() -> None:
    wall_clock = {
        entry.name
        for entry in POLICY
        if entry.due.rule in WALL_CLOCK_RULES
        or (isinstance(entry.warn, Due) and entry.warn.rule in WALL_CLOCK_RULES)
    }
    assert wall_clock == {
        DeadlineName.REMAND_TO_REMAND_PRISON,
        DeadlineName.DETENTION_REQUEST,
        DeadlineName.LVM_TRANSPORT_START,
        DeadlineName.PRISON_PLACE_TARGET,
        DeadlineName.PRISON_PLACE_ABSOLUTE,
        DeadlineName.INCIDENT_REPORT,
        DeadlineName.ERASURE,
    }


@pytest.mark.parametrize("name", sorted(POLICY_CASES))
@pytest.mark.parametrize("form", sorted(FORMS))
def test_policy_entry_due_and_warning(name: DeadlineName, form: str) -> None:
    start, due_local, due_utc, warn_local, warn_utc = POLICY_CASES[name]
    entry = BY_NAME[name]
    started = FORMS[form](sthlm(start))
    due_at = compute(entry.due, started)
    assert_instant(due_at, due_local, due_utc)
    assert_instant(warning(entry, started, due_at), warn_local, warn_utc)


@pytest.mark.parametrize("name", sorted(POLICY_CASES))
def test_policy_entry_through_the_engine_with_default_clocks(name: DeadlineName) -> None:
    """`_new` applies the deployment's clocks; the defaults are the policy's values."""
    start, due_local, due_utc, warn_local, warn_utc = POLICY_CASES[name]
    deadline = deadline_engine._new(name, sthlm(start).astimezone(UTC), Clocks())
    assert_instant(deadline.due_at, due_local, due_utc)
    assert_instant(deadline.warn_at, warn_local, warn_utc)
    assert deadline.state == DeadlineState.RUNNING
    assert deadline.legal == BY_NAME[name].legal


# -- children: the stricter rules -------------------------------------------------------------


def test_every_child_rule_has_a_hand_computed_case() -> None:
    assert set(CHILD_CASES) == {entry.name for entry in POLICY if entry.child_due is not None}


@pytest.mark.parametrize("name", sorted(CHILD_CASES))
@pytest.mark.parametrize("form", sorted(FORMS))
def test_child_rule_due_and_warning(name: DeadlineName, form: str) -> None:
    start, due_local, due_utc, warn_local, warn_utc = CHILD_CASES[name]
    entry = BY_NAME[name]
    assert entry.child_due is not None
    started = FORMS[form](sthlm(start))
    due_at = compute(entry.child_due, started)
    assert_instant(due_at, due_local, due_utc)
    assert_instant(
        warning(replace(entry, due=entry.child_due), started, due_at), warn_local, warn_utc
    )


@pytest.mark.parametrize("name", sorted(CHILD_CASES))
def test_child_rule_through_the_engine_with_default_clocks(name: DeadlineName) -> None:
    start, due_local, due_utc, warn_local, warn_utc = CHILD_CASES[name]
    deadline = deadline_engine._new(name, sthlm(start).astimezone(UTC), Clocks(), child=True)
    assert_instant(deadline.due_at, due_local, due_utc)
    assert_instant(deadline.warn_at, warn_local, warn_utc)


def test_utl_placement_of_a_child_is_never_allowed() -> None:
    """UtlL 10:19 a: a child is never placed in police custody; the clock is out at once."""
    assert BY_NAME[DeadlineName.UTL_PLACEMENT].child_due == Due(Rule.ELAPSED_HOURS, 0)


# -- version 2: a clock for every legal basis, and for waiting -------------------------------


def test_the_policy_is_at_version_3_and_versions_1_and_2_are_kept() -> None:
    assert POLICY_VERSION == 3
    new = {e.name for e in entries(2)} - {e.name for e in entries(1)}
    assert new == {*EXECUTION_CLOCKS, DeadlineName.DEFERRAL_REMINDER}
    assert {e.name for e in entries(3)} - {e.name for e in entries(2)} == {
        DeadlineName.LODGING_DEPARTURE
    }
    assert {e.name for e in entries(1)} == {e.name for e in POLICY if e.since == 1}


def test_the_lodging_clock_is_operational_and_configurable() -> None:
    entry = BY_NAME[DeadlineName.LODGING_DEPARTURE]
    assert not entry.legal
    assert "Operational default" in entry.basis
    assert entry.due == Due(Rule.ELAPSED_HOURS, 2)
    clocks = load_settings({"HANDOVER_LODGING_OVERSTAY_HOURS": "3"}).clocks()
    assert clocks.lodging_overstay_hours == 3
    start = sthlm("2026-03-29T01:30:00+01:00")
    clock = deadline_engine._new(DeadlineName.LODGING_DEPARTURE, start, clocks, suffix="-1")
    assert clock.id == "lodging_departure-1"
    # 3 h of real time over the spring change: 01:30 -> 05:30 on the clock.
    assert_instant(clock.due_at, "2026-03-29T05:30:00+02:00", "2026-03-29T03:30:00+00:00")


@pytest.mark.parametrize("basis", list(LegalBasis))
def test_every_legal_basis_has_exactly_one_execution_clock(basis: LegalBasis) -> None:
    clocks = [
        e
        for e in entries(2)
        if e.legal_bases is not None
        and basis in e.legal_bases
        and Kind.ENFORCEMENT_ASSISTANCE in e.kinds
    ]
    assert len(clocks) == 1, basis
    (entry,) = clocks
    if basis in (LegalBasis.LVM_45, LegalBasis.UTLL_10_19A):
        assert entry.legal  # JO 6293-2014; UtlL 10:19 a's 72 hours
    else:
        # The law names no hours: an operational default, so marked, with what it rests on.
        assert not entry.legal
        assert entry.configurable is not None
        assert "operational default" in entry.basis
        assert "JO 8337-2018" in entry.basis
        assert entry.child_due is not None
        assert entry.child_due.amount < entry.due.amount


def test_operational_entries_name_settings_that_exist() -> None:
    """Every `configurable` names HANDOVER_* settings that a deployment can really set."""
    names = {f"HANDOVER_{field.upper()}" for field in Settings.__struct_fields__}
    for entry in POLICY:
        if entry.configurable is None:
            continue
        for setting in entry.configurable.replace(";", " ").split():
            if setting.startswith("HANDOVER_"):
                assert setting in names, (entry.name, setting)


def test_the_deferral_reminder_repeats_and_is_stricter_for_a_child() -> None:
    entry = BY_NAME[DeadlineName.DEFERRAL_REMINDER]
    assert entry.repeats
    assert not entry.legal
    assert entry.due == Due(Rule.ELAPSED_HOURS, 4)
    assert entry.child_due == Due(Rule.ELAPSED_HOURS, 1)
    assert "JO 8337-2018" in entry.basis


def test_settings_carry_the_new_clocks_into_requests() -> None:
    clocks = load_settings(
        {
            "HANDOVER_ASSISTANCE_EXECUTION_HOURS": "20",
            "HANDOVER_ASSISTANCE_EXECUTION_CHILD_HOURS": "6",
            "HANDOVER_DEFERRAL_REMINDER_HOURS": "3",
            "HANDOVER_DEFERRAL_REMINDER_CHILD_HOURS": "0.5",
        }
    ).clocks()
    assert clocks.assistance_execution_hours == 20
    assert clocks.assistance_execution_child_hours == 6
    assert clocks.deferral_reminder_hours == 3
    assert clocks.deferral_reminder_child_hours == 0.5
    start = sthlm("2026-03-29T00:30:00+01:00")
    reminder = deadline_engine._new(DeadlineName.DEFERRAL_REMINDER, start, clocks, child=True)
    assert_instant(reminder.due_at, "2026-03-29T01:00:00+01:00", "2026-03-29T00:00:00+00:00")
    lvu = deadline_engine._new(DeadlineName.LVU_EXECUTION, start, clocks)
    assert_instant(lvu.due_at, "2026-03-29T21:30:00+02:00", "2026-03-29T19:30:00+00:00")
