"""API3:2023 Broken Object Property Level Authorization.

Two halves. Mass assignment: a client that knows the representation sends the properties
only the workflow may set (`state`, `version`, `id`, `custody_chain`, `responsible`,
`deadlines`, `parties`, `created_by`) in a create or action body, hoping they are bound. The
bodies are contract Structs that forbid unknown fields, so each is a 400 naming the body, and
nothing changes. Excessive exposure: lists and the feed's neighbours must not carry more of a
person than the reader's task needs (lists: no names, the identity number masked to the date
of birth), and no refusal (403, 404, 409, 412, 422) may echo a person's data.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from contracts.common import Org, Role, State
from services.handover.api import examples
from services.handover.settings import Settings
from tests.api.test_wedges import assert_problem
from tests.flow import Flow, Parties, auth, body, fresh

NUMBER = "19121212-1212"
GIVEN, FAMILY = (
    examples.TRANSFER_CREATE["person"]["given_name"],
    examples.TRANSFER_CREATE["person"]["family_name"],
)
SENSITIVE = [NUMBER, NUMBER.replace("-", ""), "121212-1212", GIVEN, FAMILY]
INJECTED: dict[str, Any] = {
    "state": "completed",
    "version": 99,
    "id": "00000000-0000-0000-0000-000000000001",
    "custody_chain": [{"unit": "pa-malmo"}],
    "responsible": "pa-malmo",
    "responsible_unit": "pa-malmo",
    "deadlines": [],
    "parties": ["pa-malmo"],
    "created_by": {"sub": "mallory"},
    "allowed_actions": ["complete"],
}


def _leaks(text: str) -> list[str]:
    return [s for s in SENSITIVE if s in text]


@pytest.mark.parametrize("field", list(INJECTED))
async def test_server_owned_properties_in_a_create_body_are_refused(
    api: httpx.AsyncClient, settings: Settings, field: str
) -> None:
    parties = Parties(settings)
    response = await api.post(
        "/v1/handovers", json=fresh(**{field: INJECTED[field]}), headers=parties.police
    )
    problem = assert_problem(response, 400)
    assert field in problem["detail"] or field in str(problem["errors"]), problem
    nested = fresh()
    nested["person"][field] = INJECTED[field]
    assert_problem(await api.post("/v1/handovers", json=nested, headers=parties.police), 400)


async def test_server_owned_properties_in_action_bodies_are_refused(
    api: httpx.AsyncClient, settings: Settings
) -> None:
    parties = Parties(settings)
    flow = await Flow(api, parties).create()
    before = await flow.get()
    attempts = [
        ("accept", parties.planner, examples.ACCEPT),
        ("defer", parties.planner, examples.DEFER),
        ("cancel", parties.police, examples.CANCEL),
        ("security-assessment", parties.police, body(examples.ASSESSMENT)),
        ("incidents", parties.police, body(examples.INCIDENT)),
    ]
    for action, headers, payload in attempts:
        for field, value in INJECTED.items():
            response = await api.post(
                f"{flow.path}/{action}", json={**payload, field: value}, headers=headers
            )
            assert_problem(response, 400)
    after = await flow.get()
    assert (after["state"], after["version"]) == (before["state"], before["version"])
    assert after["state"] == State.REQUESTED


async def test_lists_never_carry_names_or_full_identity_numbers(
    api: httpx.AsyncClient, settings: Settings
) -> None:
    parties = Parties(settings)
    flow = await Flow(api, parties).create()
    readers = [
        parties.police,
        parties.planner,
        parties.coordinator,
        auth(settings, org=Org.POLISEN, unit="pol-samordning-bergslagen", roles=[Role.COORDINATOR]),
    ]
    for headers in readers:
        pages: list[dict[str, str | int]] = [{"limit": 200}, {"sort": "next_due", "limit": 200}]
        for params in pages:
            page = await api.get("/v1/handovers", params=params, headers=headers)
            assert page.status_code == 200, page.text
            assert not _leaks(page.text), _leaks(page.text)
            for item in page.json()["items"]:
                # A date of birth and four stars, or `unknown` for an unidentified person.
                assert (
                    item["person_identity"].endswith("****") or item["person_identity"] == "unknown"
                ), item
                assert not {"person", "given_name", "family_name", "notes"} & set(item)
    listed = await api.get("/v1/handovers", params={"limit": 200}, headers=parties.police)
    item = next(i for i in listed.json()["items"] if i["id"] == flow.id)
    assert item["person_identity"] == "19121212-****"
    escalations = await api.get(
        "/v1/escalations", params={"limit": 200}, headers=parties.coordinator
    )
    assert escalations.status_code == 200
    assert not _leaks(escalations.text)


async def test_refusals_never_echo_a_persons_data(
    api: httpx.AsyncClient, settings: Settings
) -> None:
    parties = Parties(settings)
    flow = await Flow(api, parties).to(State.CANCELLED)
    refusals = [
        (await api.get(flow.path, headers=parties.stranger), 404),
        (await api.post(f"{flow.path}/accept", json={}, headers=parties.stranger), 404),
        (await api.post(f"{flow.path}/accept", json={}, headers=parties.planner), 409),
        (await api.post(f"{flow.path}/accept", json={}, headers=parties.police), 403),
        (
            await api.post(
                f"{flow.path}/accept",
                json={},
                headers={**parties.planner, "If-Match": '"1"'},
            ),
            412,
        ),
        (
            await api.get(
                flow.path,
                headers=auth(
                    settings,
                    org=Org.KRIMINALVARDEN,
                    unit="kv-samordning-nationell",
                    roles=[Role.AUDITOR],
                ),
            ),
            404,
        ),
    ]
    for response, status in refusals:
        assert response.status_code in (status, 409), (status, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert not _leaks(response.text), (status, _leaks(response.text))
        assert "person" not in response.json()
    # A create refused for a bad field names the field, not the person's values.
    bad = fresh()
    bad["person"]["identity"]["number"] = "19121212-1213"
    refused = await api.post("/v1/handovers", json=bad, headers=parties.police)
    assert_problem(refused, 400)
    assert GIVEN not in refused.text
    assert FAMILY not in refused.text
