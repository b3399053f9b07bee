"""Signing in to the board as a browser does (the sign-in page's CSRF cookie, then the form),
and publishing free places as a remand prison's or prison's own staff do."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx

from contracts.common import Org, Role
from services.handover.auth import issue_token
from services.handover.settings import Settings
from tests.flow import auth, custody, fresh

CSRF_FIELD = re.compile(r'name="csrf" value="([^"]+)"')
# A police custody unit no other test uses: the board's lists are sorted by due time and
# show 100 rows, so the board tests filter on their own unit to find their requests among
# everything the rest of the suite created in the shared database.
BOARD_UNIT = "pa-sundsvall"


def board_police(settings: Settings) -> dict[str, str]:
    """A custody officer's headers at BOARD_UNIT."""
    return custody(settings, BOARD_UNIT)


def at_board_unit(body: dict[str, Any]) -> dict[str, Any]:
    return {**body, "from_unit": BOARD_UNIT}


def coordinator_token(settings: Settings, unit: str = "kv-samordning-nationell") -> str:
    return issue_token(
        settings,
        sub=f"board-{unit}",
        org=Org.KRIMINALVARDEN,
        unit=unit,
        roles=[Role.COORDINATOR],
    )


def csrf_of(html: str) -> str:
    found = CSRF_FIELD.search(html)
    assert found, "no CSRF field in the page"
    return found.group(1)


async def sign_in(client: httpx.AsyncClient, token: str) -> httpx.Response:
    """GET the sign-in page (sets the CSRF cookie), then POST the token with its field."""
    page = await client.get("/board/sign-in")
    assert page.status_code == 200, page.text
    return await client.post("/board/sign-in", data={"csrf": csrf_of(page.text), "token": token})


def breached_transfer() -> dict[str, Any]:
    """A transfer whose remand decision was taken three days ago: its remand deadline (the
    day after the decision) breached before the request existed, so it is red at once."""
    body = fresh()
    body["decision"]["decided_at"] = (datetime.now(UTC) - timedelta(days=3)).isoformat()
    return body


async def board_views(pool: asyncpg.Pool, sub: str) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await pool.fetch(
        "SELECT action, handover_ids::text[] AS ids, purpose, unit FROM access_log "
        "WHERE sub = $1 AND action = 'board_view' ORDER BY id",
        sub,
    )
    return rows


async def publish_capacity(
    api: httpx.AsyncClient,
    settings: Settings,
    unit: str,
    *,
    as_of: datetime,
    **free: int,
) -> dict[str, Any]:
    """`PUT /v1/units/{unit}/capacity` with a token of the unit's own reception staff."""
    staff = auth(settings, org=Org.KRIMINALVARDEN, unit=unit, roles=[Role.RECEPTION_OFFICER])
    payload = {
        "categories": [{"category": c, "free": n} for c, n in free.items()],
        "as_of": as_of.isoformat(),
    }
    answer = await api.put(f"/v1/units/{unit}/capacity", json=payload, headers=staff)
    assert answer.status_code == 200, answer.text
    published: dict[str, Any] = answer.json()
    return published
