"""The board's incident follow-up and JO inspection pages, over HTTP."""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import asyncpg
import httpx
import pytest

from contracts.common import Org, Role
from services.handover.api.incidents import INVESTIGATION, UNIT_INCIDENT
from services.handover.auth import issue_token
from services.handover.settings import Settings
from tests.board.helpers import sign_in
from tests.flow import Flow, Parties, auth, custody, fresh, now

UNIT = "pa-orebro"  # Bergslagen; no other test uses it
STOCKHOLM = ZoneInfo("Europe/Stockholm")


@pytest.fixture
async def board(api: httpx.AsyncClient) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=str(api.base_url)) as client:
        yield client


def police_coordinator(settings: Settings) -> str:
    return issue_token(
        settings,
        sub=f"board-follow-up-{uuid.uuid4().hex[:6]}",
        org=Org.POLISEN,
        unit="pol-samordning-bergslagen",
        roles=[Role.COORDINATOR],
    )


async def test_open_investigations_are_listed_and_audited(
    board: httpx.AsyncClient, api: httpx.AsyncClient, settings: Settings, pool: asyncpg.Pool
) -> None:
    supervisor = auth(settings, org=Org.POLISEN, unit=UNIT, roles=[Role.CUSTODY_SUPERVISOR])
    payload = copy.deepcopy(UNIT_INCIDENT) | {"occurred_at": now(-60)}
    recorded = await api.post("/v1/incidents", json=payload, headers=supervisor)
    assert recorded.status_code == 201, recorded.text
    incident_id = recorded.json()["id"]
    responsible = f"Kommissarie {uuid.uuid4().hex[:6]}"
    opened = await api.post(
        f"/v1/incidents/{incident_id}/investigation",
        json=INVESTIGATION | {"responsible": responsible},
        headers=supervisor,
    )
    assert opened.status_code == 200, opened.text

    token = police_coordinator(settings)
    assert (await sign_in(board, token)).status_code == 303
    page = await board.get("/board/investigations")
    assert page.status_code == 200, page.text
    assert f'data-id="{incident_id}"' in page.text
    assert responsible in page.text
    assert "Arbetsskada" in page.text  # Swedish by default
    assert "Utredningar" in page.text  # the navigation
    english = await board.get("/board/investigations?lang=en")
    assert "Open investigations" in english.text
    views = await pool.fetch(
        "SELECT 1 FROM access_log WHERE action = 'board_view' AND $1 = ANY (incident_ids)",
        uuid.UUID(incident_id),
    )
    assert len(views) >= 2


async def test_the_inspection_page_prints_and_downloads_as_json(
    board: httpx.AsyncClient, api: httpx.AsyncClient, settings: Settings
) -> None:
    p = Parties(settings)
    flow = await Flow(api, p).create(
        fresh(from_unit=UNIT, to_unit="kv-hakte-orebro"), headers=custody(settings, UNIT)
    )
    day = datetime.now(STOCKHOLM).date()
    query = f"unit={UNIT}&from={(day - timedelta(days=1)).isoformat()}&to={day.isoformat()}"
    assert (await board.get(f"/board/inspection?{query}")).status_code == 303  # sign in first
    assert (await sign_in(board, police_coordinator(settings))).status_code == 303
    page = await board.get(f"/board/inspection?{query}")
    assert page.status_code == 200, page.text
    assert flow.last["reference"] in page.text
    assert 'id="inspection-access"' in page.text
    assert "/board/inspection.json?" in page.text
    styles = await board.get("/board/static/board.css")
    assert "@media print" in styles.text
    download = await board.get(f"/board/inspection.json?{query}")
    assert download.status_code == 200
    assert download.headers["content-disposition"].startswith("attachment;")
    document = json.loads(download.content)
    assert flow.id in {r["id"] for r in document["requests"]}
    assert set(document) >= {"requests", "breaches", "incidents", "access"}


async def test_parties_do_not_get_the_inspection(
    board: httpx.AsyncClient, settings: Settings
) -> None:
    officer = issue_token(
        settings, sub="board-officer", org=Org.POLISEN, unit=UNIT, roles=[Role.CUSTODY_OFFICER]
    )
    assert (await sign_in(board, officer)).status_code == 303
    refused = await board.get(f"/board/inspection?unit={UNIT}")
    assert refused.status_code == 403
    assert (await board.get("/board/investigations")).status_code == 200  # their own unit's
