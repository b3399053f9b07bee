"""Swedish legal time written by hand, for the tests of the calendar, the policy and the engine.

Every expected instant in those tests was worked out by hand and is written twice, as the
Europe/Stockholm wall-clock time with its offset and as the UTC instant; nothing is computed
with the function under test. Inputs are written as local times with explicit offsets too,
and each is checked to really be a Stockholm wall-clock time (an input with the wrong offset
would silently test something else).

The 2026 daylight-saving changes in Sweden:
- Sunday 29 March 01:00 UTC: 02:00 CET -> 03:00 CEST; that local day has 23 hours.
- Sunday 25 October 01:00 UTC: 03:00 CEST -> 02:00 CET; that local day has 25 hours,
  and 02:00-03:00 happens twice (first at +02:00, then at +01:00).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from contracts.deadline_policy import DeadlineName

STHLM = ZoneInfo("Europe/Stockholm")
UTC = ZoneInfo("UTC")
MINUTE = timedelta(minutes=1)
MICROSECOND = timedelta(microseconds=1)


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


# Every entry of the policy, by hand, with its default clocks.
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
    # Policy version 2: the operational execution clocks (24 h real time, warning after 18 h),
    # each on another day. LVU: over the spring change, 24 real hours are 25 on the clock.
    DeadlineName.LVU_EXECUTION: (
        "2026-03-28T20:00:00+01:00",
        "2026-03-29T21:00:00+02:00",
        "2026-03-29T19:00:00+00:00",
        "2026-03-29T15:00:00+02:00",
        "2026-03-29T13:00:00+00:00",
    ),
    # LSU: over the autumn change, 24 real hours are 23 on the clock.
    DeadlineName.LSU_EXECUTION: (
        "2026-10-24T12:00:00+02:00",
        "2026-10-25T11:00:00+01:00",
        "2026-10-25T10:00:00+00:00",
        "2026-10-25T05:00:00+01:00",
        "2026-10-25T04:00:00+00:00",
    ),
    # LPT: from 01:30, half an hour before the spring change.
    DeadlineName.LPT_EXECUTION: (
        "2026-03-29T01:30:00+01:00",
        "2026-03-30T02:30:00+02:00",
        "2026-03-30T00:30:00+00:00",
        "2026-03-29T20:30:00+02:00",
        "2026-03-29T18:30:00+00:00",
    ),
    # LRV: from the first 02:30 of the autumn change's repeated hour.
    DeadlineName.LRV_EXECUTION: (
        "2026-10-25T02:30:00+02:00",
        "2026-10-26T01:30:00+01:00",
        "2026-10-26T00:30:00+00:00",
        "2026-10-25T19:30:00+01:00",
        "2026-10-25T18:30:00+00:00",
    ),
    # PL 29 a: an ordinary winter day.
    DeadlineName.PL29A_EXECUTION: (
        "2026-12-01T09:15:00+01:00",
        "2026-12-02T09:15:00+01:00",
        "2026-12-02T08:15:00+00:00",
        "2026-12-02T03:15:00+01:00",
        "2026-12-02T02:15:00+00:00",
    ),
    # Förpassning: the evening before the 25-hour day.
    DeadlineName.FORPASSNING_EXECUTION: (
        "2026-10-24T23:00:00+02:00",
        "2026-10-25T22:00:00+01:00",
        "2026-10-25T21:00:00+00:00",
        "2026-10-25T16:00:00+01:00",
        "2026-10-25T15:00:00+00:00",
    ),
    # The deferral reminder: +4 h real time over the spring change (00:30 -> 05:30 on the
    # clock); warning after 3 h.
    DeadlineName.DEFERRAL_REMINDER: (
        "2026-03-29T00:30:00+01:00",
        "2026-03-29T05:30:00+02:00",
        "2026-03-29T03:30:00+00:00",
        "2026-03-29T04:30:00+02:00",
        "2026-03-29T02:30:00+00:00",
    ),
    # The lodging clock: +2 h real time from the planned departure over the autumn change; the
    # warning after 1 h falls on the first 02:30 of the repeated hour, the breach on the second.
    DeadlineName.LODGING_DEPARTURE: (
        "2026-10-25T01:30:00+02:00",
        "2026-10-25T02:30:00+01:00",
        "2026-10-25T01:30:00+00:00",
        "2026-10-25T02:30:00+02:00",
        "2026-10-25T00:30:00+00:00",
    ),
}


# The entries with a stricter rule for a child (under 18 at the request), by hand.
CHILD_CASES: dict[DeadlineName, tuple[str, str, str, str, str]] = {
    # UtlL 10:19 a: "never" for a child: due (and warned) at the placement itself.
    DeadlineName.UTL_PLACEMENT: (
        "2026-03-29T03:15:00+02:00",
        "2026-03-29T03:15:00+02:00",
        "2026-03-29T01:15:00+00:00",
        "2026-03-29T03:15:00+02:00",
        "2026-03-29T01:15:00+00:00",
    ),
    # Execution clocks: 12 h real time, warning after 9 h.
    DeadlineName.LVU_EXECUTION: (
        "2026-03-29T00:00:00+01:00",
        "2026-03-29T13:00:00+02:00",
        "2026-03-29T11:00:00+00:00",
        "2026-03-29T10:00:00+02:00",
        "2026-03-29T08:00:00+00:00",
    ),
    DeadlineName.LSU_EXECUTION: (
        "2026-12-01T22:00:00+01:00",
        "2026-12-02T10:00:00+01:00",
        "2026-12-02T09:00:00+00:00",
        "2026-12-02T07:00:00+01:00",
        "2026-12-02T06:00:00+00:00",
    ),
    DeadlineName.LPT_EXECUTION: (
        "2026-03-28T18:00:00+01:00",
        "2026-03-29T07:00:00+02:00",
        "2026-03-29T05:00:00+00:00",
        "2026-03-29T04:00:00+02:00",
        "2026-03-29T02:00:00+00:00",
    ),
    DeadlineName.LRV_EXECUTION: (
        "2026-10-25T01:00:00+02:00",
        "2026-10-25T12:00:00+01:00",
        "2026-10-25T11:00:00+00:00",
        "2026-10-25T09:00:00+01:00",
        "2026-10-25T08:00:00+00:00",
    ),
    DeadlineName.PL29A_EXECUTION: (
        "2026-06-15T08:00:00+02:00",
        "2026-06-15T20:00:00+02:00",
        "2026-06-15T18:00:00+00:00",
        "2026-06-15T17:00:00+02:00",
        "2026-06-15T15:00:00+00:00",
    ),
    DeadlineName.FORPASSNING_EXECUTION: (
        "2026-10-24T20:00:00+02:00",
        "2026-10-25T07:00:00+01:00",
        "2026-10-25T06:00:00+00:00",
        "2026-10-25T04:00:00+01:00",
        "2026-10-25T03:00:00+00:00",
    ),
    # The reminder every hour, from the first 02:40 of the repeated autumn hour: due at the
    # second 02:40; warning after 45 minutes, at the second 02:25.
    DeadlineName.DEFERRAL_REMINDER: (
        "2026-10-25T02:40:00+02:00",
        "2026-10-25T02:40:00+01:00",
        "2026-10-25T01:40:00+00:00",
        "2026-10-25T02:25:00+01:00",
        "2026-10-25T01:25:00+00:00",
    ),
}
