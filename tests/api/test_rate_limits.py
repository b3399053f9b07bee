"""Rate limits per client across replicas, security headers, and CORS closed by default."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import msgspec

from contracts.common import Org, Role
from services.handover.auth import issue_token
from services.handover.settings import Settings
from tests.conftest import running_api


@contextlib.asynccontextmanager
async def replica(settings: Settings, **changes: Any) -> AsyncIterator[httpx.AsyncClient]:
    local = msgspec.structs.replace(settings, **changes)
    async with running_api(local) as base_url, httpx.AsyncClient(base_url=base_url) as client:
        yield client


def token(settings: Settings, unit: str = "pa-kronoberg") -> dict[str, str]:
    """A token of a fresh subject, so its rate-limit window starts empty."""
    value = issue_token(
        settings,
        sub=f"rate-{uuid.uuid4().hex[:8]}",
        org=Org.POLISEN,
        unit=unit,
        roles=[Role.CUSTODY_OFFICER],
    )
    return {"Authorization": f"Bearer {value}"}


async def test_limit_per_client_is_shared_by_every_replica(settings: Settings) -> None:
    alice = token(settings)
    bob = token(settings, unit="pa-malmo")
    async with (
        replica(settings, rate_limit_per_minute=6) as first,
        replica(settings, rate_limit_per_minute=6) as second,
    ):
        for client in (first, second, first, second, first, second):
            response = await client.get("/v1/units", headers=alice)
            assert response.status_code == 200, response.text
        refused = await second.get("/v1/units", headers=alice)
        assert refused.status_code == 429
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["type"] == "/problems/rate-limited"
        assert int(refused.headers["Retry-After"]) > 0
        # Another client has a window of its own; the probes are never limited.
        assert (await first.get("/v1/units", headers=bob)).status_code == 200
        assert (await first.get("/health/live")).status_code == 200


async def test_security_headers(api: httpx.AsyncClient, settings: Settings) -> None:
    response = await api.get("/v1/units", headers=token(settings))
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-frame-options"] == "DENY"
    assert "default-src 'none'" in response.headers["content-security-policy"]
    assert response.headers["referrer-policy"] == "no-referrer"
    problem = await api.get("/v1/units")
    assert problem.status_code == 401
    assert problem.headers["cache-control"] == "no-store"


async def test_cors_is_closed_unless_configured(api: httpx.AsyncClient, settings: Settings) -> None:
    preflight = {
        "Origin": "https://evil.example",
        "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "authorization",
    }
    closed = await api.options("/v1/units", headers=preflight)
    assert "access-control-allow-origin" not in closed.headers
    simple = await api.get(
        "/v1/units", headers={**token(settings), "Origin": "https://evil.example"}
    )
    assert "access-control-allow-origin" not in simple.headers

    board = "https://board.kriminalvarden.test"
    async with replica(settings, cors_origins=board) as client:
        allowed = await client.options("/v1/units", headers={**preflight, "Origin": board})
        assert allowed.headers.get("access-control-allow-origin") == board
        other = await client.options("/v1/units", headers=preflight)
        assert other.headers.get("access-control-allow-origin") != "https://evil.example"
