"""Swedish legal time: wall-clock rules in Europe/Stockholm, elapsed rules in real hours.

Every function takes and returns aware datetimes; results are in UTC. "End of a day" is the
first instant of the next day (24:00 local), which is how the deadline is met or missed.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

STOCKHOLM = ZoneInfo("Europe/Stockholm")
UTC = ZoneInfo("UTC")


def _local_date(at: datetime) -> date:
    return at.astimezone(STOCKHOLM).date()


def _local(day: date, clock: time) -> datetime:
    """A local wall-clock time on a day, in UTC (Swedish DST gaps never touch 00:00 or 12:00)."""
    return datetime.combine(day, clock, tzinfo=STOCKHOLM).astimezone(UTC)


def end_of_day(at: datetime, days_after: int = 0) -> datetime:
    """24:00 local on the day `days_after` days after the day of `at`."""
    return _local(_local_date(at) + timedelta(days=days_after + 1), time(0, 0))


def noon_on_day_after(at: datetime, days_after: int) -> datetime:
    """12:00 local on the `days_after`-th day after the day of `at` (RB 24:12: third day)."""
    return _local(_local_date(at) + timedelta(days=days_after), time(12, 0))


def elapsed_hours(at: datetime, hours: float) -> datetime:
    """Real elapsed time: a DST change does not make 96 hours 95 or 97.

    Arithmetic on an aware datetime in a named zone is wall-clock arithmetic in Python, so
    the addition happens in UTC.
    """
    return at.astimezone(UTC) + timedelta(hours=hours)


def calendar_days(at: datetime, days: int) -> datetime:
    """The same local wall-clock time `days` days later (a day can be 23 or 25 hours)."""
    local = at.astimezone(STOCKHOLM)
    day = local.date() + timedelta(days=days)
    # fold=0: a result in the repeated autumn hour is its first occurrence, however the input
    # was written (an input's own fold would otherwise leak into the answer).
    later = datetime.combine(day, local.time().replace(fold=0), tzinfo=STOCKHOLM)
    return later.astimezone(UTC)


def fraction_between(start: datetime, due: datetime, fraction: float) -> datetime:
    """The instant `fraction` of the way from `start` to `due` (warning at 75 %)."""
    start_utc = start.astimezone(UTC)
    return start_utc + (due.astimezone(UTC) - start_utc) * fraction
