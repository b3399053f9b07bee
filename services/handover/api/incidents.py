"""Incidents of a unit outside any request, and their follow-up (`/v1/incidents`)."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import ResponseHeader
from litestar.di import NamedDependency
from litestar.openapi.spec import Example
from litestar.params import Body, FromPath, QueryParameter

from contracts.common import CURSOR_PATTERN, UNIT_PATTERN, Actor, UnitId
from contracts.unit_incidents import (
    CloseBody,
    IncidentReportBody,
    InvestigationBody,
    InvestigationState,
    UnitIncident,
    UnitIncidentBody,
    UnitIncidentPage,
)
from services.handover.api.docs import BEARER, problems
from services.handover.api.handovers import IdempotencyKey, request_id
from services.handover.unit_incidents import UnitIncidents
from services.handover.views import etag

MAX_LIMIT = 200
CHANGE = problems(400, 401, 403, 404, 409, 415, 422, 503)
READ = problems(400, 401, 403, 404, 503)

UNIT_INCIDENT: dict[str, Any] = {
    "kind": "work_injury",
    "severity": "serious",
    "setting": "cell",
    "occurred_at": "2026-11-28T09:30:00+01:00",
    "place": "Arrest, cell 12",
    "description": "An officer was bitten on the hand while escorting a detainee to the cell.",
    "actions_taken": "First aid; the officer was taken to the emergency ward.",
    "staff_injured": True,
}
INVESTIGATION: dict[str, Any] = {
    "responsible": "Kommissarie A. Berg",
    "measures": [
        {"description": "Review escort routine for agitated detainees.", "due_on": "2026-12-15"}
    ],
}
CLOSE: dict[str, Any] = {
    "decision": "Routine changed: two officers escort agitated detainees.",
    "decided_at": "2026-11-30T10:00:00+01:00",
}
REPORT: dict[str, Any] = {"reported_at": "2026-11-28T15:00:00+01:00", "reference": "AV 2026/5678"}


def _answer(incident: UnitIncident, status: int = 200) -> Response[UnitIncident]:
    return Response(incident, status_code=status, headers={"ETag": etag(incident.version)})


class UnitIncidentController(Controller):
    path = "/v1/incidents"
    tags = ("incidents",)
    security = BEARER

    @post(
        "/",
        operation_id="recordUnitIncident",
        status_code=201,
        responses=CHANGE,
        response_headers=[
            ResponseHeader(
                name="Location", description="URL of the new incident.", documentation_only=True
            )
        ],
    )
    async def record(
        self,
        request: Request[Actor, Any, Any],
        unit_incidents: NamedDependency[UnitIncidents],
        data: Annotated[
            UnitIncidentBody,
            Body(examples=[Example(summary="Work injury in the cells", value=UNIT_INCIDENT)]),
        ],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[UnitIncident]:
        """Record an incident of your own unit outside any request."""
        incident = await unit_incidents.record(
            actor=request.user,
            body=data,
            idempotency_key=idempotency_key,
            request_id=request_id(request),
        )
        response = _answer(incident, 201)
        response.headers["Location"] = f"{self.path}/{incident.id}"
        return response

    @get("/", operation_id="listUnitIncidents", responses=problems(400, 401, 403, 503))
    async def list_all(
        self,
        request: Request[Actor, Any, Any],
        unit_incidents: NamedDependency[UnitIncidents],
        unit: Annotated[
            UnitId | None, QueryParameter(pattern=UNIT_PATTERN, description="Only this unit.")
        ] = None,
        investigation: Annotated[
            list[InvestigationState] | None,
            QueryParameter(description="Only incidents whose investigation is in these states."),
        ] = None,
        cursor: Annotated[
            str | None,
            QueryParameter(
                max_length=200,
                pattern=CURSOR_PATTERN,
                description="`next_cursor` of the previous page.",
            ),
        ] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT)] = 50,
    ) -> UnitIncidentPage:
        """List unit incidents as facts (no texts), newest first."""
        return await unit_incidents.list(
            actor=request.user,
            unit=unit,
            investigation=investigation,
            cursor=cursor,
            limit=limit,
        )

    @get("/{incident_id:uuid}", operation_id="getUnitIncident", responses=READ)
    async def get_one(
        self,
        request: Request[Actor, Any, Any],
        unit_incidents: NamedDependency[UnitIncidents],
        incident_id: FromPath[UUID],
    ) -> Response[UnitIncident]:
        """Read one unit incident with its follow-up; audited."""
        incident = await unit_incidents.get(
            actor=request.user, incident_id=str(incident_id), request_id=request_id(request)
        )
        return _answer(incident)

    @post(
        "/{incident_id:uuid}/investigation",
        operation_id="investigateUnitIncident",
        status_code=200,
        responses=CHANGE,
    )
    async def investigate(
        self,
        request: Request[Actor, Any, Any],
        unit_incidents: NamedDependency[UnitIncidents],
        incident_id: FromPath[UUID],
        data: Annotated[
            InvestigationBody,
            Body(examples=[Example(summary="Open the investigation", value=INVESTIGATION)]),
        ],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[UnitIncident]:
        """Open the investigation, or replace its responsible person and measures."""
        return _answer(
            await unit_incidents.change(
                actor=request.user,
                incident_id=str(incident_id),
                body=data,
                idempotency_key=idempotency_key,
                request_id=request_id(request),
            )
        )

    @post(
        "/{incident_id:uuid}/close",
        operation_id="closeUnitIncident",
        status_code=200,
        responses=CHANGE,
    )
    async def close(
        self,
        request: Request[Actor, Any, Any],
        unit_incidents: NamedDependency[UnitIncidents],
        incident_id: FromPath[UUID],
        data: Annotated[
            CloseBody, Body(examples=[Example(summary="Closing decision", value=CLOSE)])
        ],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[UnitIncident]:
        """Close the investigation with its decision."""
        return _answer(
            await unit_incidents.change(
                actor=request.user,
                incident_id=str(incident_id),
                body=data,
                idempotency_key=idempotency_key,
                request_id=request_id(request),
            )
        )

    @post(
        "/{incident_id:uuid}/report",
        operation_id="reportUnitIncident",
        status_code=200,
        responses=CHANGE,
    )
    async def report(
        self,
        request: Request[Actor, Any, Any],
        unit_incidents: NamedDependency[UnitIncidents],
        incident_id: FromPath[UUID],
        data: Annotated[
            IncidentReportBody,
            Body(examples=[Example(summary="Reported to Arbetsmiljöverket", value=REPORT)]),
        ],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[UnitIncident]:
        """Record the report to Arbetsmiljöverket; meets the `incident_report` clock."""
        return _answer(
            await unit_incidents.change(
                actor=request.user,
                incident_id=str(incident_id),
                body=data,
                idempotency_key=idempotency_key,
                request_id=request_id(request),
            )
        )
