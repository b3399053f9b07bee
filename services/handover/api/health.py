"""Liveness and readiness probes (no token needed)."""

from __future__ import annotations

import asyncio

from litestar import Controller, Response, get
from litestar.di import NamedDependency

from contracts.api import Health
from services.handover.errors import Unavailable
from services.handover.repository import Repository
from services.handover.temporal_gateway import TemporalGateway


def _not_ready(exc: Exception) -> str:
    """What failed: the dependency's own error, as the probe has always named it."""
    cause = exc.__cause__ if isinstance(exc, Unavailable) else None
    return f"unavailable: {type(cause or exc).__name__}"


class HealthController(Controller):
    path = "/health"
    tags = ("health",)

    @get("/live", operation_id="live")
    async def live(self) -> Health:
        """The process is up."""
        return Health(status="ok", checks={})

    @get("/ready", operation_id="ready", responses={})
    async def ready(
        self, repository: NamedDependency[Repository], temporal: NamedDependency[TemporalGateway]
    ) -> Response[Health]:
        """PostgreSQL and Temporal both answer; 503 otherwise."""
        checks = {}
        try:
            await repository.ping()
            checks["postgres"] = "ok"
        except Exception as exc:  # noqa: BLE001 - any failure means not ready
            checks["postgres"] = _not_ready(exc)
        try:
            async with asyncio.timeout(3):
                await temporal.ping()
            checks["temporal"] = "ok"
        except Exception as exc:  # noqa: BLE001
            checks["temporal"] = _not_ready(exc)
        ok = all(v == "ok" for v in checks.values())
        return Response(
            Health(status="ok" if ok else "unavailable", checks=checks),
            status_code=200 if ok else 503,
            headers={} if ok else {"Retry-After": "5"},
        )
