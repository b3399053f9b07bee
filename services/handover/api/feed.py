"""The event feed for clients that poll: every change of every request you may see."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from contracts.api import FeedPage
from contracts.common import CURSOR_PATTERN, Actor
from services.handover.api.docs import BEARER, problems
from services.handover.api.handovers import MAX_LIMIT, request_id
from services.handover.read_use_cases import HandoverQueries


class FeedController(Controller):
    path = "/v1/events"
    tags = ("handovers",)
    security = BEARER

    @get("/", operation_id="eventFeed", responses=problems(400, 401, 403, 503))
    async def feed(
        self,
        request: Request[Actor, Any, Any],
        queries: NamedDependency[HandoverQueries],
        after: Annotated[
            str | None,
            QueryParameter(
                max_length=200,
                pattern=CURSOR_PATTERN,
                description="`next_after` of your previous poll.",
            ),
        ] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT)] = 100,
    ) -> FeedPage:
        """Events after your cursor, oldest first; none is ever skipped or repeated; audited."""
        return await queries.feed(
            actor=request.user, after=after, limit=limit, request_id=request_id(request)
        )
