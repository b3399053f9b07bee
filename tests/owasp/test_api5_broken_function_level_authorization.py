"""API5:2023 Broken Function Level Authorization.

The functions are split by role, not by URL prefix: coordinators extend deadlines and
acknowledge escalations, auditors read the access log, the executor accepts, defers, rejects
and schedules, the requester cancels. An attacker with a legitimate token of a party to the
request calls the functions of another role on it (a custody officer extends the clock that
binds the police, acknowledges its own breach, or reads who looked at whom; the requester
accepts its own request; a coordinator or auditor moves a case). Each must be refused (403
for a party without the role, 404 for no party) and change nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from contracts.common import Org, Role, State
from services.handover.api import examples
from services.handover.settings import Settings
from tests.api.test_wedges import assert_problem
from tests.flow import Flow, Parties, auth, body


def _extension(flow: Flow) -> tuple[str, dict[str, Any]]:
    remand = next(d for d in flow.last["deadlines"] if d["name"] == "remand_to_remand_prison")
    new_due = datetime.fromisoformat(remand["due_at"]) + timedelta(days=3)
    payload = {
        "reason": "court_decision",
        "decision": "Stockholms tingsrätt B 1-26",
        "new_due_at": new_due.isoformat(),
    }
    return f"{flow.path}/deadlines/remand_to_remand_prison/extend", payload


async def test_a_custody_officer_calls_coordinator_and_auditor_functions(
    api: httpx.AsyncClient, settings: Settings
) -> None:
    parties = Parties(settings)
    flow = await Flow(api, parties).to(State.DEFERRED)  # a deferral raises an escalation
    before = await flow.get()
    escalations = await api.get(
        "/v1/escalations", params={"limit": 200}, headers=parties.coordinator
    )
    escalation = next(e for e in escalations.json()["items"] if e["handover_id"] == flow.id)
    path, extension = _extension(flow)

    for headers in (parties.police, parties.planner, parties.hakte):
        assert_problem(await api.post(path, json=extension, headers=headers), 403)
        ack = await api.post(
            f"/v1/escalations/{escalation['id']}/acknowledge",
            json={"note": "seen to it myself"},
            headers=headers,
        )
        assert ack.status_code in (403, 404), ack.text
        assert ack.headers["content-type"] == "application/problem+json"
        assert_problem(await api.get("/v1/escalations", headers=headers), 403)
        assert_problem(await api.get("/v1/audit/access", headers=headers), 403)
        assert_problem(
            await api.get("/v1/audit/access", params={"handover_id": flow.id}, headers=headers),
            403,
        )
    after = await flow.get()
    assert after["version"] == before["version"]
    assert _clocks(after) == _clocks(before)
    listed = await api.get("/v1/escalations", params={"limit": 200}, headers=parties.coordinator)
    again = next(e for e in listed.json()["items"] if e["id"] == escalation["id"])
    assert again["acknowledged_at"] is None


def _clocks(view: dict[str, Any]) -> list[tuple[str, str, int]]:
    return [(d["name"], d["due_at"], len(d["extensions"])) for d in view["deadlines"]]


EXECUTOR_ACTIONS: list[tuple[str, State, dict[str, Any]]] = [
    ("accept", State.REQUESTED, examples.ACCEPT),
    ("defer", State.REQUESTED, examples.DEFER),
    ("reject", State.REQUESTED, examples.REJECT),
    ("schedule", State.ACCEPTED, examples.SCHEDULE),
    ("not-executed", State.SCHEDULED, examples.NOT_EXECUTED),
]


@pytest.mark.parametrize(
    ("action", "state", "payload"), EXECUTOR_ACTIONS, ids=[a for a, _, _ in EXECUTOR_ACTIONS]
)
async def test_the_requester_cannot_take_the_executors_decisions(
    api: httpx.AsyncClient, settings: Settings, action: str, state: State, payload: dict[str, Any]
) -> None:
    parties = Parties(settings)
    flow = await Flow(api, parties).to(state)
    if action == "schedule":
        await flow.assess()
    before = await flow.get()
    for headers in (parties.police, parties.police_supervisor):
        response = await api.post(f"{flow.path}/{action}", json=body(payload), headers=headers)
        assert_problem(response, 403)
    after = await flow.get()
    assert (after["state"], after["version"]) == (before["state"], before["version"])


async def test_the_executor_cannot_cancel_and_overseers_cannot_act(
    api: httpx.AsyncClient, settings: Settings
) -> None:
    parties = Parties(settings)
    flow = await Flow(api, parties).create()
    assert_problem(
        await api.post(f"{flow.path}/cancel", json=examples.CANCEL, headers=parties.planner), 403
    )
    regional = auth(
        settings, org=Org.KRIMINALVARDEN, unit="kv-samordning-stockholm", roles=[Role.COORDINATOR]
    )
    auditor = auth(
        settings, org=Org.KRIMINALVARDEN, unit="kv-samordning-nationell", roles=[Role.AUDITOR]
    )
    for headers in (parties.coordinator, regional):
        for action, payload in (("accept", examples.ACCEPT), ("cancel", examples.CANCEL)):
            response = await api.post(f"{flow.path}/{action}", json=payload, headers=headers)
            assert_problem(response, 403)
    for action, payload in (("accept", examples.ACCEPT), ("cancel", examples.CANCEL)):
        response = await api.post(f"{flow.path}/{action}", json=payload, headers=auditor)
        assert response.status_code in (403, 404), response.text
    path, extension = _extension(flow)
    assert_problem(await api.post(path, json=extension, headers=auditor), 404)
    after = await flow.get()
    assert after["state"] == State.REQUESTED
    assert after["version"] == flow.last["version"]


async def test_an_auditor_reads_the_log_but_no_case(
    api: httpx.AsyncClient, settings: Settings
) -> None:
    parties = Parties(settings)
    flow = await Flow(api, parties).create()
    auditor = auth(
        settings, org=Org.KRIMINALVARDEN, unit="kv-samordning-nationell", roles=[Role.AUDITOR]
    )
    log = await api.get("/v1/audit/access", params={"handover_id": flow.id}, headers=auditor)
    assert log.status_code == 200, log.text
    for suffix in ("", "/events", "/security-assessment", "/incidents"):
        assert_problem(await api.get(flow.path + suffix, headers=auditor), 404)
    listed = await api.get("/v1/handovers", params={"limit": 200}, headers=auditor)
    assert listed.status_code in (200, 403)
    if listed.status_code == 200:
        assert flow.id not in {i["id"] for i in listed.json()["items"]}
    feed = await api.get("/v1/events", params={"limit": 200}, headers=auditor)
    assert feed.status_code in (200, 403)
    assert flow.id not in feed.text
