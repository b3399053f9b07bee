"""Bring a request to a given point with current times, as the parties would.

Unlike tests.flow.Flow.to, every time in a body is current (the documented examples carry fixed
dates that drift into the past or future), and every call is checked for a 2xx.
"""

from __future__ import annotations

from typing import Any

import httpx

from services.handover.api import examples
from tests.api.invariants import fresh
from tests.flow import Parties, body, now


def schedule_body(**changes: Any) -> dict[str, Any]:
    return dict(examples.SCHEDULE, pickup_at=now(3600)) | changes


def incident_body(**changes: Any) -> dict[str, Any]:
    return body(examples.INCIDENT, occurred_at=now()) | changes


class Journey:
    """One request, moved along by the usual cast."""

    def __init__(self, api: httpx.AsyncClient, parties: Parties) -> None:
        self.api = api
        self.p = parties
        self.id = ""

    @property
    def path(self) -> str:
        return f"/v1/handovers/{self.id}"

    async def create(self, example: dict[str, Any] | None = None) -> Journey:
        payload = fresh(example or examples.TRANSFER_CREATE)
        created = await self.api.post("/v1/handovers", json=payload, headers=self.p.police)
        assert created.status_code == 201, created.text
        self.id = created.json()["id"]
        return self

    async def post(
        self, action: str, payload: dict[str, Any], headers: dict[str, str]
    ) -> dict[str, Any]:
        response = await self.api.post(f"{self.path}/{action}", json=payload, headers=headers)
        assert response.is_success, f"{action}: {response.status_code} {response.text}"
        result: dict[str, Any] = response.json()
        return result

    async def accepted(self) -> Journey:
        await self.post("accept", examples.ACCEPT, self.p.planner)
        return self

    async def assessed(self) -> Journey:
        await self.post("security-assessment", body(examples.ASSESSMENT), self.p.police)
        return self

    async def ready_to_schedule(self) -> Journey:
        await self.accepted()
        await self.assessed()
        return self

    async def scheduled(self) -> Journey:
        await self.ready_to_schedule()
        await self.post("schedule", schedule_body(), self.p.planner)
        return self

    async def released_to_transport(self) -> Journey:
        await self.scheduled()
        await self.post("release", body(examples.RELEASE), self.p.police)
        return self

    async def in_transit(self) -> Journey:
        await self.released_to_transport()
        await self.post("receive", body(examples.RECEIVE), self.p.escort)
        return self
