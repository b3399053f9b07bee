"""The JO inspection of a unit and period (facts), and the per-unit export of whole cases."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from contracts.common import CURSOR_PATTERN, UNIT_PATTERN, Actor
from contracts.inspections import Inspection, UnitExport
from services.handover.api.docs import BEARER, problems
from services.handover.api.handovers import request_id
from services.handover.inspections import Inspections
from services.handover.read_use_cases import HandoverQueries
from services.handover.repository import Repository

UnitParam = Annotated[str, QueryParameter(pattern=UNIT_PATTERN, description="Unit id.")]
FromParam = Annotated[
    date, QueryParameter(name="from", description="First day (YYYY-MM-DD, Europe/Stockholm).")
]
ToParam = Annotated[
    date, QueryParameter(name="to", description="Last day, inclusive (at most 366 days).")
]
PROBLEMS = problems(400, 401, 403, 404, 503)


class InspectionController(Controller):
    path = "/v1/inspections"
    tags = ("reports",)
    security = BEARER

    @get("/", operation_id="getInspection", responses=PROBLEMS)
    async def inspection(
        self,
        request: Request[Actor, Any, Any],
        repository: NamedDependency[Repository],
        queries: NamedDependency[HandoverQueries],
        unit: UnitParam,
        start: FromParam,
        end: ToParam,
    ) -> Inspection:
        """A JO inspection of a unit and period: facts only."""
        return await Inspections(repository, queries).inspection(
            actor=request.user, unit=unit, start=start, end=end
        )


class ExportController(Controller):
    path = "/v1/exports"
    tags = ("handovers",)
    security = BEARER

    @get("/", operation_id="exportUnit", responses=PROBLEMS)
    async def export(
        self,
        request: Request[Actor, Any, Any],
        repository: NamedDependency[Repository],
        queries: NamedDependency[HandoverQueries],
        unit: UnitParam,
        start: FromParam,
        end: ToParam,
        cursor: Annotated[
            str | None,
            QueryParameter(
                max_length=200,
                pattern=CURSOR_PATTERN,
                description="`next_cursor` of the previous page.",
            ),
        ] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=50)] = 20,
    ) -> UnitExport:
        """Every case of a unit and period, each as the single export; audited."""
        return await Inspections(repository, queries).export(
            actor=request.user,
            unit=unit,
            start=start,
            end=end,
            cursor=cursor,
            limit=limit,
            request_id=request_id(request),
        )
