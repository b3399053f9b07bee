"""API9:2023 Improper Inventory Management.

An attacker looks for what the documentation forgets: an older or newer version left
running (`/v0`, `/v2`, an unversioned alias), debug or admin endpoints, a route the
contract does not mention and so nobody reviews. The inventory is `contracts/openapi.json`:
every route the app serves is in it and every operation in it is served, every API route is
under `/v1`, the document the running app serves is the committed one, and guessed shadow
paths are 404 problems.
"""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest

from services.handover.app import create_app
from services.handover.cli import OPENAPI_PATH
from services.handover.settings import Settings
from tests.flow import Parties

# Served by the framework for the documentation itself (public by design, README "API docs").
DOCS = re.compile(r"^/schema(/|$)")
PUBLIC = re.compile(r"^/health/(live|ready)$")
# Served on purpose outside the JSON contract: the coordinators' board (HTML, README
# "Board") and Prometheus metrics (a scraper token or loopback only; tests/api/test_metrics.py).
NOT_API = re.compile(r"^/(board|metrics)(/|$)")


def _committed() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(OPENAPI_PATH.read_text())
    return document


def _served_routes(settings: Settings) -> set[tuple[str, str]]:
    found = set()
    for route in create_app(settings).routes:
        if DOCS.match(route.path) or NOT_API.match(route.path):
            continue
        path = re.sub(r"\{(\w+):\w+\}", r"{\1}", route.path)
        for method in getattr(route, "methods", ()):
            if method not in ("HEAD", "OPTIONS"):
                found.add((method.lower(), path))
    return found


def test_every_served_route_is_in_the_contract_and_vice_versa(settings: Settings) -> None:
    documented = {(m, p) for p, item in _committed()["paths"].items() for m in item}
    assert _served_routes(settings) == documented


def test_every_api_route_is_versioned(settings: Settings) -> None:
    for _method, path in _served_routes(settings):
        assert path.startswith("/v1/") or PUBLIC.match(path), path
    for path in _committed()["paths"]:
        assert path.startswith("/v1/") or PUBLIC.match(path), path


async def test_the_served_document_is_the_committed_one(api: httpx.AsyncClient) -> None:
    served = await api.get("/schema/openapi.json")
    assert served.status_code == 200
    assert served.json() == _committed()
    assert served.json()["info"]["version"] == _committed()["info"]["version"]


SHADOWS = [
    "/v0/handovers",
    "/v2/handovers",
    "/V1/handovers",
    "/handovers",
    "/api/v1/handovers",
    "/v1/handovers.json",
    "/v1/admin",
    "/v1/debug",
    "/admin",
    "/debug",
    "/v1/internal/handovers",
    "/v1/users",
    "/v1/tokens",
    "/v1/revocations",
    "/v1/access_log",
    "/.env",
    "/.git/config",
    "/openapi.json",
    "/docs",
    "/graphql",
    "/health/debug",
]


@pytest.mark.parametrize("path", SHADOWS)
async def test_guessed_shadow_paths_are_not_found(
    api: httpx.AsyncClient, settings: Settings, path: str
) -> None:
    headers = Parties(settings).coordinator
    for method in ("GET", "POST"):
        response = await api.request(method, path, headers=headers)
        assert response.status_code == 404, (method, path, response.status_code)
        assert response.headers["content-type"] == "application/problem+json"
