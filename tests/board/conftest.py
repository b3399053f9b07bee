"""The board tests' own browser-like client."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest


@pytest.fixture
async def board(api: httpx.AsyncClient) -> AsyncIterator[httpx.AsyncClient]:
    """A client of its own (its own cookies) against the running API."""
    async with httpx.AsyncClient(base_url=str(api.base_url)) as client:
        yield client
