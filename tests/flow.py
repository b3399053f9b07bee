"""Drive requests through the API as the real parties would, using the documented examples."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any, Self
from zoneinfo import ZoneInfo

import httpx

from contracts.common import Org, Role, State
from services.handover.api import examples
from services.handover.auth import issue_token
from services.handover.settings import Settings

STOCKHOLM = ZoneInfo("Europe/Stockholm")
# A successful POST to these answers 201 (it adds to a collection); to any other action, 200.
CREATING = frozenset({"security-assessment", "incidents", "relatives"})


def auth(
    settings: Settings, *, org: Org, unit: str, roles: list[Role], sub: str | None = None
) -> dict[str, str]:
    """Headers of a signed-in member of `unit` (one person per unit unless `sub` says another)."""
    token = issue_token(settings, sub=sub or f"test-{unit}", org=org, unit=unit, roles=roles)
    return {"Authorization": f"Bearer {token}"}


def custody(settings: Settings, unit: str = "pa-kronoberg") -> dict[str, str]:
    """A custody officer of the police unit `unit`."""
    return auth(settings, org=Org.POLISEN, unit=unit, roles=[Role.CUSTODY_OFFICER])


def coordinator(settings: Settings, unit: str, org: Org = Org.KRIMINALVARDEN) -> dict[str, str]:
    """A coordinator of the coordination unit `unit`."""
    return auth(settings, org=org, unit=unit, roles=[Role.COORDINATOR])


def now(offset_seconds: float = 0) -> str:
    return (datetime.now(UTC) + timedelta(seconds=offset_seconds)).isoformat()


def body(example: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A documented example with current times (field times may not lie in the future).

    Only top-level times are renewed: a create body keeps its documented decision time (see
    `fresh`).
    """
    result = copy.deepcopy(example)
    offsets = {"occurred_at": 0, "pickup_at": 3600, "expected_at": 6 * 3600, "reported_at": 0}
    for key, offset in offsets.items():
        if key in result:
            result[key] = now(offset)
    result.update(changes)
    return result


def fresh(example: dict[str, Any] = examples.TRANSFER_CREATE, **changes: Any) -> dict[str, Any]:
    """A create body whose decision was taken a minute ago (today, in Stockholm).

    The documented examples carry fixed decision times; a remand decision from yesterday has
    its warning (the end of that day) behind it, and the service would warn at once, on its own,
    adding events no call asked for.
    """
    result = copy.deepcopy(example)
    at = datetime.now(UTC)
    decided = at - timedelta(minutes=1)
    if decided.astimezone(STOCKHOLM).date() != at.astimezone(STOCKHOLM).date():
        decided = at - timedelta(seconds=1)  # just after midnight: stay on today's date
    result["decision"]["decided_at"] = decided.isoformat()
    result.update(changes)
    return result


def apprehension() -> dict[str, Any]:
    """Kumla asks the police to fetch a convicted person from home (strafftidslag 6 §)."""
    return copy.deepcopy(examples.ASSISTANCE_CREATE) | {
        "legal_basis": "strafftidslag_6",
        "order_type": "apprehension_for_enforcement",
        "requesting_unit": "kv-anstalt-kumla",
        "executing_unit": "pa-kronoberg",
        "origin": {"description": "Hemadress, Sveavägen 1, Stockholm"},
        "destination": {"unit": "kv-anstalt-kumla"},
        "decision": dict(examples.ASSISTANCE_CREATE["decision"], kind="sentence_enforcement"),
    }


class Parties:
    """Tokens for the usual cast: police custody, transport (NTE), remand prison, a stranger."""

    def __init__(self, settings: Settings) -> None:
        self.police = custody(settings)
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
        # A remand prison on the way (a night's lodging) and one a journey may be redirected to.
        self.lodging = auth(
            settings,
            org=Org.KRIMINALVARDEN,
            unit="kv-hakte-sundsvall",
            roles=[Role.RECEPTION_OFFICER],
        )
        self.goteborg = auth(
            settings,
            org=Org.KRIMINALVARDEN,
            unit="kv-hakte-goteborg",
            roles=[Role.RECEPTION_OFFICER],
        )
        self.stranger = custody(settings, "pa-malmo")
        self.coordinator = coordinator(settings, "kv-samordning-nationell")


class Flow:
    """One request and the calls that move it; every call is checked for its success status."""

    def __init__(self, api: httpx.AsyncClient, parties: Parties) -> None:
        self.api = api
        self.p = parties
        self.id = ""
        self.last: dict[str, Any] = {}

    @property
    def path(self) -> str:
        return f"/v1/handovers/{self.id}"

    async def create(
        self, payload: dict[str, Any] | None = None, headers: dict[str, str] | None = None
    ) -> Self:
        """Create `payload` as it is (by default the documented transfer, decided just now)."""
        response = await self.api.post(
            "/v1/handovers",
            json=payload or fresh(),
            headers=headers or self.p.police,
        )
        assert response.status_code == 201, response.text
        self.last = response.json()
        self.id = self.last["id"]
        return self

    async def post(
        self,
        action: str,
        payload: dict[str, Any],
        headers: dict[str, str],
        expect: int | None = None,
    ) -> httpx.Response:
        """POST `action`; expect its success status unless told another."""
        response = await self.api.post(f"{self.path}/{action}", json=payload, headers=headers)
        expected = expect or (201 if action in CREATING else 200)
        assert response.status_code == expected, f"{action}: {response.status_code} {response.text}"
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
        await self.post("security-assessment", payload, self.p.police)

    async def ready_to_schedule(self) -> Self:
        """Accepted, with a complete security assessment."""
        await self.to(State.ACCEPTED)
        await self.assess()
        return self

    async def released_to_transport(self) -> Self:
        """Scheduled, and released by the police to the transport, who have not yet received."""
        await self.to(State.SCHEDULED)
        await self.post("release", body(examples.RELEASE), self.p.police)
        return self

    async def to(self, state: State) -> Self:
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
                await self.ready_to_schedule()
                await self.post("schedule", body(examples.SCHEDULE), p.planner)
            case State.NOT_EXECUTED:
                await self.to(State.SCHEDULED)
                await self.post("not-executed", body(examples.NOT_EXECUTED), p.planner)
            case State.IN_TRANSIT:
                await self.released_to_transport()
                await self.post("receive", body(examples.RECEIVE), p.escort)
            case State.COMPLETED:
                await self.to(State.IN_TRANSIT)
                await self.post(
                    "release", body(examples.RELEASE, to_unit="kv-hakte-kronoberg"), p.escort
                )
                await self.post("receive", body(examples.RECEIVE), p.hakte)
        assert self.last["state"] == state, self.last
        return self
