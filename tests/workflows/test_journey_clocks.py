"""The clocks follow the person on a journey with a lodging (policy version 3), on the
time-skipping server: the lodging's clock starts at the reception there and runs from the
planned departure; staying on past it warns, breaches and escalates; the lodging's release of
the person meets it. A redirect restarts no clock."""

from __future__ import annotations

from datetime import timedelta

import msgspec
from msgspec.structs import replace
from temporalio.testing import WorkflowEnvironment

from contracts import actions
from contracts.common import Actor, UnitKind
from contracts.deadline_policy import POLICY_VERSION
from contracts.journey import AnswerLodging, JourneyCommand, PlanLodging, Redirect, RedirectReason
from contracts.workflow import UPDATE_JOURNEY
from services.handover.api import examples
from tests.workflows.driver import (
    GOTEBORG,
    LODGING,
    OFFICER,
    PLANNER,
    create,
    deadline,
    record_of,
    schedule,
    skip_to,
    step,
    transfer,
)

SLACK = timedelta(seconds=5)
RELEASE = msgspec.convert(examples.RELEASE, actions.ReleaseBody)
RECEIVE = msgspec.convert(examples.RECEIVE, actions.ReceiveBody)


async def test_a_person_left_at_a_lodging_past_its_departure_escalates(
    time_env: WorkflowEnvironment, queue: str
) -> None:
    now = await time_env.get_current_time()
    handle, created = await create(time_env.client, queue, transfer(now))
    assert created.policy_version == POLICY_VERSION == 3
    await schedule(handle, pickup_at=now + timedelta(hours=1))
    depart = now + timedelta(hours=14)
    lodging = PlanLodging(unit=LODGING.unit, arrive_at=now + timedelta(hours=2), depart_at=depart)
    await step(
        handle,
        UPDATE_JOURNEY,
        PLANNER,
        JourneyCommand(change=lodging, unit_kind=UnitKind.REMAND_PRISON),
    )
    await step(
        handle, UPDATE_JOURNEY, LODGING, JourneyCommand(change=AnswerLodging(stop=1, accepted=True))
    )

    async def hand(holder: Actor, receiver: Actor) -> None:
        at = await time_env.get_current_time()
        await step(
            handle, "release", holder, replace(RELEASE, to_unit=receiver.unit, occurred_at=at)
        )
        await step(handle, "receive", receiver, replace(RECEIVE, occurred_at=at))

    await hand(OFFICER, PLANNER)
    remand = deadline(await record_of(handle), "remand_to_remand_prison")
    assert remand.state == "met"  # the person left police custody
    await hand(PLANNER, LODGING)
    record = await record_of(handle)
    clock = deadline(record, "lodging_departure-1")
    assert (clock.legal, clock.state) == (False, "running")
    assert clock.starts_at == depart
    assert clock.due_at - depart == timedelta(hours=2)
    assert clock.warn_at - depart == timedelta(hours=1)

    # The morning comes and goes: nobody fetches the person.
    await skip_to(time_env, clock.warn_at + timedelta(minutes=1))
    assert deadline(await record_of(handle), clock.id).state == "warned"
    await skip_to(time_env, clock.due_at + timedelta(minutes=1))
    record = await record_of(handle)
    late = deadline(record, clock.id)
    assert late.state == "breached"
    assert late.breached_at is not None
    assert late.breached_at - clock.due_at < SLACK
    assert [e.level for e in record.escalations if e.subject == clock.id] == ["breach"]
    assert record.state == "in_transit"  # a breach never closes a request

    # Fetched at last: the lodging's release meets the clock (late); a redirect restarts none.
    await hand(LODGING, PLANNER)
    record = await record_of(handle)
    met = deadline(record, clock.id)
    assert met.met_at is not None
    assert met.state == "breached"  # met after its due time: the breach stays on record
    before = {d.id: (d.starts_at, d.due_at, d.state) for d in record.deadlines}
    redirect = Redirect(to_unit=GOTEBORG.unit, reason=RedirectReason.PLACEMENT_DECISION)
    moved = await step(
        handle,
        UPDATE_JOURNEY,
        PLANNER,
        JourneyCommand(change=redirect, unit_kind=UnitKind.REMAND_PRISON),
    )
    assert {d.id: (d.starts_at, d.due_at, d.state) for d in moved.deadlines} == before
    await hand(PLANNER, GOTEBORG)
    done = await record_of(handle)
    assert done.state == "completed"
    assert [s.unit for s in done.custody_chain] == [
        OFFICER.unit,
        PLANNER.unit,
        LODGING.unit,
        PLANNER.unit,
        GOTEBORG.unit,
    ]


async def test_a_lodging_left_on_time_meets_its_clock(
    time_env: WorkflowEnvironment, queue: str
) -> None:
    now = await time_env.get_current_time()
    handle, _ = await create(time_env.client, queue, transfer(now))
    await schedule(handle, pickup_at=now + timedelta(hours=1))
    lodging = PlanLodging(
        unit=LODGING.unit, arrive_at=now + timedelta(hours=2), depart_at=now + timedelta(hours=3)
    )
    await step(
        handle,
        UPDATE_JOURNEY,
        PLANNER,
        JourneyCommand(change=lodging, unit_kind=UnitKind.REMAND_PRISON),
    )
    await step(
        handle, UPDATE_JOURNEY, LODGING, JourneyCommand(change=AnswerLodging(stop=1, accepted=True))
    )
    for holder, receiver in ((OFFICER, PLANNER), (PLANNER, LODGING), (LODGING, PLANNER)):
        at = await time_env.get_current_time()
        await step(
            handle, "release", holder, replace(RELEASE, to_unit=receiver.unit, occurred_at=at)
        )
        await step(handle, "receive", receiver, replace(RECEIVE, occurred_at=at))
    record = await record_of(handle)
    clock = deadline(record, "lodging_departure-1")
    assert clock.state == "met"
    await skip_to(time_env, clock.due_at + timedelta(minutes=1))
    record = await record_of(handle)
    assert deadline(record, clock.id).state == "met"
    assert not [e for e in record.escalations if e.subject == clock.id]
