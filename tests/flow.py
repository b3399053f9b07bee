"""Drive requests through the API as the real parties would, using the documented examples."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from contracts.common import Org, Role, State
from services.handover.api import examples
from services.handover.settings import Settings
from tests.helpers import auth


def now(offset_seconds: float = 0) -> str:
    return (datetime.now(UTC) + timedelta(seconds=offset_seconds)).isoformat()


def body(example: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A documented example with current times (field times may not lie in the future)."""
    result = copy.deepcopy(example)
    offsets = {"occurred_at": 0, "pickup_at": 3600, "expected_at": 6 * 3600, "reported_at": 0}
    for key, offset in offsets.items():
        if key in result:
            result[key] = now(offset)
    result.update(changes)
    return result


def fresh_transfer(**changes: Any) -> dict[str, Any]:
    """The documented transfer, remanded ten minutes ago: no deadline fires during a test
    (the first, the end-of-day warning, only if a test runs across midnight in Stockholm)."""
    result = copy.deepcopy(examples.TRANSFER_CREATE)
    result["decision"]["decided_at"] = now(-600)
    result.update(changes)
    return result


class Parties:
    """Tokens for the usual cast: police custody, transport (NTE), remand prison, a stranger."""

    def __init__(self, settings: Settings) -> None:
        self.police = auth(
            settings, org=Org.POLISEN, unit="pa-kronoberg", roles=[Role.CUSTODY_OFFICER]
        )
        self.police_supervisor = auth(
            settings, org=Org.POLISEN, unit="pa-kronoberg", roles=[Role.CUSTODY_SUPERVISOR]
        )
        self.planner = auth(
            settings,
            org=Org.KRIMINALVARDEN,
            unit="kv-nte-stockholm",
            roles=[Role.TRANSPORT_PLANNER],
        )
        self.escort = auth(
            settings, org=Org.KRIMINALVARDEN, unit="kv-nte-stockholm", roles=[Role.ESCORT_OFFICER]
        )
        self.hakte = auth(
            settings,
            org=Org.KRIMINALVARDEN,
            unit="kv-hakte-kronoberg",
            roles=[Role.RECEPTION_OFFICER],
        )
        self.stranger = auth(
            settings, org=Org.POLISEN, unit="pa-malmo", roles=[Role.CUSTODY_OFFICER]
        )
        self.coordinator = auth(
            settings,
            org=Org.KRIMINALVARDEN,
            unit="kv-samordning-nationell",
            roles=[Role.COORDINATOR],
        )


class Flow:
    """One request and the calls that move it."""

    def __init__(self, api: httpx.AsyncClient, parties: Parties) -> None:
        self.api = api
        self.p = parties
        self.id = ""
        self.last: dict[str, Any] = {}

    @property
    def path(self) -> str:
        return f"/v1/handovers/{self.id}"

    async def create(self, payload: dict[str, Any] | None = None, headers: Any = None) -> Flow:
        response = await self.api.post(
            "/v1/handovers",
            json=payload or fresh_transfer(),
            headers=headers or self.p.police,
        )
        assert response.status_code == 201, response.text
        self.last = response.json()
        self.id = self.last["id"]
        return self

    async def post(
        self, action: str, payload: dict[str, Any], headers: dict[str, str], expect: int = 200
    ) -> httpx.Response:
        response = await self.api.post(f"{self.path}/{action}", json=payload, headers=headers)
        assert response.status_code == expect, f"{action}: {response.status_code} {response.text}"
        if response.status_code == 200:
            self.last = response.json()
        return response

    async def get(self, headers: dict[str, str] | None = None) -> dict[str, Any]:
        response = await self.api.get(self.path, headers=headers or self.p.police)
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result

    async def assess(self, complete: bool = True) -> None:
        payload = body(examples.ASSESSMENT, complete=complete)
        response = await self.api.post(
            f"{self.path}/security-assessment", json=payload, headers=self.p.police
        )
        assert response.status_code == 201, response.text

    async def to(self, state: State) -> Flow:
        """From a new request, take the shortest legal path to `state`."""
        p = self.p
        if not self.id:
            await self.create()
        match state:
            case State.REQUESTED:
                pass
            case State.DEFERRED:
                await self.post("defer", examples.DEFER, p.planner)
            case State.REJECTED:
                await self.post("reject", examples.REJECT, p.planner)
            case State.CANCELLED:
                await self.post("cancel", examples.CANCEL, p.police)
            case State.ACCEPTED:
                await self.post("accept", examples.ACCEPT, p.planner)
            case State.SCHEDULED:
                await self.to(State.ACCEPTED)
                await self.assess()
                await self.post("schedule", body(examples.SCHEDULE), p.planner)
            case State.NOT_EXECUTED:
                await self.to(State.SCHEDULED)
                await self.post("not-executed", body(examples.NOT_EXECUTED), p.planner)
            case State.IN_TRANSIT:
                await self.to(State.SCHEDULED)
                await self.post("release", body(examples.RELEASE), p.police)
                await self.post("receive", body(examples.RECEIVE), p.escort)
            case State.COMPLETED:
                await self.to(State.IN_TRANSIT)
                await self.post(
                    "release", body(examples.RELEASE, to_unit="kv-hakte-kronoberg"), p.escort
                )
                await self.post("receive", body(examples.RECEIVE), p.hakte)
        assert self.last["state"] == state, self.last
        return self
