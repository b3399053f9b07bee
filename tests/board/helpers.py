"""Signing in to the board as a browser does (the sign-in page's CSRF cookie, then the form),
publishing free places as a remand prison's or prison's own staff do, driving a request
through a journey as its parties do, and reading the request page's journey and deferral
sections and the list's rows."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any

import asyncpg
import httpx

from contracts.common import Org, Role, State
from services.handover.api import examples
from services.handover.auth import issue_token
from services.handover.settings import Settings
from tests.flow import Flow, Parties, auth, body, custody, fresh

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


# The journey the board tests drive (as tests/api/test_journeys.py does): a night's lodging at
# Sundsvall, accepted by its reception, the person handed there, then redirected to Göteborg
# while still at the lodging.
LODGING = "kv-hakte-sundsvall"
REDIRECTED_TO = "kv-hakte-goteborg"
REDIRECT_TEXT = "Placeringsenheten: Göteborg <b>nu</b>."


@dataclass(frozen=True)
class Journeyed:
    flow: Flow
    arrive_at: datetime
    depart_at: datetime


async def _journey(api: httpx.AsyncClient, flow: Flow, change: dict[str, Any], who: Any) -> None:
    answer = await api.post(f"{flow.path}/journey", json=change, headers=who)
    assert answer.status_code == 200, answer.text


async def lodged_and_redirected(api: httpx.AsyncClient, p: Parties) -> Journeyed:
    """A scheduled transfer whose person stays at the lodging past its planned departure
    (planned to leave a second after arriving) while the journey is redirected."""
    flow = await Flow(api, p).to(State.SCHEDULED)
    arrive_at = datetime.now(UTC)
    depart_at = arrive_at + timedelta(seconds=1)
    lodging = {
        "change": "lodging",
        "unit": LODGING,
        "arrive_at": arrive_at.isoformat(),
        "depart_at": depart_at.isoformat(),
    }
    await _journey(api, flow, lodging, p.planner)
    await _journey(api, flow, {"change": "lodging_answer", "stop": 1, "accepted": True}, p.lodging)
    for holder, to_unit, receiver in (
        (p.police, "kv-nte-stockholm", p.escort),
        (p.escort, LODGING, p.lodging),
    ):
        await flow.post("release", body(examples.RELEASE, to_unit=to_unit), holder)
        await flow.post("receive", body(examples.RECEIVE), receiver)
    redirect = {
        "change": "redirect",
        "to_unit": REDIRECTED_TO,
        "reason": "placement_decision",
        "text": REDIRECT_TEXT,
    }
    await _journey(api, flow, redirect, p.planner)
    # The planned departure is behind us while the person is still at the lodging.
    await asyncio.sleep(max((depart_at - datetime.now(UTC)).total_seconds() + 0.05, 0))
    return Journeyed(flow=flow, arrive_at=arrive_at, depart_at=depart_at)


@dataclass
class Line:
    """A table row of the journey section: its classes, data attributes and text."""

    classes: set[str]
    data: dict[str, str]
    text: str = ""


@dataclass
class JourneySection:
    """The request page's journey section as a reader sees it (entities decoded): `found`
    is false when the page has none."""

    found: bool = False
    heading: str = ""
    stops: dict[str, Line] = field(default_factory=dict)
    redirects: dict[str, Line] = field(default_factory=dict)
    return_to: str = ""
    scripts: int = 0

    @classmethod
    def of(cls, html: str) -> JourneySection:
        parser = _JourneyParser()
        parser.feed(html)
        parser.close()
        return parser.section


class _JourneyParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.section = JourneySection()
        self._depth = 0  # open <section> elements inside the journey's
        self._into: Line | None = None
        self._heading = False
        self._return = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "section" and (self._depth or a.get("id") == "journey"):
            self.section.found = True
            self._depth += 1
        if not self._depth:
            return
        if tag == "script":
            self.section.scripts += 1
        elif tag == "h2":
            self._heading = True
        elif tag == "dd" and "return-to" in a.get("class", ""):
            self._return = True
        elif tag == "tr" and ("data-stop" in a or "data-redirect" in a):
            data = {k[5:]: v for k, v in a.items() if k.startswith("data-")}
            self._into = Line(classes=set(a.get("class", "").split()), data=data)
            if "data-stop" in a:
                self.section.stops[a["data-stop"]] = self._into
            else:
                self.section.redirects[a["data-redirect"]] = self._into

    def handle_endtag(self, tag: str) -> None:
        if tag == "section" and self._depth:
            self._depth -= 1
        elif tag == "tr":
            self._into = None
        elif tag == "h2":
            self._heading = False
        elif tag == "dd":
            self._return = False

    def handle_data(self, data: str) -> None:
        if self._into is not None:
            self._into.text = " ".join(f"{self._into.text} {data}".split())
        elif self._heading and self._depth:
            self.section.heading += data.strip()
        elif self._return:
            self.section.return_to = " ".join(f"{self.section.return_to} {data}".split())


@dataclass
class DeferralSection:
    """The request page's deferral section as a reader sees it (entities decoded): `found` is
    false when the page has none; `facts` its terms and descriptions, `rooms` the rows of the
    units with room by unit id; `flags` the text of each room-elsewhere marker in it."""

    found: bool = False
    classes: set[str] = field(default_factory=set)
    data: dict[str, str] = field(default_factory=dict)
    heading: str = ""
    facts: dict[str, str] = field(default_factory=dict)
    rooms: dict[str, Line] = field(default_factory=dict)
    flags: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, html: str) -> DeferralSection:
        parser = _DeferralParser()
        parser.feed(html)
        parser.close()
        return parser.section


class _DeferralParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.section = DeferralSection()
        self._depth = 0
        self._into: str | None = None  # "h2", "dt", "dd", "flag"
        self._term = ""
        self._room: Line | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        classes = set(a.get("class", "").split())
        if tag == "section" and (self._depth or a.get("id") == "deferral"):
            if not self._depth:
                self.section.found = True
                self.section.classes = classes
                self.section.data = {k[5:]: v for k, v in a.items() if k.startswith("data-")}
            self._depth += 1
        if not self._depth:
            return
        if tag == "h2":
            self._into = "h2"
        elif tag == "dt":
            self._into, self._term = "dt", ""
        elif tag == "dd":
            self._into = "dd"
            self.section.facts[self._term] = ""
        elif tag == "span" and "room-elsewhere-flag" in classes:
            self._into = "flag"
            self.section.flags.append("")
        elif tag == "tr" and "data-unit" in a:
            data = {k[5:]: v for k, v in a.items() if k.startswith("data-")}
            self._room = self.section.rooms[a["data-unit"]] = Line(classes=classes, data=data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "section" and self._depth:
            self._depth -= 1
        elif tag == "tr":
            self._room = None
        elif tag in ("h2", "dt", "dd") or (tag == "span" and self._into == "flag"):
            self._into = None

    def handle_data(self, data: str) -> None:
        if not self._depth:
            return
        s = self.section
        if self._room is not None:
            self._room.text = " ".join(f"{self._room.text} {data}".split())
        elif self._into == "h2":
            s.heading += data.strip()
        elif self._into == "dt":
            self._term = " ".join(f"{self._term} {data}".split())
        elif self._into == "dd":
            s.facts[self._term] = " ".join(f"{s.facts[self._term]} {data}".split())
        elif self._into == "flag":
            s.flags[-1] = " ".join(f"{s.flags[-1]} {data}".split())


class ListRows(HTMLParser):
    """The open-requests list as a reader sees it: each row by its request id."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.rows: dict[str, Line] = {}
        self.flags: dict[str, list[str]] = {}
        self._row: str | None = None
        self._flag = False
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        classes = set(a.get("class", "").split())
        if tag == "tr" and "data-id" in a:
            self._row = a["data-id"]
            data = {k[5:]: v for k, v in a.items() if k.startswith("data-")}
            self.rows[self._row] = Line(classes=classes, data=data)
            self.flags[self._row] = []
        elif self._row is not None and tag == "span" and "room-elsewhere-flag" in classes:
            self._flag = True
            self.flags[self._row].append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "tr":
            self._row = None
        elif tag == "span":
            self._flag = False

    def handle_data(self, data: str) -> None:
        if self._row is None:
            return
        row = self.rows[self._row]
        row.text = " ".join(f"{row.text} {data}".split())
        if self._flag:
            flags = self.flags[self._row]
            flags[-1] = " ".join(f"{flags[-1]} {data}".split())
