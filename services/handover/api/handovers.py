"""Handover requests: create, read, list. Thin: parse, delegate, shape the response."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import ResponseHeader
from litestar.di import NamedDependency
from litestar.openapi.spec import Example
from litestar.params import Body, FromPath, FromQuery, HeaderParameter, QueryParameter

from contracts.api import Handover, HandoverCreate, HandoverPage
from contracts.common import Actor, Kind, State, UnitId
from services.handover.api.docs import BEARER, problems
from services.handover.api.examples import TRANSFER_CREATE
from services.handover.api.strict import strict_body
from services.handover.handovers import HandoverService, etag

MAX_LIMIT = 200
IdempotencyKey = Annotated[
    str | None,
    HeaderParameter(
        name="Idempotency-Key",
        required=False,
        min_length=1,
        max_length=200,
        description="Makes a retry safe: the same key and body return the original response.",
    ),
]


def request_id(request: Request[Actor, Any, Any]) -> str:
    return str(request.state.request_id)


class HandoverController(Controller):
    path = "/v1/handovers"
    tags = ("handovers",)
    security = BEARER

    @post(
        "/",
        operation_id="createHandover",
        status_code=201,
        responses=problems(400, 401, 403, 422, 503),
        response_headers=[
            ResponseHeader(
                name="Location", description="URL of the new request.", documentation_only=True
            ),
            ResponseHeader(
                name="ETag", description="Version of the representation.", documentation_only=True
            ),
        ],
    )
    async def create(
        self,
        request: Request[Actor, Any, Any],
        handovers: NamedDependency[HandoverService],
        data: Annotated[
            HandoverCreate,
            Body(
                title="New handover request",
                examples=[
                    Example(summary="Remanded person to a remand prison", value=TRANSFER_CREATE)
                ],
            ),
        ],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[Handover]:
        """Create a handover request; it starts in state `requested`."""
        handover = await handovers.create(
            actor=request.user,
            body=await strict_body(request, HandoverCreate),
            idempotency_key=idempotency_key,
            request_id=request_id(request),
        )
        return Response(
            handover,
            status_code=201,
            headers={"Location": f"{self.path}/{handover.id}", "ETag": etag(handover)},
        )

    @get(
        "/{handover_id:uuid}",
        operation_id="getHandover",
        responses=problems(400, 401, 404, 503),
        response_headers=[
            ResponseHeader(
                name="ETag", description="Version of the representation.", documentation_only=True
            )
        ],
    )
    async def get_one(
        self,
        request: Request[Actor, Any, Any],
        handovers: NamedDependency[HandoverService],
        handover_id: FromPath[UUID],
    ) -> Response[Handover]:
        """Read one request with the person's data; the read is audited."""
        handover = await handovers.get(
            actor=request.user, handover_id=str(handover_id), request_id=request_id(request)
        )
        return Response(handover, headers={"ETag": etag(handover)})

    @get("/", operation_id="listHandovers", responses=problems(400, 401, 503))
    async def list_all(
        self,
        request: Request[Actor, Any, Any],
        handovers: NamedDependency[HandoverService],
        state_filter: Annotated[State | None, QueryParameter(name="state")] = None,
        kind: FromQuery[Kind | None] = None,
        unit: Annotated[
            UnitId | None, QueryParameter(description="Only requests this unit is a party to.")
        ] = None,
        cursor: Annotated[
            str | None,
            QueryParameter(max_length=200, description="`next_cursor` of the previous page."),
        ] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT)] = 50,
    ) -> HandoverPage:
        """List the requests you are a party to, newest first; identity numbers are masked."""
        return await handovers.list(
            actor=request.user,
            state=state_filter,
            kind=kind,
            unit=unit,
            cursor=cursor,
            limit=limit,
            request_id=request_id(request),
        )
