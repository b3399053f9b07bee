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

log = structlog.get_logger(__name__)
STORE = "rate_limit"
# PostgreSQL away: the limiter lets requests through (they fail on their own with a 503
# where they need the database) rather than turning an outage into refusals.
_UNREACHABLE = (OSError, TimeoutError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError)


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

    async def set(
        self, key: str, value: str | bytes, expires_in: int | timedelta | None = None
    ) -> None:
        data = value.encode() if isinstance(value, str) else value
        try:
            await self.pool.execute(
                "INSERT INTO kv_store (key, value, expires_at) VALUES ($1, $2, "
                "now() + make_interval(secs => $3)) ON CONFLICT (key) DO UPDATE "
                "SET value = excluded.value, expires_at = excluded.expires_at",
                key,
                data,
                _seconds(expires_in),
            )
        except _UNREACHABLE as exc:
            log.warning("ratelimit.store_unavailable", error=type(exc).__name__)

    async def get(self, key: str, renew_for: int | timedelta | None = None) -> bytes | None:
        try:
            value: bytes | None = await self.pool.fetchval(
                "UPDATE kv_store SET expires_at = coalesce(now() + make_interval(secs => $2), "
                "expires_at) WHERE key = $1 AND (expires_at IS NULL OR expires_at > now()) "
                "RETURNING value",
                key,
                _seconds(renew_for),
            )
        except _UNREACHABLE as exc:
            log.warning("ratelimit.store_unavailable", error=type(exc).__name__)
            return None
        return value

    async def delete(self, key: str) -> None:
        await self.pool.execute("DELETE FROM kv_store WHERE key = $1", key)

    async def delete_all(self) -> None:
        await self.pool.execute("DELETE FROM kv_store")

    async def exists(self, key: str) -> bool:
        return await self.get(key) is not None

    async def expires_in(self, key: str) -> int | None:
        seconds: float | None = await self.pool.fetchval(
            "SELECT extract(epoch FROM expires_at - now()) FROM kv_store WHERE key = $1", key
        )
        return None if seconds is None else max(0, int(seconds))


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
