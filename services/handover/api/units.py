"""Reference data: the units that can be parties to a request."""

from __future__ import annotations

from litestar import Controller, get

from contracts.api import Unit
from contracts.common import Org, UnitKind
from services.handover.api.docs import problems
from services.handover.repository import Repository


class UnitController(Controller):
    path = "/v1/units"
    tags = ("reference data",)

    @get("/", operation_id="listUnits", responses=problems(401, 503))
    async def list_units(
        self, repository: Repository, org: Org | None = None, kind: UnitKind | None = None
    ) -> list[Unit]:
        """List the units: custody units, remand prisons, prisons, transport, coordination."""
        return await repository.list_units(org=org, kind=kind)
