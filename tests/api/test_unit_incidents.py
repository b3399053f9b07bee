"""Incidents of a unit outside any request and their follow-up, through the API: a workflow
per incident writes the row, the texts are sealed with the incident's key, reads are audited,
the employer's reporting clock comes from the deadline policy, and erasure shreds the texts."""

from __future__ import annotations

import copy
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
from temporalio.testing import ActivityEnvironment

from contracts import calendar
from contracts.common import Org, Role
from contracts.unit_incidents import UnitIncidentErasure
from services.handover.api.incidents import CLOSE, INVESTIGATION, REPORT, UNIT_INCIDENT
from services.handover.settings import Settings
from tests.flow import auth, coordinator, custody, now
from workflows.unit_incident_activities import UnitIncidentProjector

UNIT = "pa-karlstad"  # Bergslagen; no other test records here
SECRET_TEXT = "bitten on the hand"


def incident(**changes: Any) -> dict[str, Any]:
    result = copy.deepcopy(UNIT_INCIDENT)
    result["occurred_at"] = now(-60)
    result.update(changes)
    return result


def supervisor(settings: Settings, unit: str = UNIT) -> dict[str, str]:
    return auth(settings, org=Org.POLISEN, unit=unit, roles=[Role.CUSTODY_SUPERVISOR])


async def record(api: httpx.AsyncClient, settings: Settings, **changes: Any) -> dict[str, Any]:
    response = await api.post(
        "/v1/incidents", json=incident(**changes), headers=supervisor(settings)
    )
    assert response.status_code == 201, response.text
    assert response.headers["location"] == f"/v1/incidents/{response.json()['id']}"
    found: dict[str, Any] = response.json()
    return found


async def test_a_work_injury_in_a_cell_gets_the_policy_reporting_clock(
    api: httpx.AsyncClient, settings: Settings, pool: asyncpg.Pool
) -> None:
    occurred = datetime.now(UTC) - timedelta(minutes=1)
    found = await record(api, settings, occurred_at=occurred.isoformat())
    assert found["unit"] == UNIT
    assert found["org"] == "polisen"
    assert found["kind"] == "work_injury"
    assert found["staff_injured"] is True
    assert found["investigation"]["state"] == "none"
    clock = found["report"]
    assert clock["name"] == "incident_report"
    assert clock["legal"] is True
    # One source of truth: the policy's rule (24:00 the same day in Stockholm).
    assert datetime.fromisoformat(clock["due_at"]) == calendar.end_of_day(occurred, 0)
    row = await pool.fetchrow(
        "SELECT investigation, report_due_at, i::text AS everything "
        "FROM unit_incidents i WHERE id = $1",
        uuid.UUID(found["id"]),
    )
    assert row is not None
    assert row["investigation"] == "none"
    assert row["report_due_at"] == calendar.end_of_day(occurred, 0)
    assert SECRET_TEXT not in row["everything"]  # the texts only sealed
    written = await pool.fetch(
        "SELECT action FROM access_log WHERE $1 = ANY (incident_ids)", uuid.UUID(found["id"])
    )
    assert [r["action"] for r in written] == ["record_incident"]


async def test_a_minor_incident_has_no_reporting_clock(
    api: httpx.AsyncClient, settings: Settings
) -> None:
    found = await record(api, settings, kind="near_miss", severity="minor", staff_injured=False)
    assert found["report"] is None
    refused = await api.post(
        f"/v1/incidents/{found['id']}/report",
        json=REPORT | {"reported_at": now()},
        headers=supervisor(settings),
    )
    assert refused.status_code == 409, refused.text
    assert refused.json()["reason"] == "already_reported"


async def test_a_retry_with_the_same_key_records_once(
    api: httpx.AsyncClient, settings: Settings
) -> None:
    payload = incident()
    headers = supervisor(settings) | {"Idempotency-Key": f"cell-{uuid.uuid4()}"}
    first = await api.post("/v1/incidents", json=payload, headers=headers)
    again = await api.post("/v1/incidents", json=payload, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert first.json()["version"] == again.json()["version"] == 1


async def test_follow_up_investigation_measures_report_and_closing_decision(
    api: httpx.AsyncClient, settings: Settings
) -> None:
    found = await record(api, settings)
    path = f"/v1/incidents/{found['id']}"
    headers = supervisor(settings)
    opened = await api.post(f"{path}/investigation", json=INVESTIGATION, headers=headers)
    assert opened.status_code == 200, opened.text
    assert opened.json()["investigation"]["state"] == "open"
    assert opened.json()["investigation"]["responsible"] == INVESTIGATION["responsible"]
    assert opened.headers["etag"] == '"2"'
    # A regional coordinator of the unit's region adds a measure and marks the first done.
    regional = coordinator(settings, "pol-samordning-bergslagen", Org.POLISEN)
    measures = [
        dict(INVESTIGATION["measures"][0], done=True),
        {"description": "Training in de-escalation for the night shift."},
    ]
    updated = await api.post(
        f"{path}/investigation",
        json={"responsible": "Kommissarie A. Berg", "measures": measures},
        headers=regional,
    )
    assert updated.status_code == 200, updated.text
    assert len(updated.json()["investigation"]["measures"]) == 2
    reported = await api.post(
        f"{path}/report", json=REPORT | {"reported_at": now()}, headers=headers
    )
    assert reported.status_code == 200, reported.text
    assert reported.json()["report"]["report_reference"] == REPORT["reference"]
    again = await api.post(f"{path}/report", json=REPORT | {"reported_at": now()}, headers=headers)
    assert again.status_code == 409
    listed = await api.get(
        "/v1/incidents", params={"unit": UNIT, "investigation": "open"}, headers=headers
    )
    item = next(i for i in listed.json()["items"] if i["id"] == found["id"])
    assert (item["measures"], item["measures_done"], item["report_overdue"]) == (2, 1, False)
    assert "description" not in item
    assert "place" not in item
    closed = await api.post(f"{path}/close", json=CLOSE | {"decided_at": now()}, headers=headers)
    assert closed.status_code == 200, closed.text
    assert closed.json()["investigation"]["state"] == "closed"
    assert closed.json()["investigation"]["decision"] == CLOSE["decision"]
    late = await api.post(f"{path}/investigation", json=INVESTIGATION, headers=headers)
    assert late.status_code == 409
    still_open = await api.get(
        "/v1/incidents", params={"unit": UNIT, "investigation": ["none", "open"]}, headers=headers
    )
    assert found["id"] not in {i["id"] for i in still_open.json()["items"]}
    read = await api.get(path, headers=headers)
    assert read.status_code == 200
    assert read.json()["version"] == 5


async def test_closing_needs_an_open_investigation_and_times_not_in_the_future(
    api: httpx.AsyncClient, settings: Settings
) -> None:
    found = await record(api, settings)
    path = f"/v1/incidents/{found['id']}"
    early = await api.post(
        f"{path}/close", json=CLOSE | {"decided_at": now()}, headers=supervisor(settings)
    )
    assert early.status_code == 409
    future = await api.post(
        "/v1/incidents", json=incident(occurred_at=now(3600)), headers=supervisor(settings)
    )
    assert future.status_code == 400


async def test_who_sees_a_unit_incident(api: httpx.AsyncClient, settings: Settings) -> None:
    found = await record(api, settings)
    path = f"/v1/incidents/{found['id']}"
    seen_by = {
        "own unit": (custody(settings, UNIT), 200),
        "another police unit": (custody(settings, "pa-malmo"), 404),
        "regional coordinator, same region": (
            coordinator(settings, "pol-samordning-bergslagen", Org.POLISEN),
            200,
        ),
        "regional coordinator, another region": (
            coordinator(settings, "pol-samordning-syd", Org.POLISEN),
            404,
        ),
        "national police coordinator": (
            coordinator(settings, "pol-ledningscentral-nationell", Org.POLISEN),
            200,
        ),
        "Kriminalvården's national coordinator": (
            coordinator(settings, "kv-samordning-nationell"),
            404,
        ),
        "auditor": (
            auth(
                settings,
                org=Org.KRIMINALVARDEN,
                unit="kv-samordning-nationell",
                roles=[Role.AUDITOR],
            ),
            403,
        ),
    }
    for who, (headers, status) in seen_by.items():
        response = await api.get(path, headers=headers)
        assert response.status_code == status, (who, response.text)
    stranger = await api.post(
        f"{path}/investigation", json=INVESTIGATION, headers=custody(settings, "pa-malmo")
    )
    assert stranger.status_code == 404


async def test_erasure_shreds_the_texts_and_keeps_the_facts(
    api: httpx.AsyncClient, settings: Settings, pool: asyncpg.Pool
) -> None:
    found = await record(api, settings)
    projector = UnitIncidentProjector(pool)
    await ActivityEnvironment().run(
        projector.erase,
        UnitIncidentErasure(incident_id=found["id"], erased_at=datetime.now(UTC)),
    )
    gone = await api.get(f"/v1/incidents/{found['id']}", headers=supervisor(settings))
    assert gone.status_code == 410, gone.text
    row = await pool.fetchrow(
        "SELECT i::text AS everything, k.key FROM unit_incidents i "
        "JOIN incident_keys k ON k.incident_id = i.id WHERE i.id = $1",
        uuid.UUID(found["id"]),
    )
    assert row is not None
    assert row["key"] is None
    assert SECRET_TEXT not in row["everything"]
    assert "work_injury" in row["everything"]
