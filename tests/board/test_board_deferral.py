"""A deferral for no capacity on the board: the open-requests list marks a deferral the capacity
data flagged (room elsewhere in the full unit's region), in words and in a class, and the
request page shows the deferral (reason, by, when, expected, full unit, category, the check and
the units with room), in Swedish and English.

Capacity data: region Mitt, which no other test publishes for (the free-places tests use Nord,
Väst and Öst; the API tests of the check Stockholm and Syd). Uppsala is full and Västerås and
Karlstad have women's remand places (this file), Tillberga is full and Salberga has men's
prison places (the browser test); nobody in Mitt publishes isolation places.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from contracts.actions import DeferralReason
from contracts.api import Deferral
from contracts.capacity import CapacityCategory, CategoryPlaces, UnitCapacity
from contracts.common import ActorRef, Org, Role, UnitKind
from services.handover.api import examples
from services.handover.auth import issue_token
from services.handover.board.deferral import deferral_units, deferral_view
from services.handover.board.free_places import Places
from services.handover.board.i18n import Translator
from services.handover.board.routes import ENV
from services.handover.settings import Settings
from tests.board.helpers import (
    BOARD_UNIT,
    DeferralSection,
    ListRows,
    board_police,
    coordinator_token,
    publish_capacity,
    sign_in,
)
from tests.flow import STOCKHOLM, Flow, Parties, body, fresh

FULL = "kv-hakte-uppsala"  # Mitt; the transfers' destination
ROOMY = "kv-hakte-vasteras"
LESS_ROOM = "kv-hakte-karlstad"

WORDS: dict[str, dict[str, str]] = {
    "sv": {
        "marker": "Plats finns i regionen",
        "heading": "Uppskjutning",
        "reason": "Skäl",
        "no_capacity": "Platsbrist",
        "by": "Uppskjuten av",
        "at": "Uppskjuten",
        "expected": "Beräknas kunna verkställas",
        "full_unit": "Fullbelagd enhet",
        "category": "Platskategori",
        "remand_women": "Häkte, kvinnor",
        "remand_isolation": "Häkte, isolering",
        "check": "Lediga platser i regionen",
        "flagged": "Plats fanns på andra enheter i regionen",
        "no_room": "Ingen annan enhet i regionen hade plats",
        "unchecked": "Inte kontrollerat (ingen platskategori angiven)",
        "not_given": "Ej angiven",
        "unknown": "Inga aktuella uppgifter",
    },
    "en": {
        "marker": "Room elsewhere in the region",
        "heading": "Deferral",
        "reason": "Reason",
        "no_capacity": "No capacity",
        "by": "Deferred by",
        "at": "Deferred at",
        "expected": "Expected to be possible",
        "full_unit": "Unit that is full",
        "category": "Category of place",
        "remand_women": "Remand, women",
        "remand_isolation": "Remand, isolation",
        "check": "Free places in the region",
        "flagged": "Other units of the region had room",
        "no_room": "No other unit of the region had room",
        "unchecked": "Not checked (no category of place given)",
        "not_given": "Not given",
        "unknown": "No current figure",
    },
}


def when(at: str | datetime) -> str:
    """An instant as the board shows it: Swedish time, to the minute."""
    instant = datetime.fromisoformat(at) if isinstance(at, str) else at
    return instant.astimezone(STOCKHOLM).strftime("%Y-%m-%d %H:%M")


async def deferred_transfer(
    api: httpx.AsyncClient, settings: Settings, defer: dict[str, Any]
) -> Flow:
    """A transfer from the board's police unit to Häktet Uppsala, deferred by the transport
    (`defer`: the body, its times renewed)."""
    p = Parties(settings)
    made = fresh(from_unit=BOARD_UNIT, to_unit=FULL)
    flow = await Flow(api, p).create(made, headers=board_police(settings))
    await flow.post("defer", body(defer), p.planner)
    return flow


async def listed(board: httpx.AsyncClient, lang: str, path: str = "/board") -> ListRows:
    page = await board.get(path, params={"unit": FULL, "state": "deferred", "lang": lang})
    assert page.status_code == 200, page.text
    return ListRows(page.text)


async def deferral_of(board: httpx.AsyncClient, flow: Flow, lang: str) -> DeferralSection:
    page = await board.get(f"/board/requests/{flow.id}", params={"lang": lang})
    assert page.status_code == 200, page.text
    section = DeferralSection.of(page.text)
    assert section.found, "the request page has no deferral section"
    return section


async def test_a_flagged_deferral_is_marked_on_the_list_and_shown_on_the_request_page(
    board: httpx.AsyncClient, api: httpx.AsyncClient, settings: Settings
) -> None:
    as_of = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
    await publish_capacity(api, settings, FULL, as_of=as_of, remand_women=0)
    await publish_capacity(api, settings, ROOMY, as_of=as_of, remand_women=3)
    await publish_capacity(api, settings, LESS_ROOM, as_of=as_of, remand_women=1)
    flow = await deferred_transfer(api, settings, examples.DEFER | {"category": "remand_women"})
    shown = flow.last["deferral"]
    assert shown["full_unit"] == FULL  # the destination: the body names none
    assert shown["room_elsewhere"] is True
    assert shown["room_at"] == [ROOMY, LESS_ROOM]  # most free first

    assert (await sign_in(board, coordinator_token(settings))).status_code == 303
    for lang, words in WORDS.items():
        rows = await listed(board, lang)
        row = rows.rows[flow.id]
        assert "room-elsewhere" in row.classes, lang
        assert row.data["room-elsewhere"] == "true"
        assert rows.flags[flow.id] == [words["marker"]]  # in words, not colour alone
        # The live page swaps in the same rows.
        live = await listed(board, lang, "/board/rows")
        assert live.flags[flow.id] == [words["marker"]]

        section = await deferral_of(board, flow, lang)
        assert section.heading == words["heading"]
        assert "room-elsewhere" in section.classes
        assert section.data["check"] == "flagged"
        assert section.flags == [words["marker"]]
        facts = section.facts
        assert facts[words["reason"]] == words["no_capacity"]
        assert facts[words["by"]] == "Nationella transportenheten (NTE) Stockholm"
        assert facts[words["at"]] == when(shown["at"])
        assert facts[words["expected"]] == when(shown["expected_at"])
        assert facts[words["full_unit"]] == "Häktet Uppsala"
        assert facts[words["category"]] == words["remand_women"]
        assert facts[words["check"]] == words["flagged"]
        # The units with room, by name, with what they publish now (the coordinator's scope).
        assert list(section.rooms) == [ROOMY, LESS_ROOM]
        roomy, less = section.rooms[ROOMY], section.rooms[LESS_ROOM]
        assert (roomy.data["free"], less.data["free"]) == ("3", "1")
        assert roomy.text == f"Häktet Västerås 3 {when(as_of)}"
        assert less.text == f"Häktet Karlstad 1 {when(as_of)}"

    # A party on the board (the police unit that asked) sees the marker and the units with
    # room, but no free places: those are for coordinators.
    police = issue_token(
        settings,
        sub=f"board-{BOARD_UNIT}",
        org=Org.POLISEN,
        unit=BOARD_UNIT,
        roles=[Role.CUSTODY_OFFICER],
    )
    assert (await sign_in(board, police)).status_code == 303
    assert (await listed(board, "sv")).flags[flow.id] == [WORDS["sv"]["marker"]]
    section = await deferral_of(board, flow, "sv")
    assert section.flags == [WORDS["sv"]["marker"]]
    assert list(section.rooms) == [ROOMY, LESS_ROOM]
    assert "free" not in section.rooms[ROOMY].data
    assert section.rooms[ROOMY].text == f"Häktet Västerås {WORDS['sv']['unknown']}"


async def test_a_deferral_without_room_elsewhere_or_unchecked_has_no_marker(
    board: httpx.AsyncClient, api: httpx.AsyncClient, settings: Settings
) -> None:
    # Nobody in Mitt publishes isolation places: no room elsewhere.
    no_room = await deferred_transfer(
        api, settings, examples.DEFER | {"full_unit": FULL, "category": "remand_isolation"}
    )
    assert no_room.last["deferral"]["room_elsewhere"] is False
    # No category: not checked (and no expected time either).
    unchecked = await deferred_transfer(api, settings, {"reason": "no_capacity"})
    assert unchecked.last["deferral"]["room_elsewhere"] is None

    assert (await sign_in(board, coordinator_token(settings))).status_code == 303
    for lang, words in WORDS.items():
        rows = await listed(board, lang)
        for flow in (no_room, unchecked):
            row = rows.rows[flow.id]
            assert "room-elsewhere" not in row.classes
            assert "room-elsewhere" not in row.data
            assert rows.flags[flow.id] == []
            assert words["marker"] not in row.text

        section = await deferral_of(board, no_room, lang)
        assert "room-elsewhere" not in section.classes
        assert section.data["check"] == "no_room"
        assert section.flags == []
        assert section.rooms == {}
        assert section.facts[words["full_unit"]] == "Häktet Uppsala"
        assert section.facts[words["category"]] == words["remand_isolation"]
        assert section.facts[words["check"]] == words["no_room"]

        section = await deferral_of(board, unchecked, lang)
        assert section.data["check"] == "unchecked"
        assert section.flags == []
        assert section.facts[words["category"]] == words["not_given"]
        assert section.facts[words["check"]] == words["unchecked"]
        assert section.facts[words["expected"]] == words["not_given"]


# -- the block alone (no servers) ---------------------------------------------------------------

NOW = datetime(2026, 6, 10, 8, 0, tzinfo=UTC)
BY = ActorRef(sub="test", org=Org.KRIMINALVARDEN, unit="kv-nte-stockholm")
EVIL = '<script>alert("x")</script>'


def _published(unit: str, free: int, *, stale: bool = False) -> Places:
    row = UnitCapacity(
        unit=unit,
        name=unit,
        org=Org.KRIMINALVARDEN,
        kind=UnitKind.REMAND_PRISON,
        region="Mitt",
        categories=(CategoryPlaces(category=CapacityCategory.REMAND_MEN, free=free),),
        as_of=NOW - timedelta(hours=30 if stale else 1),
        updated_at=NOW,
        updated_by="test",
    )
    return Places(unit=row, stale=stale)


DEFERRAL = Deferral(
    reason=DeferralReason.NO_CAPACITY,
    by=BY,
    at=NOW - timedelta(minutes=30),
    full_unit="kv-hakte-uppsala",
    category=CapacityCategory.REMAND_MEN,
    room_elsewhere=True,
    room_at=("kv-hakte-vasteras", "kv-hakte-karlstad", "kv-hakte-orebro"),
)
NAMES = {"kv-hakte-vasteras": f"Häktet {EVIL}", "kv-nte-stockholm": "NTE Stockholm"}


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_the_block_shows_what_the_caller_may_read_and_escapes_names(lang: str) -> None:
    assert deferral_units(DEFERRAL) == [
        "kv-hakte-karlstad",
        "kv-hakte-orebro",
        "kv-hakte-uppsala",
        "kv-hakte-vasteras",
        "kv-nte-stockholm",
    ]
    assert deferral_units(None) == []
    assert deferral_view(None, NAMES, None) is None
    places = [
        _published("kv-hakte-vasteras", 2),
        _published("kv-hakte-karlstad", 0, stale=True),  # full by now, and old figures
    ]
    view = deferral_view(DEFERRAL, NAMES, places)
    assert view is not None
    html = ENV.get_template("deferral.html").render(t=Translator(lang), deferral=view)
    section = DeferralSection.of(html)
    words = WORDS[lang]
    assert section.flags == [words["marker"]]
    assert section.facts[words["full_unit"]] == "kv-hakte-uppsala"  # no name known: the id
    assert section.facts[words["by"]] == "NTE Stockholm"
    assert section.facts[words["expected"]] == words["not_given"]
    assert list(section.rooms) == ["kv-hakte-vasteras", "kv-hakte-karlstad", "kv-hakte-orebro"]
    assert section.rooms["kv-hakte-vasteras"].text.startswith(f"Häktet {EVIL} 2 ")
    karlstad = section.rooms["kv-hakte-karlstad"]
    assert "stale" in karlstad.classes
    full, stale = ("fullt", "Inaktuell") if lang == "sv" else ("full", "Stale")
    assert karlstad.text.startswith(f"kv-hakte-karlstad 0 ({full}) ({stale}) ")
    # Örebro published nothing the caller may read.
    assert section.rooms["kv-hakte-orebro"].text == f"kv-hakte-orebro {words['unknown']}"
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
