"""Auditors see who read which request, and reads outside the reader's own cases."""

from __future__ import annotations

from httpx import AsyncClient

from contracts.common import Org, Role
from services.handover.settings import Settings
from tests.flow import Flow, Parties, auth


async def test_who_read_this_request(api: AsyncClient, settings: Settings) -> None:
    p = Parties(settings)
    flow = await Flow(api, p).create()
    await flow.get(p.police)  # a party
    # A coordinator of the region is no party: the read is outside its cases, and without a
    # stated purpose it is flagged; with X-Purpose it is not.
    await flow.get(p.coordinator)
    await flow.get({**p.coordinator, "X-Purpose": "coordination"})
    # A stranger cannot read it at all (404, and nothing is logged as read). A transport office
    # in another city may (it could plan the transport), but it is no party: that is the
    # lookup pattern auditors look for.
    assert (await api.get(flow.path, headers=p.stranger)).status_code == 404
    goteborg = auth(
        settings, org=Org.KRIMINALVARDEN, unit="kv-nte-goteborg", roles=[Role.TRANSPORT_PLANNER]
    )
    assert (await api.get(flow.path, headers=goteborg)).status_code == 200
    auditor = auth(
        settings, org=Org.KRIMINALVARDEN, unit="kv-samordning-nationell", roles=[Role.AUDITOR]
    )
    assert (await api.get(flow.path, headers=auditor)).status_code == 404  # not the cases

    page = await api.get("/v1/audit/access", params={"handover_id": flow.id}, headers=auditor)
    assert page.status_code == 200, page.text
    reads = page.json()["items"]
    by_unit = {(r["unit"], r["action"]): r for r in reads}
    assert ("pa-kronoberg", "read") in by_unit
    assert by_unit[("pa-kronoberg", "read")]["outside_own_cases"] is False
    assert by_unit[("pa-kronoberg", "read")]["purpose"] == "unstated"
    coordinator_reads = [r for r in reads if r["unit"] == "kv-samordning-nationell"]
    assert {r["purpose"] for r in coordinator_reads} == {"unstated", "coordination"}
    assert all(r["outside_own_cases"] for r in coordinator_reads)
    for read in coordinator_reads:
        stated = read["purpose"] != "unstated"
        assert ("outside_own_cases_without_purpose" in read["flags"]) is not stated
    assert all(r["reference"] == flow.last["reference"] for r in reads)
    assert "pa-malmo" not in {r["unit"] for r in reads}  # refused reads read nothing

    assert by_unit[("kv-nte-goteborg", "read")]["outside_own_cases"] is True
    outside = await api.get(
        "/v1/audit/access",
        params={"outside_own_cases": "true", "unit": "kv-nte-goteborg"},
        headers=auditor,
    )
    assert outside.status_code == 200
    items = outside.json()["items"]
    assert flow.id in {r["handover_id"] for r in items}
    assert all(r["outside_own_cases"] for r in items)

    refused = await api.get("/v1/audit/access", headers=p.coordinator)
    assert refused.status_code == 403
