"""Journeys with stops: lodgings, redirects, a return leg, stops outside the agencies.

No `from __future__ import annotations` here: Litestar reads the handlers' annotations.
"""

from typing import Annotated, Any
from uuid import UUID

from litestar import Request, Response, Router, post
from litestar.di import NamedDependency
from litestar.openapi.spec import Example
from litestar.params import Body, FromPath

from contracts.api import Handover
from contracts.common import Actor
from contracts.journey import JourneyChange
from services.handover.api.docs import BEARER, CHANGE_STATUSES, ETAG, problems
from services.handover.api.handovers import IdempotencyKey, IfMatch, request_id
from services.handover.use_cases import HandoverService
from services.handover.views import etag, parse_if_match

JOURNEY_EXAMPLES = [
    Example(
        summary="A night at a remand prison on the way (the executor's planner)",
        value={
            "change": "lodging",
            "unit": "kv-hakte-sundsvall",
            "arrive_at": "2026-11-28T18:00:00+01:00",
            "depart_at": "2026-11-29T07:00:00+01:00",
            "note": "Luleå–Stockholm in two days.",
        },
    ),
    Example(
        summary="The lodging unit accepts",
        value={"change": "lodging_answer", "stop": 1, "accepted": True},
    ),
    Example(
        summary="The lodging unit declines",
        value={"change": "lodging_answer", "stop": 1, "accepted": False, "reason": "no_capacity"},
    ),
    Example(
        summary="A stop taken out of the plan",
        value={"change": "cancel_stop", "stop": 1, "reason": "replanned"},
    ),
    Example(
        summary="A new destination on the way (transfer)",
        value={
            "change": "redirect",
            "to_unit": "kv-hakte-goteborg",
            "reason": "placement_decision",
            "text": "Placeringsenheten: Göteborg instead of Kronoberg.",
        },
    ),
    Example(
        summary="A return leg: to the hearing and back (enforcement assistance)",
        value={
            "change": "return",
            "return_to": "kv-hakte-kronoberg",
            "depart_at": "2026-11-28T15:00:00+01:00",
        },
    ),
    Example(
        summary="The escort arrived at a turnaround outside the agencies (a court)",
        value={"change": "arrived", "stop": 1, "occurred_at": "2026-11-28T09:40:00+01:00"},
    ),
    Example(
        summary="The escort left it",
        value={"change": "departed", "stop": 1, "occurred_at": "2026-11-28T15:05:00+01:00"},
    ),
]


@post(
    "/{handover_id:uuid}/journey",
    operation_id="changeJourney",
    status_code=200,
    responses=problems(*CHANGE_STATUSES),
    response_headers=[ETAG],
)
async def change_journey(
    request: Request[Actor, Any, Any],
    handovers: NamedDependency[HandoverService],
    handover_id: FromPath[UUID],
    data: Annotated[
        JourneyChange,
        Body(
            title="Journey change",
            description="`change` says what: `lodging`, `lodging_answer`, `cancel_stop`, "
            "`redirect`, `return`, `arrived` or `departed`.",
            examples=JOURNEY_EXAMPLES,
        ),
    ],
    if_match: IfMatch = None,
    idempotency_key: IdempotencyKey = None,
) -> Response[Handover]:
    """Plan or record a stop on the way, or redirect the journey; the record's `journey`."""
    handover = await handovers.change_journey(
        actor=request.user,
        handover_id=str(handover_id),
        body=data,
        expected_version=parse_if_match(if_match),
        idempotency_key=idempotency_key,
        request_id=request_id(request),
    )
    return Response(handover, headers={"ETag": etag(handover.version)})


def router() -> Router:
    return Router(
        path="/v1/handovers", route_handlers=[change_journey], tags=["handovers"], security=BEARER
    )
