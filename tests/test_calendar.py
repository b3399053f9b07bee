"""The calendar rules of Swedish legal time (`contracts.calendar`), by hand, at their edges.

Pure and fast: no servers. How the expected instants are written: `tests.swedish_time`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from contracts import calendar
from tests.swedish_time import FORMS, STHLM, UTC, assert_instant, sthlm


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
