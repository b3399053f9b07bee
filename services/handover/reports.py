"""Follow-up reports per unit and week or month: the figures (sql/report.sql), as JSON, CSV
and SVG charts (pygal, rendered here; no script, no external asset)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import msgspec
import pygal
from pygal.style import Style

from contracts.actions import DeferralReason
from contracts.common import Actor, Role
from contracts.reports import Chart, DeadlineOutcomes, Period, Report
from services.handover.errors import Forbidden, NotFound
from services.handover.repository import Repository

STOCKHOLM = ZoneInfo("Europe/Stockholm")
HOUR = 3600.0


def period_bounds(period: Period, start: date) -> tuple[date, date]:
    """The week (Monday to Sunday) or the month that contains `start`: first day, day after."""
    if period == Period.WEEK:
        first = start - timedelta(days=start.weekday())
        return first, first + timedelta(days=7)
    first = start.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following


def _midnight(day: date) -> datetime:
    """Midnight in Stockholm (DST-aware), in UTC."""
    return datetime.combine(day, time(), tzinfo=STOCKHOLM).astimezone(UTC)


def _reasons(found: dict[str, int]) -> dict[str, int]:
    """Deferral reasons: only the closed vocabulary; anything else counts as `other`."""
    known = {str(r) for r in DeferralReason}
    result: dict[str, int] = {}
    for reason, count in found.items():
        key = reason if reason in known else str(DeferralReason.OTHER)
        result[key] = result.get(key, 0) + count
    return result


class Reports:
    def __init__(self, repository: Repository) -> None:
        self._repo = repository

    async def report(self, *, actor: Actor, unit: str, period: Period, start: date) -> Report:
        """Coordinators and auditors, within the scope the escalations list gives them:
        a national coordination unit its agency, a regional one its region."""
        if not actor.has_any(Role.COORDINATOR, Role.AUDITOR):
            raise Forbidden("Reports are for coordinators.")
        own = await self._repo.caller_unit(actor)
        found = (await self._repo.get_units(ids=[unit])).get(unit)
        if found is None:
            raise NotFound(f"No unit {unit}.")
        national = await self._repo.is_national(unit=own.id)
        org = str(actor.org) if national else None
        region = None if national else f"{actor.org}:{own.region}"
        first, end = period_bounds(period, start)
        row = await self._repo.aggregate(
            "report",
            unit=unit,
            period_start=_midnight(first),
            period_end=_midnight(end),
            org=org,
            region=region,
        )
        deferral_reasons: dict[str, int] = row["deferral_reasons"]
        return msgspec.convert(
            {
                "unit": unit,
                "unit_name": found.name,
                "period": period,
                "start": first.isoformat(),
                "end": end.isoformat(),
                "scope": org or region,
                "generated_at": datetime.now(UTC).isoformat(),
                "requests": row["requests"],
                "by_kind": row["by_kind"],
                "by_state": row["by_state"],
                "to_handover": row["to_handover"],
                "remand_custody": row["remand_custody"],
                "deadlines": row["deadlines"],
                "deferrals": {
                    "count": row["deferrals"],
                    "requests": row["deferred_requests"],
                    "reasons": _reasons(deferral_reasons),
                },
                "incidents": row["incidents"],
            },
            Report,
        )


def _number(value: float | int | None) -> str:
    return "" if value is None else repr(value)


def rows(report: Report) -> Iterator[tuple[str, str, str, str]]:
    """(section, key, metric, value): every figure of the report, once."""
    yield "requests", "all", "count", _number(report.requests)
    for k in report.by_kind:
        key = f"{k.kind}:{k.legal_basis}" if k.legal_basis else str(k.kind)
        yield "requests_by_kind", key, "count", _number(k.count)
    for state, count in sorted(report.by_state.items()):
        yield "requests_by_state", state, "count", _number(count)
    for section, durations in (
        ("to_handover", report.to_handover),
        ("remand_custody", report.remand_custody),
    ):
        for metric, value in msgspec.structs.asdict(durations).items():
            yield section, "all", metric, _number(value)
    for d in report.deadlines:
        for metric in ("total", "met", "warned", "breached", "open"):
            yield "deadlines", str(d.name), metric, _number(getattr(d, metric))
    yield "deferrals", "all", "count", _number(report.deferrals.count)
    yield "deferrals", "all", "requests", _number(report.deferrals.requests)
    for reason, count in sorted(report.deferrals.reasons.items()):
        yield "deferral_reasons", str(reason), "count", _number(count)
    for i in report.incidents:
        yield "incidents", f"{i.kind}:{i.severity}", "count", _number(i.count)


def to_csv(report: Report) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["unit", "period", "start", "end", "section", "key", "metric", "value"])
    head = [report.unit, str(report.period), report.start.isoformat(), report.end.isoformat()]
    for row in rows(report):
        writer.writerow([*head, *row])
    return out.getvalue()


STYLE = Style(
    background="white",
    plot_background="white",
    foreground="#1f2933",
    foreground_strong="#1f2933",
    foreground_subtle="#52606d",
    colors=("#1b6ac9", "#d9822b", "#c23030", "#0f9960", "#7157d9", "#a66321", "#29a634"),
    font_family="sans-serif",
)


def _config(title: str) -> dict[str, object]:
    # No `js`: pygal's tooltips load a script from a CDN; the charts must work offline.
    return {
        "title": title,
        "style": STYLE,
        "js": [],
        "disable_xml_declaration": True,
        "width": 800,
        "height": 400,
        "print_values": False,
        "no_data_text": "Inga data / no data",
    }


def _hours(value: float | None) -> float | None:
    return None if value is None else round(value / HOUR, 2)


def chart(report: Report, which: Chart) -> str:
    """One chart of the report as an SVG document."""
    span = f"{report.unit} {report.start.isoformat()}..{report.end.isoformat()}"
    match which:
        case Chart.REQUESTS:
            c = pygal.Bar(**_config(f"Requests by kind and legal basis, {span}"))
            for k in report.by_kind:
                c.add(f"{k.kind} {k.legal_basis or ''}".strip(), [k.count])
        case Chart.DURATIONS:
            c = pygal.Bar(**_config(f"Hours: request to handover, remand to häkte, {span}"))
            c.x_labels = ["request to handover", "remand decision to Kriminalvården"]
            for label, attr in (("median", "median_seconds"), ("p90", "p90_seconds")):
                c.add(
                    label,
                    [
                        _hours(getattr(report.to_handover, attr)),
                        _hours(getattr(report.remand_custody, attr)),
                    ],
                )
        case Chart.DEADLINES:
            c = pygal.Bar(**_config(f"Deadlines: met, warned, breached, open, {span}"))
            c.x_labels = [str(d.name) for d in report.deadlines]
            for metric in ("met", "warned", "breached", "open"):
                c.add(metric, [_outcome(d, metric) for d in report.deadlines])
        case Chart.DEFERRALS:
            c = pygal.Pie(**_config(f"Deferrals by reason, {span}"))
            for reason, count in sorted(report.deferrals.reasons.items()):
                c.add(str(reason), count)
        case Chart.INCIDENTS:
            c = pygal.StackedBar(**_config(f"Incidents by kind and severity, {span}"))
            kinds = sorted({str(i.kind) for i in report.incidents})
            c.x_labels = kinds
            for severity in sorted({str(i.severity) for i in report.incidents}):
                counts = {str(i.kind): i.count for i in report.incidents if i.severity == severity}
                c.add(severity, [counts.get(k, 0) for k in kinds])
    rendered: str = c.render(is_unicode=True)
    return rendered


def _outcome(d: DeadlineOutcomes, metric: str) -> int:
    value: int = getattr(d, metric)
    return value
