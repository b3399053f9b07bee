"""Rate limits per client (token subject and unit) with Litestar's middleware, whose window
lives in PostgreSQL so that every API replica counts the same requests."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import asyncpg
import structlog
from litestar import Request
from litestar.middleware.rate_limit import RateLimitConfig, get_remote_address
from litestar.stores.base import Store

from contracts.common import Actor
from services.handover.postgres import OUTAGES, statement

log = structlog.get_logger(__name__)
STORE = "rate_limit"
# PostgreSQL away: the limiter lets requests through (they fail on their own with a 503
# where they need the database) rather than turning an outage into refusals.


def _seconds(value: int | timedelta | None) -> float | None:
    if value is None:
        return None
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class PostgresStore(Store):
    """Litestar's key/value store on the `kv_store` table; attach the pool in the lifespan."""

    def __init__(self) -> None:
        self._pool: asyncpg.Pool | None = None

    def attach(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    @property
    def pool(self) -> asyncpg.Pool:
        assert self._pool is not None, "attach the pool in the app's lifespan"
        return self._pool

    async def _run(self, name: str, **values: object) -> object:
        query = statement(name)
        return await self.pool.fetchval(query.text, *query.arguments(values))

    async def set(
        self, key: str, value: str | bytes, expires_in: int | timedelta | None = None
    ) -> None:
        data = value.encode() if isinstance(value, str) else value
        try:
            await self._run("kv_set", key=key, value=data, seconds=_seconds(expires_in))
        except OUTAGES as exc:
            log.warning("ratelimit.store_unavailable", error=type(exc).__name__)

    async def get(self, key: str, renew_for: int | timedelta | None = None) -> bytes | None:
        try:
            value = await self._run("kv_get", key=key, renew=_seconds(renew_for))
        except OUTAGES as exc:
            log.warning("ratelimit.store_unavailable", error=type(exc).__name__)
            return None
        return value if isinstance(value, bytes) else None

    async def delete(self, key: str) -> None:
        await self._run("kv_delete", key=key)

    async def delete_all(self) -> None:
        await self._run("kv_delete", key=None)

    async def exists(self, key: str) -> bool:
        return await self.get(key) is not None

    async def expires_in(self, key: str) -> int | None:
        seconds = await self._run("kv_expires_in", key=key)
        return None if seconds is None else max(0, int(float(str(seconds))))


def client_identity(request: Request[Any, Any, Any]) -> str:
    """The token's organisation, unit and subject; the address for calls without a user."""
    user = request.scope.get("user")
    if isinstance(user, Actor):
        return f"{user.org}/{user.unit}/{user.sub}"
    return get_remote_address(request)


def rate_limit_config(per_minute: int) -> RateLimitConfig:
    return RateLimitConfig(
        rate_limit=("minute", per_minute),
        identifier_for_request=client_identity,
        exclude=["^/health/", "^/schema", "^/problems/"],
        store=STORE,
    )
