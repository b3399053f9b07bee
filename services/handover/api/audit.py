"""Auditors: who read which request's personal data, and reads outside one's own cases."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter

from contracts.api import AccessPage
from contracts.common import CURSOR_PATTERN, LINE_PATTERN, UNIT_PATTERN, Actor, UnitId
from services.handover.api.docs import BEARER, problems
from services.handover.api.handovers import MAX_LIMIT
from services.handover.read_use_cases import HandoverQueries


class AuditController(Controller):
    path = "/v1/audit"
    tags = ("audit",)
    security = BEARER

    @get("/access", operation_id="listAccess", responses=problems(400, 401, 403, 503))
    async def access(
        self,
        request: Request[Actor, Any, Any],
        queries: NamedDependency[HandoverQueries],
        handover_id: Annotated[
            UUID | None, QueryParameter(description="Every read of this request.")
        ] = None,
        sub: Annotated[
            str | None,
            QueryParameter(
                max_length=200, pattern=LINE_PATTERN, description="Every read by this user."
            ),
        ] = None,
        unit: Annotated[
            UnitId | None, QueryParameter(pattern=UNIT_PATTERN, description="Reads from this unit.")
        ] = None,
        outside_own_cases: Annotated[
            bool | None,
            QueryParameter(description="true: reads by units that are no party to the request."),
        ] = None,
        person: Annotated[
            str | None,
            QueryParameter(
                max_length=13,
                pattern=r"^([0-9]{2})?[0-9]{6}[-+]?[0-9]{4}$",
                description=(
                    "Every read of this person's requests: a personnummer or samordningsnummer. "
                    "Matched by a keyed pseudonym; the log never stores the number."
                ),
            ),
        ] = None,
        flagged: Annotated[
            bool | None,
            QueryParameter(
                description="true: reads outside one's cases without a purpose, or at an "
                "unusual hour (`many_persons` shows in `flags` but does not filter)."
            ),
        ] = None,
        cursor: Annotated[
            str | None, QueryParameter(max_length=200, pattern=CURSOR_PATTERN)
        ] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT)] = 50,
    ) -> AccessPage:
        """The access log, newest first (auditors only)."""
        return await queries.access(
            actor=request.user,
            handover_id=str(handover_id) if handover_id else None,
            sub=sub,
            unit=unit,
            outside_own_cases=outside_own_cases,
            cursor=cursor,
            limit=limit,
            person=person,
            flagged=flagged,
        )
