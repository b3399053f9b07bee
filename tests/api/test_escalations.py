"""An escalation flows from a breach to the coordinators' list to acknowledgement."""

from __future__ import annotations

import asyncio
from typing import Any

import msgspec
from httpx import AsyncClient
from temporalio.worker import Worker

from services.handover.settings import Settings
from tests.conftest import running_api
from tests.flow import Flow, Parties, body, coordinator, custody, fresh


async def open_escalations(
    client: AsyncClient, headers: dict[str, str], handover_id: str
) -> list[Any]:
    page = await client.get("/v1/escalations", params={"acknowledged": "false"}, headers=headers)
    assert page.status_code == 200, page.text
    return [e for e in page.json()["items"] if e["handover_id"] == handover_id]


async def test_breach_to_list_to_acknowledgement(settings: Settings, worker: Worker) -> None:
    fast = msgspec.structs.replace(settings, response_deadline_seconds=1.0)
    async with running_api(fast) as base, AsyncClient(base_url=base) as client:
        p = Parties(settings)
        flow = await Flow(client, p).create(fresh())
        national = coordinator(settings, "kv-samordning-nationell")
        found: list[Any] = []
        for _ in range(60):
            found = await open_escalations(client, national, flow.id)
            if any(e["level"] == "breach" for e in found):
                break
            await asyncio.sleep(0.1)
        breach = next(e for e in found if e["level"] == "breach")
        assert breach["subject"] == "response"
        assert breach["reference"] == flow.last["reference"]
        assert breach["acknowledged_at"] is None

        shown = await flow.get(p.planner)
        response = next(d for d in shown["deadlines"] if d["name"] == "response")
        assert response["state"] == "breached"
        assert response["remaining_seconds"] is None
        remand = next(d for d in shown["deadlines"] if d["name"] == "remand_to_remand_prison")
        assert remand["remaining_seconds"] > 0
        assert shown["state"] == "requested"  # a breach never closes the request

        # Regional scoping: Stockholm's coordinators see it, Syd's do not; custody staff never.
        assert await open_escalations(
            client, coordinator(settings, "kv-samordning-stockholm"), flow.id
        )
        assert not await open_escalations(
            client, coordinator(settings, "kv-samordning-syd"), flow.id
        )
        refused = await client.get("/v1/escalations", headers=p.police)
        assert refused.status_code == 403

        ack = await client.post(
            f"/v1/escalations/{breach['id']}/acknowledge",
            json={"note": "Called NTE; transport planned for 14:00."},
            headers=national,
        )
        assert ack.status_code == 200, ack.text
        assert ack.json()["acknowledged_by"]["unit"] == "kv-samordning-nationell"
        again = await client.post(
            f"/v1/escalations/{breach['id']}/acknowledge", json={"note": "twice"}, headers=national
        )
        assert again.status_code == 409
        assert not [
            e for e in await open_escalations(client, national, flow.id) if e["id"] == breach["id"]
        ]
        done = await client.get(
            "/v1/escalations", params={"acknowledged": "true", "level": "breach"}, headers=national
        )
        mine = [e for e in done.json()["items"] if e["id"] == breach["id"]]
        assert mine[0]["note"] == "Called NTE; transport planned for 14:00."
        events = (await client.get(f"{flow.path}/events", headers=p.police)).json()
        assert "escalation_acknowledged" in [e["type"] for e in events]


async def test_deferral_escalates_and_the_clock_runs_on(
    api: AsyncClient, settings: Settings
) -> None:
    p = Parties(settings)
    flow = await Flow(api, p).create()
    await flow.post(
        "defer", body({"reason": "no_capacity", "text": "Full until tomorrow."}), p.planner
    )
    national = coordinator(settings, "kv-samordning-nationell")
    deferral = [
        e for e in await open_escalations(api, national, flow.id) if e["level"] == "deferral"
    ]
    assert len(deferral) == 1
    remand = next(d for d in flow.last["deadlines"] if d["name"] == "remand_to_remand_prison")
    assert remand["state"] in ("running", "warned")
    response = next(d for d in flow.last["deadlines"] if d["name"] == "response")
    assert response["state"] == "met"


async def test_extend_through_the_api(api: AsyncClient, settings: Settings) -> None:
    p = Parties(settings)
    flow = await Flow(api, p).create()
    remand = next(d for d in flow.last["deadlines"] if d["name"] == "remand_to_remand_prison")
    from datetime import datetime, timedelta

    new_due = (datetime.fromisoformat(remand["due_at"]) + timedelta(days=1)).isoformat()
    extension = {
        "reason": "court_decision",
        "decision": "Stockholms tingsrätt B 1-26",
        "new_due_at": new_due,
    }
    refused = await api.post(
        f"{flow.path}/deadlines/remand_to_remand_prison/extend", json=extension, headers=p.police
    )
    assert refused.status_code == 403  # a custody officer is not a custody supervisor
    moved = await api.post(
        f"{flow.path}/deadlines/remand_to_remand_prison/extend",
        json=extension,
        headers=p.police_supervisor,
    )
    assert moved.status_code == 200, moved.text
    shown = next(d for d in moved.json()["deadlines"] if d["name"] == "remand_to_remand_prison")
    assert shown["state"] == "extended"
    assert datetime.fromisoformat(shown["due_at"]) == datetime.fromisoformat(new_due)
    assert shown["extensions"][0]["old_due_at"] == remand["due_at"]
    earlier = dict(extension, new_due_at=remand["due_at"])
    backwards = await api.post(
        f"{flow.path}/deadlines/remand_to_remand_prison/extend",
        json=earlier,
        headers=p.police_supervisor,
    )
    assert backwards.status_code == 400
    unknown = await api.post(
        f"{flow.path}/deadlines/no_such_clock/extend", json=extension, headers=p.police_supervisor
    )
    assert unknown.status_code == 404


async def test_list_filters_by_due_and_breach(api: AsyncClient, settings: Settings) -> None:
    p = Parties(settings)
    visby = custody(settings, "pa-visby")
    flow = await Flow(api, p).create(fresh(from_unit="pa-visby"), headers=visby)
    due = min(d["due_at"] for d in flow.last["deadlines"] if d["name"] != "erasure")
    page = await api.get(
        "/v1/handovers", params={"sort": "next_due", "unit": "pa-visby"}, headers=visby
    )
    assert page.status_code == 200, page.text
    items = page.json()["items"]
    assert flow.id in [i["id"] for i in items]
    keys = [i["next_due_at"] for i in items]
    assert keys == sorted(keys)
    from datetime import datetime, timedelta

    before = (datetime.fromisoformat(due) - timedelta(minutes=1)).isoformat()
    after = (datetime.fromisoformat(due) + timedelta(minutes=1)).isoformat()
    assert flow.id not in [
        i["id"]
        for i in (
            await api.get(
                "/v1/handovers", params={"due_before": before, "unit": "pa-visby"}, headers=visby
            )
        ).json()["items"]
    ]
    assert flow.id in [
        i["id"]
        for i in (
            await api.get(
                "/v1/handovers", params={"due_before": after, "unit": "pa-visby"}, headers=visby
            )
        ).json()["items"]
    ]
    assert flow.id not in [
        i["id"]
        for i in (
            await api.get(
                "/v1/handovers", params={"breached": "true", "unit": "pa-visby"}, headers=visby
            )
        ).json()["items"]
    ]
