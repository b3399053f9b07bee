"""Deadlines on the time-skipping server: a two-day legal clock runs in milliseconds.

The workflow runs with its real projection into PostgreSQL, so each check also reads what
coordinators would see.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import asyncpg
import msgspec
from temporalio.testing import WorkflowEnvironment

from contracts import actions
from contracts.actions import ExtendBody, ExtensionReason
from contracts.calendar import STOCKHOLM
from contracts.deadline_policy import Clocks
from contracts.sealing import event_context, unseal
from contracts.workflow import UPDATE_EXTEND
from services.handover.api import examples
from tests.workflows.driver import (
    COORDINATOR,
    HAKTE,
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


async def events(pool: asyncpg.Pool, handover_id: str) -> list[dict[str, Any]]:
    """The event log as stored, each event's data opened with the request's key."""
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT e.handover_id::text AS handover_id, e.seq, e.type, e.data::text AS data,"
            " e.sealed, k.key, e.occurred_at, e.recorded_at FROM handover_events e"
            " LEFT JOIN request_keys k ON k.handover_id = e.handover_id"
            " WHERE e.handover_id = $1 ORDER BY e.seq",
            handover_id,
        )
    opened = []
    for row in rows:
        values = dict(row)
        if values["sealed"] is not None:
            context = event_context(values["handover_id"], values["seq"])
            plain = msgspec.json.decode(unseal(values["key"], values["sealed"], context))
            values["data"] = msgspec.json.encode(plain["data"]).decode()
        opened.append(values)
    return opened


async def test_remand_deadline_warns_at_midnight_and_breaches_a_day_later(
    time_env: WorkflowEnvironment, queue: str, pool: asyncpg.Pool
) -> None:
    decided = await time_env.get_current_time()
    handle, created = await create(time_env.client, queue, transfer(decided))
    remand = deadline(created, "remand_to_remand_prison")
    local = decided.astimezone(STOCKHOLM)
    assert remand.warn_at == datetime.combine(
        local.date() + timedelta(days=1), datetime.min.time(), tzinfo=STOCKHOLM
    )
    assert remand.due_at == datetime.combine(
        local.date() + timedelta(days=2), datetime.min.time(), tzinfo=STOCKHOLM
    )

    await skip_to(time_env, remand.warn_at - timedelta(minutes=1))
    assert deadline(await record_of(handle), remand.id).state == "running"
    await skip_to(time_env, remand.warn_at + timedelta(minutes=1))
    warned = deadline(await record_of(handle), remand.id)
    assert warned.state == "warned"
    assert warned.warned_at is not None
    assert abs(warned.warned_at - remand.warn_at) < timedelta(seconds=2)

    await skip_to(time_env, remand.due_at - timedelta(minutes=1))
    assert deadline(await record_of(handle), remand.id).state == "warned"
    await skip_to(time_env, remand.due_at + timedelta(minutes=1))
    record = await record_of(handle)
    breached = deadline(record, remand.id)
    assert breached.state == "breached"
    assert breached.breached_at is not None
    assert abs(breached.breached_at - remand.due_at) < timedelta(seconds=2)
    assert record.state == "requested"  # a breach never closes the request

    log = await events(pool, created.id)
    fired = [(r["type"], msgspec.json.decode(r["data"])) for r in log]
    remand_events = [(t, d["deadline"]) for t, d in fired if d.get("deadline") == remand.id]
    assert remand_events == [
        ("deadline_warned", remand.id),
        ("deadline_breached", remand.id),
    ]
    breach_row = next(r for r in log if r["type"] == "deadline_breached" and remand.id in r["data"])
    assert breach_row["occurred_at"] == remand.due_at
    levels = {e.level for e in record.escalations if e.subject == remand.id}
    assert levels == {"warning", "breach"}
    async with pool.acquire() as conn:
        projected = await conn.fetchrow(
            "SELECT state, breached_at FROM deadlines WHERE handover_id = $1 AND id = $2",
            created.id,
            remand.id,
        )
        open_escalations = await conn.fetchval(
            "SELECT count(*) FROM escalations WHERE handover_id = $1 AND acknowledged_at IS NULL",
            created.id,
        )
    assert projected is not None
    assert projected["state"] == "breached"
    assert open_escalations >= 2


async def test_response_deadline_is_met_by_an_accept_in_time(
    time_env: WorkflowEnvironment, queue: str, pool: asyncpg.Pool
) -> None:
    now = await time_env.get_current_time()
    handle, created = await create(time_env.client, queue, transfer(now))
    response = deadline(created, "response")
    assert response.due_at == created.created_at + timedelta(hours=2)
    assert response.warn_at == created.created_at + timedelta(minutes=90)
    await time_env.sleep(timedelta(minutes=30))
    accepted = await step(handle, "accept", PLANNER, actions.AcceptBody())
    met = deadline(accepted, "response")
    assert met.state == "met"
    assert met.met_at is not None
    await time_env.sleep(timedelta(hours=3))
    later = deadline(await record_of(handle), "response")
    assert later.state == "met"
    assert later.breached_at is None
    assert later.warned_at is None


async def test_extension_moves_the_due_time_and_keeps_both_in_the_log(
    time_env: WorkflowEnvironment, queue: str, pool: asyncpg.Pool
) -> None:
    now = await time_env.get_current_time()
    handle, created = await create(
        time_env.client, queue, transfer(now), clocks=Clocks(response_seconds=3600)
    )
    old_due = deadline(created, "response").due_at
    new_due = old_due + timedelta(hours=2)
    extended = await step(
        handle,
        UPDATE_EXTEND,
        COORDINATOR,
        ExtendBody(
            reason=ExtensionReason.AGENCY_DECISION, decision="KV beslut 2026:17", new_due_at=new_due
        ),
        target="response",
    )
    moved = deadline(extended, "response")
    assert (moved.state, moved.due_at) == ("extended", new_due)
    assert moved.extensions[0].old_due_at == old_due
    await skip_to(time_env, old_due + timedelta(minutes=5))
    assert deadline(await record_of(handle), "response").breached_at is None
    await skip_to(time_env, new_due + timedelta(minutes=1))
    breached = deadline(await record_of(handle), "response")
    assert breached.state == "breached"
    assert breached.breached_at is not None
    assert abs(breached.breached_at - new_due) < timedelta(seconds=2)
    log = await events(pool, created.id)
    extension = msgspec.json.decode(
        next(r for r in log if r["type"] == "deadline_extended")["data"]
    )
    assert extension["old_due_at"] == old_due.isoformat()
    assert extension["new_due_at"] == new_due.isoformat()


async def test_custody_gap_alarm_fires_and_clears(
    time_env: WorkflowEnvironment, queue: str, pool: asyncpg.Pool
) -> None:
    now = await time_env.get_current_time()
    handle, _ = await create(time_env.client, queue, transfer(now))
    await schedule(handle, pickup_at=now + timedelta(hours=1))
    released_at = await time_env.get_current_time()
    release = msgspec.convert(
        examples.RELEASE | {"occurred_at": released_at.isoformat()}, actions.ReleaseBody
    )
    record = await step(handle, "release", OFFICER, release)
    gap = deadline(record, "custody_gap-1")
    assert gap.due_at == released_at + timedelta(minutes=15)
    await skip_to(time_env, gap.due_at + timedelta(seconds=30))
    alarmed = await record_of(handle)
    assert deadline(alarmed, gap.id).state == "breached"
    assert any(e.subject == gap.id and e.level == "breach" for e in alarmed.escalations)
    assert alarmed.responsible is not None
    assert alarmed.responsible.unit == "pa-kronoberg"  # still the police's until received
    received_at = await time_env.get_current_time()
    receive = msgspec.convert(
        examples.RECEIVE | {"occurred_at": received_at.isoformat()}, actions.ReceiveBody
    )
    cleared = await step(handle, "receive", PLANNER, receive)
    after = deadline(cleared, gap.id)
    assert after.met_at == received_at  # the alarm clears; the breach stays on record
    assert after.state == "breached"
    assert cleared.responsible is not None
    assert cleared.responsible.unit == "kv-nte-stockholm"
    # A release confirmed in time never alarms.
    second = await step(
        handle,
        "release",
        PLANNER,
        release.__class__(
            **(
                msgspec.structs.asdict(release)
                | {
                    "to_unit": "kv-hakte-kronoberg",
                    "occurred_at": await time_env.get_current_time(),
                }
            )
        ),
    )
    assert deadline(second, "custody_gap-2").state == "running"
    await time_env.sleep(timedelta(minutes=5))
    done = await step(
        handle,
        "receive",
        HAKTE,
        msgspec.structs.replace(receive, occurred_at=await time_env.get_current_time()),
    )
    assert deadline(done, "custody_gap-2").state == "met"
    assert done.state == "completed"
