"""The authorization matrix through the API: which units may hold which role, who sees
which request, and that every route that returns or changes personal data is audited."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest

from contracts.access import HOLDERS
from contracts.common import Org, Role, State, UnitKind
from services.handover.api import examples
from services.handover.api.incidents import CLOSE, INVESTIGATION, REPORT, UNIT_INCIDENT
from services.handover.app import create_app
from services.handover.settings import Settings
from tests.flow import Flow, Parties, apprehension, auth, body, fresh, now

# One real unit of every (organisation, kind) the reference data has.
UNITS: dict[tuple[Org, UnitKind], str] = {
    (Org.POLISEN, UnitKind.POLICE_CUSTODY): "pa-kronoberg",
    (Org.POLISEN, UnitKind.COORDINATION): "pol-samordning-bergslagen",
    (Org.KRIMINALVARDEN, UnitKind.TRANSPORT): "kv-nte-stockholm",
    (Org.KRIMINALVARDEN, UnitKind.REMAND_PRISON): "kv-hakte-kronoberg",
    (Org.KRIMINALVARDEN, UnitKind.PRISON): "kv-anstalt-kumla",
    (Org.KRIMINALVARDEN, UnitKind.COORDINATION): "kv-samordning-nationell",
}
CASES = [(role, org, kind) for role in Role for (org, kind) in UNITS]


@pytest.mark.parametrize(("role", "org", "kind"), CASES, ids=[f"{r}@{k}" for r, _, k in CASES])
async def test_a_role_is_held_only_where_the_matrix_says(
    api: httpx.AsyncClient, settings: Settings, role: Role, org: Org, kind: UnitKind
) -> None:
    headers = auth(settings, org=org, unit=UNITS[(org, kind)], roles=[role])
    response = await api.get("/v1/units", headers=headers)
    fits = org in HOLDERS[role].orgs and kind in HOLDERS[role].kinds
    if fits:
        assert response.status_code == 200, response.text
    else:
        assert response.status_code == 403, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert "does not fit its unit" in response.json()["detail"]


@pytest.mark.parametrize(
    ("org", "unit"),
    [
        (Org.POLISEN, "kv-samordning-nationell"),  # a unit of the other organisation
        (Org.KRIMINALVARDEN, "pa-kronoberg"),
        (Org.POLISEN, "pa-nowhere"),  # no such unit
    ],
)
async def test_a_token_for_a_unit_outside_its_organisation_is_refused(
    api: httpx.AsyncClient, settings: Settings, org: Org, unit: str
) -> None:
    headers = auth(settings, org=org, unit=unit, roles=[Role.AUDITOR])
    response = await api.get("/v1/audit/access", headers=headers)
    assert response.status_code == 403, response.text


async def test_the_reported_escapes_are_closed(api: httpx.AsyncClient, settings: Settings) -> None:
    """Each case issue 9 found, refused at the token."""
    police_as_reception = auth(
        settings, org=Org.POLISEN, unit="pa-kronoberg", roles=[Role.RECEPTION_OFFICER]
    )
    made = await api.post("/v1/handovers", json=fresh(), headers=police_as_reception)
    assert made.status_code == 403, made.text
    kv_as_custody = auth(
        settings, org=Org.KRIMINALVARDEN, unit="kv-anstalt-kumla", roles=[Role.CUSTODY_OFFICER]
    )
    made = await api.post("/v1/handovers", json=fresh(apprehension()), headers=kv_as_custody)
    assert made.status_code == 403, made.text

    p = Parties(settings)
    flow = await Flow(api, p).create()
    for role in (Role.COORDINATOR, Role.AUDITOR):
        custody_unit = auth(settings, org=Org.POLISEN, unit="pa-malmo", roles=[role])
        assert (await api.get(flow.path, headers=custody_unit)).status_code == 403


# Who reads one request: (token, expected status) for each relation to it. The request is
# a transfer from pa-kronoberg (Stockholm) to kv-hakte-kronoberg.
RELATIONS: dict[str, tuple[Org, str, Role, int]] = {
    "own unit (requester)": (Org.POLISEN, "pa-kronoberg", Role.CUSTODY_OFFICER, 200),
    "own unit (receiver)": (Org.KRIMINALVARDEN, "kv-hakte-kronoberg", Role.RECEPTION_OFFICER, 200),
    "other unit, same organisation": (Org.POLISEN, "pa-malmo", Role.CUSTODY_OFFICER, 404),
    "other organisation": (Org.KRIMINALVARDEN, "kv-anstalt-kumla", Role.RECEPTION_OFFICER, 404),
    "coordinator, same region": (
        Org.KRIMINALVARDEN,
        "kv-samordning-stockholm",
        Role.COORDINATOR,
        200,
    ),
    "coordinator, other region": (Org.KRIMINALVARDEN, "kv-samordning-syd", Role.COORDINATOR, 404),
    "coordinator, national": (Org.KRIMINALVARDEN, "kv-samordning-nationell", Role.COORDINATOR, 200),
    "auditor": (Org.KRIMINALVARDEN, "kv-samordning-nationell", Role.AUDITOR, 404),
}
READS = ["", "/events", "/export", "/security-assessment", "/incidents"]


@pytest.mark.parametrize("relation", list(RELATIONS))
async def test_who_reads_a_request(
    api: httpx.AsyncClient, settings: Settings, relation: str
) -> None:
    p = Parties(settings)
    flow = await Flow(api, p).create()
    org, unit, role, expected = RELATIONS[relation]
    headers = auth(settings, org=org, unit=unit, roles=[role])
    for suffix in READS:
        response = await api.get(flow.path + suffix, headers=headers)
        assert response.status_code == expected, (suffix, response.text)
    listed = await api.get("/v1/handovers", params={"limit": 200}, headers=headers)
    assert listed.status_code == 200
    ids = {item["id"] for item in listed.json()["items"]}
    assert (flow.id in ids) is (expected == 200)
    feed_ids: set[str] = set()
    after: str | None = None
    while True:
        page = await api.get(
            "/v1/events",
            params={"limit": 200, **({"after": after} if after else {})},
            headers=headers,
        )
        assert page.status_code == 200
        items = page.json()["items"]
        feed_ids |= {item["handover_id"] for item in items}
        if not items:
            break
        after = page.json()["next_after"]
    assert (flow.id in feed_ids) is (expected == 200)


async def test_purpose_is_a_closed_list(api: httpx.AsyncClient, settings: Settings) -> None:
    p = Parties(settings)
    flow = await Flow(api, p).create()
    response = await api.get(flow.path, headers={**p.police, "X-Purpose": "curiosity"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "X-Purpose"
    response = await api.get(flow.path, headers={**p.police, "X-Purpose": "case_handling"})
    assert response.status_code == 200


async def test_who_read_this_person_across_requests(
    api: httpx.AsyncClient, settings: Settings
) -> None:
    """Every access to one personnummer, found by a keyed pseudonym, across requests."""
    p = Parties(settings)
    number = "19870605-1235"
    person = {"identity": {"type": "personnummer", "number": number}, "given_name": "Ada"}
    first = await Flow(api, p).create(fresh(person=person))
    second = await Flow(api, p).create(fresh(person=person))
    other = await Flow(api, p).create()
    goteborg = auth(
        settings, org=Org.KRIMINALVARDEN, unit="kv-nte-goteborg", roles=[Role.TRANSPORT_PLANNER]
    )
    for flow in (first, second, other):
        await flow.get(goteborg)
    auditor = auth(
        settings, org=Org.KRIMINALVARDEN, unit="kv-samordning-nationell", roles=[Role.AUDITOR]
    )
    for form in (number, "8706051235", "198706051235"):
        page = await api.get("/v1/audit/access", params={"person": form}, headers=auditor)
        assert page.status_code == 200, page.text
        items = page.json()["items"]
        assert {r["handover_id"] for r in items} == {first.id, second.id}
        assert {(r["unit"], r["action"]) for r in items} >= {
            ("pa-kronoberg", "write:create"),
            ("kv-nte-goteborg", "read"),
        }
        flagged = [r for r in items if r["unit"] == "kv-nte-goteborg"]
        assert all("outside_own_cases_without_purpose" in r["flags"] for r in flagged)
    bad = await api.get("/v1/audit/access", params={"person": "19870605-1234"}, headers=auditor)
    assert bad.status_code == 400  # a wrong check digit names no person


async def test_many_persons_read_by_one_user_is_flagged(
    api: httpx.AsyncClient, settings: Settings
) -> None:
    p = Parties(settings)
    sub = f"curious-{uuid.uuid4().hex[:6]}"
    reader = auth(
        settings,
        org=Org.KRIMINALVARDEN,
        unit="kv-nte-goteborg",
        roles=[Role.TRANSPORT_PLANNER],
        sub=sub,
    )
    flows = [await Flow(api, p).create() for _ in range(22)]
    for flow in flows:
        assert (await api.get(flow.path, headers=reader)).status_code == 200
    auditor = auth(
        settings, org=Org.KRIMINALVARDEN, unit="kv-samordning-nationell", roles=[Role.AUDITOR]
    )
    page = await api.get(
        "/v1/audit/access", params={"sub": sub, "flagged": "true", "limit": 50}, headers=auditor
    )
    items = page.json()["items"]
    assert len(items) == 22
    assert sum("many_persons" in r["flags"] for r in items) == 2  # the 21st and 22nd reads


# -- every route that returns or changes personal data writes an access-log row ----------

Call = Callable[[httpx.AsyncClient, Parties], Awaitable[tuple[httpx.Response, str]]]
BASE = "/v1/handovers/{handover_id:uuid}"


def _rid() -> dict[str, str]:
    return {"X-Request-Id": f"audit-{uuid.uuid4().hex}"}


async def _send(
    api: httpx.AsyncClient, method: str, path: str, headers: dict[str, str], **kwargs: Any
) -> tuple[httpx.Response, str]:
    rid = _rid()
    response = await api.request(method, path, headers={**headers, **rid}, **kwargs)
    assert response.status_code < 300, (method, path, response.text)
    return response, rid["X-Request-Id"]


def _action(name: str, state: State, who: str, payload: Callable[[], dict[str, Any]]) -> Call:
    async def call(api: httpx.AsyncClient, p: Parties) -> tuple[httpx.Response, str]:
        flow = Flow(api, p)
        if name == "complete":
            await flow.create(fresh(examples.ASSISTANCE_CREATE))
        if name == "placed":  # a convicted person, received at the häkte
            sentenced = fresh()
            sentenced["decision"]["kind"] = "sentence_enforcement"
            await flow.create(sentenced)
        if name == "receive":
            await flow.released_to_transport()
        else:
            await flow.to(state)
        if name == "schedule":
            await flow.assess()
        headers = getattr(p, who)
        return await _send(api, "POST", f"{flow.path}/{name}", headers, json=payload())

    return call


def _read(suffix: str, state: State = State.REQUESTED) -> Call:
    async def call(api: httpx.AsyncClient, p: Parties) -> tuple[httpx.Response, str]:
        flow = await Flow(api, p).to(state)
        if suffix.startswith("/incidents"):
            await flow.post("incidents", body(examples.INCIDENT), p.police)
        return await _send(api, "GET", flow.path + suffix, p.police)

    return call


async def _create(api: httpx.AsyncClient, p: Parties) -> tuple[httpx.Response, str]:
    return await _send(api, "POST", "/v1/handovers", p.police, json=fresh())


async def _list(api: httpx.AsyncClient, p: Parties) -> tuple[httpx.Response, str]:
    await Flow(api, p).create()
    return await _send(api, "GET", "/v1/handovers", p.police)


async def _feed(api: httpx.AsyncClient, p: Parties) -> tuple[httpx.Response, str]:
    await Flow(api, p).create()
    return await _send(api, "GET", "/v1/events", p.police)


async def _deliveries(api: httpx.AsyncClient, p: Parties) -> tuple[httpx.Response, str]:
    url = {"url": "https://kv-integration.example.se/hooks"}
    # Starting and stopping a subscription goes through its workflow: slower than a read
    # on a loaded machine, so these two calls may take longer than the client's default.
    made = await api.post("/v1/subscriptions", json=url, headers=p.coordinator, timeout=30)
    assert made.status_code == 201, made.text
    path = f"/v1/subscriptions/{made.json()['id']}"
    result = await _send(api, "GET", f"{path}/deliveries", p.coordinator)
    stopped = await api.delete(path, headers=p.coordinator, timeout=30)
    assert stopped.status_code == 204
    return result


async def _assess(api: httpx.AsyncClient, p: Parties) -> tuple[httpx.Response, str]:
    flow = await Flow(api, p).create()
    path = f"{flow.path}/security-assessment"
    return await _send(api, "POST", path, p.police, json=body(examples.ASSESSMENT))


async def _incident(api: httpx.AsyncClient, p: Parties) -> tuple[httpx.Response, str]:
    flow = await Flow(api, p).create()
    path = f"{flow.path}/incidents"
    return await _send(api, "POST", path, p.police, json=body(examples.INCIDENT))


async def _report(api: httpx.AsyncClient, p: Parties) -> tuple[httpx.Response, str]:
    flow = await Flow(api, p).create()
    await flow.post("incidents", body(examples.INCIDENT), p.police)
    path = f"{flow.path}/incidents/1/report"
    report = {"reported_at": now(), "reference": "AV 2026/1234"}
    return await _send(api, "POST", path, p.police, json=report)


async def _extend(api: httpx.AsyncClient, p: Parties) -> tuple[httpx.Response, str]:
    flow = await Flow(api, p).create()
    deadline = flow.last["deadlines"][0]["id"]
    payload = {
        "reason": "court_decision",
        "decision": "Stockholms tingsrätt B 1-26",
        "new_due_at": (
            datetime.fromisoformat(flow.last["deadlines"][0]["due_at"]) + timedelta(hours=2)
        ).isoformat(),
    }
    path = f"{flow.path}/deadlines/{deadline}/extend"
    return await _send(api, "POST", path, p.coordinator, json=payload)


async def _amend(api: httpx.AsyncClient, p: Parties) -> tuple[httpx.Response, str]:
    flow = await Flow(api, p).create()
    payload = {"field": "relatives_notified", "relatives_notified": True, "reason": "Called."}
    return await _send(api, "POST", f"{flow.path}/amendments", p.police, json=payload)


async def _journey(api: httpx.AsyncClient, p: Parties) -> tuple[httpx.Response, str]:
    flow = await Flow(api, p).to(State.ACCEPTED)
    payload = {
        "change": "lodging",
        "unit": "kv-hakte-sundsvall",
        "arrive_at": now(3600),
        "depart_at": now(12 * 3600),
    }
    return await _send(api, "POST", f"{flow.path}/journey", p.planner, json=payload)


async def _correct(api: httpx.AsyncClient, p: Parties) -> tuple[httpx.Response, str]:
    flow = await Flow(api, p).to(State.SCHEDULED)
    await flow.post("release", body(examples.RELEASE, occurred_at=now(60)), p.police)
    payload = {"occurred_at": now(), "reason": "Entered a minute late."}
    path = f"{flow.path}/events/{flow.last['version']}/correct"
    return await _send(api, "POST", path, p.police, json=payload)


async def _unit_incident(api: httpx.AsyncClient, p: Parties) -> str:
    recorded = await api.post(
        "/v1/incidents",
        json=dict(UNIT_INCIDENT, occurred_at=now(-60)),
        headers=p.police_supervisor,
    )
    assert recorded.status_code == 201, recorded.text
    return str(recorded.json()["id"])


async def _record_unit_incident(api: httpx.AsyncClient, p: Parties) -> tuple[httpx.Response, str]:
    payload = dict(UNIT_INCIDENT, occurred_at=now(-60))
    return await _send(api, "POST", "/v1/incidents", p.police_supervisor, json=payload)


async def _read_unit_incident(api: httpx.AsyncClient, p: Parties) -> tuple[httpx.Response, str]:
    incident_id = await _unit_incident(api, p)
    return await _send(api, "GET", f"/v1/incidents/{incident_id}", p.police_supervisor)


def _follow_up(step: str) -> Call:
    async def call(api: httpx.AsyncClient, p: Parties) -> tuple[httpx.Response, str]:
        incident_id = await _unit_incident(api, p)
        path = f"/v1/incidents/{incident_id}"
        if step == "close":
            await api.post(f"{path}/investigation", json=INVESTIGATION, headers=p.police_supervisor)
        payload = {
            "investigation": INVESTIGATION,
            "close": dict(CLOSE, decided_at=now()),
            "report": dict(REPORT, reported_at=now()),
        }[step]
        return await _send(api, "POST", f"{path}/{step}", p.police_supervisor, json=payload)

    return call


async def _unit_export(api: httpx.AsyncClient, p: Parties) -> tuple[httpx.Response, str]:
    await Flow(api, p).create()
    day = datetime.now(UTC).date()
    params = {
        "unit": "pa-kronoberg",
        "from": (day - timedelta(days=1)).isoformat(),
        "to": (day + timedelta(days=1)).isoformat(),
        "limit": "1",
    }
    return await _send(api, "GET", "/v1/exports", p.coordinator, params=params)


PERSONAL: dict[tuple[str, str], Call] = {
    ("POST", "/v1/handovers"): _create,
    ("GET", "/v1/handovers"): _list,
    ("GET", BASE): _read(""),
    ("GET", f"{BASE}/events"): _read("/events"),
    ("GET", f"{BASE}/export"): _read("/export"),
    ("GET", f"{BASE}/security-assessment"): _read("/security-assessment"),
    ("GET", f"{BASE}/incidents"): _read("/incidents"),
    ("GET", f"{BASE}/incidents/{{number:int}}"): _read("/incidents/1"),
    ("POST", f"{BASE}/security-assessment"): _assess,
    ("POST", f"{BASE}/incidents"): _incident,
    ("POST", f"{BASE}/incidents/{{number:int}}/report"): _report,
    ("POST", f"{BASE}/deadlines/{{deadline:str}}/extend"): _extend,
    ("POST", f"{BASE}/amendments"): _amend,
    ("POST", f"{BASE}/journey"): _journey,
    ("POST", f"{BASE}/events/{{seq:int}}/correct"): _correct,
    ("GET", "/v1/events"): _feed,
    ("POST", "/v1/incidents"): _record_unit_incident,
    ("GET", "/v1/incidents/{incident_id:uuid}"): _read_unit_incident,
    ("POST", "/v1/incidents/{incident_id:uuid}/investigation"): _follow_up("investigation"),
    ("POST", "/v1/incidents/{incident_id:uuid}/close"): _follow_up("close"),
    ("POST", "/v1/incidents/{incident_id:uuid}/report"): _follow_up("report"),
    ("GET", "/v1/exports"): _unit_export,
    ("GET", "/v1/subscriptions/{subscription_id:uuid}/deliveries"): _deliveries,
    ("POST", f"{BASE}/accept"): _action("accept", State.REQUESTED, "planner", lambda: {}),
    ("POST", f"{BASE}/defer"): _action("defer", State.REQUESTED, "planner", lambda: examples.DEFER),
    ("POST", f"{BASE}/reject"): _action(
        "reject", State.REQUESTED, "planner", lambda: examples.REJECT
    ),
    ("POST", f"{BASE}/cancel"): _action(
        "cancel", State.REQUESTED, "police", lambda: examples.CANCEL
    ),
    ("POST", f"{BASE}/schedule"): _action(
        "schedule", State.ACCEPTED, "planner", lambda: body(examples.SCHEDULE)
    ),
    ("POST", f"{BASE}/release"): _action(
        "release", State.SCHEDULED, "police", lambda: body(examples.RELEASE)
    ),
    ("POST", f"{BASE}/receive"): _action(
        "receive", State.SCHEDULED, "escort", lambda: body(examples.RECEIVE)
    ),
    ("POST", f"{BASE}/not-executed"): _action(
        "not-executed", State.SCHEDULED, "planner", lambda: body(examples.NOT_EXECUTED)
    ),
    ("POST", f"{BASE}/complete"): _action(
        "complete", State.IN_TRANSIT, "escort", lambda: body(examples.COMPLETE)
    ),
    ("POST", f"{BASE}/placed"): _action(
        "placed", State.COMPLETED, "hakte", lambda: body(examples.PLACED)
    ),
    ("POST", f"{BASE}/relatives"): _action(
        "relatives", State.REQUESTED, "police", lambda: examples.RELATIVES | {"notified_at": now()}
    ),
}
# Routes that return or change nothing of a person: reference data, probes, docs, the
# coordinators' escalations (deadline facts) and the access log itself.
NOT_PERSONAL = {
    ("GET", "/v1/units"),
    ("GET", "/v1/escalations"),
    ("POST", "/v1/escalations/{escalation_id:uuid}/acknowledge"),
    ("GET", "/v1/audit/access"),
    # Follow-up reports: counts and durations over many requests, no person.
    ("GET", "/v1/reports/{unit:str}"),
    ("GET", "/v1/reports/{unit:str}/csv"),
    ("GET", "/v1/reports/{unit:str}/charts/{chart:str}"),
    # Unit incidents listed as facts (no text), and the JO inspection (facts only).
    ("GET", "/v1/incidents"),
    ("GET", "/v1/inspections"),
    # Webhook subscriptions: a URL, event types and a status; the deliveries list (above) and
    # the deliveries themselves (the access log's `webhook_delivery`) carry personal data.
    ("POST", "/v1/subscriptions"),
    ("GET", "/v1/subscriptions"),
    ("GET", "/v1/subscriptions/{subscription_id:uuid}"),
    ("DELETE", "/v1/subscriptions/{subscription_id:uuid}"),
    ("POST", "/v1/subscriptions/{subscription_id:uuid}/pause"),
    ("POST", "/v1/subscriptions/{subscription_id:uuid}/resume"),
    ("POST", "/v1/subscriptions/{subscription_id:uuid}/deliveries/{delivery_id:uuid}/redeliver"),
    # Free places of remand prisons and prisons: reference data about units.
    ("PUT", "/v1/units/{unit_id:str}/capacity"),
    ("GET", "/v1/capacity"),
}


def _routes(settings: Settings) -> set[tuple[str, str]]:
    app = create_app(settings)
    found = set()
    for route in app.routes:
        if not route.path.startswith("/v1"):
            continue
        for method in getattr(route, "methods", ()):
            if method not in ("HEAD", "OPTIONS"):
                found.add((method, route.path))
    return found


def test_every_route_is_classified(settings: Settings) -> None:
    """A new route must say whether it touches personal data before it can land."""
    assert _routes(settings) == set(PERSONAL) | NOT_PERSONAL


@pytest.mark.parametrize("route", list(PERSONAL), ids=[f"{m} {p}" for m, p in PERSONAL])
async def test_route_with_personal_data_writes_an_access_row(
    api: httpx.AsyncClient, settings: Settings, pool: asyncpg.Pool, route: tuple[str, str]
) -> None:
    parties = Parties(settings)
    response, request_id = await PERSONAL[route](api, parties)
    rows = await pool.fetch("SELECT action, sub FROM access_log WHERE request_id = $1", request_id)
    assert rows, f"{route} wrote no access-log row (status {response.status_code})"


async def test_a_read_at_an_unusual_hour_is_flagged(
    api: httpx.AsyncClient, settings: Settings, pool: asyncpg.Pool
) -> None:
    """A read at 23:30 in Stockholm is flagged; one at 10:00 the same day is not."""
    p = Parties(settings)
    flow = await Flow(api, p).create()
    sub = f"night-{uuid.uuid4().hex[:6]}"
    for at in ("2026-11-30T23:30:00+01:00", "2026-11-30T10:00:00+01:00"):
        await pool.execute(
            "INSERT INTO access_log (at, sub, org, unit, action, handover_ids, purpose,"
            " request_id, roles) VALUES ($1, $2, 'polisen', 'pa-kronoberg', 'read',"
            " ARRAY[$3::uuid], 'case_handling', 'test', ARRAY['custody_officer'])",
            datetime.fromisoformat(at),
            sub,
            flow.id,
        )
    auditor = auth(
        settings, org=Org.KRIMINALVARDEN, unit="kv-samordning-nationell", roles=[Role.AUDITOR]
    )
    page = await api.get("/v1/audit/access", params={"sub": sub}, headers=auditor)
    by_hour = {r["at"][11:13]: r["flags"] for r in page.json()["items"]}
    assert by_hour == {"22": ["unusual_hour"], "09": []}  # UTC
    flagged = await api.get(
        "/v1/audit/access", params={"sub": sub, "flagged": "true"}, headers=auditor
    )
    assert [r["at"][11:13] for r in flagged.json()["items"]] == ["22"]
