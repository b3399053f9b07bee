"""Free places of remand prisons and prisons: published by their own staff, read by
coordinators and Kriminalvården.

Capacity is reference data about units, neither personal data nor the state of a request, so
these handlers write and read PostgreSQL directly (no workflow): see the README, "Free places".
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, put
from litestar.di import NamedDependency
from litestar.openapi.spec import Example
from litestar.params import Body, PathParameter, QueryParameter

from contracts.capacity import PLACE_KINDS, CapacityBody, UnitCapacity
from contracts.common import CLOCK_SKEW, UNIT_PATTERN, Actor, Org, Role
from services.handover.api import examples
from services.handover.api.docs import BEARER, problems
from services.handover.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound
from services.handover.repository import Repository

# Who publishes a unit's free places: its own reception staff or its integrated system.
PUBLISHERS = (Role.RECEPTION_OFFICER, Role.SYSTEM)
# Who reads them: coordinators of either agency and Kriminalvården's own staff and systems.
KV_READERS = (
    Role.TRANSPORT_PLANNER,
    Role.RECEPTION_OFFICER,
    Role.ESCORT_OFFICER,
    Role.SYSTEM,
)

UnitParam = Annotated[
    str, PathParameter(pattern=UNIT_PATTERN, description="A remand prison or prison.")
]


class CapacityController(Controller):
    path = "/v1"
    tags = ("reference data",)
    security = BEARER

    @put(
        "/units/{unit_id:str}/capacity",
        operation_id="putUnitCapacity",
        status_code=200,
        responses=problems(400, 401, 403, 404, 409, 415, 503),
    )
    async def put_capacity(
        self,
        request: Request[Actor, Any, Any],
        repository: NamedDependency[Repository],
        unit_id: UnitParam,
        data: Annotated[
            CapacityBody,
            Body(examples=[Example(summary="Free places this morning", value=examples.CAPACITY)]),
        ],
    ) -> UnitCapacity:
        """Publish the unit's free places by category (its own reception staff or system)."""
        actor = request.user
        unit = (await repository.get_units(ids=[unit_id])).get(unit_id)
        if unit is None:
            raise NotFound(f"No unit {unit_id}.")
        if actor.unit != unit_id or not actor.has_any(*PUBLISHERS):
            raise Forbidden("A unit's own reception staff or system publish its free places.")
        if unit.kind not in PLACE_KINDS:
            raise Forbidden("Only remand prisons and prisons publish free places.")
        if data.as_of > datetime.now(UTC) + CLOCK_SKEW:
            raise InvalidInput(
                "$.as_of: lies in the future", errors=[FieldError("$.as_of", "lies in the future")]
            )
        stored = await repository.put_capacity(
            unit=unit_id,
            categories=[msgspec.to_builtins(c) for c in data.categories],
            as_of=data.as_of,
            updated_by=actor.sub,
        )
        if not stored:
            raise Conflict("A publication with a later `as_of` is already stored.")
        return (await repository.list_capacity(unit=unit_id))[0]

    @get(
        "/capacity",
        operation_id="listCapacity",
        responses=problems(400, 401, 403, 503),
    )
    async def list_capacity(
        self,
        request: Request[Actor, Any, Any],
        repository: NamedDependency[Repository],
        region: Annotated[
            str | None,
            QueryParameter(
                min_length=1,
                max_length=40,
                pattern=r"^[A-Za-zÅÄÖåäö]+$",
                description="A region, e.g. `Stockholm` (GET /v1/units shows each unit's).",
            ),
        ] = None,
    ) -> list[UnitCapacity]:
        """The free places each remand prison and prison published last, by region."""
        actor = request.user
        if not (
            actor.has_any(Role.COORDINATOR)
            or (actor.org == Org.KRIMINALVARDEN and actor.has_any(*KV_READERS))
        ):
            raise Forbidden("Coordinators and Kriminalvården read free places.")
        return await repository.list_capacity(region=region)
