"""API6:2023 Unrestricted Access to Sensitive Business Flows.

The sensitive flows here are creating requests (each one starts legal clocks, alerts the
executor and coordinators, and holds a person's data) and the idempotent retry that makes
creation safe. An attacker with a valid token scripts them: floods creation to bury the
executor's queue and the coordinators' escalations, or replays another unit's
`Idempotency-Key` (seen in a log, a proxy, a shared script) hoping the service answers with
the original request. Creation is rate-limited per client, and a key is scoped to the
(organisation, unit) that sent it: the same key from another unit makes its own request or
is refused, and never returns the first unit's request.
"""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import httpx
import msgspec

from contracts.common import Org, Role
from services.handover.api import examples
from services.handover.settings import Settings
from tests.api.test_wedges import assert_problem
from tests.conftest import running_api
from tests.flow import Flow, Parties, apprehension, auth, custody, fresh


async def test_mass_creation_is_rate_limited(
    api: httpx.AsyncClient, settings: Settings, pool: asyncpg.Pool
) -> None:
    sub = f"bulk-{uuid.uuid4().hex[:6]}"
    script = auth(
        settings, org=Org.POLISEN, unit="pa-kronoberg", roles=[Role.CUSTODY_OFFICER], sub=sub
    )
    limited = msgspec.structs.replace(settings, rate_limit_per_minute=4)
    async with running_api(limited) as base_url, httpx.AsyncClient(base_url=base_url) as client:
        answers = await asyncio.gather(
            *(client.post("/v1/handovers", json=fresh(), headers=script) for _ in range(12))
        )
    statuses = sorted(r.status_code for r in answers)
    assert statuses.count(201) <= 4, statuses
    assert statuses.count(429) >= 8, statuses
    for refused in (r for r in answers if r.status_code == 429):
        assert_problem(refused, 429)
    made = await pool.fetchval(
        "SELECT count(*) FROM access_log WHERE sub = $1 AND action = 'write:create'", sub
    )
    assert made == statuses.count(201)


async def test_another_units_idempotency_key_never_returns_its_request(
    api: httpx.AsyncClient, settings: Settings
) -> None:
    parties = Parties(settings)
    key = {"Idempotency-Key": f"leaked-{uuid.uuid4().hex}"}
    victim_body = fresh()
    victim = await api.post("/v1/handovers", json=victim_body, headers=parties.police | key)
    assert victim.status_code == 201, victim.text
    victim_id = victim.json()["id"]

    # The exact replay from another custody unit: it may not create for pa-kronoberg.
    replay = await api.post("/v1/handovers", json=victim_body, headers=parties.stranger | key)
    assert replay.status_code in (403, 400, 422), replay.text
    assert victim_id not in replay.text
    assert examples.TRANSFER_CREATE["person"]["family_name"] not in replay.text
    # Its own body under the same key: its own, new request.
    own = await api.post(
        "/v1/handovers",
        json=fresh(from_unit="pa-malmo"),
        headers=parties.stranger | key,
    )
    assert own.status_code == 201, own.text
    assert own.json()["id"] != victim_id
    assert own.json()["from_unit"] == "pa-malmo"
    # Kriminalvården with the key and an assistance body of its own: also its own.
    kumla = auth(
        settings, org=Org.KRIMINALVARDEN, unit="kv-anstalt-kumla", roles=[Role.TRANSPORT_PLANNER]
    )
    theirs = await api.post("/v1/handovers", json=fresh(apprehension()), headers=kumla | key)
    assert theirs.status_code in (201, 403), theirs.text
    assert victim_id not in theirs.text
    # The victim's own retry still returns the original.
    again = await api.post("/v1/handovers", json=victim_body, headers=parties.police | key)
    assert again.status_code == 201
    assert again.json()["id"] == victim_id


async def test_an_action_key_from_another_unit_does_not_replay_the_victims_answer(
    api: httpx.AsyncClient, settings: Settings
) -> None:
    parties = Parties(settings)
    flow = await Flow(api, parties).create()
    key = {"Idempotency-Key": f"leaked-{uuid.uuid4().hex}"}
    accepted = await api.post(
        f"{flow.path}/accept", json=examples.ACCEPT, headers=parties.planner | key
    )
    assert accepted.status_code == 200, accepted.text
    goteborg = auth(
        settings, org=Org.KRIMINALVARDEN, unit="kv-nte-goteborg", roles=[Role.TRANSPORT_PLANNER]
    )
    for headers in (parties.stranger, custody(settings, "pa-malmo")):
        stolen = await api.post(f"{flow.path}/accept", json=examples.ACCEPT, headers=headers | key)
        assert_problem(stolen, 404)
    # A Kriminalvården transport unit sees the request, but the key replays nothing for it:
    # the request is accepted already, so its own accept is an illegal transition.
    other = await api.post(f"{flow.path}/accept", json=examples.ACCEPT, headers=goteborg | key)
    assert other.status_code in (403, 409), other.text
    assert other.headers["content-type"] == "application/problem+json"
