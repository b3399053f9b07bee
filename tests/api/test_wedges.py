"""One regression test per wedge and 5xx found by hostile input (issue 7).

Each sends the input that once broke the service, expects a clear 4xx problem, and checks
that the request it aimed at is unchanged and still moves, and that no log line holds the
person's identity number.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest

from contracts.common import State
from services.handover.api import examples
from services.handover.settings import Settings
from tests.flow import Flow, Parties, body, fresh

NUMBER = "19121212-1212"  # the example's personnummer
NUL_CASES = [
    ("name", lambda b: b["person"].update(given_name="Ann\u0000a")),
    ("notes", lambda b: b.update(notes="see\u0000here")),
    ("case number", lambda b: b["decision"].update(case_number="B 1\u0000")),
    ("escape", lambda b: b["person"].update(family_name="Berg\u001b[31m")),
    ("C1", lambda b: b["person"].update(family_name="Berg\u0085")),
    ("bidi override", lambda b: b["person"].update(family_name="Berg\u202egreB")),
    ("line break in a name", lambda b: b["person"].update(given_name="Anna\n")),
    ("unicode digits", lambda b: b["person"]["identity"].update(number="١٩١٢١٢١٢-١٢١٢")),
    ("superscript digit", lambda b: b["person"]["identity"].update(number="1912121²-1212")),
    ("born tomorrow", lambda b: b["person"]["identity"].update(number=_born_tomorrow())),
    ("year 1", lambda b: b["decision"].update(decided_at="0001-01-01T00:30:00+01:00")),
    ("year 9999", lambda b: b.update(apprehended_at="9999-12-31T23:30:00-01:00")),
    ("year 1899", lambda b: b.update(arrested_at="1899-12-31T23:00:00Z")),
]


def _born_tomorrow() -> str:
    """A valid personnummer (Luhn) for someone born tomorrow."""
    born = (datetime.now(UTC) + timedelta(days=2)).strftime("%y%m%d")
    digits = born + "123"
    total = 0
    for i, ch in enumerate(digits):
        product = int(ch) * (2 if i % 2 == 0 else 1)
        total += product // 10 + product % 10
    return f"{born}-123{(10 - total % 10) % 10}"


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem: dict[str, Any] = response.json()
    assert problem["status"] == status
    return problem


@pytest.mark.parametrize(("case", "mutate"), NUL_CASES, ids=[c for c, _ in NUL_CASES])
async def test_hostile_create_is_400_and_creates_nothing(
    api: httpx.AsyncClient,
    settings: Settings,
    case: str,
    mutate: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    parties = Parties(settings)
    payload = fresh()
    mutate(payload)
    key = {"Idempotency-Key": f"wedge-{case}-{datetime.now(UTC).timestamp()}"}
    response = await api.post("/v1/handovers", json=payload, headers={**parties.police, **key})
    problem = assert_problem(response, 400)
    assert problem["errors"][0]["field"].startswith("$.")
    # A retry is refused the same way, and a valid body under the same key makes the request.
    again = await api.post("/v1/handovers", json=payload, headers={**parties.police, **key})
    assert_problem(again, 400)
    made = await api.post("/v1/handovers", json=fresh(), headers={**parties.police, **key})
    assert made.status_code == 201, made.text
    flow = Flow(api, parties)
    flow.id = made.json()["id"]
    await flow.post("accept", examples.ACCEPT, parties.planner)
    assert NUMBER.replace("-", "") not in caplog.text.replace("-", "")


ACTION_CASES = [
    ("accept", {"note": "ok\u0000"}),
    ("accept", {"note": "\ud800"}),
    ("defer", {"reason": "other", "text": "no\u0000room"}),
    ("defer", {"reason": "no_capacity", "expected_at": "0001-01-01T00:30:00+01:00"}),
    ("defer", {"reason": "no_capacity", "expected_at": "9999-12-31T23:30:00-01:00"}),
    ("reject", {"reason": "other", "text": "\u202e"}),
    ("cancel", {"reason": "other", "text": "a\u0007b"}),
]


@pytest.mark.parametrize(("action", "payload"), ACTION_CASES)
async def test_hostile_action_leaves_the_request_as_it_was(
    api: httpx.AsyncClient, settings: Settings, action: str, payload: dict[str, Any]
) -> None:
    parties = Parties(settings)
    flow = await Flow(api, parties).create()
    before = await flow.get()
    actor = parties.police if action == "cancel" else parties.planner
    raw = json.dumps(payload).encode()  # keeps "\ud800" as an escape, as a client sends it
    response = await api.post(
        f"{flow.path}/{action}",
        content=raw,
        headers={**actor, "Content-Type": "application/json"},
    )
    assert_problem(response, 400)
    after = await flow.get()
    assert (after["state"], after["version"]) == (before["state"], before["version"])
    await flow.post("accept", examples.ACCEPT, parties.planner)


async def test_extreme_extension_is_400(api: httpx.AsyncClient, settings: Settings) -> None:
    parties = Parties(settings)
    flow = await Flow(api, parties).create()
    deadline = flow.last["deadlines"][0]["id"]
    for due in ("0001-01-01T00:30:00+01:00", "9999-12-31T23:30:00-01:00"):
        response = await api.post(
            f"{flow.path}/deadlines/{deadline}/extend",
            json={"reason": "court_decision", "decision": "TR B 1-26", "new_due_at": due},
            headers=parties.coordinator,
        )
        problem = assert_problem(response, 400)
        assert problem["errors"][0]["field"] == "$.new_due_at"
    await flow.post("accept", examples.ACCEPT, parties.planner)


@pytest.mark.parametrize(
    "raw",
    [b'{"note": "\xff\xfe"}', b"[" * 100_000 + b"]" * 100_000, b"", b"{", b'"\\ud800"'],
    ids=["not-utf8", "nested", "empty", "truncated", "lone-surrogate"],
)
async def test_malformed_bodies_are_400(
    api: httpx.AsyncClient, settings: Settings, raw: bytes
) -> None:
    parties = Parties(settings)
    flow = await Flow(api, parties).create()
    for path in ("/v1/handovers", f"{flow.path}/accept"):
        response = await api.post(
            path, content=raw, headers={**parties.police, "Content-Type": "application/json"}
        )
        assert response.status_code in (400, 413), response.text
        assert response.headers["content-type"] == "application/problem+json"
    await flow.post("accept", examples.ACCEPT, parties.planner)


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/xml", None, "application/json; charset=latin-1"]
)
async def test_json_under_another_media_type_is_415(
    api: httpx.AsyncClient, settings: Settings, content_type: str | None
) -> None:
    parties = Parties(settings)
    headers = dict(parties.police)
    if content_type:
        headers["Content-Type"] = content_type
    response = await api.post(
        "/v1/handovers", content=json.dumps(fresh()).encode(), headers=headers
    )
    assert_problem(response, 415)


async def test_json_with_charset_utf8_is_accepted(
    api: httpx.AsyncClient, settings: Settings
) -> None:
    parties = Parties(settings)
    response = await api.post(
        "/v1/handovers",
        content=json.dumps(fresh()).encode(),
        headers={**parties.police, "Content-Type": "application/json; charset=UTF-8"},
    )
    assert response.status_code == 201, response.text


async def test_basic_scheme_is_not_a_bearer_token(
    api: httpx.AsyncClient, settings: Settings
) -> None:
    token = Parties(settings).police["Authorization"].removeprefix("Bearer ")
    for header in (f"Basic {token}", token, f"Token {token}", "Bearer"):
        response = await api.get("/v1/handovers", headers={"Authorization": header})
        assert_problem(response, 401)


@pytest.mark.parametrize(
    "claims",
    [
        {"sub": 5},
        {"sub": ["a"]},
        {"sub": "a\u0000b"},
        {"org": ["polisen"]},
        {"unit": {"id": "pa-kronoberg"}},
        {"unit": "PA KRONOBERG\u0000"},
        {"roles": "custody_officer"},
        {"roles": []},
        {"roles": [None]},
        {"iat": "yesterday"},
        {"exp": 10**30},
        {"exp": 1e308},
        {"iat": -(10**20)},
    ],
)
async def test_signed_token_of_odd_shape_is_401(
    api: httpx.AsyncClient, settings: Settings, claims: dict[str, Any]
) -> None:
    now = int(datetime.now(UTC).timestamp())
    base: dict[str, Any] = {
        "sub": "x",
        "org": "polisen",
        "unit": "pa-kronoberg",
        "roles": ["custody_officer"],
        "iat": now,
        "exp": now + 600,
    }
    token = jwt.encode(base | claims, settings.jwt_secret, algorithm=settings.jwt_algorithm)
    response = await api.get("/v1/handovers", headers={"Authorization": f"Bearer {token}"})
    assert_problem(response, 401)


@pytest.mark.parametrize("value", ['"²"', '"٣"', '"99999999999999999999"', '"-1"', '"1 "'])
async def test_odd_if_match_is_400(api: httpx.AsyncClient, settings: Settings, value: str) -> None:
    parties = Parties(settings)
    flow = await Flow(api, parties).create()
    response = await api.post(
        f"{flow.path}/accept",
        json=examples.ACCEPT,
        # UTF-8 on the wire, as a client that does not check its header values sends it.
        headers={k.encode(): v.encode() for k, v in {**parties.planner, "If-Match": value}.items()},
    )
    assert_problem(response, 400)
    await flow.post("accept", examples.ACCEPT, parties.planner)


ZERO_ID = "00000000-0000-0000-0000-000000000000"


def _cursor(*values: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(values)).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/v1/handovers", {"due_before": "0001-01-01T00:30:00+01:00"}),
        ("/v1/handovers", {"due_before": "9999-12-31T23:30:00-01:00"}),
        ("/v1/handovers", {"cursor": _cursor("created", "0001-01-01T00:00:00Z", ZERO_ID)}),
        ("/v1/handovers", {"cursor": _cursor("created", "9999-12-31T23:30:00-01:00", ZERO_ID)}),
        ("/v1/events", {"after": _cursor("99999999999999999999", 1)}),
        ("/v1/events", {"after": _cursor("1", 2**64)}),
        ("/v1/events", {"after": _cursor("٣", 1)}),
        ("/v1/escalations", {"cursor": _cursor("escalations", "0001-01-01T00:00:00Z", "x")}),
    ],
)
async def test_extreme_query_values_are_400(
    api: httpx.AsyncClient, settings: Settings, path: str, params: dict[str, str]
) -> None:
    parties = Parties(settings)
    headers = parties.coordinator if path != "/v1/handovers" else parties.police
    response = await api.get(path, params=params, headers=headers)
    assert_problem(response, 400)


async def test_whole_second_times_follow_a_server_stamp_of_the_same_second(
    api: httpx.AsyncClient, settings: Settings
) -> None:
    """A client that sends whole seconds is not 'before' an event stamped 0.3 s into it."""
    parties = Parties(settings)
    flow = await Flow(api, parties).to(State.SCHEDULED)
    stamped = datetime.fromisoformat(flow.last["updated_at"])
    whole = stamped.replace(microsecond=0)
    released = await flow.post(
        "release", body(examples.RELEASE, occurred_at=whole.isoformat()), parties.police
    )
    assert released.status_code == 200
    received = await flow.post(
        "receive", body(examples.RECEIVE, occurred_at=whole.isoformat()), parties.escort
    )
    chain = received.json()["custody_chain"]
    for segment in chain:
        if segment["until"] is not None:
            assert segment["since"] <= segment["until"], chain


async def test_decision_a_few_seconds_ahead_is_clock_skew(
    api: httpx.AsyncClient, settings: Settings
) -> None:
    parties = Parties(settings)
    payload = fresh()
    payload["decision"]["decided_at"] = (datetime.now(UTC) + timedelta(seconds=5)).isoformat()
    response = await api.post("/v1/handovers", json=payload, headers=parties.police)
    assert response.status_code == 201, response.text
    payload["decision"]["decided_at"] = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
    response = await api.post("/v1/handovers", json=payload, headers=parties.police)
    assert_problem(response, 400)
