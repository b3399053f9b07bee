"""Board pages for incident follow-up and JO inspections.

- `/board/investigations`: unit incidents whose follow-up is not closed (no investigation
  yet, or open), with the responsible person and the reporting clock; the responsible person
  is opened from the sealed record, so each incident shown is in the access log
  (`board_view`, `incident_ids`).
- `/board/inspection?unit=&from=&to=`: the JO inspection of a unit and period (facts only, as
  `GET /v1/inspections`), printable (print styles in board.css), and
  `/board/inspection.json` the same document as one JSON file. Coordinators (auditors do
  not sign in to the board; they read the same document at `GET /v1/inspections`).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import msgspec
from litestar import Request, Response, get
from litestar.di import NamedDependency

from contracts.common import Role
from contracts.unit_incidents import InvestigationState, UnitIncident
from services.handover.audit_context import set_purpose
from services.handover.board.routes import (
    PAGE_HEADERS,
    PREFIX,
    UNIT_RE,
    _purpose,
    _refused,
    _request_id,
    _to_sign_in,
    may_use_board,
    render,
    signed_in,
)
from services.handover.board.svg import STOCKHOLM
from services.handover.errors import Gone, InvalidInput, NotFound
from services.handover.inspections import Inspections
from services.handover.read_use_cases import HandoverQueries
from services.handover.repository import Repository
from services.handover.unit_incidents import UnitIncidents

PAGE_SIZE = 100


@get("/investigations", name="board-investigations")
async def investigations(
    request: Request[Any, Any, Any], unit_incidents: NamedDependency[UnitIncidents]
) -> Any:
    """Unit incidents whose follow-up is still open; audited per incident shown."""
    actor = await signed_in(request)
    if actor is None:
        return _to_sign_in()
    if not may_use_board(actor):
        return _refused(request, actor, "err_forbidden", 403)
    set_purpose(_purpose(request.query_params.get("purpose") or "incident_investigation"))
    page = await unit_incidents.list(
        actor=actor,
        unit=None,
        investigation=[InvestigationState.NONE, InvestigationState.OPEN],
        cursor=None,
        limit=PAGE_SIZE,
    )
    opened: dict[str, UnitIncident] = {}
    for item in page.items:
        try:
            opened[item.id] = await unit_incidents.get(
                actor=actor,
                incident_id=item.id,
                request_id=_request_id(request),
                what="board_view",
            )
        except (Gone, NotFound):
            continue
    return render(
        request,
        "investigations.html",
        actor=actor,
        items=page.items,
        opened=opened,
    )


def _period(request: Request[Any, Any, Any]) -> tuple[str | None, date, date]:
    """The unit and period asked for; default the last 30 days up to today."""
    q = request.query_params
    unit = q.get("unit")
    today = datetime.now(STOCKHOLM).date()
    try:
        end = date.fromisoformat(q["to"]) if q.get("to") else today
    except ValueError:
        end = today
    try:
        start = date.fromisoformat(q["from"]) if q.get("from") else end - timedelta(days=29)
    except ValueError:
        start = end - timedelta(days=29)
    return (unit if unit and UNIT_RE.match(unit) else None), start, end


def _may_inspect(actor: Any) -> bool:
    """Coordinators (auditors do not sign in to the board: they read GET /v1/inspections)."""
    return bool(actor.has_any(Role.COORDINATOR))


@get("/inspection", name="board-inspection")
async def inspection(
    request: Request[Any, Any, Any],
    repository: NamedDependency[Repository],
    queries: NamedDependency[HandoverQueries],
) -> Any:
    """A JO inspection of a unit and period, printable; facts only."""
    actor = await signed_in(request)
    if actor is None:
        return _to_sign_in()
    if not _may_inspect(actor):
        return _refused(request, actor, "err_inspection", 403)
    unit, start, end = _period(request)
    units = await repository.list_units(org=None, kind=None)
    found = None
    error = None
    if unit is not None:
        try:
            found = await Inspections(repository, queries).inspection(
                actor=actor, unit=unit, start=start, end=end
            )
        except (InvalidInput, NotFound) as exc:
            error = str(exc)
    return render(
        request,
        "inspection.html",
        actor=actor,
        units=units,
        unit=unit,
        start=start,
        end=end,
        inspection=found,
        error=error,
        json_url=f"{PREFIX}/inspection.json?unit={unit}&from={start}&to={end}" if unit else None,
    )


@get("/inspection.json", name="board-inspection-json")
async def inspection_json(
    request: Request[Any, Any, Any],
    repository: NamedDependency[Repository],
    queries: NamedDependency[HandoverQueries],
) -> Any:
    """The same inspection as one JSON document (a download)."""
    actor = await signed_in(request)
    if actor is None:
        return _to_sign_in()
    if not _may_inspect(actor):
        return _refused(request, actor, "err_inspection", 403)
    unit, start, end = _period(request)
    if unit is None:
        return _refused(request, actor, "err_not_found", 404)
    try:
        found = await Inspections(repository, queries).inspection(
            actor=actor, unit=unit, start=start, end=end
        )
    except (InvalidInput, NotFound):
        return _refused(request, actor, "err_not_found", 404)
    name = f"jo-inspection-{unit}-{start}-{end}.json"
    return Response(
        msgspec.json.encode(found),
        media_type="application/json",
        headers={**PAGE_HEADERS, "Content-Disposition": f'attachment; filename="{name}"'},
    )
