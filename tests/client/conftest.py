"""Clients of the session API as Kriminalvården's and the police's systems would hold them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

import httpx
import msgspec
import pytest

from contracts.api import HandoverCreate
from contracts.common import Org, Role
from services.handover.auth import issue_token
from services.handover.client import HandoverClient, RetryPolicy, TokenSource
from services.handover.settings import Settings
from tests.flow import fresh

T = TypeVar("T")


def token(
    settings: Settings, org: Org, unit: str, role: Role, sub: str | None = None
) -> TokenSource:
    """A token source as a real system has one: asked before every attempt."""
    value = issue_token(settings, sub=sub or f"client-{unit}", org=org, unit=unit, roles=[role])
    return lambda: value


def typed(value: dict[str, Any], kind: type[T]) -> T:
    """A documented example (plain JSON) as the contract's Struct, checked like the service."""
    return msgspec.json.decode(msgspec.json.encode(value), type=kind)


def transfer(**changes: Any) -> HandoverCreate:
    """The documented transfer, decided a minute ago."""
    return typed(fresh(**changes), HandoverCreate)  # type: ignore[arg-type]


class Sleeps:
    """Records the client's waits instead of waiting (retries stay fast and observable)."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def base_url(api: httpx.AsyncClient) -> str:
    return str(api.base_url)


class Cast:
    """Clients of the usual parties, sharing one connection pool."""

    def __init__(self, base_url: str, settings: Settings, http: httpx.AsyncClient) -> None:
        self.base_url = base_url
        self.settings = settings
        self.http = http

        def client(org: Org, unit: str, role: Role) -> HandoverClient:
            return HandoverClient(
                base_url, token(settings, org, unit, role), http=http, purpose="case_handling"
            )

        self.police = client(Org.POLISEN, "pa-kronoberg", Role.CUSTODY_OFFICER)
        self.planner = client(Org.KRIMINALVARDEN, "kv-nte-stockholm", Role.TRANSPORT_PLANNER)
        self.escort = client(Org.KRIMINALVARDEN, "kv-nte-stockholm", Role.ESCORT_OFFICER)
        self.hakte = client(Org.KRIMINALVARDEN, "kv-hakte-kronoberg", Role.RECEPTION_OFFICER)
        # A remand prison on the way (a night's lodging) and one a journey is redirected to.
        self.lodging = client(Org.KRIMINALVARDEN, "kv-hakte-sundsvall", Role.RECEPTION_OFFICER)
        self.goteborg = client(Org.KRIMINALVARDEN, "kv-hakte-goteborg", Role.RECEPTION_OFFICER)
        self.coordinator = client(Org.KRIMINALVARDEN, "kv-samordning-nationell", Role.COORDINATOR)

    def make(
        self,
        org: Org,
        unit: str,
        role: Role,
        *,
        sub: str | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        retry: RetryPolicy | None = None,
        sleep: Callable[[float], Any] | None = None,
    ) -> HandoverClient:
        """A client with its own transport (to lose answers) and sleep (to record waits)."""
        extra: dict[str, Any] = {"sleep": sleep} if sleep is not None else {}
        return HandoverClient(
            self.base_url,
            token(self.settings, org, unit, role, sub),
            transport=transport,
            retry=retry,
            **extra,
        )


@pytest.fixture
async def cast(base_url: str, settings: Settings) -> AsyncIterator[Cast]:
    async with httpx.AsyncClient(timeout=30) as http:
        yield Cast(base_url, settings, http)
