"""The board's strings: every event type, clock and other value the board shows in words has
them in Swedish and English (so a new value never shows as its raw name); and the journey
section, rendered alone (no servers), marks an overdue stop and escapes free text."""

from __future__ import annotations

import enum
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import pytest

from contracts.access import Purpose
from contracts.actions import DeferralReason
from contracts.assessment import IncidentKind, Severity
from contracts.capacity import CapacityCategory
from contracts.common import ActorRef, Kind, Org, State
from contracts.deadline_policy import DeadlineName, DeadlineState, EscalationLevel
from contracts.journey import (
    CancelStopReason,
    DeclineReason,
    Journey,
    RedirectReason,
    RedirectRecord,
    Stop,
    StopKind,
    StopStatus,
)
from contracts.places import Place
from contracts.unit_incidents import InvestigationState, Setting
from contracts.workflow import EventType
from services.handover.board.i18n import CATALOGUE, EN, SV, Translator
from services.handover.board.journey import journey_units, journey_view
from services.handover.board.routes import ENV
from tests.board.helpers import JourneySection

# Every enumeration the board shows in words, by the prefix of its keys.
WORDED: list[tuple[str, type[enum.StrEnum]]] = [
    ("type", EventType),
    ("deadline", DeadlineName),
    ("dstate", DeadlineState),
    ("state", State),
    ("kind", Kind),
    ("purpose", Purpose),
    ("level", EscalationLevel),
    ("incident", IncidentKind),
    ("severity", Severity),
    ("setting", Setting),
    ("investigation", InvestigationState),
    ("category", CapacityCategory),
    ("reason", DeferralReason),
    ("stop_kind", StopKind),
    ("stop_status", StopStatus),
    ("decline_reason", DeclineReason),
    ("cancel_reason", CancelStopReason),
    ("redirect_reason", RedirectReason),
]


@pytest.mark.parametrize("lang", sorted(CATALOGUE))
def test_every_event_type_has_words(lang: str) -> None:
    missing = [e.value for e in EventType if f"type.{e.value}" not in CATALOGUE[lang]]
    assert missing == [], f"{lang}: event types without a label: {missing}"


@pytest.mark.parametrize(("prefix", "values"), WORDED, ids=[p for p, _ in WORDED])
def test_every_shown_value_has_words_in_both_languages(
    prefix: str, values: type[enum.StrEnum]
) -> None:
    for lang, strings in CATALOGUE.items():
        missing = [v.value for v in values if f"{prefix}.{v.value}" not in strings]
        assert missing == [], f"{lang}: {prefix} without words: {missing}"


def test_both_languages_have_the_same_keys() -> None:
    assert set(SV) - set(EN) == set()
    assert set(EN) - set(SV) == set()


BY = ActorRef(sub="test", org=Org.KRIMINALVARDEN, unit="kv-nte-stockholm")
NOW = datetime(2026, 6, 10, 8, 0, tzinfo=UTC)
EVIL = '<script>alert("x")</script>'


def _stop(number: int, status: StopStatus, **fields: Any) -> Stop:
    base = Stop(
        number=number,
        kind=StopKind.LODGING,
        status=status,
        planned_by=BY,
        planned_at=NOW - timedelta(days=1),
    )
    return msgspec.structs.replace(base, **fields)


JOURNEY = Journey(
    stops=(
        # Still there two hours after the planned departure: overdue.
        _stop(
            1,
            StopStatus.REACHED,
            unit="kv-hakte-sundsvall",
            arrive_at=NOW - timedelta(hours=14),
            depart_at=NOW - timedelta(hours=2),
            reached_at=NOW - timedelta(hours=13),
            note=EVIL,
        ),
        # There, but not yet due to leave.
        _stop(
            2,
            StopStatus.REACHED,
            unit="pa-sundsvall",
            arrive_at=NOW - timedelta(hours=1),
            depart_at=NOW + timedelta(hours=1),
            reached_at=NOW - timedelta(hours=1),
        ),
        # Left late is no longer overdue; declined with a reason.
        _stop(
            3,
            StopStatus.DECLINED,
            unit="kv-hakte-kalmar",
            depart_at=NOW - timedelta(hours=5),
            decline_reason=DeclineReason.NO_CAPACITY,
        ),
        _stop(4, StopStatus.ACCEPTED, kind=StopKind.TURNAROUND, place=f"Tingsrätten {EVIL}"),
    ),
    redirects=(
        RedirectRecord(
            number=1,
            from_unit=None,
            to_unit=None,
            from_place=Place(description="Hovrätten"),
            to_place=Place(unit="kv-hakte-goteborg"),
            reason=RedirectReason.COURT_DECISION,
            text=EVIL,
            by=BY,
            at=NOW - timedelta(minutes=30),
        ),
    ),
    return_to="pa-kronoberg",
)
NAMES = {"kv-hakte-sundsvall": "Häktet Sundsvall", "kv-hakte-goteborg": "Häktet Göteborg"}


def _render(lang: str) -> str:
    view = journey_view(JOURNEY, NAMES, NOW)
    return ENV.get_template("journey.html").render(t=Translator(lang), journey=view)


def test_the_units_to_name_are_every_unit_of_the_journey() -> None:
    assert journey_units(JOURNEY) == [
        "kv-hakte-goteborg",
        "kv-hakte-kalmar",
        "kv-hakte-sundsvall",
        "pa-kronoberg",
        "pa-sundsvall",
    ]
    assert journey_view(None, NAMES, NOW) is None
    assert journey_view(Journey(), NAMES, NOW) is None


@pytest.mark.parametrize(
    ("lang", "overdue", "lodging", "turnaround", "reached", "declined", "reason"),
    [
        ("sv", "Försenad", "Övernattning", "Vändpunkt", "På plats", "Avböjd (ingen plats)",
         "Domstolsbeslut"),
        ("en", "Overdue", "Overnight lodging", "Turnaround", "Reached",
         "Declined (no capacity)", "Court decision"),
    ],
)  # fmt: skip
def test_an_overdue_stop_is_marked_and_free_text_is_escaped(
    lang: str,
    overdue: str,
    lodging: str,
    turnaround: str,
    reached: str,
    declined: str,
    reason: str,
) -> None:
    html = _render(lang)
    section = JourneySection.of(html)
    assert section.found
    assert list(section.stops) == ["1", "2", "3", "4"]
    late = section.stops["1"]
    assert "overdue" in late.classes
    assert late.data["status"] == "reached"
    assert overdue in late.text
    for words in (lodging, "Häktet Sundsvall", reached):
        assert words in late.text
    # Planned times in Stockholm time (CEST in June: UTC+2).
    assert "2026-06-09 20:00" in late.text
    assert "2026-06-10 08:00" in late.text
    for number in ("2", "3", "4"):
        line = section.stops[number]
        assert "overdue" not in line.classes, number
        assert overdue not in line.text, number
    assert "pa-sundsvall" in section.stops["2"].text  # no name known: the id
    assert declined in section.stops["3"].text
    assert turnaround in section.stops["4"].text
    assert f"Tingsrätten {EVIL}" in section.stops["4"].text  # shown as text, not markup
    moved = section.redirects["1"].text
    for words in ("Hovrätten", "Häktet Göteborg", reason):
        assert words in moved
    assert "2026-06-10 09:30" in moved
    assert section.return_to == "pa-kronoberg"
    assert section.scripts == 0
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
