"""Liveness and readiness probes (no token needed)."""

from __future__ import annotations

import asyncio

from litestar import Controller, Response, get
from litestar.di import NamedDependency
from temporalio.client import Client

from contracts.api import Health
from services.handover.repository import Repository


class HealthController(Controller):
    path = "/health"
    tags = ("health",)

    @get("/live", operation_id="live")
    async def live(self) -> Health:
        """The process is up."""
        return Health(status="ok", checks={})

    @get("/ready", operation_id="ready", responses={})
    async def ready(
        self, repository: NamedDependency[Repository], temporal: NamedDependency[Client]
    ) -> Response[Health]:
        """PostgreSQL and Temporal both answer; 503 otherwise."""
        checks = {}
        try:
            await repository.ping()
            checks["postgres"] = "ok"
        except Exception as exc:  # noqa: BLE001 - any failure means not ready
            checks["postgres"] = f"unavailable: {type(exc).__name__}"
        try:
            async with asyncio.timeout(3):
                await temporal.service_client.check_health()
            checks["temporal"] = "ok"
        except Exception as exc:  # noqa: BLE001
            checks["temporal"] = f"unavailable: {type(exc).__name__}"
        ok = all(v == "ok" for v in checks.values())
        return Response(
            Health(status="ok" if ok else "unavailable", checks=checks),
            status_code=200 if ok else 503,
            headers={} if ok else {"Retry-After": "5"},
        )
