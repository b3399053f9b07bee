"""Coordinators see their agency's region; national coordination units their whole agency."""

from __future__ import annotations

from httpx import AsyncClient

from contracts.common import Org, Role
from services.handover.settings import Settings
from tests.flow import Flow, Parties, auth, coordinator


async def test_coordinators_see_their_region(api: AsyncClient, settings: Settings) -> None:
    flow = await Flow(api, Parties(settings)).create()  # Kronoberg, Stockholm: both agencies

    sees = {
        "kv-samordning-stockholm": (Org.KRIMINALVARDEN, True),
        "kv-samordning-nationell": (Org.KRIMINALVARDEN, True),
        "pol-samordning-stockholm": (Org.POLISEN, True),
        "pol-ledningscentral-nationell": (Org.POLISEN, True),
        "kv-samordning-syd": (Org.KRIMINALVARDEN, False),
        "pol-samordning-syd": (Org.POLISEN, False),
    }
    for unit, (org, expected) in sees.items():
        headers = coordinator(settings, unit, org)
        one = await api.get(flow.path, headers=headers)
        assert one.status_code == (200 if expected else 404), (unit, one.text)
        listed = await api.get("/v1/handovers", params={"limit": 200}, headers=headers)
        assert (flow.id in [i["id"] for i in listed.json()["items"]]) is expected, unit

    extension = {
        "reason": "court_decision",
        "decision": "Stockholms tingsrätt B 1-26",
        "new_due_at": "2099-01-01T00:00:00+01:00",
    }
    outside = await api.post(
        f"{flow.path}/deadlines/remand_to_remand_prison/extend",
        json=extension,
        headers=coordinator(settings, "kv-samordning-syd"),
    )
    assert outside.status_code == 404
    inside = await api.post(
        f"{flow.path}/deadlines/remand_to_remand_prison/extend",
        json=extension,
        headers=coordinator(settings, "kv-samordning-stockholm"),
    )
    assert inside.status_code == 200, inside.text
    auditor = auth(settings, org=Org.KRIMINALVARDEN, unit="kv-samordning-syd", roles=[Role.AUDITOR])
    # Auditors read the access log, not the cases.
    assert (await api.get(flow.path, headers=auditor)).status_code == 404
