"""The board's free places over HTTP: what remand prisons and prisons published through the
API, in the coordinator's scope, in Stockholm time, stale and full categories marked.

Each test publishes for units of its own that no other test publishes for (an older `as_of`
than a unit's stored one is refused), in Nord and Väst (the browser test in Öst): the API tests
of a deferral's check of room elsewhere count on what Stockholm and Syd published.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import asyncpg
import httpx

from contracts.capacity import FRESH_FOR
from contracts.common import Org, Role
from services.handover.auth import issue_token
from services.handover.settings import Settings
from tests.board.helpers import BOARD_UNIT, coordinator_token, publish_capacity, sign_in
from tests.flow import STOCKHOLM


@dataclass
class Category:
    classes: set[str]
    text: str = ""


@dataclass
class Row:
    """A unit's row: its cells' text (unit, region, categories, as of, freshness)."""

    classes: set[str]
    cells: list[str] = field(default_factory=list)
    as_of: str = ""
    categories: dict[str, Category] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.cells[0]

    @property
    def region(self) -> str:
        return self.cells[1]

    @property
    def shown_as_of(self) -> str:
        return self.cells[3]

    @property
    def freshness(self) -> str:
        return self.cells[4]


def _joined(before: str, data: str) -> str:
    return " ".join(f"{before} {data}".split())


class FreePlaces(HTMLParser):
    """The section as a reader sees it (entities decoded): each unit's row by its id;
    `section` is false when the page has no free-places section."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.section = False
        self.rows: dict[str, Row] = {}
        self._row: Row | None = None
        self._category: Category | None = None
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        classes = set((a.get("class") or "").split())
        if tag == "section" and a.get("id") == "free-places":
            self.section = True
        elif tag == "tr" and a.get("data-unit"):
            self._row = self.rows[str(a["data-unit"])] = Row(classes=classes)
        elif self._row is None:
            return
        elif tag in ("th", "td"):
            self._row.cells.append("")
        elif tag == "li" and a.get("data-category"):
            self._category = self._row.categories[str(a["data-category"])] = Category(classes)
        elif tag == "time":
            self._row.as_of = a.get("datetime") or ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "tr":
            self._row = None
        elif tag == "li":
            self._category = None

    def handle_data(self, data: str) -> None:
        if self._row is not None and self._row.cells:
            self._row.cells[-1] = _joined(self._row.cells[-1], data)
        if self._category is not None:
            self._category.text = _joined(self._category.text, data)


async def places(board: httpx.AsyncClient, **params: str) -> FreePlaces:
    page = await board.get("/board", params=params)
    assert page.status_code == 200, page.text
    return FreePlaces(page.text)


async def signed_in_as(board: httpx.AsyncClient, token: str) -> None:
    assert (await sign_in(board, token)).status_code == 303


def token(settings: Settings, org: Org, unit: str, role: Role) -> str:
    return issue_token(settings, sub=f"board-{unit}", org=org, unit=unit, roles=[role])


async def test_free_places_show_each_unit_its_categories_time_and_freshness(
    board: httpx.AsyncClient, api: httpx.AsyncClient, settings: Settings
) -> None:
    just_now = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=5)
    await publish_capacity(
        api, settings, "kv-hakte-sundsvall", as_of=just_now, remand_men=3, remand_women=0
    )
    await publish_capacity(api, settings, "kv-anstalt-ljustadalen", as_of=just_now, prison_men=7)
    # 06:00 UTC on a summer day is 08:00 in Stockholm (CEST, UTC+2); in winter 07:00 (CET).
    summer = datetime(2026, 7, 1, 6, 0, tzinfo=UTC)
    await publish_capacity(api, settings, "kv-hakte-umea", as_of=summer, remand_men=1)
    winter = datetime(2026, 1, 15, 6, 0, tzinfo=UTC)
    await publish_capacity(api, settings, "kv-anstalt-gavle", as_of=winter, prison_women=1)
    # Just past the freshness limit: stale by minutes, not by months.
    await publish_capacity(
        api,
        settings,
        "kv-anstalt-haparanda",
        as_of=datetime.now(UTC) - FRESH_FOR - timedelta(minutes=2),
        prison_men=2,
    )
    await signed_in_as(board, coordinator_token(settings))

    found = await places(board)
    assert found.section
    sundsvall = found.rows["kv-hakte-sundsvall"]
    assert sundsvall.name == "Häktet Sundsvall"
    assert sundsvall.region == "Nord"
    assert sundsvall.shown_as_of == just_now.astimezone(STOCKHOLM).strftime("%Y-%m-%d %H:%M")
    assert datetime.fromisoformat(sundsvall.as_of) == just_now
    assert sundsvall.freshness == "Aktuell"
    assert "stale" not in sundsvall.classes
    assert sundsvall.categories["remand_men"].text == "Häkte, män: 3"
    assert "none-free" not in sundsvall.categories["remand_men"].classes
    # A full category stands out, in a class of its own and in words.
    assert sundsvall.categories["remand_women"].text == "Häkte, kvinnor: 0 (fullt)"
    assert "none-free" in sundsvall.categories["remand_women"].classes

    ljustadalen = found.rows["kv-anstalt-ljustadalen"]
    assert (ljustadalen.name, ljustadalen.region) == ("Anstalten Ljustadalen", "Nord")
    assert ljustadalen.categories["prison_men"].text == "Anstalt, män: 7"
    assert ljustadalen.freshness == "Aktuell"

    umea = found.rows["kv-hakte-umea"]
    assert umea.shown_as_of == "2026-07-01 08:00"
    assert umea.freshness == "Inaktuell"
    assert "stale" in umea.classes
    assert found.rows["kv-anstalt-gavle"].shown_as_of == "2026-01-15 07:00"
    haparanda = found.rows["kv-anstalt-haparanda"]
    assert (haparanda.freshness, "stale" in haparanda.classes) == ("Inaktuell", True)

    english = await places(board, lang="en")
    assert english.rows["kv-hakte-umea"].freshness == "Stale"
    assert english.rows["kv-hakte-sundsvall"].freshness == "Current"
    assert english.rows["kv-hakte-sundsvall"].categories["remand_women"].text == (
        "Remand, women: 0 (full)"
    )
    page = (await board.get("/board", params={"lang": "en"})).text
    assert '<h2 id="free-places-heading">Free places</h2>' in page
    assert "Lediga platser" not in page


async def test_each_coordinator_sees_the_units_of_their_scope_and_parties_none(
    board: httpx.AsyncClient, api: httpx.AsyncClient, settings: Settings
) -> None:
    at = datetime.now(UTC) - timedelta(minutes=1)
    await publish_capacity(api, settings, "kv-hakte-ostersund", as_of=at, remand_men=2)
    await publish_capacity(api, settings, "kv-hakte-boras", as_of=at, remand_men=5)

    # Regional coordinators: their agency's region, as in their escalations and investigations.
    await signed_in_as(board, coordinator_token(settings, "kv-samordning-nord"))
    nord = await places(board)
    assert "kv-hakte-ostersund" in nord.rows
    assert "kv-hakte-boras" not in nord.rows
    assert {row.region for row in nord.rows.values()} == {"Nord"}
    await signed_in_as(board, coordinator_token(settings, "kv-samordning-vast"))
    vast = await places(board)
    assert "kv-hakte-boras" in vast.rows
    assert {row.region for row in vast.rows.values()} == {"Väst"}

    # The national coordination unit: its whole agency.
    await signed_in_as(board, coordinator_token(settings))
    national = await places(board)
    assert {"kv-hakte-ostersund", "kv-hakte-boras"} <= national.rows.keys()

    # A police coordinator sees Kriminalvården's places in the region of the same name.
    await signed_in_as(board, token(settings, Org.POLISEN, "pol-samordning-nord", Role.COORDINATOR))
    police = await places(board)
    assert police.section
    assert "kv-hakte-ostersund" in police.rows
    assert "kv-hakte-boras" not in police.rows
    assert {row.region for row in police.rows.values()} == {"Nord"}

    # A party on the board (a custody officer) sees its own requests, not the section.
    await signed_in_as(board, token(settings, Org.POLISEN, BOARD_UNIT, Role.CUSTODY_OFFICER))
    party = await places(board)
    assert not party.section
    assert party.rows == {}


async def test_text_from_the_database_is_escaped(
    board: httpx.AsyncClient, api: httpx.AsyncClient, settings: Settings, pool: asyncpg.Pool
) -> None:
    unit = "kv-anstalt-saltvik"
    await publish_capacity(
        api, settings, unit, as_of=datetime.now(UTC) - timedelta(minutes=1), prison_men=0
    )
    name = "<script>alert(\"name\")</script>Anstalten & 'Saltvik'"
    region = "<img src=x onerror=alert(1)>"
    # Units change only by migration; this one carries hostile text for the length of the test.
    kept = await pool.fetchrow("SELECT name, region FROM units WHERE id = $1", unit)
    assert kept is not None
    await pool.execute("UPDATE units SET name = $2, region = $3 WHERE id = $1", unit, name, region)
    try:
        await signed_in_as(board, coordinator_token(settings))
        page = await board.get("/board")
        assert page.status_code == 200
    finally:
        await pool.execute(
            "UPDATE units SET name = $2, region = $3 WHERE id = $1",
            unit,
            kept["name"],
            kept["region"],
        )
    assert "<script>alert" not in page.text
    assert "<img src=x" not in page.text
    escaped = "&lt;script&gt;alert(&#34;name&#34;)&lt;/script&gt;Anstalten &amp; &#39;Saltvik&#39;"
    assert escaped in page.text
    assert "&lt;img src=x onerror=alert(1)&gt;" in page.text
    row = FreePlaces(page.text).rows[unit]
    assert (row.name, row.region) == (name, region)  # shown as text, as written
