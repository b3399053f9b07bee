"""Every entry of the deadline policy (`contracts.deadline_policy`), computed by hand.

Pure and fast: no servers. How the expected instants are written: `tests.swedish_time`.
"""

from __future__ import annotations

import pytest

from contracts.deadline_policy import (
    BY_NAME,
    POLICY,
    Clocks,
    DeadlineName,
    DeadlineState,
    Due,
    Rule,
    compute,
    warning,
)
from tests.swedish_time import FORMS, POLICY_CASES, UTC, assert_instant, sthlm
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
