"""JO inspections (facts of a unit and period) and the per-unit export of whole cases."""

from __future__ import annotations

import asyncio
import copy
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import httpx

from contracts.common import Org, Role
from services.handover.api import examples
from services.handover.api.incidents import INVESTIGATION, UNIT_INCIDENT
from services.handover.settings import Settings
from tests.flow import Flow, Parties, auth, body, coordinator, custody, fresh, now

UNIT = "pa-falun"  # Bergslagen; no other test uses it
PRISON = "kv-hakte-falun"
STOCKHOLM = ZoneInfo("Europe/Stockholm")


def today() -> str:
    return datetime.now(STOCKHOLM).date().isoformat()


def period(**more: str) -> dict[str, str]:
    day = datetime.now(STOCKHOLM).date()
    return {"unit": UNIT, "from": (day - timedelta(days=1)).isoformat(), "to": today()} | more


def auditor(settings: Settings) -> dict[str, str]:
    return auth(
        settings, org=Org.KRIMINALVARDEN, unit="kv-samordning-nationell", roles=[Role.AUDITOR]
    )


async def breached(api: httpx.AsyncClient, flow: Flow, headers: dict[str, str]) -> None:
    for _ in range(100):
        seen = (await api.get(flow.path, headers=headers)).json()
        if any(d["breached_at"] for d in seen["deadlines"]):
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the remand deadline never breached")


async def seeded(api: httpx.AsyncClient, settings: Settings) -> dict[str, Any]:
    """A breached transfer that was deferred first, an incident on it, a unit incident."""
    p = Parties(settings)
    police = custody(settings, UNIT)
    late = fresh(from_unit=UNIT, to_unit=PRISON)
    late["decision"]["decided_at"] = (datetime.now(UTC) - timedelta(days=3)).isoformat()
    flow = await Flow(api, p).create(late, headers=police)
    await flow.post("defer", body(examples.DEFER), p.planner)
    await breached(api, flow, police)
    await flow.post("incidents", body(examples.INCIDENT), police)
    supervisor = auth(settings, org=Org.POLISEN, unit=UNIT, roles=[Role.CUSTODY_SUPERVISOR])
    unit_incident = copy.deepcopy(UNIT_INCIDENT) | {"occurred_at": now(-60)}
    recorded = await api.post("/v1/incidents", json=unit_incident, headers=supervisor)
    assert recorded.status_code == 201, recorded.text
    incident_id = recorded.json()["id"]
    opened = await api.post(
        f"/v1/incidents/{incident_id}/investigation", json=INVESTIGATION, headers=supervisor
    )
    assert opened.status_code == 200, opened.text
    other = await Flow(api, p).create(fresh(from_unit=UNIT, to_unit=PRISON), headers=police)
    return {"late": flow.id, "other": other.id, "incident": incident_id}


async def test_an_inspection_lists_requests_breaches_with_causes_incidents_and_access(
    api: httpx.AsyncClient, settings: Settings
) -> None:
    ids = await seeded(api, settings)
    police_national = coordinator(settings, "pol-ledningscentral-nationell", Org.POLISEN)
    response = await api.get("/v1/inspections", params=period(), headers=police_national)
    assert response.status_code == 200, response.text
    found = response.json()
    assert found["unit"] == UNIT
    assert found["scope"] == "polisen"
    requests = {r["id"]: r for r in found["requests"]}
    assert {ids["late"], ids["other"]} <= set(requests)
    assert requests[ids["late"]]["breached"] is True
    assert requests[ids["other"]]["breached"] is False
    breach = next(
        b
        for b in found["breaches"]
        if b["handover_id"] == ids["late"] and b["deadline"] == "remand_to_remand_prison"
    )
    assert breach["legal"] is True
    # The remand clock broke at creation, before the deferral: the police held the person.
    assert breach["state_at_breach"] == "requested"
    assert breach["held_by"] == UNIT
    assert breach["deferral_reasons"] == []
    assert breach["extended"] is False
    assert breach["met_at"] is None
    incidents = found["incidents"]
    on_request = [i for i in incidents if i["handover_id"] == ids["late"]]
    assert [(i["source"], i["kind"], i["number"]) for i in on_request] == [
        ("request", "self_harm", 1)
    ]
    own = next(i for i in incidents if i.get("id") == ids["incident"])
    assert own["source"] == "unit"
    assert own["investigation"] == "open"
    assert own["measures"] == 1
    assert own["report_due_at"] is not None
    access = found["access"]
    assert access["reads"] >= 1
    assert access["by_action"].get("record_incident", 0) >= 1
    assert UNIT in access["by_reader_unit"]
    # Facts only: no name, no identity, no text.
    text = response.text
    person = examples.TRANSFER_CREATE["person"]
    for secret in (person["family_name"], person["identity"]["number"], "bitten"):
        assert secret not in text


async def test_scope_auditors_and_parties(api: httpx.AsyncClient, settings: Settings) -> None:
    ids = await seeded(api, settings)
    # Kriminalvården's national coordinator sees the requests (Kriminalvården is a party),
    # not the police unit's own incidents.
    kv = await api.get(
        "/v1/inspections", params=period(), headers=coordinator(settings, "kv-samordning-nationell")
    )
    assert kv.status_code == 200, kv.text
    assert ids["late"] in {r["id"] for r in kv.json()["requests"]}
    assert ids["incident"] not in {i.get("id") for i in kv.json()["incidents"]}
    # Another police region sees nothing of it.
    syd = await api.get(
        "/v1/inspections",
        params=period(),
        headers=coordinator(settings, "pol-samordning-syd", Org.POLISEN),
    )
    assert syd.status_code == 200
    assert syd.json()["requests"] == []
    # Auditors read the inspection (facts), not the export (case contents).
    assert (
        await api.get("/v1/inspections", params=period(), headers=auditor(settings))
    ).status_code == 200
    refused = await api.get("/v1/exports", params=period(), headers=auditor(settings))
    assert refused.status_code == 403
    assert "inspections" in refused.json()["detail"]
    for path in ("/v1/inspections", "/v1/exports"):
        party = await api.get(path, params=period(), headers=custody(settings, UNIT))
        assert party.status_code == 403, path


async def test_bad_periods_and_units(api: httpx.AsyncClient, settings: Settings) -> None:
    headers = coordinator(settings, "kv-samordning-nationell")
    day = datetime.now(STOCKHOLM).date()
    backwards = period(**{"from": day.isoformat(), "to": (day - timedelta(days=2)).isoformat()})
    assert (await api.get("/v1/inspections", params=backwards, headers=headers)).status_code == 400
    unknown = period(unit="pa-nowhere")
    assert (await api.get("/v1/exports", params=unknown, headers=headers)).status_code == 404
    garbage = period(**{"from": "yesterday"})
    assert (await api.get("/v1/exports", params=garbage, headers=headers)).status_code == 400


async def test_the_unit_export_pages_whole_cases_and_audits_each(
    api: httpx.AsyncClient, settings: Settings, pool: asyncpg.Pool
) -> None:
    ids = await seeded(api, settings)
    headers = coordinator(settings, "pol-ledningscentral-nationell", Org.POLISEN)
    cases: dict[str, dict[str, Any]] = {}
    cursor = None
    pages = 0
    while True:
        params = period(limit="1") | ({"cursor": cursor} if cursor else {})
        page = await api.get("/v1/exports", params=params, headers=headers)
        assert page.status_code == 200, page.text
        pages += 1
        found = page.json()
        assert len(found["items"]) <= 1
        for case in found["items"]:
            cases[case["handover_id"]] = case
        cursor = found["next_cursor"]
        if cursor is None:
            break
    assert pages >= 2
    assert {ids["late"], ids["other"]} <= set(cases)
    late = cases[ids["late"]]
    single = (await api.get(f"/v1/handovers/{ids['late']}/export", headers=headers)).json()
    assert late["head_hash"] == single["head_hash"]
    assert late["chain_verified"] is True
    assert late["handover"]["incidents"][0]["kind"] == "self_harm"
    rows = await pool.fetch(
        "SELECT 1 FROM access_log WHERE action = 'export' AND $1 = ANY (handover_ids) "
        "AND sub = 'test-pol-ledningscentral-nationell'",
        uuid.UUID(ids["late"]),
    )
    assert len(rows) >= 2  # the page's export and the single export
