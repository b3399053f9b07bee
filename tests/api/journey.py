"""Old names for tests.flow, kept only while tests/api/test_hostile.py imports them.

Use tests.flow instead: `Flow(...).create(fresh(example))`, `Flow.to(State.SCHEDULED)`,
`body(examples.SCHEDULE)`. Delete this module once test_hostile.py does.
"""

from __future__ import annotations

from typing import Any, Self

from contracts.common import State
from services.handover.api import examples
from tests.flow import Flow, body, fresh


def schedule_body(**changes: Any) -> dict[str, Any]:
    return body(examples.SCHEDULE, **changes)


def incident_body(**changes: Any) -> dict[str, Any]:
    return body(examples.INCIDENT, **changes)


class Journey(Flow):
    """A Flow whose create renews the decision time of the example it is given."""

    async def create(
        self, payload: dict[str, Any] | None = None, headers: dict[str, str] | None = None
    ) -> Self:
        return await super().create(fresh(payload or examples.TRANSFER_CREATE), headers)

    async def scheduled(self) -> Self:
        return await self.to(State.SCHEDULED)

    async def in_transit(self) -> Self:
        return await self.to(State.IN_TRANSIT)
