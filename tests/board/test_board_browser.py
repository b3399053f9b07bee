"""The board in headless Chromium (Debian's, driven by Playwright; no browser is downloaded).

Screenshots go to tests/board/artefacts/ (ignored by git), named after the test.
"""

from __future__ import annotations

import asyncio
import re
import shutil
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, Page, async_playwright, expect

from contracts.common import State
from services.handover.api import examples
from services.handover.settings import Settings
from tests.board.helpers import (
    BOARD_UNIT,
    REDIRECT_TEXT,
    at_board_unit,
    board_police,
    breached_transfer,
    coordinator_token,
    lodged_and_redirected,
    publish_capacity,
)
from tests.flow import Flow, Parties, body, fresh

ARTEFACTS = Path(__file__).parent / "artefacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Headless, and quiet on a closed network: no background connections to Google's hosts.
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LIVE_SECONDS = 10_000  # ms: "within seconds"


def contrast(foreground: str, background: str) -> float:
    """WCAG contrast ratio of two CSS `rgb(...)`/`rgba(...)` colours."""

    def luminance(css: str) -> float:
        parts = css[css.index("(") + 1 : css.index(")")].split(",")
        channels = []
        for value in (float(p) / 255 for p in parts[:3]):
            channels.append(value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4)
        r, g, b = channels
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    high, low = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    # Never a silent pass: `make test` runs infra/bootstrap.sh, which installs chromium (as
    # root) or stops with the apt-get line; a run without it fails here and says why.
    if not Path(CHROMIUM).exists():
        pytest.fail(
            "Debian's chromium is not installed: run infra/bootstrap.sh as root, or "
            "`sudo apt-get install chromium`"
        )
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            yield browser
        finally:
            await browser.close()


@pytest.fixture
async def page(browser: Browser, api: httpx.AsyncClient, settings: Settings) -> AsyncIterator[Page]:
    """A coordinator signed in through the development link (the token in the fragment)."""
    context = await browser.new_context(base_url=str(api.base_url), locale="sv-SE")
    page = await context.new_page()
    await page.goto(f"/board/sign-in#token={coordinator_token(settings)}")
    await page.wait_for_url("**/board")
    try:
        yield page
    finally:
        await context.close()  # closes the live stream before the API stops


async def shot(page: Page, name: str) -> None:
    ARTEFACTS.mkdir(exist_ok=True)
    path = ARTEFACTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    print(f"screenshot: {path}")


async def tab_to(page: Page, element_id: str, limit: int = 400) -> None:
    """Press Tab until the element with this id has the focus."""
    for _ in range(limit):
        await page.keyboard.press("Tab")
        if await page.evaluate("document.activeElement && document.activeElement.id") == (
            element_id
        ):
            return
    raise AssertionError(f"#{element_id} is not reachable with Tab")


async def test_a_new_request_shows_live_and_a_breach_turns_red(
    page: Page, api: httpx.AsyncClient, settings: Settings
) -> None:
    await page.goto(f"/board?unit={BOARD_UNIT}")
    await expect(page.locator("#live[data-state=live]")).to_have_count(1, timeout=LIVE_SECONDS)
    await page.evaluate("window.notReloaded = true")
    p = Parties(settings)
    police = board_police(settings)

    flow = await Flow(api, p).create(at_board_unit(fresh()), headers=police)
    row = page.locator(f'tr[data-id="{flow.id}"]')
    await expect(row).to_be_visible(timeout=LIVE_SECONDS)
    await expect(row).to_contain_text(flow.last["reference"])
    await expect(row).to_contain_text("19121212-****")

    late = await Flow(api, p).create(at_board_unit(breached_transfer()), headers=police)
    red = page.locator(f'tr[data-id="{late.id}"]')
    await expect(red).to_be_visible(timeout=LIVE_SECONDS)
    await expect(red).to_have_class("breached", timeout=LIVE_SECONDS)
    await expect(red).to_contain_text("Överskriden")  # in words, not colour alone
    assert await page.evaluate("window.notReloaded === true"), "the page was reloaded"

    colours = await red.evaluate(
        """row => {
            const badge = row.querySelector('.badge');
            const r = getComputedStyle(row), b = getComputedStyle(badge);
            return [r.color, r.backgroundColor, b.color, b.backgroundColor];
        }"""
    )
    assert colours[1] != "rgba(0, 0, 0, 0)", "a breached row has a colour of its own"
    assert contrast(colours[0], colours[1]) >= 4.5
    assert contrast(colours[2], colours[3]) >= 4.5
    await shot(page, "board-live-breach")


async def test_acknowledging_an_escalation_by_keyboard_removes_it(
    page: Page, api: httpx.AsyncClient, settings: Settings
) -> None:
    p = Parties(settings)
    flow = await Flow(api, p).create(breached_transfer())
    escalation = ""
    for _ in range(100):
        listed = await api.get(
            "/v1/escalations", params={"acknowledged": "false"}, headers=p.coordinator
        )
        found = [e["id"] for e in listed.json()["items"] if e["handover_id"] == flow.id]
        if found:
            escalation = found[0]
            break
        await asyncio.sleep(0.1)
    assert escalation, "no escalation for the breached request"

    await page.goto("/board/escalations")
    row = page.locator(f'tr[data-id="{escalation}"]')
    await expect(row).to_be_visible()
    await shot(page, "board-escalations")
    await tab_to(page, f"note-{escalation}")
    await page.keyboard.type("Ringt NTE, transport 14:00.")
    await page.keyboard.press("Tab")
    focused = await page.evaluate("document.activeElement.id")
    assert focused == f"ack-{escalation}"
    await page.keyboard.press("Enter")
    await page.wait_for_url("**/board/escalations?acknowledged=1")
    await expect(page.get_by_role("status")).to_contain_text("kvitterad")
    await expect(page.locator(f'tr[data-id="{escalation}"]')).to_have_count(0)
    await shot(page, "board-escalation-acknowledged")


async def test_the_custody_chain_draws_its_segments(
    page: Page, api: httpx.AsyncClient, settings: Settings
) -> None:
    flow = await Flow(api, Parties(settings)).create(fresh())
    await flow.to(State.COMPLETED)
    await page.goto(f"/board/requests/{flow.id}")
    segments = page.locator("svg.chain rect.segment")
    await expect(segments).to_have_count(3)
    units = [await s.get_attribute("data-unit") for s in await segments.all()]
    assert units == ["pa-kronoberg", "kv-nte-stockholm", "kv-hakte-kronoberg"]
    boxes = [await s.bounding_box() for s in await segments.all()]
    assert all(box is not None and box["width"] > 0 for box in boxes)
    lefts = [box["x"] for box in boxes if box is not None]
    assert lefts == sorted(lefts), "segments follow each other on the time axis"
    for heading in ("Händelser", "Tidsfrister", "Säkerhetsbedömningar (versioner)"):
        await expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
    await expect(page.locator("table.timeline tbody tr")).not_to_have_count(0)
    await shot(page, "board-request-chain")


async def test_the_journey_shows_its_stops_and_an_overdue_stay(
    page: Page, api: httpx.AsyncClient, settings: Settings
) -> None:
    journeyed = await lodged_and_redirected(api, Parties(settings))
    await page.goto(f"/board/requests/{journeyed.flow.id}")
    section = page.get_by_role("region", name="Resa", exact=True)
    await expect(section).to_be_visible()
    await expect(section.locator("table.stops th[scope=col]")).to_have_count(9)

    stop = section.locator('tr[data-stop="1"]')
    await expect(stop).to_have_class(re.compile(r"\boverdue\b"))
    await expect(stop).to_contain_text("Övernattning")
    await expect(stop).to_contain_text("Häktet Sundsvall")
    await expect(stop).to_contain_text("På plats")
    flag = stop.locator(".overdue-flag")
    await expect(flag).to_have_text("Försenad")  # in words, not colour alone

    moved = section.locator('tr[data-redirect="1"]')
    await expect(moved).to_contain_text("Häktet Kronoberg")
    await expect(moved).to_contain_text("Häktet Göteborg")
    await expect(moved).to_contain_text("Placeringsbeslut")
    await expect(moved).to_contain_text(REDIRECT_TEXT)  # the free text as text, not markup
    await expect(moved.locator("b")).to_have_count(0)

    script = """el => [getComputedStyle(el).color, getComputedStyle(el).backgroundColor]"""
    row_colours = await stop.evaluate(script)
    flag_colours = await flag.evaluate(script)
    assert row_colours[1] != "rgba(0, 0, 0, 0)", "an overdue stop has a colour of its own"
    assert contrast(*row_colours) >= 4.5
    assert contrast(*flag_colours) >= 4.5
    box = await section.bounding_box()
    assert box is not None
    assert box["height"] > 0
    await shot(page, "board-request-journey")


async def test_free_places_show_full_categories_and_stale_figures(
    page: Page, api: httpx.AsyncClient, settings: Settings
) -> None:
    recent = datetime.now(UTC) - timedelta(minutes=3)
    await publish_capacity(
        api, settings, "kv-hakte-linkoping", as_of=recent, remand_men=4, remand_isolation=0
    )
    # 09:30 UTC in March is 10:30 in Stockholm (CET), and months old: stale.
    old = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    await publish_capacity(api, settings, "kv-hakte-kalmar", as_of=old, remand_women=1)

    await page.goto("/board")
    await page.get_by_role("link", name="Lediga platser").click()
    await page.wait_for_url("**/board#free-places")
    section = page.get_by_role("region", name="Lediga platser")
    await expect(section).to_be_visible()
    await expect(section.locator("th[scope=col]")).to_have_count(5)

    linkoping = section.locator('tr[data-unit="kv-hakte-linkoping"]')
    await expect(linkoping).to_contain_text("Häktet Linköping")
    await expect(linkoping).to_contain_text("Öst")
    await expect(linkoping).to_contain_text("Aktuell")
    full = linkoping.locator('li[data-category="remand_isolation"]')
    await expect(full).to_have_class(re.compile(r"\bnone-free\b"))
    await expect(full).to_contain_text("Häkte, isolering: 0 (fullt)")
    free = linkoping.locator('li[data-category="remand_men"]')
    await expect(free).to_contain_text("Häkte, män: 4")

    kalmar = section.locator('tr[data-unit="kv-hakte-kalmar"]')
    await expect(kalmar).to_have_class(re.compile(r"\bstale\b"))
    await expect(kalmar).to_contain_text("Inaktuell")
    await expect(kalmar).to_contain_text("2026-03-02 10:30")

    script = """el => [getComputedStyle(el).color, getComputedStyle(el).backgroundColor]"""
    full_colours = await full.evaluate(script)
    free_colours = await free.evaluate(script)
    stale_colours = await kalmar.evaluate(script)
    fresh_colours = await linkoping.evaluate(script)
    assert full_colours[1] != free_colours[1], "a full category has a colour of its own"
    assert stale_colours[1] != fresh_colours[1], "a stale row has a colour of its own"
    assert contrast(*full_colours) >= 4.5
    assert contrast(*stale_colours) >= 4.5
    await shot(page, "board-free-places")


async def test_a_flagged_deferral_is_marked_on_the_list(
    page: Page, api: httpx.AsyncClient, settings: Settings
) -> None:
    # Region Mitt, prison places: Tillberga is full, Salberga has room (tests/board/
    # test_board_deferral.py uses Mitt's remand places).
    recent = datetime.now(UTC) - timedelta(minutes=1)
    await publish_capacity(api, settings, "kv-anstalt-tillberga", as_of=recent, prison_men=0)
    await publish_capacity(api, settings, "kv-anstalt-salberga", as_of=recent, prison_men=2)
    p = Parties(settings)
    flow = await Flow(api, p).create(at_board_unit(fresh()), headers=board_police(settings))
    named = {"full_unit": "kv-anstalt-tillberga", "category": "prison_men"}
    await flow.post("defer", body(examples.DEFER) | named, p.planner)
    assert flow.last["deferral"]["room_elsewhere"] is True

    await page.goto(f"/board?unit={BOARD_UNIT}&state=deferred")
    row = page.locator(f'tr[data-id="{flow.id}"]')
    await expect(row).to_have_class(re.compile(r"\broom-elsewhere\b"))
    flag = row.locator(".room-elsewhere-flag")
    await expect(flag).to_have_text("Plats finns i regionen")  # in words, not colour alone
    colours = await flag.evaluate(
        "el => [getComputedStyle(el).color, getComputedStyle(el).backgroundColor]"
    )
    assert colours[1] != "rgba(0, 0, 0, 0)", "the marker has a colour of its own"
    assert contrast(*colours) >= 4.5
    await shot(page, "board-room-elsewhere")

    await row.get_by_role("link").click()
    section = page.get_by_role("region", name="Uppskjutning", exact=True)
    await expect(section.locator(".room-elsewhere-flag")).to_have_text("Plats finns i regionen")
    await expect(section.locator('tr[data-unit="kv-anstalt-salberga"]')).to_contain_text(
        "Anstalten Salberga"
    )
    await shot(page, "board-request-deferral")


async def test_accessibility_basics(page: Page) -> None:
    """Every control labelled, the language set, header cells, the filter reached by Tab."""
    for path in ("/board", "/board/escalations", "/board?lang=en"):
        await page.goto(path)
        unlabelled = await page.evaluate(
            """() => [...document.querySelectorAll('input, select, textarea')]
                .filter(el => el.type !== 'hidden' && el.labels.length === 0)
                .map(el => el.name)"""
        )
        assert unlabelled == [], f"{path}: controls without a label: {unlabelled}"
        assert await page.evaluate("document.documentElement.lang") in ("sv", "en")
        assert await page.locator("th[scope=col]").count() > 0 or path.endswith("escalations")
    await page.goto("/board?lang=sv")  # the English above was kept in a cookie
    assert await page.evaluate("document.documentElement.lang") == "sv"
    await tab_to(page, "f-unit")
    await page.keyboard.press("Tab")
    assert await page.evaluate("document.activeElement.id") == "f-kind"
    text = await page.evaluate(
        "[getComputedStyle(document.body).color, getComputedStyle(document.body).backgroundColor]"
    )
    assert contrast(text[0], text[1]) >= 7
    await shot(page, "board-keyboard-filter")
