"""Reference data: the units that can be parties to a request."""

from __future__ import annotations

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromQuery

from contracts.api import Unit
from contracts.common import Org, UnitKind
from services.handover.api.docs import BEARER, problems
from services.handover.repository import Repository


class UnitController(Controller):
    path = "/v1/units"
    tags = ("reference data",)
    security = BEARER

    @get("/", operation_id="listUnits", responses=problems(400, 401, 503))
    async def list_units(
        self,
        repository: NamedDependency[Repository],
        org: FromQuery[Org | None] = None,
        kind: FromQuery[UnitKind | None] = None,
    ) -> list[Unit]:
        """List the units: custody units, remand prisons, prisons, transport, coordination."""
        return await repository.list_units(org=org, kind=kind)
