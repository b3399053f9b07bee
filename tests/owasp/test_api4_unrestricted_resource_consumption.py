"""API4:2023 Unrestricted Resource Consumption.

What an attacker can make the service spend: memory and CPU on huge or deeply nested bodies,
database time on unbounded pages, and everything on a flood of calls. The limits: a body of
at most 256 KiB (413 beyond, before it is decoded), JSON nesting refused as a 400, `limit` at
most 200 on every list (a 400 above, never silently served), long query values refused, and
a per-client rate limit counted in PostgreSQL (429 with `Retry-After`). Each attack must be
answered quickly with a 4xx problem, never a 5xx or a hang.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator

import httpx
import msgspec
import pytest

from contracts.common import Org, Role
from services.handover.settings import Settings
from tests.api.test_wedges import assert_problem
from tests.conftest import running_api
from tests.flow import Flow, Parties, auth, fresh


async def test_a_body_over_256_kib_is_413_on_every_write(
    api: httpx.AsyncClient, settings: Settings
) -> None:
    parties = Parties(settings)
    flow = await Flow(api, parties).create()
    huge = fresh(notes="x" * (300 * 1024))
    started = time.monotonic()
    for path, headers in (
        ("/v1/handovers", parties.police),
        (f"{flow.path}/accept", parties.planner),
        (f"{flow.path}/incidents", parties.police),
    ):
        response = await api.post(path, json=huge, headers=headers)
        assert_problem(response, 413)

    # Announced with a lying Content-Length, or streamed without one: still refused.
    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(8):
            yield b"x" * 65536

    streamed = await api.post(
        "/v1/handovers",
        content=chunks(),
        headers={**parties.police, "Content-Type": "application/json"},
    )
    assert streamed.status_code in (400, 413), streamed.text
    assert time.monotonic() - started < 5


@pytest.mark.parametrize("depth", [64, 1000, 50_000])
async def test_deep_nesting_is_a_400(
    api: httpx.AsyncClient, settings: Settings, depth: int
) -> None:
    parties = Parties(settings)
    for opening, closing in (("[", "]"), ('{"a":', "}")):
        content = (opening * depth + "1" + closing * depth).encode()
        if len(content) > 256 * 1024:
            continue
        response = await api.post(
            "/v1/handovers",
            content=content,
            headers={**parties.police, "Content-Type": "application/json"},
        )
        assert_problem(response, 400)
    # The same nesting inside an otherwise valid body, where a string is expected.
    levels = min(depth, 20_000)
    nested = '{"n":' * levels + '"x"' + "}" * levels
    payload = json.dumps(fresh()).replace(json.dumps(fresh()["person"]["given_name"]), nested, 1)
    response = await api.post(
        "/v1/handovers",
        content=payload.encode(),
        headers={**parties.police, "Content-Type": "application/json"},
    )
    assert_problem(response, 400)


@pytest.mark.parametrize(
    ("path", "who"),
    [
        ("/v1/handovers", "police"),
        ("/v1/events", "police"),
        ("/v1/escalations", "coordinator"),
        ("/v1/audit/access", "auditor"),
    ],
)
@pytest.mark.parametrize("limit", ["201", "1000000", "99999999999999999999", "0", "-1"])
async def test_page_size_is_capped(
    api: httpx.AsyncClient, settings: Settings, path: str, who: str, limit: str
) -> None:
    parties = Parties(settings)
    headers = {
        "police": parties.police,
        "coordinator": parties.coordinator,
        "auditor": auth(
            settings, org=Org.KRIMINALVARDEN, unit="kv-samordning-nationell", roles=[Role.AUDITOR]
        ),
    }[who]
    response = await api.get(path, params={"limit": limit}, headers=headers)
    assert_problem(response, 400)
    served = await api.get(path, params={"limit": "200"}, headers=headers)
    assert served.status_code == 200, served.text
    assert len(served.json()["items"]) <= 200


async def test_long_query_values_and_many_parameters_are_refused(
    api: httpx.AsyncClient, settings: Settings
) -> None:
    parties = Parties(settings)
    long_cursor = await api.get(
        "/v1/handovers", params={"cursor": "A" * 4000}, headers=parties.police
    )
    assert_problem(long_cursor, 400)
    repeated = await api.get(
        "/v1/handovers",
        params=[("state", "requested")] * 500,
        headers=parties.police,
    )
    assert repeated.status_code in (200, 400), repeated.text
    unknown = await api.get(
        "/v1/handovers", params={f"p{i}": "1" for i in range(200)}, headers=parties.police
    )
    assert_problem(unknown, 400)


async def test_a_flood_from_one_client_is_429_and_others_are_served(settings: Settings) -> None:
    limited = msgspec.structs.replace(settings, rate_limit_per_minute=5)
    sub = f"flood-{uuid.uuid4().hex[:6]}"
    flooder = auth(
        settings, org=Org.POLISEN, unit="pa-kronoberg", roles=[Role.CUSTODY_OFFICER], sub=sub
    )
    bystander = auth(
        settings,
        org=Org.POLISEN,
        unit="pa-kronoberg",
        roles=[Role.CUSTODY_OFFICER],
        sub=f"other-{uuid.uuid4().hex[:6]}",
    )
    async with running_api(limited) as base_url, httpx.AsyncClient(base_url=base_url) as client:
        answers = await asyncio.gather(
            *(client.get("/v1/handovers", headers=flooder) for _ in range(20))
        )
        statuses = [r.status_code for r in answers]
        assert statuses.count(200) <= 5, statuses
        assert statuses.count(429) >= 15, statuses
        refused = next(r for r in answers if r.status_code == 429)
        assert_problem(refused, 429)
        assert int(refused.headers["Retry-After"]) > 0
        # A second token of the same subject and unit shares the window.
        same_person = auth(
            settings, org=Org.POLISEN, unit="pa-kronoberg", roles=[Role.CUSTODY_OFFICER], sub=sub
        )
        assert (await client.get("/v1/units", headers=same_person)).status_code == 429
        assert (await client.get("/v1/units", headers=bystander)).status_code == 200
