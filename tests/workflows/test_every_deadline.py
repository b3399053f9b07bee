"""Every deadline of the policy warns and breaches at its instant, on the time-skipping server.

Each case starts the clock the way production does (creation, a reception at the remand
prison, a serious incident, the request's closure) and then walks time to one minute before
and one minute after the warning and the due time.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

import msgspec
import pytest
from temporalio.client import WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.testing import WorkflowEnvironment

from contracts import actions
from contracts.api import TransferCreate
from contracts.assessment import IncidentBody
from contracts.workflow import UPDATE_INCIDENT
from services.handover.api import examples
from tests.workflows.driver import (
    HAKTE,
    OFFICER,
    PLANNER,
    assistance,
    create,
    deadline,
    record_of,
    schedule,
    skip_to,
    step,
    transfer,
)

Start = Callable[[WorkflowEnvironment, str], Awaitable[tuple[WorkflowHandle[Any, Any], str]]]


def at(moment: datetime) -> dict[str, str]:
    return {"occurred_at": moment.isoformat()}


def convicted(decided_at: datetime, **changes: Any) -> TransferCreate:
    """The documented transfer, of a person serving a sentence rather than remanded."""
    body = transfer(decided_at, **changes)
    return msgspec.structs.replace(
        body, decision=msgspec.structs.replace(body.decision, kind="sentence_enforcement")
    )


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
    body = convicted(now, apprehended_at=(now - timedelta(hours=1)).isoformat())
    handle, _ = await create(env.client, queue, body)
    return handle, "detention_hearing"


async def detention_request(
    env: WorkflowEnvironment, queue: str
) -> tuple[WorkflowHandle[Any, Any], str]:
    now = await env.get_current_time()
    body = convicted(now, arrested_at=(now - timedelta(hours=1)).isoformat())
    handle, _ = await create(env.client, queue, body)
    return handle, "detention_request"


async def _to_remand_prison(env: WorkflowEnvironment, queue: str) -> WorkflowHandle[Any, Any]:
    """A convicted person transferred and received at the remand prison (the intake)."""
    now = await env.get_current_time()
    handle, _ = await create(env.client, queue, convicted(now))
    await schedule(handle, pickup_at=now + timedelta(hours=1))
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
    await schedule(handle, pickup_at=now + timedelta(hours=1))
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


@pytest.mark.parametrize("case", list(CASES))
async def test_warns_and_breaches_at_its_instant(
    time_env: WorkflowEnvironment, queue: str, case: str
) -> None:
    handle, deadline_id = await CASES[case](time_env, queue)
    clock = deadline(await record_of(handle), deadline_id)
    assert clock.state == "running"
    assert clock.warn_at < clock.due_at
    await skip_to(time_env, clock.warn_at - timedelta(minutes=1))
    before = deadline(await record_of(handle), deadline_id)
    assert (before.state, before.warned_at) == ("running", None)
    await skip_to(time_env, clock.warn_at + timedelta(minutes=1))
    warned = deadline(await record_of(handle), deadline_id)
    assert warned.state == "warned"
    assert warned.warned_at is not None
    assert warned.warned_at - clock.warn_at < timedelta(seconds=5)
    await skip_to(time_env, clock.due_at - timedelta(minutes=1))
    assert deadline(await record_of(handle), deadline_id).state == "warned"
    await skip_to(time_env, clock.due_at + timedelta(minutes=1))
    record = await record_of(handle)
    breached = deadline(record, deadline_id)
    assert breached.state == "breached"
    assert breached.breached_at is not None
    assert breached.breached_at - clock.due_at < timedelta(seconds=5)
    assert any(e.subject == deadline_id and e.level == "breach" for e in record.escalations)


async def test_placed_meets_both_prison_place_clocks(
    time_env: WorkflowEnvironment, queue: str
) -> None:
    """Strafftidslag 10 §: the placement in a prison, recorded on the completed request by the
    remand prison's reception, meets both clocks; past their due times nothing warns or breaches,
    and only the erasure clock is left, so the run can archive."""
    handle = await _to_remand_prison(time_env, queue)
    target = deadline(await record_of(handle), "prison_place_target")
    await skip_to(time_env, target.warn_at + timedelta(minutes=1))
    assert deadline(await record_of(handle), "prison_place_target").state == "warned"
    placed_at = await time_env.get_current_time()
    body = examples.PLACED | at(placed_at)
    record = await step(handle, "placed", HAKTE, msgspec.convert(body, actions.PlacedBody))
    assert record.state == "completed"
    assert record.placement is not None
    assert record.placement.prison_unit == "kv-anstalt-kumla"
    for name in ("prison_place_target", "prison_place_absolute"):
        met = deadline(record, name)
        assert met.state == "met", name
        assert met.met_at is not None
        assert abs(met.met_at - placed_at) < timedelta(seconds=1)
    absolute = deadline(record, "prison_place_absolute")
    await skip_to(time_env, absolute.due_at + timedelta(minutes=1))
    later = await record_of(handle)
    for name in ("prison_place_target", "prison_place_absolute"):
        assert deadline(later, name).state == "met", name
    assert not any(
        e.subject.startswith("prison_place") and e.level == "breach" for e in later.escalations
    )


async def test_placed_twice_is_refused(time_env: WorkflowEnvironment, queue: str) -> None:
    handle = await _to_remand_prison(time_env, queue)
    body = msgspec.convert(
        examples.PLACED | at(await time_env.get_current_time()), actions.PlacedBody
    )
    await step(handle, "placed", HAKTE, body)
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await step(handle, "placed", HAKTE, body)
    cause = refused.value.cause
    assert isinstance(cause, ApplicationError)
    assert cause.type == "not_awaiting_placement"
