"""`handover demo` plays a short day against the session's running service."""

from __future__ import annotations

import asyncio
import random

import httpx
from personnummer import personnummer as pnr

from contracts.common import Org, Role
from services.handover.demo import Demo, DemoConfig, personnummer
from services.handover.settings import Settings
from tests.flow import auth, coordinator

LODGING = "kv-hakte-sundsvall"


def test_demo_identity_numbers_are_valid() -> None:
    rng = random.Random(7)
    for _ in range(50):
        assert pnr.valid(personnummer(rng))


async def test_the_demo_brings_the_board_alive(api: httpx.AsyncClient, settings: Settings) -> None:
    lines: list[str] = []
    config = DemoConfig(
        base_url=str(api.base_url),
        jwt_secret=settings.jwt_secret,
        requests=3,
        duration=25.0,
        pace=0.3,
        seed=3,
        defer_probability=0.5,
    )
    result = await Demo(config, say=lines.append).run()
    assert len(result.created) == 3
    assert result.kriminalvarden_steps >= 3  # Kriminalvården answered every request
    assert result.released  # the police handed someone to the transport
    assert result.unit_incident is not None
    headers = coordinator(settings, "kv-samordning-nationell")
    # The old remand decision breached at once; the board's list shows it red.
    assert result.breached is not None
    for _ in range(50):
        seen = (await api.get(f"/v1/handovers/{result.breached}", headers=headers)).json()
        if any(d["breached_at"] for d in seen["deadlines"]):
            break
        await asyncio.sleep(0.1)
    else:
        raise AssertionError("the demo's breach never showed")
    incidents = (
        await api.get(f"/v1/handovers/{result.incident_request}/incidents", headers=headers)
    ).json()
    assert incidents[0]["severity"] == "serious"
    police = auth(settings, org=Org.POLISEN, unit="pa-kronoberg", roles=[Role.CUSTODY_OFFICER])
    opened = await api.get(f"/v1/incidents/{result.unit_incident}", headers=police)
    assert opened.json()["investigation"]["state"] == "open"
    assert any("released" in line for line in lines)

    # Luleå to Stockholm: a night at Häktet Sundsvall on the way, by two-party handovers.
    assert result.lodgings >= 1, lines
    assert len(result.long_haul) == 1
    long_haul = (await api.get(f"/v1/handovers/{result.long_haul[0]}", headers=headers)).json()
    assert long_haul["from_unit"] == "pa-lulea"
    assert long_haul["state"] == "completed"
    stop = long_haul["journey"]["stops"][0]
    assert (stop["kind"], stop["unit"], stop["status"]) == ("lodging", LODGING, "left")
    units = [s["unit"] for s in long_haul["custody_chain"]]
    assert units[:4] == ["pa-lulea", "kv-nte-stockholm", LODGING, "kv-nte-stockholm"]
    # The day ends when everyone has arrived; a redirected one where it was sent.
    redirected = 0
    for handover_id in result.created:
        seen = (await api.get(f"/v1/handovers/{handover_id}", headers=headers)).json()
        assert seen["state"] == "completed", seen["state"]
        for moved in seen["journey"]["redirects"] if seen["journey"] else []:
            redirected += 1
            assert seen["custody_chain"][-1]["unit"] == moved["to_unit"]
    assert redirected == result.redirects
