"""The request page's journey over HTTP: a real request driven through the API (a lodging at
Sundsvall, accepted, the person handed there, redirected to Göteborg while still there), shown
in both languages, escaped, and audited only as the page's own `board_view`."""

from __future__ import annotations

from datetime import datetime

import asyncpg
import httpx
import pytest

from services.handover.settings import Settings
from tests.board.helpers import (
    LODGING,
    REDIRECT_TEXT,
    REDIRECTED_TO,
    JourneySection,
    coordinator_token,
    lodged_and_redirected,
    sign_in,
)
from tests.flow import STOCKHOLM, Flow, Parties, fresh

SUB = "board-kv-samordning-nationell"


def _local(at: datetime) -> str:
    return at.astimezone(STOCKHOLM).strftime("%Y-%m-%d %H:%M")


async def _access(pool: asyncpg.Pool) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await pool.fetch(
        "SELECT action, handover_ids::text[] AS ids FROM access_log WHERE sub = $1 ORDER BY id",
        SUB,
    )
    return rows


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        (
            "sv",
            {
                "heading": "Resa",
                "lodging": "Övernattning",
                "reached": "På plats",
                "overdue": "Försenad",
                "reason": "Placeringsbeslut",
                "planned": "Övernattning planerad",
                "answered": "Övernattning besvarad",
                "redirected": "Ny destination",
            },
        ),
        (
            "en",
            {
                "heading": "Journey",
                "lodging": "Overnight lodging",
                "reached": "Reached",
                "overdue": "Overdue",
                "reason": "Placement decision",
                "planned": "Lodging planned",
                "answered": "Lodging answered",
                "redirected": "Redirected",
            },
        ),
    ],
)
async def test_the_request_page_shows_the_journey(
    board: httpx.AsyncClient,
    api: httpx.AsyncClient,
    settings: Settings,
    pool: asyncpg.Pool,
    lang: str,
    words: dict[str, str],
) -> None:
    journeyed = await lodged_and_redirected(api, Parties(settings))
    flow = journeyed.flow
    assert (await sign_in(board, coordinator_token(settings))).status_code == 303
    before = len(await _access(pool))

    page = await board.get(f"/board/requests/{flow.id}", params={"lang": lang})
    assert page.status_code == 200, page.text
    assert f'<html lang="{lang}">' in page.text
    section = JourneySection.of(page.text)
    assert section.found
    assert section.heading == words["heading"]

    (stop,) = section.stops.values()
    assert stop.data == {"stop": "1", "status": "reached"}
    assert "overdue" in stop.classes
    assert words["lodging"] in stop.text
    assert "Häktet Sundsvall" in stop.text
    assert words["reached"] in stop.text
    assert words["overdue"] in stop.text
    # The planned arrival and departure in Stockholm time.
    assert _local(journeyed.arrive_at) in stop.text
    assert _local(journeyed.depart_at) in stop.text
    assert f'data-unit="{LODGING}"' in page.text

    (moved,) = section.redirects.values()
    assert "Häktet Kronoberg" in moved.text  # the first destination
    assert "Häktet Göteborg" in moved.text
    assert moved.text.index("Häktet Kronoberg") < moved.text.index("Häktet Göteborg")
    assert words["reason"] in moved.text
    assert REDIRECT_TEXT in moved.text  # the free text, as text
    assert "kv-nte-stockholm" in moved.text  # who redirected
    assert f'data-unit="{REDIRECTED_TO}"' in page.text
    assert "<b>nu</b>" not in page.text
    assert "&lt;b&gt;nu&lt;/b&gt;" in page.text
    assert section.scripts == 0
    assert section.return_to == ""  # a transfer has no return leg

    # The timeline names the journey's events in words.
    for key in ("planned", "answered", "redirected"):
        assert f"<td>{words[key]}</td>" in page.text, key

    # The page's reads are its own `board_view` of this request, nothing else.
    views = (await _access(pool))[before:]
    assert views, "the page view was not logged"
    assert {row["action"] for row in views} == {"board_view"}
    assert all(row["ids"] == [flow.id] for row in views)


async def test_a_request_without_a_journey_has_no_journey_section(
    board: httpx.AsyncClient, api: httpx.AsyncClient, settings: Settings
) -> None:
    flow = await Flow(api, Parties(settings)).create(fresh())
    assert (await sign_in(board, coordinator_token(settings))).status_code == 303
    page = await board.get(f"/board/requests/{flow.id}")
    assert page.status_code == 200
    assert not JourneySection.of(page.text).found
    assert 'id="journey"' not in page.text
