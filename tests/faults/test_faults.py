"""The bounded fault suite: one of each fault under load, then every promise checked.

Separate `handover api` x2 and `handover worker` x2 processes against their own PostgreSQL
and Temporal (tests/faults/harness.py); about a minute. No timing is asserted here (a loaded
machine is slow, not wrong); the figures are `make faults`' (bench/README.md).
"""

from __future__ import annotations

import os
import shutil

import pytest

from tests.faults.harness import Scenario, run, scratch_dir


@pytest.mark.slow
async def test_every_promise_holds_while_processes_and_servers_fail() -> None:
    scratch = scratch_dir()
    result = await run(Scenario.bounded(), scratch)
    kept = bool(result.problems or result.unexpected_exits) or os.environ.get(
        "HANDOVER_KEEP_TEST_DATA"
    )
    if not kept:
        shutil.rmtree(scratch, ignore_errors=True)
    where = f" (process logs in {scratch})" if kept else ""
    # Each fault happened, and load ran through it.
    assert [k["process"] for k in result.kills] == ["worker-0", "api-0"]
    assert sorted(o.what for o in result.outages) == ["postgres", "temporal"]
    assert all(o.ended > o.started for o in result.outages)
    assert result.lifecycles >= result.scenario["clients"]
    # Every call succeeded on retry, every request completed with a whole, verifying event
    # log equal to the workflow's state; no "Future exception was never retrieved".
    assert result.problems == [], f"{result.problems}{where}"
    assert all(c.ok for c in result.calls)
    # The workers rode out Temporal's restart and PostgreSQL's outage without exiting.
    assert result.unexpected_exits == [], f"{result.unexpected_exits}{where}"
