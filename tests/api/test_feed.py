"""The event feed: every change of every visible request, in order, none skipped."""

from __future__ import annotations

import asyncio
from typing import Any

from httpx import AsyncClient

from contracts.common import State
from services.handover.api import examples
from services.handover.settings import Settings
from tests.flow import Flow, Parties


async def drain(
    api: AsyncClient, headers: dict[str, str], after: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    seen: list[dict[str, Any]] = []
    while True:
        params = {"limit": 50} | ({"after": after} if after else {})
        page = await api.get("/v1/events", params=params, headers=headers)
        assert page.status_code == 200, page.text
        body = page.json()
        seen += body["items"]
        if not body["items"]:
            return seen, body["next_after"]
        after = body["next_after"]


async def test_feed_hands_out_each_event_once_in_order(
    api: AsyncClient, settings: Settings
) -> None:
    p = Parties(settings)
    _, start = await drain(api, p.hakte, None)  # catch up with what other tests wrote
    flows = await asyncio.gather(*(Flow(api, p).create() for _ in range(4)))
    await asyncio.gather(*(f.post("accept", examples.ACCEPT, p.planner) for f in flows))
    flows.append(await Flow(api, p).to(State.IN_TRANSIT))
    seen, end = await drain(api, p.hakte, start)
    ours = {f.id for f in flows}
    mine = [(e["handover_id"], e["seq"]) for e in seen if e["handover_id"] in ours]
    assert len(mine) == len(set(mine))  # never twice
    for flow in flows:
        seqs = [seq for hid, seq in mine if hid == flow.id]
        assert seqs == sorted(seqs)  # each request's events in order
        log = (await api.get(f"{flow.path}/events", headers=p.police)).json()
        assert seqs == [e["seq"] for e in log]  # none skipped
    again, _ = await drain(api, p.hakte, end)
    assert not [e for e in again if e["handover_id"] in ours]
    # A unit that is no party sees none of it.
    stranger, _ = await drain(api, p.stranger, start)
    assert not [e for e in stranger if e["handover_id"] in ours]
    bad = await api.get("/v1/events", params={"after": "garbage"}, headers=p.hakte)
    assert bad.status_code == 400
