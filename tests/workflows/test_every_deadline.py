"""Every deadline of the policy warns and breaches at its instant, on the time-skipping server.

Each case starts the clock the way production does (creation, a reception at the remand
prison, a serious incident, the request's closure) and then walks time to one minute before
and one minute after the warning and the due time.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

import asyncpg
import msgspec
import pytest
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from contracts import actions
from contracts.api import AssistanceCreate, HandoverRecord
from contracts.assessment import AssessmentBody, IncidentBody
from contracts.deadlines import Deadline
from contracts.workflow import QUERY_RECORD, UPDATE_ASSESS, UPDATE_INCIDENT
from services.handover.api import examples
from tests.workflows.driver import HAKTE, OFFICER, PLANNER, create, step, transfer
from workflows.worker import create_worker

Start = Callable[[WorkflowEnvironment, str], Awaitable[tuple[WorkflowHandle[Any, Any], str]]]


@pytest.fixture
async def queue(time_env: WorkflowEnvironment, pool: asyncpg.Pool) -> AsyncIterator[str]:
    name = f"every-{uuid.uuid4().hex[:8]}"
    async with create_worker(time_env.client, pool, task_queue=name):
        yield name


async def record_of(handle: WorkflowHandle[Any, Any]) -> HandoverRecord:
    record: HandoverRecord | None = await handle.query(QUERY_RECORD, result_type=HandoverRecord)
    assert record is not None
    return record


def find(record: HandoverRecord, deadline_id: str) -> Deadline:
    return next(d for d in record.deadlines if d.id == deadline_id)


def assistance(now: datetime, **changes: Any) -> AssistanceCreate:
    body = dict(examples.ASSISTANCE_CREATE)
    body["decision"] = dict(body["decision"], decided_at=now.isoformat())
    body.update(changes)
    return msgspec.convert(body, AssistanceCreate)


def at(moment: datetime) -> dict[str, str]:
    return {"occurred_at": moment.isoformat()}


async def remand(env: WorkflowEnvironment, queue: str) -> tuple[WorkflowHandle[Any, Any], str]:
    handle, _ = await create(env.client, queue, transfer(await env.get_current_time()))
    return handle, "remand_to_remand_prison"


async def response(env: WorkflowEnvironment, queue: str) -> tuple[WorkflowHandle[Any, Any], str]:
    handle, _ = await create(env.client, queue, transfer(await env.get_current_time()))
    return handle, "response"


async def lvm(env: WorkflowEnvironment, queue: str) -> tuple[WorkflowHandle[Any, Any], str]:
    now = await env.get_current_time()
    handle, _ = await create(env.client, queue, assistance(now), destination_kind=None)
    return handle, "lvm_transport_start"


async def utl(env: WorkflowEnvironment, queue: str) -> tuple[WorkflowHandle[Any, Any], str]:
    now = await env.get_current_time()
    body = assistance(now, legal_basis="utll_10_19a", placed_at=now.isoformat())
    handle, _ = await create(env.client, queue, body, destination_kind=None)
    return handle, "utl_placement"


async def hearing(env: WorkflowEnvironment, queue: str) -> tuple[WorkflowHandle[Any, Any], str]:
    now = await env.get_current_time()
    # No remand decision in time: the detention hearing clock runs on (for awareness).
    body = transfer(now, apprehended_at=(now - timedelta(hours=1)).isoformat())
    body = msgspec.structs.replace(
        body, decision=msgspec.structs.replace(body.decision, kind="sentence_enforcement")
    )
    handle, _ = await create(env.client, queue, body)
    return handle, "detention_hearing"


async def detention_request(
    env: WorkflowEnvironment, queue: str
) -> tuple[WorkflowHandle[Any, Any], str]:
    now = await env.get_current_time()
    body = transfer(now, arrested_at=(now - timedelta(hours=1)).isoformat())
    body = msgspec.structs.replace(
        body, decision=msgspec.structs.replace(body.decision, kind="sentence_enforcement")
    )
    handle, _ = await create(env.client, queue, body)
    return handle, "detention_request"


async def _to_remand_prison(env: WorkflowEnvironment, queue: str) -> WorkflowHandle[Any, Any]:
    """A convicted person transferred and received at the remand prison (the intake)."""
    now = await env.get_current_time()
    body = transfer(now)
    body = msgspec.structs.replace(
        body, decision=msgspec.structs.replace(body.decision, kind="sentence_enforcement")
    )
    handle, _ = await create(env.client, queue, body)
    await step(handle, "accept", PLANNER, actions.AcceptBody())
    await step(handle, UPDATE_ASSESS, OFFICER, msgspec.convert(examples.ASSESSMENT, AssessmentBody))
    pickup = {"pickup_at": (now + timedelta(hours=1)).isoformat()}
    await step(
        handle,
        "schedule",
        PLANNER,
        msgspec.convert(examples.SCHEDULE | pickup, actions.ScheduleBody),
    )
    release = (
        examples.RELEASE | {"to_unit": "kv-hakte-kronoberg"} | at(await env.get_current_time())
    )
    await step(handle, "release", OFFICER, msgspec.convert(release, actions.ReleaseBody))
    receive = examples.RECEIVE | at(await env.get_current_time())
    await step(handle, "receive", HAKTE, msgspec.convert(receive, actions.ReceiveBody))
    return handle


async def prison_target(
    env: WorkflowEnvironment, queue: str
) -> tuple[WorkflowHandle[Any, Any], str]:
    return await _to_remand_prison(env, queue), "prison_place_target"


async def prison_absolute(
    env: WorkflowEnvironment, queue: str
) -> tuple[WorkflowHandle[Any, Any], str]:
    return await _to_remand_prison(env, queue), "prison_place_absolute"


async def gap(env: WorkflowEnvironment, queue: str) -> tuple[WorkflowHandle[Any, Any], str]:
    now = await env.get_current_time()
    handle, _ = await create(env.client, queue, transfer(now))
    await step(handle, "accept", PLANNER, actions.AcceptBody())
    await step(handle, UPDATE_ASSESS, OFFICER, msgspec.convert(examples.ASSESSMENT, AssessmentBody))
    pickup = {"pickup_at": (now + timedelta(hours=1)).isoformat()}
    await step(
        handle,
        "schedule",
        PLANNER,
        msgspec.convert(examples.SCHEDULE | pickup, actions.ScheduleBody),
    )
    release = examples.RELEASE | at(await env.get_current_time())
    await step(handle, "release", OFFICER, msgspec.convert(release, actions.ReleaseBody))
    return handle, "custody_gap-1"


async def incident(env: WorkflowEnvironment, queue: str) -> tuple[WorkflowHandle[Any, Any], str]:
    handle, _ = await create(env.client, queue, transfer(await env.get_current_time()))
    body = examples.INCIDENT | at(await env.get_current_time())
    await step(handle, UPDATE_INCIDENT, PLANNER, msgspec.convert(body, IncidentBody))
    return handle, "incident_report-1"


CASES: dict[str, Start] = {
    "remand": remand,
    "response": response,
    "lvm": lvm,
    "utl": utl,
    "detention-hearing": hearing,
    "detention-request": detention_request,
    "prison-place-target": prison_target,
    "prison-place-absolute": prison_absolute,
    "custody-gap": gap,
    "incident-report": incident,
}


async def skip_to(env: WorkflowEnvironment, moment: datetime) -> None:
    now = await env.get_current_time()
    if moment > now:
        await env.sleep(moment - now)


@pytest.mark.parametrize("case", list(CASES))
async def test_warns_and_breaches_at_its_instant(
    time_env: WorkflowEnvironment, queue: str, case: str
) -> None:
    handle, deadline_id = await CASES[case](time_env, queue)
    clock = find(await record_of(handle), deadline_id)
    assert clock.state == "running"
    assert clock.warn_at < clock.due_at
    await skip_to(time_env, clock.warn_at - timedelta(minutes=1))
    before = find(await record_of(handle), deadline_id)
    assert (before.state, before.warned_at) == ("running", None)
    await skip_to(time_env, clock.warn_at + timedelta(minutes=1))
    warned = find(await record_of(handle), deadline_id)
    assert warned.state == "warned"
    assert warned.warned_at is not None
    assert warned.warned_at - clock.warn_at < timedelta(seconds=5)
    await skip_to(time_env, clock.due_at - timedelta(minutes=1))
    assert find(await record_of(handle), deadline_id).state == "warned"
    await skip_to(time_env, clock.due_at + timedelta(minutes=1))
    record = await record_of(handle)
    breached = find(record, deadline_id)
    assert breached.state == "breached"
    assert breached.breached_at is not None
    assert breached.breached_at - clock.due_at < timedelta(seconds=5)
    assert any(e.subject == deadline_id and e.level == "breach" for e in record.escalations)


async def test_erasure_after_the_retention_time(
    time_env: WorkflowEnvironment, queue: str, pool: asyncpg.Pool
) -> None:
    handle, created = await create(
        time_env.client, queue, transfer(await time_env.get_current_time())
    )
    await step(handle, "cancel", OFFICER, msgspec.convert(examples.CANCEL, actions.CancelBody))
    erasure = find(await record_of(handle), "erasure")
    assert erasure.due_at - erasure.starts_at >= timedelta(days=729)
    await skip_to(time_env, erasure.due_at + timedelta(minutes=1))
    outcome = await handle.result()
    assert outcome.state == "cancelled"  # the workflow ends once the data is erased
    async with pool.acquire() as conn:
        doc = await conn.fetchval("SELECT doc FROM handovers WHERE id = $1", created.id)
    stored = msgspec.json.decode(doc)
    assert stored["person"]["identity"]["type"] == "unknown"
    assert "Tolvan" not in doc
    assert stored["erased_at"] is not None
    assert stored["state"] == "cancelled"  # the non-personal facts stay
