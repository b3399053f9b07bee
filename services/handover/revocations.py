"""Revoked tokens (a lost phone): kept in PostgreSQL, re-read by every process every few seconds."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime
from pathlib import Path

import asyncpg

from services.handover.postgres import outage_is_unavailable

_SQL = Path(__file__).with_name("sql")
IN_FORCE = (_SQL / "revoked_in_force.sql").read_text()
INSERT = (_SQL / "insert_revocation.sql").read_text()


class Revocations:
    """Answers "is this token revoked?" from a copy at most `refresh_seconds` old."""

    def __init__(self, pool: asyncpg.Pool, *, refresh_seconds: float) -> None:
        self._pool = pool
        self._refresh = refresh_seconds
        self._read_at = float("-inf")
        self._jtis: dict[str, datetime] = {}
        self._subs: dict[str, datetime] = {}
        self._lock = asyncio.Lock()

    async def revoked(self, *, jti: str | None, sub: str, now: datetime) -> bool:
        if time.monotonic() - self._read_at > self._refresh:
            async with self._lock:
                if time.monotonic() - self._read_at > self._refresh:
                    await self._read()
        by_token = jti is not None and self._jtis.get(jti, now) > now
        return by_token or self._subs.get(sub, now) > now

    async def _read(self) -> None:
        with outage_is_unavailable(self._pool):
            rows = await self._pool.fetch(IN_FORCE)
        jtis: dict[str, datetime] = {}
        subs: dict[str, datetime] = {}
        for row in rows:
            target = jtis if row["jti"] is not None else subs
            key = row["jti"] if row["jti"] is not None else row["sub"]
            target[key] = max(target.get(key, row["until"]), row["until"])
        self._jtis, self._subs = jtis, subs
        self._read_at = time.monotonic()


async def revoke(
    pool: asyncpg.Pool,
    *,
    jti: str | None,
    sub: str | None,
    until: datetime,
    reason: str,
    revoked_by: str,
) -> int:
    """Record a revocation; every process refuses the token(s) within its refresh interval."""
    if (jti is None) == (sub is None):
        raise ValueError("revoke either one token (jti) or a subject (sub)")
    number: int = await pool.fetchval(INSERT, jti, sub, until, reason, revoked_by)
    return number
