"""Follow-up reports per unit and week or month: JSON, CSV and SVG charts (aggregates only)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from litestar import Controller, Request, Response, get
from litestar.datastructures import ResponseHeader
from litestar.di import NamedDependency
from litestar.params import PathParameter, QueryParameter

from contracts.common import UNIT_PATTERN, Actor
from contracts.reports import Chart, Period, Report
from services.handover.api.docs import BEARER, problems
from services.handover.reports import STOCKHOLM, Reports, to_csv
from services.handover.reports import chart as render_chart
from services.handover.repository import Repository

PeriodParam = Annotated[Period, QueryParameter(description="`week` (Monday to Sunday) or `month`.")]
StartParam = Annotated[
    date | None,
    QueryParameter(
        description=(
            "A day in the period (YYYY-MM-DD); the report covers the week or month that "
            "contains it, in Europe/Stockholm. Default: today."
        )
    ),
]
UnitParam = Annotated[
    str, PathParameter(pattern=UNIT_PATTERN, description="Unit id from GET /v1/units.")
]
PROBLEMS = problems(400, 401, 403, 404, 503)


async def _report(
    request: Request[Actor, Any, Any],
    repository: Repository,
    unit: str,
    period: Period,
    start: date | None,
) -> Report:
    day = start or datetime.now(STOCKHOLM).date()
    return await Reports(repository).report(actor=request.user, unit=unit, period=period, start=day)


class ReportController(Controller):
    path = "/v1/reports/{unit:str}"
    tags = ("reports",)
    security = BEARER

    @get("/", operation_id="getReport", responses=PROBLEMS)
    async def report(
        self,
        request: Request[Actor, Any, Any],
        repository: NamedDependency[Repository],
        unit: UnitParam,
        period: PeriodParam = Period.WEEK,
        start: StartParam = None,
    ) -> Report:
        """A unit's follow-up report for a week or a month."""
        return await _report(request, repository, unit, period, start)

    @get(
        "/csv",
        operation_id="getReportCsv",
        media_type="text/csv; charset=utf-8",
        responses=PROBLEMS,
        response_headers=[
            ResponseHeader(
                name="Content-Disposition",
                description="attachment; filename=report-<unit>-<start>-<period>.csv",
                documentation_only=True,
            )
        ],
    )
    async def report_csv(
        self,
        request: Request[Actor, Any, Any],
        repository: NamedDependency[Repository],
        unit: UnitParam,
        period: PeriodParam = Period.WEEK,
        start: StartParam = None,
    ) -> Response[str]:
        """The same report as CSV, one figure per row."""
        report = await _report(request, repository, unit, period, start)
        name = f"report-{report.unit}-{report.start.isoformat()}-{report.period}.csv"
        return Response(
            to_csv(report),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    @get(
        "/charts/{chart:str}",
        operation_id="getReportChart",
        media_type="image/svg+xml",
        responses=PROBLEMS,
    )
    async def report_chart(
        self,
        request: Request[Actor, Any, Any],
        repository: NamedDependency[Repository],
        unit: UnitParam,
        chart: Annotated[Chart, PathParameter(description="Which chart.")],
        period: PeriodParam = Period.WEEK,
        start: StartParam = None,
    ) -> Response[str]:
        """One chart of the report as SVG."""
        report = await _report(request, repository, unit, period, start)
        return Response(render_chart(report, chart), media_type="image/svg+xml")
