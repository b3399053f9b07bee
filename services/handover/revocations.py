"""Revoked tokens (a lost phone): kept in PostgreSQL, re-read by every process every few seconds."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime

from services.handover.repository import Repository


class Revocations:
    """Answers "is this token revoked?" from a copy at most `refresh_seconds` old."""

    def __init__(self, repository: Repository, *, refresh_seconds: float) -> None:
        self._repository = repository
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
        jtis: dict[str, datetime] = {}
        subs: dict[str, datetime] = {}
        for row in await self._repository.revocations_in_force():
            target = jtis if row["jti"] is not None else subs
            key = row["jti"] if row["jti"] is not None else row["sub"]
            target[key] = max(target.get(key, row["until"]), row["until"])
        self._jtis, self._subs = jtis, subs
        self._read_at = time.monotonic()


async def revoke(
    repository: Repository,
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
    return await repository.revoke(
        jti=jti, sub=sub, until=until, reason=reason, revoked_by=revoked_by
    )
