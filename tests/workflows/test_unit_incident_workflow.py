"""A unit incident's workflow on the time-skipping server: the follow-up, then erasure of its
texts after the retention time, with the facts kept."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from temporalio.testing import WorkflowEnvironment

from contracts.assessment import IncidentKind, Severity
from contracts.common import ActorRef, Org
from contracts.deadline_policy import Clocks
from contracts.unit_incidents import (
    UNIT_INCIDENT_WORKFLOW,
    UPDATE_UNIT_INCIDENT_CLOSE,
    UPDATE_UNIT_INCIDENT_INVESTIGATE,
    UPDATE_UNIT_INCIDENT_RECORD,
    UPDATE_UNIT_INCIDENT_REPORT,
    CloseBody,
    IncidentReportBody,
    InvestigationBody,
    Setting,
    UnitIncident,
    UnitIncidentBody,
    UnitIncidentCommand,
    UnitIncidentStart,
    unit_incident_workflow_id,
)

ACTOR = ActorRef(sub="test-supervisor", org=Org.POLISEN, unit="pa-orebro")


def command(**body: Any) -> UnitIncidentCommand:
    return UnitIncidentCommand(
        actor=ACTOR, request_id="test", unit_org="polisen", unit_region="Bergslagen", **body
    )


async def test_follow_up_then_erasure_after_the_retention_time(
    time_env: WorkflowEnvironment, queue: str, pool: asyncpg.Pool
) -> None:
    incident_id = str(uuid.uuid4())
    client = time_env.client
    handle = await client.start_workflow(
        UNIT_INCIDENT_WORKFLOW,
        UnitIncidentStart(incident_id=incident_id, clocks=Clocks(retention_days=10)),
        id=unit_incident_workflow_id(incident_id),
        task_queue=queue,
    )
    occurred = datetime.now(UTC) - timedelta(minutes=5)
    recorded = await handle.execute_update(
        UPDATE_UNIT_INCIDENT_RECORD,
        command(
            record=UnitIncidentBody(
                kind=IncidentKind.WORK_INJURY,
                severity=Severity.CRITICAL,
                setting=Setting.HEARING,
                occurred_at=occurred,
                place="Förhörsrum 2",
                description="Ett förhörsvittne slog en polis i ansiktet.",
                actions_taken="Akuten.",
                staff_injured=True,
            )
        ),
        result_type=UnitIncident,
    )
    assert recorded.version == 1
    assert recorded.report is not None
    steps: list[tuple[str, dict[str, Any]]] = [
        (UPDATE_UNIT_INCIDENT_INVESTIGATE, {"investigate": InvestigationBody(responsible="K. Ek")}),
        (
            UPDATE_UNIT_INCIDENT_REPORT,
            {"report": IncidentReportBody(reported_at=datetime.now(UTC), reference="AV 1")},
        ),
        (
            UPDATE_UNIT_INCIDENT_CLOSE,
            {"close": CloseBody(decision="Inga fler åtgärder.", decided_at=datetime.now(UTC))},
        ),
    ]
    for name, body in steps:
        done = await handle.execute_update(name, command(**body), result_type=UnitIncident)
    assert done.version == 4
    assert done.investigation.state == "closed"
    sealed = await pool.fetchval(
        "SELECT sealed IS NOT NULL FROM unit_incidents WHERE id = $1", uuid.UUID(incident_id)
    )
    assert sealed is True
    await handle.result()  # skips the ten days of retention, then erases
    row = await pool.fetchrow(
        "SELECT i.sealed, i.investigation, i.kind, k.key, k.erased_at FROM unit_incidents i "
        "JOIN incident_keys k ON k.incident_id = i.id WHERE i.id = $1",
        uuid.UUID(incident_id),
    )
    assert row is not None
    assert row["key"] is None
    assert row["erased_at"] is not None
    assert row["sealed"] is None
    assert (row["investigation"], row["kind"]) == ("closed", "work_injury")
