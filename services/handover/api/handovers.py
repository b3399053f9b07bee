"""Handover requests: create, read, list. Thin: parse, delegate, shape the response."""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import ResponseHeader
from litestar.di import NamedDependency
from litestar.openapi.spec import Example
from litestar.params import Body, FromPath, FromQuery, HeaderParameter, QueryParameter

from contracts.api import Handover, HandoverCreate, HandoverPage
from contracts.common import (
    CURSOR_PATTERN,
    INSTANT_PATTERN,
    UNIT_PATTERN,
    Actor,
    Kind,
    State,
    UnitId,
)
from services.handover.api import examples
from services.handover.api.docs import BEARER, ETAG, problems
from services.handover.api.strict import parse_instant
from services.handover.read_use_cases import HandoverQueries
from services.handover.use_cases import HandoverService
from services.handover.views import etag

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
IfMatch = Annotated[
    str | None,
    HeaderParameter(
        name="If-Match",
        required=False,
        max_length=40,
        pattern=r'^[ \t]*(\*|(W/)?"?[0-9]{1,18}"?)[ \t]*$',
        description='The ETag you last saw (e.g. "3"): 412 if the request changed since.',
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
        responses=problems(400, 401, 403, 409, 415, 422, 503),
        response_headers=[
            ResponseHeader(
                name="Location", description="URL of the new request.", documentation_only=True
            ),
            ETAG,
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
                description="`kind` is `transfer` or `enforcement_assistance`.",
                examples=[
                    Example(
                        summary="Remanded person to a remand prison", value=examples.TRANSFER_CREATE
                    ),
                    Example(
                        summary="Enforcement assistance (LVM 45 §)",
                        value=examples.ASSISTANCE_CREATE,
                    ),
                ],
            ),
        ],
        idempotency_key: IdempotencyKey = None,
    ) -> Response[Handover]:
        """Create a handover request; it starts in state `requested`."""
        handover = await handovers.create(
            actor=request.user,
            body=data,
            idempotency_key=idempotency_key,
            request_id=request_id(request),
        )
        return Response(
            handover,
            status_code=201,
            headers={"Location": f"{self.path}/{handover.id}", "ETag": etag(handover.version)},
        )

    @get(
        "/{handover_id:uuid}",
        operation_id="getHandover",
        responses=problems(400, 401, 403, 404, 503),
        response_headers=[ETAG],
    )
    async def get_one(
        self,
        request: Request[Actor, Any, Any],
        queries: NamedDependency[HandoverQueries],
        handover_id: FromPath[UUID],
    ) -> Response[Handover]:
        """Read one request with the person's data and your allowed actions; audited."""
        handover = await queries.handover(
            actor=request.user, handover_id=str(handover_id), request_id=request_id(request)
        )
        return Response(handover, headers={"ETag": etag(handover.version)})

    @get("/", operation_id="listHandovers", responses=problems(400, 401, 503))
    async def list_all(
        self,
        request: Request[Actor, Any, Any],
        queries: NamedDependency[HandoverQueries],
        state_filter: Annotated[State | None, QueryParameter(name="state")] = None,
        kind: FromQuery[Kind | None] = None,
        unit: Annotated[
            UnitId | None,
            QueryParameter(
                pattern=UNIT_PATTERN, description="Only requests this unit is a party to."
            ),
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
        due_before: Annotated[
            str | None,
            QueryParameter(
                description="RFC 3339 with offset: only requests whose next deadline falls before.",
                format="date-time",
                max_length=40,
                pattern=INSTANT_PATTERN,
            ),
        ] = None,
        breached: Annotated[
            bool | None,
            QueryParameter(description="Only requests with (true) or without a breach."),
        ] = None,
        sort: Annotated[
            Literal["created", "next_due"],
            QueryParameter(description="`next_due`: soonest deadline first (open deadlines only)."),
        ] = "created",
    ) -> HandoverPage:
        """List the requests you are a party to; identity numbers are masked."""
        return await queries.list(
            actor=request.user,
            state=state_filter,
            kind=kind,
            unit=unit,
            cursor=cursor,
            limit=limit,
            request_id=request_id(request),
            due_before=None if due_before is None else parse_instant(due_before, "due_before"),
            breached=breached,
            sort=sort,
        )
