"""Requests carried from creation to an end through the API, as the two agencies would."""

from __future__ import annotations

import itertools
from datetime import datetime
from typing import Any

from httpx import AsyncClient
from temporalio.client import Client

from contracts.common import Org, Role, State
from contracts.eventlog import verify_served
from contracts.workflow import workflow_id
from services.handover.api import examples
from services.handover.settings import Settings
from tests.flow import Flow, Parties, apprehension, auth, body, now


def assert_gapless(chain: list[dict[str, Any]]) -> None:
    for before, after in itertools.pairwise(chain):
        assert before["until"] == after["since"], chain
    assert all(s["until"] is not None for s in chain[:-1])


async def events_of(api: AsyncClient, flow: Flow) -> list[dict[str, Any]]:
    response = await api.get(f"{flow.path}/events", headers=flow.p.police)
    assert response.status_code == 200, response.text
    result: list[dict[str, Any]] = response.json()
    return result


async def test_transfer_from_police_cell_to_remand_prison(
    api: AsyncClient, settings: Settings
) -> None:
    p = Parties(settings)
    flow = await Flow(api, p).create()
    assert flow.last["allowed_actions"] == ["cancel"]
    assert (await flow.get(p.planner))["allowed_actions"] == ["accept", "defer", "reject"]

    await flow.post("accept", examples.ACCEPT, p.planner)
    problem = (await flow.post("schedule", body(examples.SCHEDULE), p.planner, expect=409)).json()
    assert problem["reason"] == "security_assessment_incomplete"
    assert problem["current_state"] == "accepted"
    await flow.assess()
    await flow.post("schedule", body(examples.SCHEDULE), p.planner)
    moved = dict(examples.SCHEDULE, pickup_at=now(3600))
    problem = (await flow.post("schedule", moved, p.planner, expect=400)).json()
    assert problem["errors"][0]["field"] == "$.reason"
    await flow.post("schedule", dict(moved, reason="transport_replanned"), p.planner)
    assert flow.last["schedule"]["revision"] == 2

    # Police release to the transport; the police stay responsible until NTE confirms.
    await flow.post("release", body(examples.RELEASE), p.police)
    assert flow.last["responsible"]["unit"] == "pa-kronoberg"
    assert flow.last["state"] == "scheduled"
    assert (await flow.get(p.escort))["allowed_actions"] == ["receive"]
    await flow.post("receive", body(examples.RECEIVE), p.escort)
    assert flow.last["state"] == "in_transit"
    assert flow.last["responsible"]["unit"] == "kv-nte-stockholm"

    await flow.post("release", body(examples.RELEASE, to_unit="kv-hakte-kronoberg"), p.escort)
    await flow.post("receive", body(examples.RECEIVE), p.hakte)
    final = flow.last
    assert final["state"] == "completed"
    assert final["responsible"]["unit"] == "kv-hakte-kronoberg"
    chain = final["custody_chain"]
    assert [s["unit"] for s in chain] == ["pa-kronoberg", "kv-nte-stockholm", "kv-hakte-kronoberg"]
    assert_gapless(chain)
    assert chain[-1]["until"] is None
    assert [h["number"] for h in final["handovers"]] == [1, 2]
    assert final["handovers"][0]["release"]["property_seals"] == ["SEAL-004411"]

    events = await events_of(api, flow)
    assert [e["type"] for e in events if e["actor"]["unit"] != "system"] == [
        "requested",
        "accepted",
        "security_assessment_recorded",
        "scheduled",
        "rescheduled",
        "released",
        "received",
        "released",
        "received",
        "completed",
    ]
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert verify_served(events) is None
    assert events[1]["actor"]["unit"] == "kv-nte-stockholm"
    assert all(e["recorded_at"] >= e["occurred_at"][:19] for e in events if e["type"] == "received")
    assert final["version"] == len(events)


async def test_enforcement_assistance_to_a_care_home(api: AsyncClient, settings: Settings) -> None:
    p = Parties(settings)
    flow = await Flow(api, p).create(examples.ASSISTANCE_CREATE)
    created = flow.last
    assert created["kind"] == "enforcement_assistance"
    assert created["regime"] == "gdpr_kriminalvardsdatalagen"
    assert created["assistance"]["legal_basis"] == "lvm_45"
    assert created["executing_unit"] == "kv-nte-stockholm"
    await flow.post("accept", examples.ACCEPT, p.planner)
    await flow.assess()
    await flow.post("schedule", body(examples.SCHEDULE), p.planner)
    await flow.post("release", body(examples.RELEASE), p.police)
    await flow.post("receive", body(examples.RECEIVE), p.escort)
    await flow.post("complete", body(examples.COMPLETE), p.escort)
    final = flow.last
    assert final["state"] == "completed"
    assert final["responsible"] is None
    assert final["closure"]["delivered_to"] == examples.COMPLETE["delivered_to"]
    assert_gapless(final["custody_chain"])
    assert final["custody_chain"][-1]["until"] is not None


async def test_apprehension_by_police_from_outside(api: AsyncClient, settings: Settings) -> None:
    p = Parties(settings)
    kumla = auth(
        settings, org=Org.KRIMINALVARDEN, unit="kv-anstalt-kumla", roles=[Role.RECEPTION_OFFICER]
    )
    flow = await Flow(api, p).create(apprehension(), headers=kumla)
    assert flow.last["regime"] == "brottsdatalagen"
    assert flow.last["responsible"] is None
    assert flow.last["custody_chain"] == []
    await flow.post("accept", examples.ACCEPT, p.police_supervisor)
    assessed = await api.post(
        f"{flow.path}/security-assessment", json=examples.ASSESSMENT, headers=kumla
    )
    assert assessed.status_code == 201, assessed.text
    await flow.post(
        "schedule", body(examples.SCHEDULE, transport_unit="kv-nte-stockholm"), p.police_supervisor
    )
    # Nobody holds the person: the executing police unit picks them up.
    await flow.post("receive", body(examples.RECEIVE, received_from="Sveavägen 1"), p.police)
    assert (await flow.get())["responsible"]["unit"] == "pa-kronoberg"
    await flow.post("release", body(examples.RELEASE, to_unit="kv-anstalt-kumla"), p.police)
    await flow.post("receive", body(examples.RECEIVE), kumla)
    assert flow.last["state"] == "completed"
    assert [s["unit"] for s in flow.last["custody_chain"]] == ["pa-kronoberg", "kv-anstalt-kumla"]


async def test_defer_keeps_the_request_open_until_accepted(
    api: AsyncClient, settings: Settings
) -> None:
    p = Parties(settings)
    flow = await Flow(api, p).to(State.DEFERRED)
    assert flow.last["deferral"]["reason"] == "no_capacity"
    problem = (await flow.post("reject", {"reason": "no_capacity"}, p.planner, expect=400)).json()
    assert problem["type"] == "/problems/validation"
    await flow.post("accept", examples.ACCEPT, p.planner)
    assert flow.last["state"] == "accepted"


async def test_closed_requests_refuse_actions_with_the_allowed_ones(
    api: AsyncClient, settings: Settings
) -> None:
    p = Parties(settings)
    flow = await Flow(api, p).to(State.CANCELLED)
    problem = (await flow.post("accept", examples.ACCEPT, p.planner, expect=409)).json()
    assert problem["type"] == "/problems/illegal-transition"
    assert problem["current_state"] == "cancelled"
    assert problem["allowed_actions"] == []
    assert flow.last["closure"]["reason"] == "decision_revoked"


async def test_not_executed_keeps_the_person_with_the_holder(
    api: AsyncClient, settings: Settings
) -> None:
    p = Parties(settings)
    flow = await Flow(api, p).to(State.NOT_EXECUTED)
    assert flow.last["responsible"]["unit"] == "pa-kronoberg"
    assert flow.last["closure"]["reason"] == "person_not_found"


async def test_if_match(api: AsyncClient, settings: Settings) -> None:
    p = Parties(settings)
    flow = await Flow(api, p).create()
    stale = await api.post(
        f"{flow.path}/accept", json=examples.ACCEPT, headers=p.planner | {"If-Match": '"7"'}
    )
    assert stale.status_code == 412
    assert stale.json()["current_version"] == 1
    fresh = await api.post(
        f"{flow.path}/accept", json=examples.ACCEPT, headers=p.planner | {"If-Match": '"1"'}
    )
    assert fresh.status_code == 200
    assert fresh.headers["etag"] == '"2"'
    bad = await api.post(
        f"{flow.path}/defer", json=examples.DEFER, headers=p.planner | {"If-Match": "yesterday"}
    )
    assert bad.status_code == 400


async def test_field_times_are_checked(api: AsyncClient, settings: Settings) -> None:
    p = Parties(settings)
    flow = await Flow(api, p).to(State.SCHEDULED)
    future = await api.post(
        f"{flow.path}/release", json=body(examples.RELEASE, occurred_at=now(3600)), headers=p.police
    )
    assert future.status_code == 400
    assert future.json()["errors"][0]["field"] == "$.occurred_at"
    await flow.post("release", body(examples.RELEASE), p.police)
    early = body(examples.RECEIVE, occurred_at=now(-3600))
    problem = (await flow.post("receive", early, p.escort, expect=400)).json()
    assert "before the previous event" in problem["errors"][0]["message"]
    received = (await flow.post("receive", body(examples.RECEIVE), p.escort)).json()
    handover = received["handovers"][0]
    assert datetime.fromisoformat(handover["reception"]["recorded_at"]) >= datetime.fromisoformat(
        handover["release"]["occurred_at"]
    )


async def test_wrong_party_and_stranger(api: AsyncClient, settings: Settings) -> None:
    p = Parties(settings)
    flow = await Flow(api, p).create()
    forbidden = await flow.post("accept", examples.ACCEPT, p.police, expect=403)
    assert forbidden.json()["type"] == "/problems/forbidden"
    await flow.post("accept", examples.ACCEPT, p.stranger, expect=404)
    await flow.post("accept", examples.ACCEPT, p.escort, expect=403)  # party, wrong role
    # A coordinator may read every request but is no party to it.
    await flow.post("accept", examples.ACCEPT, p.coordinator, expect=403)


async def test_assessment_amendment_after_scheduling_is_flagged(
    api: AsyncClient, settings: Settings
) -> None:
    p = Parties(settings)
    flow = await Flow(api, p).to(State.SCHEDULED)
    amend = body(examples.ASSESSMENT, amendment_reason="New information on violence.")
    amend["flags"] = [*amend["flags"], {"flag": "violence", "level": "alert"}]
    response = await api.post(f"{flow.path}/security-assessment", json=amend, headers=p.police)
    assert response.status_code == 201, response.text
    history = response.json()
    assert history["current"]["version"] == 2
    assert history["current"]["after_scheduling"] is True
    assert len(history["versions"]) == 2
    no_reason = await api.post(
        f"{flow.path}/security-assessment", json=examples.ASSESSMENT, headers=p.police
    )
    assert no_reason.status_code == 400
    seen = await api.get(f"{flow.path}/security-assessment", headers=p.planner)
    assert seen.json()["current"]["version"] == 2
    events = await events_of(api, flow)
    assert events[-1]["type"] == "security_assessment_amended"
    assert events[-1]["data"]["notify"] == "executor"


async def test_incidents_by_either_party_also_after_completion(
    api: AsyncClient, settings: Settings
) -> None:
    p = Parties(settings)
    flow = await Flow(api, p).to(State.COMPLETED)
    first = await api.post(
        f"{flow.path}/incidents", json=body(examples.INCIDENT, occurred_at=now()), headers=p.escort
    )
    assert first.status_code == 201, first.text
    assert first.headers["location"].endswith("/incidents/1")
    second = await api.post(
        f"{flow.path}/incidents",
        json=body(examples.INCIDENT, kind="near_miss", severity="minor", occurred_at=now()),
        headers=p.police,
    )
    assert second.status_code == 201
    listed = (await api.get(f"{flow.path}/incidents", headers=p.hakte)).json()
    assert [(i["number"], i["recorded_by"]["unit"]) for i in listed] == [
        (1, "kv-nte-stockholm"),
        (2, "pa-kronoberg"),
    ]
    one = await api.get(f"{flow.path}/incidents/2", headers=p.police)
    assert one.json()["kind"] == "near_miss"
    assert (await api.get(f"{flow.path}/incidents/9", headers=p.police)).status_code == 404


async def test_a_request_whose_workflow_has_ended_refuses_changes(
    api: AsyncClient, settings: Settings, temporal: Client
) -> None:
    p = Parties(settings)
    flow = await Flow(api, p).create()
    # After erasure (or any end of its workflow) a request can be read but not changed.
    await temporal.get_workflow_handle(workflow_id(flow.id)).terminate("test: ended")
    closed = await flow.post("accept", examples.ACCEPT, p.planner, expect=409)
    assert closed.json()["type"] == "/problems/illegal-transition"
    assert "closed for changes" in closed.json()["detail"]
    assert (await flow.get())["state"] == "requested"
    unknown = await api.post(
        "/v1/handovers/5f0b8a34-9d1e-4c8e-9a51-3f4e2b1c0d99/accept",
        json=examples.ACCEPT,
        headers=p.planner,
    )
    assert unknown.status_code == 404
