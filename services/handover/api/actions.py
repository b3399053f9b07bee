"""Lifecycle actions, the security assessment and incidents: every POST that changes a request.

Handlers are made by one factory so each action has the same contract: a strict body,
`If-Match` (412 when stale), `Idempotency-Key`, a 409 problem naming the current state and
the allowed actions, and the new representation with its ETag.

No `from __future__ import annotations` here: the factory's annotations must be real objects
for Litestar to read them.
"""

from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Request, Response, Router, get, post
from litestar.di import NamedDependency
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.spec import Example
from litestar.params import Body, FromPath

from contracts import actions as bodies
from contracts.api import CaseExport, EventView, Handover
from contracts.assessment import AssessmentBody, AssessmentHistory, Incident, IncidentBody
from contracts.common import Actor
from contracts.lifecycle import Action
from contracts.relatives import RelativesBody, RelativesNotice
from contracts.workflow import UPDATE_ASSESS, UPDATE_INCIDENT, UPDATE_RELATIVES
from services.handover.api import examples
from services.handover.api.docs import BEARER, CHANGE_STATUSES, ETAG, problems
from services.handover.api.handovers import IdempotencyKey, IfMatch, request_id
from services.handover.errors import NotFound
from services.handover.read_use_cases import HandoverQueries
from services.handover.use_cases import HandoverService
from services.handover.views import etag, parse_if_match

BASE = "/{handover_id:uuid}"
CHANGE_PROBLEMS = problems(*CHANGE_STATUSES)

ACTIONS: list[tuple[Action, type[msgspec.Struct], dict[str, Any], str]] = [
    (Action.ACCEPT, bodies.AcceptBody, examples.ACCEPT, "Accept the request (executor)."),
    (Action.DEFER, bodies.DeferBody, examples.DEFER, "Defer: not now; the legal clock runs on."),
    (Action.REJECT, bodies.RejectBody, examples.REJECT, "Reject an invalid request (executor)."),
    (
        Action.SCHEDULE,
        bodies.ScheduleBody,
        examples.SCHEDULE,
        "Schedule or reschedule the pick-up.",
    ),
    (Action.RELEASE, bodies.ReleaseBody, examples.RELEASE, "Release the person (holder)."),
    (Action.RECEIVE, bodies.ReceiveBody, examples.RECEIVE, "Confirm reception (receiver)."),
    (Action.CANCEL, bodies.CancelBody, examples.CANCEL, "Cancel before the first handover."),
    (Action.COMPLETE, bodies.CompleteBody, examples.COMPLETE, "Deliver outside both agencies."),
    (Action.NOT_EXECUTED, bodies.NotExecutedBody, examples.NOT_EXECUTED, "Record not executed."),
    (
        Action.PLACED,
        bodies.PlacedBody,
        examples.PLACED,
        "Record the placement in a prison (strafftidslag 10 §).",
    ),
]


def _operation_id(action: Action) -> str:
    words = str(action).split("-")
    return words[0] + "".join(w.title() for w in words[1:]) + "Handover"


async def change(
    request: Request[Actor, Any, Any],
    handovers: HandoverService,
    handover_id: UUID | str,
    name: str,
    body: msgspec.Struct,
    if_match: str | None,
    idempotency_key: str | None,
    target: str | None = None,
) -> Handover:
    """One update to a request: its body, If-Match, Idempotency-Key; the request after."""
    return await handovers.act(
        actor=request.user,
        handover_id=str(handover_id),
        name=name,
        body=body,
        expected_version=parse_if_match(if_match),
        idempotency_key=idempotency_key,
        request_id=request_id(request),
        target=target,
    )


def action_handler(
    action: Action, body_type: type[msgspec.Struct], example: dict[str, Any], summary: str
) -> HTTPRouteHandler:
    async def handler(
        request: Request[Actor, Any, Any],
        handovers: NamedDependency[HandoverService],
        handover_id: FromPath[UUID],
        data: Annotated[body_type, Body(examples=[Example(summary=summary, value=example)])],  # type: ignore[valid-type]
        if_match: IfMatch = None,
        idempotency_key: IdempotencyKey = None,
    ) -> Response[Handover]:
        handover = await change(
            request, handovers, handover_id, str(action), data, if_match, idempotency_key
        )
        return Response(handover, headers={"ETag": etag(handover.version)})

    handler.__doc__ = summary
    handler.__name__ = str(action).replace("-", "_")
    return post(
        f"{BASE}/{action}",
        operation_id=_operation_id(action),
        status_code=200,
        responses=CHANGE_PROBLEMS,
        response_headers=[ETAG],
        summary=str(action).replace("-", " ").capitalize(),
    )(handler)


@post(
    f"{BASE}/security-assessment",
    operation_id="amendSecurityAssessment",
    status_code=201,
    responses=CHANGE_PROBLEMS,
    response_headers=[ETAG],
)
async def post_assessment(
    request: Request[Actor, Any, Any],
    handovers: NamedDependency[HandoverService],
    handover_id: FromPath[UUID],
    data: Annotated[
        AssessmentBody,
        Body(examples=[Example(summary="Complete assessment", value=examples.ASSESSMENT)]),
    ],
    if_match: IfMatch = None,
    idempotency_key: IdempotencyKey = None,
) -> Response[AssessmentHistory]:
    """Record a new version of the security assessment (requesting unit's custody staff)."""
    record = await change(
        request, handovers, handover_id, UPDATE_ASSESS, data, if_match, idempotency_key
    )
    versions = record.security_assessments
    return Response(
        AssessmentHistory(current=versions[-1], versions=versions),
        status_code=201,
        headers={"ETag": etag(record.version)},
    )


@get(
    f"{BASE}/security-assessment",
    operation_id="getSecurityAssessment",
    responses=problems(400, 401, 404, 503),
    response_headers=[ETAG],
)
async def get_assessment(
    request: Request[Actor, Any, Any],
    queries: NamedDependency[HandoverQueries],
    handover_id: FromPath[UUID],
) -> Response[AssessmentHistory]:
    """The current security assessment and all earlier versions; audited."""
    record = await queries.record(
        actor=request.user,
        handover_id=str(handover_id),
        request_id=request_id(request),
        what="read_assessment",
    )
    versions = record.security_assessments
    return Response(
        AssessmentHistory(current=versions[-1] if versions else None, versions=versions),
        headers={"ETag": etag(record.version)},
    )


@post(
    f"{BASE}/incidents",
    operation_id="recordIncident",
    status_code=201,
    responses=CHANGE_PROBLEMS,
    response_headers=[ETAG],
)
async def post_incident(
    request: Request[Actor, Any, Any],
    handovers: NamedDependency[HandoverService],
    handover_id: FromPath[UUID],
    data: Annotated[
        IncidentBody,
        Body(examples=[Example(summary="Self-harm in transport", value=examples.INCIDENT)]),
    ],
    if_match: IfMatch = None,
    idempotency_key: IdempotencyKey = None,
) -> Response[Incident]:
    """Record an incident (either party, any time, also after the request closed)."""
    record = await change(
        request, handovers, handover_id, UPDATE_INCIDENT, data, if_match, idempotency_key
    )
    incident = record.incidents[-1]
    return Response(
        incident,
        status_code=201,
        headers={
            "ETag": etag(record.version),
            "Location": f"/v1/handovers/{handover_id}/incidents/{incident.number}",
        },
    )


@post(
    f"{BASE}/relatives",
    operation_id="recordRelatives",
    status_code=201,
    responses=CHANGE_PROBLEMS,
    response_headers=[ETAG],
)
async def post_relatives(
    request: Request[Actor, Any, Any],
    handovers: NamedDependency[HandoverService],
    handover_id: FromPath[UUID],
    data: Annotated[
        RelativesBody,
        Body(examples=[Example(summary="Mother told by phone", value=examples.RELATIVES)]),
    ],
    if_match: IfMatch = None,
    idempotency_key: IdempotencyKey = None,
) -> Response[RelativesNotice]:
    """Record whether the person's close relatives were told of the move (either party)."""
    record = await change(
        request, handovers, handover_id, UPDATE_RELATIVES, data, if_match, idempotency_key
    )
    return Response(record.relatives[-1], status_code=201, headers={"ETag": etag(record.version)})


@get(f"{BASE}/incidents", operation_id="listIncidents", responses=problems(400, 401, 404, 503))
async def list_incidents(
    request: Request[Actor, Any, Any],
    queries: NamedDependency[HandoverQueries],
    handover_id: FromPath[UUID],
) -> list[Incident]:
    """The incidents recorded on a request, oldest first."""
    record = await queries.record(
        actor=request.user,
        handover_id=str(handover_id),
        request_id=request_id(request),
        what="read_incidents",
    )
    return record.incidents


@get(
    f"{BASE}/incidents/{{number:int}}",
    operation_id="getIncident",
    responses=problems(400, 401, 404, 503),
)
async def get_incident(
    request: Request[Actor, Any, Any],
    queries: NamedDependency[HandoverQueries],
    handover_id: FromPath[UUID],
    number: FromPath[int],
) -> Incident:
    """One incident."""
    record = await queries.record(
        actor=request.user,
        handover_id=str(handover_id),
        request_id=request_id(request),
        what="read_incidents",
    )
    for incident in record.incidents:
        if incident.number == number:
            return incident
    raise NotFound(f"No incident {number} on this request.")


@get(f"{BASE}/events", operation_id="listHandoverEvents", responses=problems(400, 401, 404, 503))
async def list_events(
    request: Request[Actor, Any, Any],
    queries: NamedDependency[HandoverQueries],
    handover_id: FromPath[UUID],
) -> list[EventView]:
    """The request's event log in order: actor, occurred_at, recorded_at, data, hash chain."""
    return await queries.events(
        actor=request.user, handover_id=str(handover_id), request_id=request_id(request)
    )


@get(
    f"{BASE}/export",
    operation_id="exportHandover",
    responses=problems(400, 401, 404, 503),
)
async def export_handover(
    request: Request[Actor, Any, Any],
    queries: NamedDependency[HandoverQueries],
    handover_id: FromPath[UUID],
) -> CaseExport:
    """The whole case as one document with its event log and the chain's head hash."""
    return await queries.export(
        actor=request.user, handover_id=str(handover_id), request_id=request_id(request)
    )


def router() -> Router:
    handlers: list[HTTPRouteHandler] = [action_handler(*spec) for spec in ACTIONS]
    handlers += [
        post_assessment,
        get_assessment,
        post_incident,
        post_relatives,
        list_incidents,
        get_incident,
        list_events,
        export_handover,
    ]
    return Router(
        path="/v1/handovers", route_handlers=handlers, tags=["handovers"], security=BEARER
    )
