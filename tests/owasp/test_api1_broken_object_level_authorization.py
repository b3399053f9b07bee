"""API1:2023 Broken Object Level Authorization.

Every route under `/v1/handovers/{id}` takes an object id from the client. An attacker holding
a valid token for some unit (another custody unit of the police, a unit of Kriminalvården
that is no party, a coordinator of another region) replays ids it has learnt, on every read
and every action route. The contract: a unit that is no party finds nothing (404, the same
answer as for an id that does not exist, so ids cannot even be confirmed), the answer carries
none of the request's data, and the request is unchanged afterwards.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from contracts.common import Org, Role, State
from services.handover.api import examples
from services.handover.settings import Settings
from tests.flow import Flow, Parties, auth, body, now

NUMBER = "19121212-1212"  # the documented example's personnummer
STRANGERS: dict[str, tuple[Org, str, Role]] = {
    "custody unit of another police region": (Org.POLISEN, "pa-malmo", Role.CUSTODY_OFFICER),
    "supervisor of another custody unit": (Org.POLISEN, "pa-malmo", Role.CUSTODY_SUPERVISOR),
    "Kriminalvården prison, no party": (
        Org.KRIMINALVARDEN,
        "kv-anstalt-kumla",
        Role.RECEPTION_OFFICER,
    ),
    "coordinator of another region": (Org.KRIMINALVARDEN, "kv-samordning-syd", Role.COORDINATOR),
    "integrated system of another unit": (Org.POLISEN, "pa-malmo", Role.SYSTEM),
}


def _extension(flow: Flow) -> dict[str, Any]:
    deadline = flow.last["deadlines"][0]
    return {
        "reason": "court_decision",
        "decision": "Stockholms tingsrätt B 1-26",
        "new_due_at": deadline["due_at"],
    }


def _routes(flow: Flow) -> list[tuple[str, str, dict[str, Any] | None]]:
    deadline = flow.last["deadlines"][0]["name"]
    report = {"reported_at": now(), "reference": "AV 2026/1234"}
    return [
        ("GET", "", None),
        ("GET", "/events", None),
        ("GET", "/export", None),
        ("GET", "/security-assessment", None),
        ("GET", "/incidents", None),
        ("GET", "/incidents/1", None),
        ("POST", "/accept", examples.ACCEPT),
        ("POST", "/defer", examples.DEFER),
        ("POST", "/reject", examples.REJECT),
        ("POST", "/schedule", body(examples.SCHEDULE)),
        ("POST", "/release", body(examples.RELEASE)),
        ("POST", "/receive", body(examples.RECEIVE)),
        ("POST", "/cancel", examples.CANCEL),
        ("POST", "/complete", body(examples.COMPLETE)),
        ("POST", "/not-executed", body(examples.NOT_EXECUTED)),
        ("POST", "/security-assessment", body(examples.ASSESSMENT)),
        ("POST", "/incidents", body(examples.INCIDENT)),
        ("POST", "/incidents/1/report", report),
        ("POST", f"/deadlines/{deadline}/extend", _extension(flow)),
    ]


@pytest.fixture(scope="module")
async def target(api: httpx.AsyncClient, settings: Settings) -> Flow:
    """A transfer pa-kronoberg -> kv-hakte-kronoberg with an assessment and an incident."""
    parties = Parties(settings)
    flow = await Flow(api, parties).to(State.ACCEPTED)
    await flow.assess()
    await flow.post("incidents", body(examples.INCIDENT), parties.police)
    flow.last = await flow.get()
    return flow


def _leaks(response: httpx.Response, flow: Flow) -> list[str]:
    person = flow.last["person"]
    secrets = [NUMBER, NUMBER.replace("-", ""), person["given_name"], person["family_name"]]
    secrets += [flow.last["reference"]]
    return [s for s in secrets if s and s in response.text]


@pytest.mark.parametrize("stranger", list(STRANGERS))
async def test_another_units_id_is_not_found_on_every_route(
    api: httpx.AsyncClient, settings: Settings, target: Flow, stranger: str
) -> None:
    org, unit, role = STRANGERS[stranger]
    headers = auth(settings, org=org, unit=unit, roles=[role], sub=f"bola-{uuid.uuid4().hex[:6]}")
    before = await target.get()
    for method, suffix, payload in _routes(target):
        response = await api.request(method, target.path + suffix, json=payload, headers=headers)
        where = f"{stranger}: {method} {suffix or '/'}"
        assert response.status_code == 404, f"{where}: {response.status_code} {response.text}"
        assert response.headers["content-type"] == "application/problem+json", where
        assert response.json()["type"] == "/problems/not-found", where
        assert not _leaks(response, target), f"{where} leaks {_leaks(response, target)}"
    after = await target.get()
    assert (after["version"], after["state"]) == (before["version"], before["state"])
    events = await api.get(f"{target.path}/events", headers=target.p.police)
    assert all(e["actor"]["unit"] != unit for e in events.json())


async def test_a_real_id_and_an_unknown_id_look_the_same(
    api: httpx.AsyncClient, settings: Settings, target: Flow
) -> None:
    """No oracle: a stranger cannot tell that an id exists."""
    stranger = Parties(settings).stranger
    real = await api.get(target.path, headers=stranger)
    other_id = str(uuid.uuid4())
    unknown = await api.get(f"/v1/handovers/{other_id}", headers=stranger)
    assert real.status_code == unknown.status_code == 404

    def shape(r: httpx.Response) -> tuple[object, ...]:
        problem = r.json()
        return problem["type"], problem["title"], sorted(set(problem) - {"request_id", "detail"})

    assert shape(real) == shape(unknown)
    # The detail may echo the id the client sent, and nothing else.
    assert real.json().get("detail", "").replace(target.id, "ID") == unknown.json().get(
        "detail", ""
    ).replace(other_id, "ID")


async def test_lists_and_the_feed_do_not_carry_another_units_request(
    api: httpx.AsyncClient, settings: Settings, target: Flow
) -> None:
    """Filters that name the victim's unit do not widen what a stranger sees."""
    stranger = Parties(settings).stranger
    filters: list[dict[str, str | int]] = [
        {"unit": "pa-kronoberg", "limit": 200},
        {"unit": "kv-hakte-kronoberg", "limit": 200},
        {"state": "accepted", "limit": 200},
    ]
    for params in filters:
        page = await api.get("/v1/handovers", params=params, headers=stranger)
        assert page.status_code in (200, 400, 403), page.text
        if page.status_code == 200:
            assert target.id not in {item["id"] for item in page.json()["items"]}, params
    feed = await api.get("/v1/events", params={"limit": 200}, headers=stranger)
    assert feed.status_code == 200
    assert target.id not in {e["handover_id"] for e in feed.json()["items"]}
    assert target.id not in feed.text


async def test_an_escalation_of_another_region_cannot_be_acknowledged(
    api: httpx.AsyncClient, settings: Settings
) -> None:
    """Escalation ids are objects too: a coordinator of another region finds none."""
    parties = Parties(settings)
    flow = await Flow(api, parties).to(State.DEFERRED)  # a deferral raises an escalation
    national = await api.get("/v1/escalations", params={"limit": 200}, headers=parties.coordinator)
    assert national.status_code == 200, national.text
    mine = [e for e in national.json()["items"] if e["handover_id"] == flow.id]
    assert mine, national.text
    other_region = auth(
        settings, org=Org.KRIMINALVARDEN, unit="kv-samordning-syd", roles=[Role.COORDINATOR]
    )
    listed = await api.get("/v1/escalations", params={"limit": 200}, headers=other_region)
    assert flow.id not in listed.text
    refused = await api.post(
        f"/v1/escalations/{mine[0]['id']}/acknowledge",
        json={"note": "not mine"},
        headers=other_region,
    )
    assert refused.status_code == 404, refused.text
    assert refused.headers["content-type"] == "application/problem+json"
