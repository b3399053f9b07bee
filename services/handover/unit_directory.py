"""The units of the reference data, as every request's authorization needs them (cached)."""

from __future__ import annotations

import asyncio
import time

from contracts.api import Unit
from services.handover.repository import Repository


class UnitDirectory:
    """Units by id, re-read at most every `refresh_seconds` (they change only by migration)."""

    def __init__(self, repository: Repository, *, refresh_seconds: float = 300.0) -> None:
        self._repository = repository
        self._refresh = refresh_seconds
        self._units: dict[str, Unit] = {}
        self._read_at = float("-inf")
        self._lock = asyncio.Lock()

    async def get(self, unit_id: str) -> Unit | None:
        if time.monotonic() - self._read_at > self._refresh:
            async with self._lock:
                if time.monotonic() - self._read_at > self._refresh:
                    units = await self._repository.list_units(org=None, kind=None)
                    self._units = {unit.id: unit for unit in units}
                    self._read_at = time.monotonic()
        return self._units.get(unit_id)
