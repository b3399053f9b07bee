"""Amendments of a request and corrections of events recorded in error.

No `from __future__ import annotations` here: Litestar reads the handlers' annotations.
"""

from typing import Annotated, Any
from uuid import UUID

from litestar import Request, Response, Router, post
from litestar.di import NamedDependency
from litestar.openapi.spec import Example
from litestar.params import Body, FromPath

from contracts.amendments import Amendment, CorrectionBody
from contracts.api import Handover
from contracts.common import Actor
from contracts.workflow import UPDATE_CORRECT
from services.handover.api.actions import change
from services.handover.api.docs import BEARER, CHANGE_STATUSES, ETAG, problems
from services.handover.api.handovers import IdempotencyKey, IfMatch, request_id
from services.handover.use_cases import HandoverService
from services.handover.views import etag, parse_if_match

BASE = "/{handover_id:uuid}"
CHANGE_PROBLEMS = problems(*CHANGE_STATUSES)

AMENDMENT_EXAMPLES = [
    Example(
        summary="A new destination before pickup (transfer)",
        value={
            "field": "destination",
            "to_unit": "kv-hakte-goteborg",
            "reason": "The court's decision names Göteborg remand prison.",
        },
    ),
    Example(
        summary="The identity established",
        value={
            "field": "identity",
            "identity": {"type": "personnummer", "number": "19121212-1212"},
            "given_name": "Tolvan",
            "family_name": "Tolvansson",
            "reason": "Identified by fingerprints (Polisens registerslagning).",
        },
    ),
    Example(
        summary="A mistyped case number",
        value={
            "field": "decision",
            "case_number": "B 12354-26",
            "reason": "Mistyped; the court's decision says B 12354-26.",
        },
    ),
    Example(
        summary="Restrictions lifted",
        value={
            "field": "restrictions",
            "restrictions": {"applies": False, "kinds": []},
            "reason": "The prosecutor lifted the restrictions.",
        },
    ),
    Example(
        summary="A child, where the identity does not show it",
        value={
            "field": "under_18",
            "under_18": True,
            "reason": "Age assessed by the social services (the identity is still unknown).",
        },
    ),
    Example(
        summary="Relatives notified",
        value={
            "field": "relatives_notified",
            "relatives_notified": True,
            "reason": "The person's sister was called.",
        },
    ),
]
CORRECTION_EXAMPLE = {
    "occurred_at": "2026-11-28T10:05:00+01:00",
    "reason": "The reception was recorded at the end of the shift; it took place at 10:05.",
}


@post(
    f"{BASE}/amendments",
    operation_id="amendHandover",
    status_code=200,
    responses=CHANGE_PROBLEMS,
    response_headers=[ETAG],
)
async def amend(
    request: Request[Actor, Any, Any],
    handovers: NamedDependency[HandoverService],
    handover_id: FromPath[UUID],
    data: Annotated[
        Amendment,
        Body(
            title="Amendment",
            description="`field` says what changes: `destination`, `identity`, `decision`, "
            "`restrictions`, `relatives_notified` or `under_18`; `reason` is required.",
            examples=AMENDMENT_EXAMPLES,
        ),
    ],
    if_match: IfMatch = None,
    idempotency_key: IdempotencyKey = None,
) -> Response[Handover]:
    """Amend a fact of the request, with a reason; old and new value stay in the log."""
    handover = await handovers.amend(
        actor=request.user,
        handover_id=str(handover_id),
        body=data,
        expected_version=parse_if_match(if_match),
        idempotency_key=idempotency_key,
        request_id=request_id(request),
    )
    return Response(handover, headers={"ETag": etag(handover.version)})


@post(
    f"{BASE}/events/{{seq:int}}/correct",
    operation_id="correctEvent",
    status_code=200,
    responses=CHANGE_PROBLEMS,
    response_headers=[ETAG],
)
async def correct(
    request: Request[Actor, Any, Any],
    handovers: NamedDependency[HandoverService],
    handover_id: FromPath[UUID],
    seq: FromPath[int],
    data: Annotated[
        CorrectionBody,
        Body(examples=[Example(summary="A reception time", value=CORRECTION_EXAMPLE)]),
    ],
    if_match: IfMatch = None,
    idempotency_key: IdempotencyKey = None,
) -> Response[Handover]:
    """Mark an event as recorded in error with the corrected time; nothing is rewritten."""
    handover = await change(
        request,
        handovers,
        handover_id,
        UPDATE_CORRECT,
        data,
        if_match,
        idempotency_key,
        target=str(seq),
    )
    return Response(handover, headers={"ETag": etag(handover.version)})


def router() -> Router:
    return Router(
        path="/v1/handovers", route_handlers=[amend, correct], tags=["handovers"], security=BEARER
    )
