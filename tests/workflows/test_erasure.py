"""Erasure reaches everything: after the retention time no table of the read model and no
Temporal history still open holds the person's data, statistics remain and the event log's
hash chain still verifies (issue 9).

A full transfer (assessment, incident, a release with medication, the reception) runs on the
time-skipping server, then time runs past the retention time. Two retention times: longer
than the follow-up window (the request continues as new into a retention run without
personal data when the window ends, and that run erases) and shorter (the retention run
starts at the retention time and erases at once).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any

import asyncpg
import msgspec
import pytest
from google.protobuf.message import Message
from temporalio.api.common.v1 import Payload
from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.testing import WorkflowEnvironment

from contracts import actions
from contracts.assessment import AssessmentBody, IncidentBody
from contracts.deadline_policy import Clocks
from contracts.eventlog import verify_served
from contracts.workflow import UPDATE_ASSESS, UPDATE_INCIDENT, workflow_id
from devservers.temporal import NAMESPACE_RETENTION
from services.handover.api import examples
from services.handover.app import create_pool
from services.handover.errors import Gone
from services.handover.postgres import decode_json
from services.handover.repository import Repository
from services.handover.settings import Settings
from tests.workflows.driver import HAKTE, OFFICER, PLANNER, create, skip_to, step, transfer
from workflows.handover import FOLLOW_UP

NUMBER = "19850315-1238"
SECRETS = (
    NUMBER,
    "198503151238",
    "850315-1238",
    "Raderbom",
    "Erasmus",
    "Zopiklon-MARKER",
    "INCIDENT-MARKER",
    "ASSESSMENT-MARKER",
    "NOTES-MARKER",
    "B 4242-26",
    "REMARKS-MARKER",
)


@pytest.fixture
async def repo(settings: Settings) -> AsyncIterator[Repository]:
    """Reads as the API makes them (JSON columns decoded)."""
    pool = await create_pool(settings, init=decode_json)
    yield Repository(pool, timeout=10)
    await pool.close()


def _payloads(message: Message) -> Iterator[Payload]:
    """Every payload anywhere in a history event (inputs, results, markers, failures)."""
    if isinstance(message, Payload):
        yield message
        return
    for field, value in message.ListFields():
        if field.message_type is None:
            continue
        if isinstance(value, Message):
            yield from _payloads(value)
            continue
        items = value.values() if hasattr(value, "values") else value  # a map or a list
        for item in items:
            if isinstance(item, Message):
                yield from _payloads(item)


async def _history_text(env: WorkflowEnvironment, run_id: str | None, handover_id: str) -> str:
    handle = env.client.get_workflow_handle(workflow_id(handover_id), run_id=run_id)
    history = await handle.fetch_history()
    codec = env.client.data_converter.payload_codec
    assert codec is not None
    found = [p for event in history.events for p in _payloads(event)]
    decoded = await codec.decode(found)
    return "\n".join(p.data.decode(errors="replace") for p in decoded) + history.to_json()


async def _database_text(pool: asyncpg.Pool) -> dict[str, str]:
    async with pool.acquire() as conn:
        tables = await conn.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
        )
        return {
            row["tablename"]: "\n".join(
                str(r[0]) for r in await conn.fetch(f'SELECT t::text FROM "{row["tablename"]}" t')
            )
            for row in tables
        }


async def _full_transfer(env: WorkflowEnvironment, queue: str, clocks: Clocks) -> Any:
    now = await env.get_current_time()
    body = transfer(
        now,
        person={
            "identity": {"type": "personnummer", "number": NUMBER},
            "given_name": "Erasmus",
            "family_name": "Raderbom",
        },
        notes="NOTES-MARKER: speaks Finnish.",
        decision=dict(examples.TRANSFER_CREATE["decision"], case_number="B 4242-26"),
    )
    handle, created = await create(env.client, queue, body, clocks=clocks)
    await step(handle, "accept", PLANNER, actions.AcceptBody())
    assessment = dict(examples.ASSESSMENT)
    assessment["flags"] = [
        {"flag": "escape_risk", "level": "warning", "comment": "ASSESSMENT-MARKER 2024."}
    ]
    await step(handle, UPDATE_ASSESS, OFFICER, msgspec.convert(assessment, AssessmentBody))
    moment = await env.get_current_time()
    pickup = examples.SCHEDULE | {"pickup_at": (moment + timedelta(hours=1)).isoformat()}
    await step(handle, "schedule", PLANNER, msgspec.convert(pickup, actions.ScheduleBody))
    incident = examples.INCIDENT | {
        "occurred_at": moment.isoformat(),
        "description": "INCIDENT-MARKER: hit his head.",
    }
    await step(handle, UPDATE_INCIDENT, PLANNER, msgspec.convert(incident, IncidentBody))
    release = examples.RELEASE | {
        "to_unit": "kv-hakte-kronoberg",
        "occurred_at": (await env.get_current_time()).isoformat(),
        "medication": ["Zopiklon-MARKER 5 mg"],
        "remarks": "REMARKS-MARKER calm.",
    }
    await step(handle, "release", OFFICER, msgspec.convert(release, actions.ReleaseBody))
    receive = examples.RECEIVE | {"occurred_at": (await env.get_current_time()).isoformat()}
    record = await step(handle, "receive", HAKTE, msgspec.convert(receive, actions.ReceiveBody))
    if record.state != "completed":
        done = examples.COMPLETE | {"occurred_at": (await env.get_current_time()).isoformat()}
        record = await step(handle, "complete", HAKTE, msgspec.convert(done, actions.CompleteBody))
    assert record.state == "completed"
    return handle, created


@pytest.mark.parametrize("retention_days", [40, 1], ids=["retention-run", "own-run"])
async def test_erasure_reaches_every_table_and_the_open_history(
    time_env: WorkflowEnvironment,
    queue: str,
    pool: asyncpg.Pool,
    repo: Repository,
    retention_days: int,
) -> None:
    clocks = Clocks(retention_days=retention_days)
    handle, created = await _full_transfer(time_env, queue, clocks)

    # Before the retention time the data is there, but only sealed in the read model.
    before = await _database_text(pool)
    assert not [s for s in SECRETS for text in before.values() if s in text]
    assert (await repo.get_handover(handover_id=created.id)).person.family_name == "Raderbom"
    served = [msgspec.to_builtins(e) for e in await repo.list_events(handover_id=created.id)]
    assert any("Zopiklon-MARKER" in str(e["data"]) for e in served)
    assert verify_served(served) is None

    await skip_to(time_env, created.created_at + timedelta(days=retention_days + 1))
    await skip_to(time_env, created.created_at + FOLLOW_UP + timedelta(days=retention_days + 1))
    outcome = await handle.result()  # follows the retention run, if there is one
    assert outcome.state == "completed"

    after = await _database_text(pool)
    leaked = {t: [s for s in SECRETS if s in text] for t, text in after.items()}
    assert not any(leaked.values()), leaked
    history = await _history_text(time_env, None, created.id)
    assert not [s for s in SECRETS if s in history]
    first = await time_env.client.get_workflow_handle(
        workflow_id(created.id), run_id=handle.first_execution_run_id or handle.run_id
    ).describe()
    # The run that held the data closed when the follow-up window ended (or the retention
    # time, if shorter); the namespace retention deletes it (devservers/temporal.py).
    assert first.status == WorkflowExecutionStatus.CONTINUED_AS_NEW

    # The event log still verifies; its data is gone, its facts and digests stay.
    events = [msgspec.to_builtins(e) for e in await repo.list_events(handover_id=created.id)]
    assert verify_served(events) is None
    assert events[-1]["type"] == "personal_data_erased"
    assert all(e["data"] is None and e["salt"] is None for e in events[:-1])
    assert all(e["data_digest"] for e in events)

    # Statistics remain.
    async with pool.acquire() as conn:
        row = await conn.fetchrow(
            "SELECT kind, state, doc::text FROM handovers WHERE id = $1", created.id
        )
        assert row is not None
        assert (row["kind"], row["state"]) == ("transfer", "completed")
        assert msgspec.json.decode(row["doc"])["erased_at"] is not None
        assert (
            await conn.fetchval(
                "SELECT count(*) FROM custody_segments WHERE handover_id = $1", created.id
            )
            >= 2
        )
        assert (
            await conn.fetchval(
                "SELECT kind || '/' || severity FROM incidents WHERE handover_id = $1", created.id
            )
            == "self_harm/serious"
        )
        assert (
            await conn.fetchval(
                "SELECT state FROM deadlines WHERE handover_id = $1 AND name = 'erasure'",
                created.id,
            )
            == "met"
        )
        assert await conn.fetchval(
            "SELECT key IS NULL FROM request_keys WHERE handover_id = $1", created.id
        )
    with pytest.raises(Gone):
        await repo.get_handover(handover_id=created.id)


async def test_the_namespace_deletes_closed_histories_after_its_retention(
    temporal: Client, settings: Settings
) -> None:
    """The run that held a person's data is deleted a week after it closed (the embedded
    server is configured as production is, infra/temporal/temporal-values.yaml)."""
    described = await temporal.workflow_service.describe_namespace(
        DescribeNamespaceRequest(namespace=settings.temporal_namespace)
    )
    retention = described.config.workflow_execution_retention_ttl.ToTimedelta()
    assert retention == NAMESPACE_RETENTION == timedelta(days=7)
