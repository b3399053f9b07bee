"""Deadlines and escalations: extend a deadline, report an incident, the coordinators' list."""

from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.openapi.spec import Example
from litestar.params import Body, FromPath, QueryParameter

from contracts.actions import AcknowledgeBody, ExtendBody, ReportBody
from contracts.api import EscalationPage, Handover
from contracts.assessment import Incident
from contracts.common import CURSOR_PATTERN, UNIT_PATTERN, Actor, Kind, UnitId
from contracts.deadline_policy import Escalation, EscalationLevel
from contracts.workflow import UPDATE_ACKNOWLEDGE, UPDATE_EXTEND, UPDATE_REPORT
from services.handover.api.actions import change
from services.handover.api.docs import BEARER, CHANGE_STATUSES, ETAG, problems
from services.handover.api.handovers import MAX_LIMIT, IdempotencyKey, IfMatch
from services.handover.errors import NotFound
from services.handover.read_use_cases import HandoverQueries
from services.handover.use_cases import HandoverService
from services.handover.views import etag

CHANGE_PROBLEMS = problems(*CHANGE_STATUSES)
EXTEND_EXAMPLE = {
    "reason": "court_decision",
    "decision": "Stockholms tingsrätt B 12345-26, beslut 2026-11-28",
    "new_due_at": "2026-11-30T12:00:00+01:00",
    "text": "The court allowed the transfer to wait for the interpreter.",
}
REPORT_EXAMPLE = {"reported_at": "2026-11-28T15:20:00+01:00", "reference": "AV 2026/045123"}
ACKNOWLEDGE_EXAMPLE = {"note": "Called NTE Stockholm; transport leaves 14:00."}


class DeadlineController(Controller):
    path = "/v1/handovers/{handover_id:uuid}"
    tags = ("deadlines",)
    security = BEARER

    @post(
        "/deadlines/{deadline:str}/extend",
        operation_id="extendDeadline",
        status_code=200,
        responses=CHANGE_PROBLEMS,
        response_headers=[ETAG],
    )
    async def extend(
        self,
        request: Request[Actor, Any, Any],
        handovers: NamedDependency[HandoverService],
        handover_id: FromPath[UUID],
        deadline: FromPath[str],
        data: Annotated[
            ExtendBody,
            Body(examples=[Example(summary="By a court decision", value=EXTEND_EXAMPLE)]),
        ],
        if_match: IfMatch = None,
        idempotency_key: IdempotencyKey = None,
    ) -> Response[Handover]:
        """Move a deadline by a recorded decision (coordinators, custody supervisors)."""
        record = await change(
            request,
            handovers,
            handover_id,
            UPDATE_EXTEND,
            data,
            if_match,
            idempotency_key,
            target=deadline,
        )
        return Response(record, headers={"ETag": etag(record.version)})

    @post(
        "/incidents/{number:int}/report",
        operation_id="reportIncident",
        status_code=200,
        responses=CHANGE_PROBLEMS,
        response_headers=[ETAG],
    )
    async def report(
        self,
        request: Request[Actor, Any, Any],
        handovers: NamedDependency[HandoverService],
        handover_id: FromPath[UUID],
        number: FromPath[int],
        data: Annotated[
            ReportBody, Body(examples=[Example(summary="Reported", value=REPORT_EXAMPLE)])
        ],
        if_match: IfMatch = None,
        idempotency_key: IdempotencyKey = None,
    ) -> Response[Incident]:
        """Record that a serious incident was reported to Arbetsmiljöverket (meets the deadline)."""
        record = await change(
            request,
            handovers,
            handover_id,
            UPDATE_REPORT,
            data,
            if_match,
            idempotency_key,
            target=str(number),
        )
        incident = next(i for i in record.incidents if i.number == number)
        return Response(incident, headers={"ETag": etag(record.version)})


class EscalationController(Controller):
    path = "/v1/escalations"
    tags = ("deadlines",)
    security = BEARER

    @get("/", operation_id="listEscalations", responses=problems(400, 401, 403, 503))
    async def list_escalations(
        self,
        request: Request[Actor, Any, Any],
        queries: NamedDependency[HandoverQueries],
        unit: Annotated[
            UnitId | None,
            QueryParameter(
                pattern=UNIT_PATTERN, description="Only escalations this unit is party to."
            ),
        ] = None,
        kind: Annotated[Kind | None, QueryParameter(description="The request's kind.")] = None,
        level: Annotated[
            EscalationLevel | None,
            QueryParameter(description="warning, breach, deferral, incident."),
        ] = None,
        acknowledged: Annotated[
            bool | None, QueryParameter(description="false: what still needs attention.")
        ] = None,
        cursor: Annotated[
            str | None, QueryParameter(max_length=200, pattern=CURSOR_PATTERN)
        ] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT)] = 50,
    ) -> EscalationPage:
        """Escalations for coordinators, newest first; they stay until acknowledged."""
        return await queries.escalations(
            actor=request.user,
            unit=unit,
            kind=kind,
            level=level,
            acknowledged=acknowledged,
            cursor=cursor,
            limit=limit,
        )

    @post(
        "/{escalation_id:uuid}/acknowledge",
        operation_id="acknowledgeEscalation",
        status_code=200,
        responses=CHANGE_PROBLEMS,
        response_headers=[ETAG],
    )
    async def acknowledge(
        self,
        request: Request[Actor, Any, Any],
        handovers: NamedDependency[HandoverService],
        escalation_id: FromPath[UUID],
        data: Annotated[
            AcknowledgeBody, Body(examples=[Example(summary="Seen", value=ACKNOWLEDGE_EXAMPLE)])
        ],
        if_match: IfMatch = None,
        idempotency_key: IdempotencyKey = None,
    ) -> Response[Escalation]:
        """Acknowledge an escalation with a note (coordinators)."""
        handover_id = await handovers.escalation_handover(request.user, str(escalation_id))
        record = await change(
            request,
            handovers,
            handover_id,
            UPDATE_ACKNOWLEDGE,
            data,
            if_match,
            idempotency_key,
            target=str(escalation_id),
        )
        for escalation in record.escalations:
            if escalation.id == str(escalation_id):
                return Response(escalation, headers={"ETag": etag(record.version)})
        raise NotFound(f"No escalation {escalation_id}.")
