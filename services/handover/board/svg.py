"""The custody chain drawn on the server: one bar per segment on a shared time axis."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from html import escape
from zoneinfo import ZoneInfo

from markupsafe import Markup

from contracts.api import CustodySegment

STOCKHOLM = ZoneInfo("Europe/Stockholm")
WIDTH = 760
LABEL = 200  # the unit names' column
ROW = 30
TOP = 10
AXIS = 40
TICKS = 5
# Dark enough for white text (contrast above 4.5:1), told apart by the org's name too.
FILL = {"polisen": "#1d4f91", "kriminalvarden": "#5c3d00"}


def _x(at: datetime, start: datetime, span: float) -> float:
    return LABEL + (WIDTH - LABEL - 10) * ((at - start).total_seconds() / span)


def custody_chain_svg(
    chain: Sequence[CustodySegment], now: datetime, t: Callable[[str], str]
) -> Markup:
    """An SVG bar chart: a row per segment, from `since` to `until` (or now, still open)."""
    start = min(s.since for s in chain)
    end = max([s.until or now for s in chain] + [now])
    span = max((end - start).total_seconds(), 60.0)
    height = TOP + ROW * len(chain) + AXIS
    title = escape(t("custody_chain"))
    desc = escape(t("chain_caption"))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chain" width="{WIDTH}" '
        f'height="{height}" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-labelledby="chain-title chain-desc">',
        f'<title id="chain-title">{title}</title><desc id="chain-desc">{desc}</desc>',
    ]
    for i, segment in enumerate(chain):
        y = TOP + i * ROW
        until = segment.until or now
        x0 = _x(segment.since, start, span)
        x1 = max(_x(until, start, span), x0 + 3)
        ends = _time(segment.until) if segment.until else t("open")
        tip = f"{segment.unit} ({segment.org}): {_time(segment.since)} – {ends}"
        parts.append(
            f'<text x="{LABEL - 8}" y="{y + 19}" text-anchor="end" font-size="13" '
            f'fill="#1a1a1a">{escape(segment.unit)}</text>'
            f'<rect class="segment" data-unit="{escape(segment.unit)}" x="{x0:.1f}" '
            f'y="{y + 4}" width="{x1 - x0:.1f}" height="{ROW - 8}" '
            f'fill="{FILL.get(str(segment.org), "#333333")}"><title>{escape(tip)}</title></rect>'
        )
    axis_y = TOP + ROW * len(chain) + 6
    parts.append(
        f'<line x1="{LABEL}" y1="{axis_y}" x2="{WIDTH - 10}" y2="{axis_y}" stroke="#1a1a1a"/>'
    )
    for k in range(TICKS):
        at = start + timedelta(seconds=span * k / (TICKS - 1))
        x = _x(at, start, span)
        anchor = "start" if k == 0 else "end" if k == TICKS - 1 else "middle"
        parts.append(
            f'<line x1="{x:.1f}" y1="{axis_y}" x2="{x:.1f}" y2="{axis_y + 5}" stroke="#1a1a1a"/>'
            f'<text x="{x:.1f}" y="{axis_y + 20}" text-anchor="{anchor}" font-size="12" '
            f'fill="#1a1a1a">{escape(_tick(at, start, full=k in (0, TICKS - 1)))}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every value above is escaped


def _time(at: datetime) -> str:
    return at.astimezone(STOCKHOLM).strftime("%Y-%m-%d %H:%M")


def _tick(at: datetime, start: datetime, *, full: bool) -> str:
    """The axis' ends carry the date; the ticks between only what changes, so none overlap."""
    if full:
        return _time(at)
    same_day = at.astimezone(STOCKHOLM).date() == start.astimezone(STOCKHOLM).date()
    return at.astimezone(STOCKHOLM).strftime("%H:%M" if same_day else "%m-%d %H:%M")
