"""Swedish legal time, by hand: the calendar rules and the deadline policy at their edges.

Pure and fast: no servers. Every expected instant below was worked out by hand and is written
twice, as the Europe/Stockholm wall-clock time with its offset and as the UTC instant; nothing
is computed with the function under test. Inputs are written as local times with explicit
offsets too, and each is checked to really be a Stockholm wall-clock time (an input with the
wrong offset would silently test something else).

The 2026 daylight-saving changes in Sweden:
- Sunday 29 March 01:00 UTC: 02:00 CET -> 03:00 CEST; that local day has 23 hours.
- Sunday 25 October 01:00 UTC: 03:00 CEST -> 02:00 CET; that local day has 25 hours,
  and 02:00-03:00 happens twice (first at +02:00, then at +01:00).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import msgspec
import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from msgspec.structs import replace

from contracts import calendar
from contracts.api import Assistance, AssistanceCreate, HandoverRecord, TransferCreate
from contracts.common import ActorRef, Kind, Org, State
from contracts.deadlines import (
    BY_NAME,
    POLICY,
    Clocks,
    DeadlineName,
    DeadlineState,
    Due,
    ExtendBody,
    Rule,
    compute,
    warning,
)
from contracts.person import (
    Identity,
    PersonnummerIdentity,
    SamordningsnummerIdentity,
    UnknownIdentity,
)
from services.handover.api.examples import ASSISTANCE_CREATE, TRANSFER_CREATE
from workflows import clock

STHLM = ZoneInfo("Europe/Stockholm")
UTC = ZoneInfo("UTC")
MINUTE = timedelta(minutes=1)
MICROSECOND = timedelta(microseconds=1)


# -- helpers ---------------------------------------------------------------------------------


def sthlm(text: str) -> datetime:
    """A Stockholm wall-clock time written with its offset, e.g. "2026-03-28T22:30:00+01:00".

    Refuses a literal whose offset is not Stockholm's at that wall-clock time.
    """
    written = datetime.fromisoformat(text)
    local = written.astimezone(STHLM)
    assert local.replace(tzinfo=None) == written.replace(tzinfo=None), (
        f"{text} is not a Stockholm wall-clock time (it is {local.isoformat()} there)"
    )
    return local


def instant(text: str) -> datetime:
    """The same literal as an instant in UTC, for arithmetic and equality.

    Python does wall-clock arithmetic on datetimes in a named zone, and never finds a datetime
    in the repeated hour (e.g. 02:30 on 25 October) equal to one in another zone: do both in UTC.
    """
    return sthlm(text).astimezone(UTC)


def assert_instant(result: datetime, local: str, utc: str) -> None:
    """`result` is a UTC datetime and is the instant `local` (Stockholm) and `utc` both name."""
    assert result.tzinfo is not None, "naive result"
    assert result.utcoffset() == timedelta(0), f"result not in UTC: {result.isoformat()}"
    expected_local = sthlm(local)
    expected_utc = datetime.fromisoformat(utc)
    assert expected_utc.utcoffset() == timedelta(0)
    assert expected_local.astimezone(UTC) == expected_utc, f"hand computation: {local} != {utc}"
    assert result.astimezone(STHLM).isoformat() == local
    assert result.isoformat() == utc


# The same instant handed over in the three shapes callers use: a zone-aware local time, UTC
# (what the workflow's clock gives), and a fixed offset (what a decoded RFC 3339 body gives).
FORMS: dict[str, Callable[[datetime], datetime]] = {
    "stockholm": lambda t: t.astimezone(STHLM),
    "utc": lambda t: t.astimezone(UTC),
    "offset": lambda t: t.astimezone(timezone(t.utcoffset() or timedelta(0))),
}


@pytest.fixture(params=sorted(FORMS))
def form(request: pytest.FixtureRequest) -> Callable[[datetime], datetime]:
    shape: Callable[[datetime], datetime] = FORMS[request.param]
    return shape


# -- end of the following calendar day: end_of_day(t, 1) -------------------------------------

END_OF_FOLLOWING_DAY = [
    # (start, due local, due UTC)
    pytest.param(
        "2026-11-27T14:05:00+01:00",
        "2026-11-29T00:00:00+01:00",
        "2026-11-28T23:00:00+00:00",
        id="winter",
    ),
    pytest.param(
        "2026-07-01T12:00:00+02:00",
        "2026-07-03T00:00:00+02:00",
        "2026-07-02T22:00:00+00:00",
        id="summer",
    ),
    # The day before the change ends at 00:00 CET; the day after starts in CEST.
    pytest.param(
        "2026-03-27T08:00:00+01:00",
        "2026-03-29T00:00:00+01:00",
        "2026-03-28T23:00:00+00:00",
        id="following-day-is-eve-of-spring-change",
    ),
    pytest.param(
        "2026-03-28T10:00:00+01:00",
        "2026-03-30T00:00:00+02:00",
        "2026-03-29T22:00:00+00:00",
        id="following-day-has-23-hours",
    ),
    pytest.param(
        "2026-03-29T01:30:00+01:00",
        "2026-03-31T00:00:00+02:00",
        "2026-03-30T22:00:00+00:00",
        id="start-before-the-spring-gap",
    ),
    pytest.param(
        "2026-03-29T03:00:00+02:00",
        "2026-03-31T00:00:00+02:00",
        "2026-03-30T22:00:00+00:00",
        id="start-after-the-spring-gap",
    ),
    pytest.param(
        "2026-10-23T08:00:00+02:00",
        "2026-10-25T00:00:00+02:00",
        "2026-10-24T22:00:00+00:00",
        id="following-day-is-eve-of-autumn-change",
    ),
    pytest.param(
        "2026-10-24T10:00:00+02:00",
        "2026-10-26T00:00:00+01:00",
        "2026-10-25T23:00:00+00:00",
        id="following-day-has-25-hours",
    ),
    pytest.param(
        "2026-10-25T02:30:00+02:00",
        "2026-10-27T00:00:00+01:00",
        "2026-10-26T23:00:00+00:00",
        id="first-02:30-of-autumn-change",
    ),
    pytest.param(
        "2026-10-25T02:30:00+01:00",
        "2026-10-27T00:00:00+01:00",
        "2026-10-26T23:00:00+00:00",
        id="second-02:30-of-autumn-change",
    ),
    # Around midnight: 23:59, 00:00, 00:01 and 00:30 local (00:30 on 1 July is 22:30 UTC on
    # 30 June: a rule that took the UTC date would be a day short).
    pytest.param(
        "2026-06-30T23:59:00+02:00",
        "2026-07-02T00:00:00+02:00",
        "2026-07-01T22:00:00+00:00",
        id="23:59",
    ),
    pytest.param(
        "2026-07-01T00:00:00+02:00",
        "2026-07-03T00:00:00+02:00",
        "2026-07-02T22:00:00+00:00",
        id="00:00",
    ),
    pytest.param(
        "2026-07-01T00:01:00+02:00",
        "2026-07-03T00:00:00+02:00",
        "2026-07-02T22:00:00+00:00",
        id="00:01",
    ),
    pytest.param(
        "2026-07-01T00:30:00+02:00",
        "2026-07-03T00:00:00+02:00",
        "2026-07-02T22:00:00+00:00",
        id="00:30-previous-utc-day",
    ),
    pytest.param(
        "2026-01-15T00:30:00+01:00",
        "2026-01-17T00:00:00+01:00",
        "2026-01-16T23:00:00+00:00",
        id="00:30-winter-previous-utc-day",
    ),
    pytest.param(
        "2026-12-31T23:30:00+01:00",
        "2027-01-02T00:00:00+01:00",
        "2027-01-01T23:00:00+00:00",
        id="new-years-eve",
    ),
    pytest.param(
        "2027-01-01T00:30:00+01:00",  # 23:30 UTC on 31 December 2026
        "2027-01-03T00:00:00+01:00",
        "2027-01-02T23:00:00+00:00",
        id="new-years-day-previous-utc-year",
    ),
    pytest.param(
        "2028-02-27T15:00:00+01:00",
        "2028-02-29T00:00:00+01:00",
        "2028-02-28T23:00:00+00:00",
        id="following-day-is-feb-28-of-leap-year",
    ),
    pytest.param(
        "2028-02-28T15:00:00+01:00",
        "2028-03-01T00:00:00+01:00",
        "2028-02-29T23:00:00+00:00",
        id="following-day-is-leap-day",
    ),
    pytest.param(
        "2026-02-28T15:00:00+01:00",
        "2026-03-02T00:00:00+01:00",
        "2026-03-01T23:00:00+00:00",
        id="feb-28-of-common-year",
    ),
]


@pytest.mark.parametrize(("start", "local", "utc"), END_OF_FOLLOWING_DAY)
def test_end_of_the_following_calendar_day(
    start: str, local: str, utc: str, form: Callable[[datetime], datetime]
) -> None:
    assert_instant(calendar.end_of_day(form(sthlm(start)), 1), local, utc)


def test_end_of_following_day_lasts_37_and_39_hours_over_the_changes() -> None:
    spring = sthlm("2026-03-28T10:00:00+01:00")
    autumn = sthlm("2026-10-24T10:00:00+02:00")
    assert calendar.end_of_day(spring, 1) - spring.astimezone(UTC) == timedelta(hours=14 + 23)
    assert calendar.end_of_day(autumn, 1) - autumn.astimezone(UTC) == timedelta(hours=14 + 25)


# -- end of the same day: end_of_day(t, 0) ---------------------------------------------------

END_OF_SAME_DAY = [
    pytest.param(
        "2026-11-27T14:05:00+01:00",
        "2026-11-28T00:00:00+01:00",
        "2026-11-27T23:00:00+00:00",
        id="winter",
    ),
    pytest.param(
        "2026-03-28T22:00:00+01:00",
        "2026-03-29T00:00:00+01:00",
        "2026-03-28T23:00:00+00:00",
        id="eve-of-spring-change",
    ),
    pytest.param(
        "2026-03-29T00:00:00+01:00",
        "2026-03-30T00:00:00+02:00",
        "2026-03-29T22:00:00+00:00",
        id="23-hour-day-at-00:00",
    ),
    pytest.param(
        "2026-03-29T01:59:00+01:00",
        "2026-03-30T00:00:00+02:00",
        "2026-03-29T22:00:00+00:00",
        id="23-hour-day-before-gap",
    ),
    pytest.param(
        "2026-03-29T03:00:00+02:00",
        "2026-03-30T00:00:00+02:00",
        "2026-03-29T22:00:00+00:00",
        id="23-hour-day-after-gap",
    ),
    pytest.param(
        "2026-10-25T00:00:00+02:00",
        "2026-10-26T00:00:00+01:00",
        "2026-10-25T23:00:00+00:00",
        id="25-hour-day-at-00:00",
    ),
    pytest.param(
        "2026-10-25T02:30:00+02:00",
        "2026-10-26T00:00:00+01:00",
        "2026-10-25T23:00:00+00:00",
        id="25-hour-day-first-02:30",
    ),
    pytest.param(
        "2026-10-25T02:30:00+01:00",
        "2026-10-26T00:00:00+01:00",
        "2026-10-25T23:00:00+00:00",
        id="25-hour-day-second-02:30",
    ),
    pytest.param(
        "2026-10-25T23:59:00+01:00",
        "2026-10-26T00:00:00+01:00",
        "2026-10-25T23:00:00+00:00",
        id="25-hour-day-at-23:59",
    ),
    pytest.param(
        "2026-06-30T23:59:00+02:00",
        "2026-07-01T00:00:00+02:00",
        "2026-06-30T22:00:00+00:00",
        id="23:59",
    ),
    # 00:00 starts a day: the end of that day is the next midnight, not the instant itself.
    pytest.param(
        "2026-07-01T00:00:00+02:00",
        "2026-07-02T00:00:00+02:00",
        "2026-07-01T22:00:00+00:00",
        id="00:00",
    ),
    pytest.param(
        "2026-07-01T00:01:00+02:00",
        "2026-07-02T00:00:00+02:00",
        "2026-07-01T22:00:00+00:00",
        id="00:01",
    ),
    pytest.param(
        "2026-07-01T00:30:00+02:00",
        "2026-07-02T00:00:00+02:00",
        "2026-07-01T22:00:00+00:00",
        id="00:30-previous-utc-day",
    ),
    pytest.param(
        "2026-12-31T23:30:00+01:00",
        "2027-01-01T00:00:00+01:00",
        "2026-12-31T23:00:00+00:00",
        id="new-years-eve",
    ),
    pytest.param(
        "2028-02-28T15:00:00+01:00",
        "2028-02-29T00:00:00+01:00",
        "2028-02-28T23:00:00+00:00",
        id="feb-28-of-leap-year",
    ),
    pytest.param(
        "2028-02-29T15:00:00+01:00",
        "2028-03-01T00:00:00+01:00",
        "2028-02-29T23:00:00+00:00",
        id="leap-day",
    ),
]


@pytest.mark.parametrize(("start", "local", "utc"), END_OF_SAME_DAY)
def test_end_of_the_same_day(
    start: str, local: str, utc: str, form: Callable[[datetime], datetime]
) -> None:
    assert_instant(calendar.end_of_day(form(sthlm(start)), 0), local, utc)


# -- 12:00 on the third day after: noon_on_day_after(t, 3) -----------------------------------

NOON_ON_THIRD_DAY = [
    pytest.param(
        "2026-11-27T14:05:00+01:00",
        "2026-11-30T12:00:00+01:00",
        "2026-11-30T11:00:00+00:00",
        id="friday-to-monday",
    ),
    pytest.param(
        "2026-11-27T12:00:00+01:00",
        "2026-11-30T12:00:00+01:00",
        "2026-11-30T11:00:00+00:00",
        id="start-at-noon",
    ),
    pytest.param(
        "2026-03-26T08:00:00+01:00",
        "2026-03-29T12:00:00+02:00",
        "2026-03-29T10:00:00+00:00",
        id="third-day-is-the-23-hour-day",
    ),
    pytest.param(
        "2026-03-27T15:00:00+01:00",
        "2026-03-30T12:00:00+02:00",
        "2026-03-30T10:00:00+00:00",
        id="across-spring-change",
    ),
    pytest.param(
        "2026-10-22T08:00:00+02:00",
        "2026-10-25T12:00:00+01:00",
        "2026-10-25T11:00:00+00:00",
        id="third-day-is-the-25-hour-day",
    ),
    pytest.param(
        "2026-10-23T15:00:00+02:00",
        "2026-10-26T12:00:00+01:00",
        "2026-10-26T11:00:00+00:00",
        id="across-autumn-change",
    ),
    pytest.param(
        "2026-06-30T23:59:00+02:00",
        "2026-07-03T12:00:00+02:00",
        "2026-07-03T10:00:00+00:00",
        id="23:59",
    ),
    pytest.param(
        "2026-07-01T00:00:00+02:00",
        "2026-07-04T12:00:00+02:00",
        "2026-07-04T10:00:00+00:00",
        id="00:00",
    ),
    pytest.param(
        "2026-07-01T00:01:00+02:00",
        "2026-07-04T12:00:00+02:00",
        "2026-07-04T10:00:00+00:00",
        id="00:01",
    ),
    pytest.param(
        "2026-07-01T00:30:00+02:00",
        "2026-07-04T12:00:00+02:00",
        "2026-07-04T10:00:00+00:00",
        id="00:30-previous-utc-day",
    ),
    pytest.param(
        "2026-12-30T10:00:00+01:00",
        "2027-01-02T12:00:00+01:00",
        "2027-01-02T11:00:00+00:00",
        id="across-new-year",
    ),
    pytest.param(
        "2026-12-30T23:59:00+01:00",
        "2027-01-02T12:00:00+01:00",
        "2027-01-02T11:00:00+00:00",
        id="across-new-year-23:59",
    ),
    pytest.param(
        "2028-02-26T09:00:00+01:00",
        "2028-02-29T12:00:00+01:00",
        "2028-02-29T11:00:00+00:00",
        id="third-day-is-leap-day",
    ),
    pytest.param(
        "2028-02-27T09:00:00+01:00",
        "2028-03-01T12:00:00+01:00",
        "2028-03-01T11:00:00+00:00",
        id="across-leap-day",
    ),
    pytest.param(
        "2026-02-26T09:00:00+01:00",
        "2026-03-01T12:00:00+01:00",
        "2026-03-01T11:00:00+00:00",
        id="across-feb-28-of-common-year",
    ),
]


@pytest.mark.parametrize(("start", "local", "utc"), NOON_ON_THIRD_DAY)
def test_noon_on_the_third_day_after(
    start: str, local: str, utc: str, form: Callable[[datetime], datetime]
) -> None:
    assert_instant(calendar.noon_on_day_after(form(sthlm(start)), 3), local, utc)


# -- real elapsed hours: elapsed_hours(t, h) --------------------------------------------------

ELAPSED = [
    # (start, hours, due local, due UTC)
    pytest.param(
        "2026-11-27T14:05:00+01:00",
        96,
        "2026-12-01T14:05:00+01:00",
        "2026-12-01T13:05:00+00:00",
        id="96h-winter",
    ),
    # One wall-clock hour later than naive local arithmetic would say.
    pytest.param(
        "2026-03-28T22:30:00+01:00",
        96,
        "2026-04-01T23:30:00+02:00",
        "2026-04-01T21:30:00+00:00",
        id="96h-across-spring-change",
    ),
    # One wall-clock hour earlier than naive local arithmetic would say.
    pytest.param(
        "2026-10-24T22:30:00+02:00",
        96,
        "2026-10-28T21:30:00+01:00",
        "2026-10-28T20:30:00+00:00",
        id="96h-across-autumn-change",
    ),
    pytest.param(
        "2026-10-25T02:30:00+02:00",
        96,
        "2026-10-29T01:30:00+01:00",
        "2026-10-29T00:30:00+00:00",
        id="96h-from-first-02:30",
    ),
    pytest.param(
        "2026-10-25T02:30:00+01:00",
        96,
        "2026-10-29T02:30:00+01:00",
        "2026-10-29T01:30:00+00:00",
        id="96h-from-second-02:30",
    ),
    pytest.param(
        "2026-07-01T00:30:00+02:00",
        96,
        "2026-07-05T00:30:00+02:00",
        "2026-07-04T22:30:00+00:00",
        id="96h-from-00:30",
    ),
    pytest.param(
        "2026-12-30T10:00:00+01:00",
        96,
        "2027-01-03T10:00:00+01:00",
        "2027-01-03T09:00:00+00:00",
        id="96h-across-new-year",
    ),
    pytest.param(
        "2028-02-27T12:00:00+01:00",
        96,
        "2028-03-02T12:00:00+01:00",
        "2028-03-02T11:00:00+00:00",
        id="96h-across-leap-day",
    ),
    pytest.param(
        "2026-03-28T22:30:00+01:00",
        72,
        "2026-03-31T23:30:00+02:00",
        "2026-03-31T21:30:00+00:00",
        id="72h-across-spring-change",
    ),
    pytest.param(
        "2026-03-29T01:30:00+01:00",
        2,
        "2026-03-29T04:30:00+02:00",
        "2026-03-29T02:30:00+00:00",
        id="2h-over-the-spring-gap",
    ),
    pytest.param(
        "2026-10-25T01:30:00+02:00",
        2,
        "2026-10-25T02:30:00+01:00",
        "2026-10-25T01:30:00+00:00",
        id="2h-into-the-repeated-hour",
    ),
    pytest.param(
        "2026-11-28T09:41:00+01:00",
        0.25,
        "2026-11-28T09:56:00+01:00",
        "2026-11-28T08:56:00+00:00",
        id="15-minutes",
    ),
]


@pytest.mark.parametrize(("start", "hours", "local", "utc"), ELAPSED)
def test_elapsed_hours(
    start: str, hours: float, local: str, utc: str, form: Callable[[datetime], datetime]
) -> None:
    assert_instant(calendar.elapsed_hours(form(sthlm(start)), hours), local, utc)


# -- the same local time some days later: calendar_days(t, n) --------------------------------

CALENDAR_DAYS = [
    pytest.param(
        "2026-11-28T09:42:00+01:00",
        7,
        "2026-12-05T09:42:00+01:00",
        "2026-12-05T08:42:00+00:00",
        id="7d-winter",
    ),
    # Wall-clock time kept: the week is 167 real hours...
    pytest.param(
        "2026-03-25T09:00:00+01:00",
        7,
        "2026-04-01T09:00:00+02:00",
        "2026-04-01T07:00:00+00:00",
        id="7d-across-spring-change",
    ),
    # ...or 169.
    pytest.param(
        "2026-10-20T09:00:00+02:00",
        7,
        "2026-10-27T09:00:00+01:00",
        "2026-10-27T08:00:00+00:00",
        id="7d-across-autumn-change",
    ),
    pytest.param(
        "2026-07-01T00:30:00+02:00",
        7,
        "2026-07-08T00:30:00+02:00",
        "2026-07-07T22:30:00+00:00",
        id="7d-from-00:30",
    ),
    pytest.param(
        "2028-02-29T10:00:00+01:00",
        7,
        "2028-03-07T10:00:00+01:00",
        "2028-03-07T09:00:00+00:00",
        id="7d-from-leap-day",
    ),
    # 02:30 does not exist on 29 March: the clock has jumped, so it reads 03:30 CEST
    # (the same as 01:30 UTC, i.e. 02:30 CET continued), not 01:30 local.
    pytest.param(
        "2026-03-22T02:30:00+01:00",
        7,
        "2026-03-29T03:30:00+02:00",
        "2026-03-29T01:30:00+00:00",
        id="7d-into-the-spring-gap",
    ),
    # 02:30 happens twice on 25 October: the first (earlier) one.
    pytest.param(
        "2026-10-18T02:30:00+02:00",
        7,
        "2026-10-25T02:30:00+02:00",
        "2026-10-25T00:30:00+00:00",
        id="7d-into-the-repeated-hour",
    ),
    pytest.param(
        "2026-03-15T14:00:00+01:00",
        30,
        "2026-04-14T14:00:00+02:00",
        "2026-04-14T12:00:00+00:00",
        id="30d-across-spring-change",
    ),
    pytest.param(
        "2026-10-10T14:00:00+02:00",
        30,
        "2026-11-09T14:00:00+01:00",
        "2026-11-09T13:00:00+00:00",
        id="30d-across-autumn-change",
    ),
    pytest.param(
        "2026-12-15T08:00:00+01:00",
        30,
        "2027-01-14T08:00:00+01:00",
        "2027-01-14T07:00:00+00:00",
        id="30d-across-new-year",
    ),
    pytest.param(
        "2028-02-01T10:00:00+01:00",
        30,
        "2028-03-02T10:00:00+01:00",
        "2028-03-02T09:00:00+00:00",
        id="30d-over-february-of-leap-year",
    ),
    pytest.param(
        "2026-02-01T10:00:00+01:00",
        30,
        "2026-03-03T10:00:00+01:00",
        "2026-03-03T09:00:00+00:00",
        id="30d-over-february-of-common-year",
    ),
    pytest.param(
        "2026-11-30T16:00:00+01:00",
        730,
        "2028-11-29T16:00:00+01:00",
        "2028-11-29T15:00:00+00:00",
        id="730d-over-a-leap-year",
    ),
]


@pytest.mark.parametrize(("start", "days", "local", "utc"), CALENDAR_DAYS)
def test_calendar_days_keep_the_wall_clock_time(
    start: str, days: int, local: str, utc: str, form: Callable[[datetime], datetime]
) -> None:
    assert_instant(calendar.calendar_days(form(sthlm(start)), days), local, utc)


# -- fraction_between (the 75 % warning) -------------------------------------------------------

FRACTIONS = [
    # (start, due, fraction, instant local, instant UTC)
    pytest.param(
        "2026-03-28T22:30:00+01:00",
        "2026-04-01T23:30:00+02:00",
        0.75,
        "2026-03-31T23:30:00+02:00",
        "2026-03-31T21:30:00+00:00",
        id="72-of-96h-across-spring-change",
    ),
    pytest.param(
        "2026-10-24T22:30:00+02:00",
        "2026-10-28T21:30:00+01:00",
        0.75,
        "2026-10-27T21:30:00+01:00",
        "2026-10-27T20:30:00+00:00",
        id="72-of-96h-across-autumn-change",
    ),
    # 68 real hours (one lost in the spring change): the warning after 51.
    pytest.param(
        "2026-03-27T15:00:00+01:00",
        "2026-03-30T12:00:00+02:00",
        0.75,
        "2026-03-29T19:00:00+02:00",
        "2026-03-29T17:00:00+00:00",
        id="detention-request-68h",
    ),
    pytest.param(
        "2026-11-27T14:05:00+01:00",
        "2026-11-27T16:05:00+01:00",
        0.75,
        "2026-11-27T15:35:00+01:00",
        "2026-11-27T14:35:00+00:00",
        id="response-1h30-of-2h",
    ),
    pytest.param(
        "2026-11-28T09:41:00+01:00",
        "2026-11-28T09:56:00+01:00",
        0.75,
        "2026-11-28T09:52:15+01:00",
        "2026-11-28T08:52:15+00:00",
        id="custody-gap-11m15s-of-15m",
    ),
    pytest.param(
        "2026-06-30T23:00:00+02:00",
        "2026-07-01T01:00:00+02:00",
        0.5,
        "2026-07-01T00:00:00+02:00",
        "2026-06-30T22:00:00+00:00",
        id="half-way-at-local-midnight",
    ),
    pytest.param(
        "2026-11-27T14:05:00+01:00",
        "2026-11-27T16:05:00+01:00",
        0.0,
        "2026-11-27T14:05:00+01:00",
        "2026-11-27T13:05:00+00:00",
        id="fraction-0-is-the-start",
    ),
    pytest.param(
        "2026-11-27T14:05:00+01:00",
        "2026-11-27T16:05:00+01:00",
        1.0,
        "2026-11-27T16:05:00+01:00",
        "2026-11-27T15:05:00+00:00",
        id="fraction-1-is-the-due",
    ),
    pytest.param(
        "2026-11-27T14:05:00+01:00",
        "2026-11-27T14:05:00+01:00",
        0.75,
        "2026-11-27T14:05:00+01:00",
        "2026-11-27T13:05:00+00:00",
        id="empty-interval",
    ),
]


@pytest.mark.parametrize(("start", "due_at", "fraction", "local", "utc"), FRACTIONS)
def test_fraction_between(
    start: str,
    due_at: str,
    fraction: float,
    local: str,
    utc: str,
    form: Callable[[datetime], datetime],
) -> None:
    result = calendar.fraction_between(form(sthlm(start)), form(sthlm(due_at)), fraction)
    assert_instant(result, local, utc)


# -- every entry of the policy: compute() and warning() ---------------------------------------

POLICY_CASES: dict[DeadlineName, tuple[str, str, str, str, str]] = {
    # name: (start, due local, due UTC, warning local, warning UTC)
    # Remand: warning at 24:00 the same local day, due at 24:00 the next (the 23-hour day).
    DeadlineName.REMAND_TO_REMAND_PRISON: (
        "2026-03-28T10:00:00+01:00",
        "2026-03-30T00:00:00+02:00",
        "2026-03-29T22:00:00+00:00",
        "2026-03-29T00:00:00+01:00",
        "2026-03-28T23:00:00+00:00",
    ),
    # +96 h real time over the autumn change; warning after 72 h.
    DeadlineName.DETENTION_HEARING: (
        "2026-10-24T22:30:00+02:00",
        "2026-10-28T21:30:00+01:00",
        "2026-10-28T20:30:00+00:00",
        "2026-10-27T21:30:00+01:00",
        "2026-10-27T20:30:00+00:00",
    ),
    # 12:00 on the third day over the spring change (68 h); warning after 51 h.
    DeadlineName.DETENTION_REQUEST: (
        "2026-03-27T15:00:00+01:00",
        "2026-03-30T12:00:00+02:00",
        "2026-03-30T10:00:00+00:00",
        "2026-03-29T19:00:00+02:00",
        "2026-03-29T17:00:00+00:00",
    ),
    # +2 h; warning at 1 h 30 min.
    DeadlineName.RESPONSE: (
        "2026-11-27T14:05:00+01:00",
        "2026-11-27T16:05:00+01:00",
        "2026-11-27T15:05:00+00:00",
        "2026-11-27T15:35:00+01:00",
        "2026-11-27T14:35:00+00:00",
    ),
    # LVM like the remand rule; a request at 23:59 warns one minute later, and the following
    # day is the 25-hour day.
    DeadlineName.LVM_TRANSPORT_START: (
        "2026-10-24T23:59:00+02:00",
        "2026-10-26T00:00:00+01:00",
        "2026-10-25T23:00:00+00:00",
        "2026-10-25T00:00:00+02:00",
        "2026-10-24T22:00:00+00:00",
    ),
    # +72 h real time over the spring change; warning after 54 h.
    DeadlineName.UTL_PLACEMENT: (
        "2026-03-28T22:30:00+01:00",
        "2026-03-31T23:30:00+02:00",
        "2026-03-31T21:30:00+00:00",
        "2026-03-31T05:30:00+02:00",
        "2026-03-31T03:30:00+00:00",
    ),
    # 7 calendar days = 167 real hours here; warning after 125 h 15 min.
    DeadlineName.PRISON_PLACE_TARGET: (
        "2026-03-25T09:00:00+01:00",
        "2026-04-01T09:00:00+02:00",
        "2026-04-01T07:00:00+00:00",
        "2026-03-30T15:15:00+02:00",
        "2026-03-30T13:15:00+00:00",
    ),
    # 30 calendar days = 721 real hours here; warning after 540 h 45 min.
    DeadlineName.PRISON_PLACE_ABSOLUTE: (
        "2026-10-10T14:00:00+02:00",
        "2026-11-09T14:00:00+01:00",
        "2026-11-09T13:00:00+00:00",
        "2026-11-02T01:45:00+01:00",
        "2026-11-02T00:45:00+00:00",
    ),
    # +15 min; warning at 11 min 15 s.
    DeadlineName.CUSTODY_GAP: (
        "2026-11-28T09:41:00+01:00",
        "2026-11-28T09:56:00+01:00",
        "2026-11-28T08:56:00+00:00",
        "2026-11-28T09:52:15+01:00",
        "2026-11-28T08:52:15+00:00",
    ),
    # The same day: the 23-hour day, 22 real hours left at 01:00; warning after 16 h 30 min.
    DeadlineName.INCIDENT_REPORT: (
        "2026-03-29T01:00:00+01:00",
        "2026-03-30T00:00:00+02:00",
        "2026-03-29T22:00:00+00:00",
        "2026-03-29T18:30:00+02:00",
        "2026-03-29T16:30:00+00:00",
    ),
    # 730 calendar days (over 29 February 2028); warning at 99 %, 175 h 12 min before.
    DeadlineName.ERASURE: (
        "2026-11-30T16:00:00+01:00",
        "2028-11-29T16:00:00+01:00",
        "2028-11-29T15:00:00+00:00",
        "2028-11-22T08:48:00+01:00",
        "2028-11-22T07:48:00+00:00",
    ),
}

WALL_CLOCK_RULES = frozenset({Rule.END_OF_DAY, Rule.NOON_ON_DAY_AFTER, Rule.CALENDAR_DAYS})


def test_every_policy_entry_has_a_hand_computed_case() -> None:
    assert set(POLICY_CASES) == {entry.name for entry in POLICY}
    assert len(POLICY) == len(BY_NAME)


def test_the_wall_clock_entries_are_the_ones_domain_md_names() -> None:
    wall_clock = {
        entry.name
        for entry in POLICY
        if entry.due.rule in WALL_CLOCK_RULES
        or (isinstance(entry.warn, Due) and entry.warn.rule in WALL_CLOCK_RULES)
    }
    assert wall_clock == {
        DeadlineName.REMAND_TO_REMAND_PRISON,
        DeadlineName.DETENTION_REQUEST,
        DeadlineName.LVM_TRANSPORT_START,
        DeadlineName.PRISON_PLACE_TARGET,
        DeadlineName.PRISON_PLACE_ABSOLUTE,
        DeadlineName.INCIDENT_REPORT,
        DeadlineName.ERASURE,
    }


@pytest.mark.parametrize("name", sorted(POLICY_CASES))
def test_policy_entry_due_and_warning(
    name: DeadlineName, form: Callable[[datetime], datetime]
) -> None:
    start, due_local, due_utc, warn_local, warn_utc = POLICY_CASES[name]
    entry = BY_NAME[name]
    started = form(sthlm(start))
    due_at = compute(entry.due, started)
    assert_instant(due_at, due_local, due_utc)
    assert_instant(warning(entry, started, due_at), warn_local, warn_utc)


@pytest.mark.parametrize("name", sorted(POLICY_CASES))
def test_policy_entry_through_the_engine_with_default_clocks(name: DeadlineName) -> None:
    """`_new` applies the deployment's clocks; the defaults are the policy's values."""
    start, due_local, due_utc, warn_local, warn_utc = POLICY_CASES[name]
    deadline = clock._new(name, sthlm(start).astimezone(UTC), Clocks())
    assert_instant(deadline.due_at, due_local, due_utc)
    assert_instant(deadline.warn_at, warn_local, warn_utc)
    assert deadline.state == DeadlineState.RUNNING
    assert deadline.legal == BY_NAME[name].legal


def test_configured_operational_clocks() -> None:
    clocks = Clocks(
        response_seconds=1000, custody_gap_seconds=600, incident_report_days=1, retention_days=365
    )
    start = sthlm("2026-10-25T01:50:00+02:00")  # 23:50 UTC on 24 October
    response = clock._new(DeadlineName.RESPONSE, start, clocks)
    assert_instant(response.due_at, "2026-10-25T02:06:40+02:00", "2026-10-25T00:06:40+00:00")
    assert_instant(response.warn_at, "2026-10-25T02:02:30+02:00", "2026-10-25T00:02:30+00:00")
    gap = clock._new(DeadlineName.CUSTODY_GAP, start, clocks)
    assert_instant(gap.due_at, "2026-10-25T02:00:00+02:00", "2026-10-25T00:00:00+00:00")
    assert_instant(gap.warn_at, "2026-10-25T01:57:30+02:00", "2026-10-24T23:57:30+00:00")
    report = clock._new(DeadlineName.INCIDENT_REPORT, start, clocks)
    assert_instant(report.due_at, "2026-10-27T00:00:00+01:00", "2026-10-26T23:00:00+00:00")
    erasure = clock._new(DeadlineName.ERASURE, start, clocks)
    assert_instant(erasure.due_at, "2027-10-25T01:50:00+02:00", "2027-10-24T23:50:00+00:00")


# -- records through workflows.clock.start(): the edge minutes --------------------------------

OFFICER = ActorRef(sub="officer-1", org=Org.POLISEN, unit="pa-kronoberg")
ADULT = {"type": "personnummer", "number": "19121212-1212"}


def transfer_record(
    *,
    decided_at: datetime,
    apprehended_at: datetime | None = None,
    arrested_at: datetime | None = None,
    kind: str = "remand_decision",
) -> HandoverRecord:
    data: dict[str, Any] = dict(TRANSFER_CREATE)
    data["decision"] = dict(TRANSFER_CREATE["decision"], kind=kind, decided_at=decided_at)
    body = msgspec.convert(data, TransferCreate)
    body = replace(body, apprehended_at=apprehended_at, arrested_at=arrested_at)
    return HandoverRecord(
        id="00000000-0000-4000-8000-000000000001",
        reference="HO-TEST-CAL",
        kind=Kind.TRANSFER,
        state=State.REQUESTED,
        version=0,
        person=body.person,
        from_unit=body.from_unit,
        to_unit=body.to_unit,
        decision=body.decision,
        restrictions=body.restrictions,
        relatives_notified=body.relatives_notified,
        notes=body.notes,
        responsible=None,
        custody_chain=[],
        created_by=OFFICER,
        created_at=decided_at,
        updated_at=decided_at,
        apprehended_at=body.apprehended_at,
        arrested_at=body.arrested_at,
    )


def assistance_record(
    *,
    legal_basis: str,
    created_at: datetime,
    placed_at: datetime | None = None,
    identity: dict[str, str] | None = None,
) -> HandoverRecord:
    data: dict[str, Any] = dict(ASSISTANCE_CREATE, legal_basis=legal_basis)
    if identity is not None:
        data["person"] = dict(ASSISTANCE_CREATE["person"], identity=identity)
    body = replace(msgspec.convert(data, AssistanceCreate), placed_at=placed_at)
    return HandoverRecord(
        id="00000000-0000-4000-8000-000000000002",
        reference="HO-TEST-CAL-A",
        kind=Kind.ENFORCEMENT_ASSISTANCE,
        state=State.REQUESTED,
        version=0,
        person=body.person,
        from_unit=body.origin.unit,
        to_unit=body.destination.unit,
        decision=body.decision,
        restrictions=body.restrictions,
        relatives_notified=body.relatives_notified,
        notes=body.notes,
        responsible=None,
        custody_chain=[],
        created_by=OFFICER,
        created_at=created_at,
        updated_at=created_at,
        requesting_unit=body.requesting_unit,
        executing_unit=body.executing_unit,
        assistance=Assistance(
            legal_basis=body.legal_basis,
            order_type=body.order_type,
            origin=body.origin,
            destination=body.destination,
        ),
        placed_at=body.placed_at,
    )


def reported(record: HandoverRecord, deadline_id: str, now: datetime) -> str | None:
    """What `due()` says about one deadline at `now`: "warn", "breach" or nothing."""
    found = {deadline.id: what for deadline, what in clock.due(record, now)}
    return found.get(deadline_id)


def assert_edges(
    record: HandoverRecord,
    deadline_id: str,
    warn: tuple[str, str],
    due: tuple[str, str],
) -> None:
    """The warning and the breach come exactly at their instants, not a minute (or µs) early."""
    deadline = next(d for d in record.deadlines if d.id == deadline_id)
    assert_instant(deadline.warn_at, *warn)
    assert_instant(deadline.due_at, *due)
    warn_at, due_at = instant(warn[0]), instant(due[0])
    for early in (MINUTE, MICROSECOND):
        assert reported(record, deadline_id, warn_at - early) is None
        assert reported(record, deadline_id, due_at - early) == "warn"
    assert reported(record, deadline_id, warn_at) == "warn"
    assert reported(record, deadline_id, due_at) == "breach"
    assert reported(record, deadline_id, due_at + timedelta(days=400)) == "breach"
    # Once warned, nothing more until the due minute; then the breach.
    change = clock.fire(record, deadline, "warn", warn_at)
    assert change.events[0].occurred_at == deadline.warn_at
    warned = change.record
    assert reported(warned, deadline_id, due_at - MINUTE) is None
    assert reported(warned, deadline_id, due_at - MICROSECOND) is None
    assert reported(warned, deadline_id, due_at) == "breach"
    breach = clock.fire(warned, deadline, "breach", due_at)
    assert breach.events[0].occurred_at == deadline.due_at


def test_remand_decision_edges_over_the_spring_change() -> None:
    """Warning at 24:00 the decision's local day, breach at 24:00 the next (23 hours long)."""
    created = datetime(2026, 3, 28, 9, 30, tzinfo=UTC)  # 10:30 CET
    record = clock.start(
        transfer_record(decided_at=sthlm("2026-03-28T10:00:00+01:00")), Clocks(), created
    )
    assert {d.id for d in record.deadlines} == {"remand_to_remand_prison", "response"}
    assert_edges(
        record,
        "remand_to_remand_prison",
        warn=("2026-03-29T00:00:00+01:00", "2026-03-28T23:00:00+00:00"),
        due=("2026-03-30T00:00:00+02:00", "2026-03-29T22:00:00+00:00"),
    )
    assert_edges(
        record,
        "response",
        warn=("2026-03-28T12:00:00+01:00", "2026-03-28T11:00:00+00:00"),
        due=("2026-03-28T12:30:00+01:00", "2026-03-28T11:30:00+00:00"),
    )
    assert clock.next_moment(record) == instant("2026-03-28T12:00:00+01:00")


def test_remand_decision_edges_over_the_autumn_change() -> None:
    created = datetime(2026, 10, 24, 8, 0, tzinfo=UTC)
    record = clock.start(
        transfer_record(decided_at=sthlm("2026-10-24T10:00:00+02:00")), Clocks(), created
    )
    assert_edges(
        record,
        "remand_to_remand_prison",
        warn=("2026-10-25T00:00:00+02:00", "2026-10-24T22:00:00+00:00"),
        due=("2026-10-26T00:00:00+01:00", "2026-10-25T23:00:00+00:00"),
    )


@pytest.mark.parametrize(
    ("decided_at", "warn", "due"),
    [
        pytest.param(
            datetime(2026, 6, 30, 23, 59, tzinfo=STHLM),
            ("2026-07-01T00:00:00+02:00", "2026-06-30T22:00:00+00:00"),
            ("2026-07-02T00:00:00+02:00", "2026-07-01T22:00:00+00:00"),
            id="23:59-local",
        ),
        pytest.param(
            datetime(2026, 7, 1, 0, 0, tzinfo=STHLM),
            ("2026-07-02T00:00:00+02:00", "2026-07-01T22:00:00+00:00"),
            ("2026-07-03T00:00:00+02:00", "2026-07-02T22:00:00+00:00"),
            id="00:00-local",
        ),
        pytest.param(
            datetime(2026, 7, 1, 0, 1, tzinfo=STHLM),
            ("2026-07-02T00:00:00+02:00", "2026-07-01T22:00:00+00:00"),
            ("2026-07-03T00:00:00+02:00", "2026-07-02T22:00:00+00:00"),
            id="00:01-local",
        ),
        # 00:30 local on 1 July given in UTC, where it is still 30 June.
        pytest.param(
            datetime(2026, 6, 30, 22, 30, tzinfo=UTC),
            ("2026-07-02T00:00:00+02:00", "2026-07-01T22:00:00+00:00"),
            ("2026-07-03T00:00:00+02:00", "2026-07-02T22:00:00+00:00"),
            id="00:30-local-as-utc",
        ),
        pytest.param(
            datetime(2026, 6, 30, 21, 59, tzinfo=UTC),
            ("2026-07-01T00:00:00+02:00", "2026-06-30T22:00:00+00:00"),
            ("2026-07-02T00:00:00+02:00", "2026-07-01T22:00:00+00:00"),
            id="23:59-local-as-utc",
        ),
        pytest.param(
            datetime(2026, 12, 31, 23, 30, tzinfo=STHLM),
            ("2027-01-01T00:00:00+01:00", "2026-12-31T23:00:00+00:00"),
            ("2027-01-02T00:00:00+01:00", "2027-01-01T23:00:00+00:00"),
            id="new-years-eve",
        ),
    ],
)
def test_remand_decision_around_midnight(
    decided_at: datetime, warn: tuple[str, str], due: tuple[str, str]
) -> None:
    created = decided_at.astimezone(UTC) + timedelta(minutes=5)
    record = clock.start(transfer_record(decided_at=decided_at), Clocks(), created)
    assert_edges(record, "remand_to_remand_prison", warn, due)


def test_detention_clocks_edges_when_the_remand_decision_came_late() -> None:
    """Hearing at +96 h real time, request at 12:00 on the third day; both over 25 October.

    The remand decision came after both: neither clock is met, both stay open.
    """
    record = clock.start(
        transfer_record(
            decided_at=sthlm("2026-10-27T13:00:00+01:00"),
            apprehended_at=sthlm("2026-10-23T13:00:00+02:00"),
            arrested_at=sthlm("2026-10-23T15:00:00+02:00"),
        ),
        Clocks(),
        datetime(2026, 10, 27, 12, 30, tzinfo=UTC),
    )
    assert_edges(
        record,
        "detention_hearing",
        warn=("2026-10-26T12:00:00+01:00", "2026-10-26T11:00:00+00:00"),
        due=("2026-10-27T12:00:00+01:00", "2026-10-27T11:00:00+00:00"),
    )
    # 70 real hours (the autumn hour added): the warning after 52 h 30 min.
    assert_edges(
        record,
        "detention_request",
        warn=("2026-10-25T18:30:00+01:00", "2026-10-25T17:30:00+00:00"),
        due=("2026-10-26T12:00:00+01:00", "2026-10-26T11:00:00+00:00"),
    )


def test_detention_clocks_are_met_by_a_timely_remand_decision() -> None:
    decided = sthlm("2026-03-30T11:59:00+02:00")  # one minute before the request's due
    record = clock.start(
        transfer_record(
            decided_at=decided,
            apprehended_at=sthlm("2026-03-27T13:00:00+01:00"),
            arrested_at=sthlm("2026-03-27T15:00:00+01:00"),
        ),
        Clocks(),
        datetime(2026, 3, 30, 10, 0, tzinfo=UTC),
    )
    by_id = {d.id: d for d in record.deadlines}
    assert_instant(
        by_id["detention_request"].due_at, "2026-03-30T12:00:00+02:00", "2026-03-30T10:00:00+00:00"
    )
    assert_instant(
        by_id["detention_hearing"].due_at, "2026-03-31T14:00:00+02:00", "2026-03-31T12:00:00+00:00"
    )
    for name in ("detention_request", "detention_hearing"):
        assert by_id[name].state == DeadlineState.MET
        assert by_id[name].met_at == decided
        assert reported(record, name, datetime(2026, 4, 30, tzinfo=UTC)) is None


def test_lvm_transport_start_edges_from_a_request_at_23_59() -> None:
    created = datetime(2026, 10, 24, 21, 59, tzinfo=UTC)  # 23:59 CEST
    record = clock.start(
        assistance_record(legal_basis="lvm_45", created_at=created), Clocks(), created
    )
    assert {d.id for d in record.deadlines} == {"lvm_transport_start", "response"}
    assert_edges(
        record,
        "lvm_transport_start",
        warn=("2026-10-25T00:00:00+02:00", "2026-10-24T22:00:00+00:00"),
        due=("2026-10-26T00:00:00+01:00", "2026-10-25T23:00:00+00:00"),
    )
    assert_edges(
        record,
        "response",
        warn=("2026-10-25T01:29:00+02:00", "2026-10-24T23:29:00+00:00"),
        due=("2026-10-25T01:59:00+02:00", "2026-10-24T23:59:00+00:00"),
    )
    assert clock.next_moment(record) == instant("2026-10-25T00:00:00+02:00")


def test_lvm_transport_start_edges_over_the_spring_change() -> None:
    created = datetime(2026, 3, 28, 0, 0, tzinfo=UTC)  # 01:00 CET on 28 March
    record = clock.start(
        assistance_record(legal_basis="lvm_45", created_at=created), Clocks(), created
    )
    assert_edges(
        record,
        "lvm_transport_start",
        warn=("2026-03-29T00:00:00+01:00", "2026-03-28T23:00:00+00:00"),
        due=("2026-03-30T00:00:00+02:00", "2026-03-29T22:00:00+00:00"),
    )


def test_utl_placement_edges_for_an_adult() -> None:
    placed = sthlm("2026-03-28T22:30:00+01:00")
    created = datetime(2026, 3, 28, 22, 0, tzinfo=UTC)
    record = clock.start(
        assistance_record(legal_basis="utll_10_19a", created_at=created, placed_at=placed),
        Clocks(),
        created,
    )
    assert_edges(
        record,
        "utl_placement",
        warn=("2026-03-31T05:30:00+02:00", "2026-03-31T03:30:00+00:00"),
        due=("2026-03-31T23:30:00+02:00", "2026-03-31T21:30:00+00:00"),
    )


def test_custody_gap_edges() -> None:
    base = clock.start(
        transfer_record(decided_at=sthlm("2026-11-27T14:05:00+01:00")),
        Clocks(),
        datetime(2026, 11, 27, 13, 30, tzinfo=UTC),
    )
    gap = clock._new(
        DeadlineName.CUSTODY_GAP, sthlm("2026-11-28T09:41:00+01:00"), Clocks(), suffix="-1"
    )
    record = replace(base, deadlines=(*base.deadlines, gap))
    assert_edges(
        record,
        "custody_gap-1",
        warn=("2026-11-28T09:52:15+01:00", "2026-11-28T08:52:15+00:00"),
        due=("2026-11-28T09:56:00+01:00", "2026-11-28T08:56:00+00:00"),
    )


@pytest.mark.parametrize(
    "name", [DeadlineName.PRISON_PLACE_TARGET, DeadlineName.PRISON_PLACE_ABSOLUTE]
)
def test_calendar_day_entries_edges(name: DeadlineName) -> None:
    start, due_local, due_utc, warn_local, warn_utc = POLICY_CASES[name]
    base = transfer_record(decided_at=sthlm(start), kind="sentence_enforcement")
    record = replace(base, deadlines=(clock._new(name, sthlm(start), Clocks()),))
    assert_edges(record, name, (warn_local, warn_utc), (due_local, due_utc))


def test_incident_report_edges_on_the_23_hour_day() -> None:
    start, due_local, due_utc, warn_local, warn_utc = POLICY_CASES[DeadlineName.INCIDENT_REPORT]
    base = transfer_record(decided_at=sthlm(start))
    report = clock._new(DeadlineName.INCIDENT_REPORT, sthlm(start), Clocks(), suffix="-1")
    record = replace(base, deadlines=(report,))
    assert_edges(record, "incident_report-1", (warn_local, warn_utc), (due_local, due_utc))


def test_erasure_edges() -> None:
    start, due_local, due_utc, warn_local, warn_utc = POLICY_CASES[DeadlineName.ERASURE]
    base = transfer_record(decided_at=sthlm(start))
    record = replace(base, deadlines=(clock._new(DeadlineName.ERASURE, sthlm(start), Clocks()),))
    deadline = record.deadlines[0]
    assert_instant(deadline.due_at, due_local, due_utc)
    assert_instant(deadline.warn_at, warn_local, warn_utc)
    assert reported(record, "erasure", instant(warn_local) - MINUTE) is None
    assert reported(record, "erasure", instant(warn_local)) == "warn"
    assert reported(record, "erasure", instant(due_local) - MINUTE) == "warn"
    assert reported(record, "erasure", instant(due_local)) == "breach"


def test_extension_moves_the_breach_minute() -> None:
    created = datetime(2026, 3, 28, 9, 30, tzinfo=UTC)
    record = clock.start(
        transfer_record(decided_at=sthlm("2026-03-28T10:00:00+01:00")), Clocks(), created
    )
    body = msgspec.convert(
        {
            "reason": "court_decision",
            "decision": "Stockholms tingsrätt B 12345-26",
            "new_due_at": "2026-03-31T00:00:00+02:00",
        },
        ExtendBody,
    )
    now = datetime(2026, 3, 29, 12, 0, tzinfo=UTC)
    extended = clock.extend(record, "remand_to_remand_prison", body, OFFICER, now).record
    deadline = next(d for d in extended.deadlines if d.id == "remand_to_remand_prison")
    assert deadline.state == DeadlineState.EXTENDED
    # The new due time is kept as the decision gave it (here +02:00): compare the instant.
    assert deadline.due_at == instant("2026-03-31T00:00:00+02:00")
    assert deadline.due_at.astimezone(UTC).isoformat() == "2026-03-30T22:00:00+00:00"
    assert deadline.extensions[0].old_due_at == instant("2026-03-30T00:00:00+02:00")
    assert reported(extended, deadline.id, instant("2026-03-30T23:59:00+02:00")) == "warn"
    assert reported(extended, deadline.id, instant("2026-03-31T00:00:00+02:00")) == "breach"


# -- properties over all of 2026 ----------------------------------------------------------------


RULES: dict[str, Callable[[datetime], datetime]] = {
    "end_of_day_0": lambda t: calendar.end_of_day(t, 0),
    "end_of_day_1": lambda t: calendar.end_of_day(t, 1),
    "noon_3": lambda t: calendar.noon_on_day_after(t, 3),
    "elapsed_96": lambda t: calendar.elapsed_hours(t, 96),
    "calendar_7": lambda t: calendar.calendar_days(t, 7),
    "calendar_30": lambda t: calendar.calendar_days(t, 30),
}


def _check_properties(t: datetime) -> None:
    local = t.astimezone(STHLM)
    day = local.date()
    results = {name: rule(t) for name, rule in RULES.items()}
    for name, result in results.items():
        assert result.tzinfo is not None, name
        assert result.utcoffset() == timedelta(0), name
        # The same instant in another shape gives the same answer.
        for shape in FORMS.values():
            assert RULES[name](shape(t)) == result, name

    end0 = results["end_of_day_0"].astimezone(STHLM)
    assert (end0.date(), end0.time()) == (day + timedelta(days=1), time(0, 0))
    assert timedelta(0) < results["end_of_day_0"] - t <= timedelta(hours=25)
    end1 = results["end_of_day_1"].astimezone(STHLM)
    assert (end1.date(), end1.time()) == (day + timedelta(days=2), time(0, 0))
    assert timedelta(hours=23) < results["end_of_day_1"] - t <= timedelta(hours=49)
    noon = results["noon_3"].astimezone(STHLM)
    assert (noon.date(), noon.time()) == (day + timedelta(days=3), time(12, 0))
    assert results["elapsed_96"].astimezone(UTC) - t.astimezone(UTC) == timedelta(hours=96)
    for days in (7, 30):
        later = results[f"calendar_{days}"].astimezone(STHLM)
        wanted = datetime.combine(day + timedelta(days=days), local.time())
        if wanted.date() == date(2026, 3, 29) and wanted.hour == 2:  # the missing hour
            assert later.replace(tzinfo=None) == wanted + timedelta(hours=1)
        else:
            assert later.replace(tzinfo=None) == wanted
        assert abs((later - t) - timedelta(days=days)) <= timedelta(hours=1)
    warn = calendar.fraction_between(t, results["elapsed_96"], 0.75)
    assert warn.utcoffset() == timedelta(0)
    assert warn - t.astimezone(UTC) == timedelta(hours=72)


@hypothesis_settings(max_examples=300, deadline=None, database=None)
@given(
    st.datetimes(
        min_value=datetime(2026, 1, 1),
        max_value=datetime(2026, 12, 31, 23, 59, 59),
        timezones=st.just(STHLM),
        allow_imaginary=False,
    )
)
def test_rules_hold_for_any_instant_of_2026(t: datetime) -> None:
    _check_properties(t)


def test_rules_hold_every_five_minutes_around_both_changes() -> None:
    for first in (
        datetime(2026, 3, 27, 0, 0, tzinfo=UTC),
        datetime(2026, 10, 23, 0, 0, tzinfo=UTC),
    ):
        for step in range(4 * 24 * 12):  # four days, every five minutes, UTC instants
            _check_properties((first + step * timedelta(minutes=5)).astimezone(STHLM))


# -- birth date and children: personnummer and samordningsnummer --------------------------------

BORN_2008_06_15 = [
    pytest.param(PersonnummerIdentity(number="20080615-1239"), id="personnummer"),
    pytest.param(SamordningsnummerIdentity(number="20080675-1236"), id="samordningsnummer"),
]


@pytest.mark.parametrize(
    ("identity", "born"),
    [
        (PersonnummerIdentity(number="20080615-1239"), date(2008, 6, 15)),
        (PersonnummerIdentity(number="080615-1239"), date(2008, 6, 15)),
        (SamordningsnummerIdentity(number="20080675-1236"), date(2008, 6, 15)),
        (PersonnummerIdentity(number="19121212-1212"), date(1912, 12, 12)),
        (SamordningsnummerIdentity(number="19121272-1219"), date(1912, 12, 12)),
        (PersonnummerIdentity(number="20080229-1237"), date(2008, 2, 29)),
        (SamordningsnummerIdentity(number="20080289-1234"), date(2008, 2, 29)),
        (UnknownIdentity(description="refuses to give a name"), None),
    ],
    ids=[
        "pnr",
        "pnr-10-digits",
        "samnr-day-plus-60",
        "pnr-1912",
        "samnr-1912",
        "pnr-leap-day",
        "samnr-leap-day",
        "unknown",
    ],
)
def test_birth_date(identity: Identity, born: date | None) -> None:
    assert clock.birth_date(identity) == born


@pytest.mark.parametrize("identity", BORN_2008_06_15)
@pytest.mark.parametrize(
    ("at", "child"),
    [
        ("2008-06-15T00:00:00+02:00", True),
        ("2025-06-15T12:00:00+02:00", True),
        ("2026-06-14T23:59:00+02:00", True),
        ("2026-06-15T00:00:00+02:00", False),  # the 18th birthday, local midnight
        ("2026-06-15T00:01:00+02:00", False),
        ("2026-06-16T12:00:00+02:00", False),
    ],
)
def test_is_child_at_the_18th_birthday_in_local_time(
    identity: Identity, at: str, child: bool
) -> None:
    assert clock.is_child(identity, sthlm(at)) is child


# The same instants as in the test above, written in UTC (how workflow.now() gives them) or
# with a wrong-season offset. The 18th birthday starts at 00:00 Stockholm time, which is still
# the previous date in UTC (a bug once: `is_child` used the date of the zone it was handed).


@pytest.mark.parametrize("identity", BORN_2008_06_15)
@pytest.mark.parametrize(
    ("at", "child"),
    [
        pytest.param(datetime(2026, 6, 14, 21, 59, tzinfo=UTC), True, id="23:59-local"),
        pytest.param(
            datetime(2026, 6, 14, 22, 0, tzinfo=UTC),
            False,
            id="00:00-local",
        ),
        pytest.param(
            datetime(2026, 6, 14, 23, 30, tzinfo=UTC),
            False,
            id="01:30-local",
        ),
        pytest.param(datetime(2026, 6, 15, 0, 0, tzinfo=UTC), False, id="02:00-local"),
    ],
)
def test_is_child_at_the_18th_birthday_given_in_utc(
    identity: Identity, at: datetime, child: bool
) -> None:
    assert clock.is_child(identity, at) is child


@pytest.mark.parametrize(
    "identity",
    [
        pytest.param(PersonnummerIdentity(number="20080229-1237"), id="personnummer"),
        pytest.param(SamordningsnummerIdentity(number="20080289-1234"), id="samordningsnummer"),
    ],
)
def test_is_child_born_on_a_leap_day(identity: Identity) -> None:
    """Born 29 February 2008: 2026 has no 29 February; 18 at the start of 1 March."""
    assert clock.is_child(identity, sthlm("2026-02-28T23:59:00+01:00")) is True
    assert clock.is_child(identity, sthlm("2026-03-01T00:00:00+01:00")) is False


def test_unknown_identity_is_not_taken_for_a_child() -> None:
    unknown = UnknownIdentity(description="no papers")
    assert clock.is_child(unknown, sthlm("2026-06-15T00:00:00+02:00")) is False


CHILD_UNTIL_MIDNIGHT = {"type": "personnummer", "number": "20080615-1239"}


def test_utl_placement_of_a_child_is_breached_at_once() -> None:
    placed = sthlm("2026-06-14T23:59:00+02:00")  # the day before the 18th birthday
    record = clock.start(
        assistance_record(
            legal_basis="utll_10_19a",
            created_at=placed,
            placed_at=placed,
            identity=CHILD_UNTIL_MIDNIGHT,
        ),
        Clocks(),
        placed.astimezone(UTC),
    )
    deadline = next(d for d in record.deadlines if d.id == "utl_placement")
    # Due at the placement itself (kept in the shape it was given): compare the instant.
    assert deadline.due_at == instant("2026-06-14T23:59:00+02:00")
    assert deadline.due_at.astimezone(UTC).isoformat() == "2026-06-14T21:59:00+00:00"
    assert deadline.warn_at == deadline.due_at
    assert reported(record, "utl_placement", instant("2026-06-14T23:58:00+02:00")) is None
    assert reported(record, "utl_placement", instant("2026-06-14T23:59:00+02:00")) == "breach"


@pytest.mark.parametrize(
    "placed",
    [
        pytest.param(datetime(2026, 6, 15, 0, 0, tzinfo=STHLM), id="local"),
        pytest.param(datetime(2026, 6, 14, 22, 0, tzinfo=UTC), id="utc"),
        pytest.param(
            datetime(2026, 6, 14, 23, 0, tzinfo=timezone(timedelta(hours=1))),
            id="winter-offset",
        ),
    ],
)
def test_utl_placement_on_the_18th_birthday_runs_72_hours(placed: datetime) -> None:
    record = clock.start(
        assistance_record(
            legal_basis="utll_10_19a",
            created_at=placed,
            placed_at=placed,
            identity=CHILD_UNTIL_MIDNIGHT,
        ),
        Clocks(),
        placed.astimezone(UTC),
    )
    deadline = next(d for d in record.deadlines if d.id == "utl_placement")
    assert deadline.due_at.astimezone(UTC) - placed.astimezone(UTC) == timedelta(hours=72)
    assert_instant(deadline.due_at, "2026-06-18T00:00:00+02:00", "2026-06-17T22:00:00+00:00")
    assert_instant(deadline.warn_at, "2026-06-17T06:00:00+02:00", "2026-06-17T04:00:00+00:00")


@pytest.mark.parametrize(
    "now",
    [
        pytest.param(datetime(2026, 6, 14, 22, 0, tzinfo=UTC), id="00:00-local"),
        pytest.param(datetime(2026, 6, 15, 0, 0, tzinfo=UTC), id="02:00-local"),
    ],
)
def test_utl_placement_without_placed_at_uses_the_workflow_clock(now: datetime) -> None:
    """No `placed_at`: the request's creation (workflow.now(), in UTC) is the placement."""
    record = clock.start(
        assistance_record(legal_basis="utll_10_19a", created_at=now, identity=CHILD_UNTIL_MIDNIGHT),
        Clocks(),
        now,
    )
    deadline = next(d for d in record.deadlines if d.id == "utl_placement")
    assert deadline.due_at - now == timedelta(hours=72)
