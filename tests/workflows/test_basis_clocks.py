"""Deadline policy version 2 on the time-skipping server: a clock for every legal basis, the
reminder that repeats while a request stays deferred, and children.

For each basis a request is deferred and left waiting: the reminder warns after 3 hours,
escalates at 4 and again at 8 (every 4 hours while deferred), the basis's own clock breaches
at its due time, and the accept that finally comes meets the reminders.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from temporalio.testing import WorkflowEnvironment

from contracts import actions
from contracts.actions import DeferralReason
from contracts.api import AssistanceCreate, HandoverRecord
from contracts.deadline_policy import POLICY_VERSION
from services.handover.api import examples
from tests.workflows.driver import PLANNER, assistance, create, deadline, record_of, skip_to, step

CHILD = {"type": "personnummer", "number": "20120505-1236"}  # 14 in December 2026
# The clock each basis carries for the request being carried out (policy version 2).
CLOCK_OF = {
    "lvm_45": "lvm_transport_start",
    "lvu_43": "lvu_execution",
    "lsu_20": "lsu_execution",
    "lpt_47": "lpt_execution",
    "lrv_27": "lrv_execution",
    "utll_10_19a": "utl_placement",
    "polislagen_29a": "pl29a_execution",
    "strafftidslag_6": "forpassning_execution",
}
SLACK = timedelta(seconds=5)


def request(basis: str, now: datetime, **changes: Any) -> AssistanceCreate:
    """The documented assistance under `basis`, decided (and for UtlL placed) `now`."""
    if basis == "utll_10_19a":
        changes["placed_at"] = now.isoformat()
    if basis == "lpt_47":  # LPT 47 § rests on an intake decision (6 b §)
        decision = examples.ASSISTANCE_CREATE["decision"]
        changes["lpt_intake_decision"] = dict(
            decision, kind="intake_decision", decided_at=now.isoformat()
        )
    return assistance(now, legal_basis=basis, **changes)


def escalated(record: HandoverRecord, subject: str) -> list[str]:
    return [e.level for e in record.escalations if e.subject == subject]


@pytest.mark.parametrize("basis", sorted(CLOCK_OF))
async def test_a_deferred_request_warns_escalates_repeatedly_and_breaches(
    time_env: WorkflowEnvironment, queue: str, basis: str
) -> None:
    now = await time_env.get_current_time()
    handle, created = await create(
        time_env.client, queue, request(basis, now), destination_kind=None
    )
    assert created.policy_version == POLICY_VERSION  # 3: the execution clocks came with 2
    clock = deadline(created, CLOCK_OF[basis])
    assert clock.state == "running"
    assert clock.policy_version == POLICY_VERSION
    if basis not in ("lvm_45", "utll_10_19a"):
        assert clock.legal is False  # the law names no hours: an operational default
        assert clock.due_at - clock.starts_at == timedelta(hours=24)

    deferred = await step(
        handle, "defer", PLANNER, actions.DeferBody(reason=DeferralReason.NO_CAPACITY)
    )
    assert deferred.state == "deferred"
    first = deadline(deferred, "deferral_reminder-1")
    assert first.due_at - first.starts_at == timedelta(hours=4)
    assert first.warn_at - first.starts_at == timedelta(hours=3)

    # The warning: a record of its own, no escalation (an operational clock).
    await skip_to(time_env, first.warn_at - timedelta(minutes=1))
    assert deadline(await record_of(handle), first.id).state == "running"
    await skip_to(time_env, first.warn_at + timedelta(minutes=1))
    warned = await record_of(handle)
    assert deadline(warned, first.id).state == "warned"
    assert escalated(warned, first.id) == []

    # Every 4 hours while deferred: a breach, an escalation, and the next reminder.
    await skip_to(time_env, first.due_at + timedelta(minutes=1))
    record = await record_of(handle)
    breached = deadline(record, first.id)
    assert breached.state == "breached"
    assert breached.breached_at is not None
    assert breached.breached_at - first.due_at < SLACK
    assert escalated(record, first.id) == ["breach"]
    second = deadline(record, "deferral_reminder-2")
    assert second.starts_at == first.due_at
    assert second.due_at - first.due_at == timedelta(hours=4)
    await skip_to(time_env, second.due_at + timedelta(minutes=1))
    record = await record_of(handle)
    assert deadline(record, second.id).state == "breached"
    assert escalated(record, second.id) == ["breach"]
    assert deadline(record, "deferral_reminder-3").state == "running"

    # The basis's own clock breaches at its due time; the request stays deferred.
    await skip_to(time_env, clock.due_at + timedelta(minutes=1))
    record = await record_of(handle)
    late = deadline(record, clock.id)
    assert late.state == "breached"
    assert late.breached_at is not None
    assert late.breached_at - clock.due_at < SLACK
    assert "breach" in escalated(record, clock.id)
    assert record.state == "deferred"
    reminders = [d for d in record.deadlines if d.name == "deferral_reminder"]
    waited = clock.due_at + timedelta(minutes=1) - first.starts_at
    assert sum(d.state == "breached" for d in reminders) == waited // timedelta(hours=4)

    # The accept ends the wait: the reminders are met, nothing more is scheduled for them.
    accepted = await step(handle, "accept", PLANNER, actions.AcceptBody())
    reminders = [d for d in accepted.deadlines if d.name == "deferral_reminder"]
    assert all(d.met_at is not None for d in reminders)
    assert not any(d.open for d in reminders)
    before = len(reminders)
    await skip_to(time_env, clock.due_at + timedelta(hours=9))
    after = [d for d in (await record_of(handle)).deadlines if d.name == "deferral_reminder"]
    assert len(after) == before


async def test_a_childs_utl_placement_escalates_at_once(
    time_env: WorkflowEnvironment, queue: str
) -> None:
    """UtlL 10:19 a: a child is never placed in police custody; there is nothing to wait for."""
    now = await time_env.get_current_time()
    body = request("utll_10_19a", now, person={"identity": CHILD})
    handle, created = await create(time_env.client, queue, body, destination_kind=None)
    clock = deadline(created, "utl_placement")
    assert clock.due_at == clock.starts_at
    await skip_to(time_env, now + timedelta(seconds=30))
    record = await record_of(handle)
    breached = deadline(record, "utl_placement")
    assert breached.state == "breached"
    assert breached.breached_at is not None
    assert breached.breached_at - now < SLACK
    assert escalated(record, "utl_placement") == ["breach"]
    assert record.state == "requested"  # a breach never closes a request


async def test_a_deferred_child_is_reminded_every_hour(
    time_env: WorkflowEnvironment, queue: str
) -> None:
    now = await time_env.get_current_time()
    body = request("lvu_43", now, person={"identity": CHILD})
    handle, created = await create(time_env.client, queue, body, destination_kind=None)
    execution = deadline(created, "lvu_execution")
    assert execution.due_at - execution.starts_at == timedelta(hours=12)
    deferred = await step(
        handle, "defer", PLANNER, actions.DeferBody(reason=DeferralReason.NO_CAPACITY)
    )
    first = deadline(deferred, "deferral_reminder-1")
    assert first.due_at - first.starts_at == timedelta(hours=1)
    await skip_to(time_env, first.starts_at + timedelta(hours=3, minutes=1))
    record = await record_of(handle)
    for number in (1, 2, 3):
        assert deadline(record, f"deferral_reminder-{number}").state == "breached"
        assert escalated(record, f"deferral_reminder-{number}") == ["breach"]
    assert deadline(record, "deferral_reminder-4").state == "running"
