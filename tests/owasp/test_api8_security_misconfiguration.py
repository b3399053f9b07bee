"""API8:2023 Security Misconfiguration.

What a scanner probes first: headers that keep answers with personal data out of caches,
frames and sniffers on every answer (errors included), CORS that lets a page elsewhere read
answers, HTTP methods nobody needs (TRACE echoes headers back, a classic cross-site tracing
aid), and error answers that reveal the stack, the framework, SQL or file paths. Every answer
carries the security headers, CORS stays closed, unused methods are 405 problems, and every
error is a terse `application/problem+json` with a request id and nothing internal.
"""

from __future__ import annotations

import logging
import re
import uuid

import httpx
import pytest

from services.handover.api import examples
from services.handover.settings import Settings
from tests.flow import Flow, Parties, body, fresh

INTERNALS = re.compile(
    r"Traceback|File \"|\.py\b|litestar|asyncpg|temporalio|msgspec|uvicorn|SELECT |INSERT |"
    r"psycopg|sqlstate|/work/|site-packages|Exception\b|Error:",
    re.IGNORECASE,
)
ALWAYS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}


async def _error_answers(api: httpx.AsyncClient, settings: Settings) -> dict[str, httpx.Response]:
    parties = Parties(settings)
    flow = await Flow(api, parties).create()
    json_type = {"Content-Type": "application/json"}
    return {
        "401 no token": await api.get("/v1/handovers"),
        "401 garbage token": await api.get("/v1/units", headers={"Authorization": "Bearer x.y.z"}),
        "403 wrong role": await api.post(f"{flow.path}/accept", json={}, headers=parties.police),
        "404 unknown route": await api.get("/v1/nothing-here", headers=parties.police),
        "404 unknown id": await api.get(f"/v1/handovers/{uuid.uuid4()}", headers=parties.police),
        "404 bad id": await api.get("/v1/handovers/'%20OR%201=1--", headers=parties.police),
        "400 malformed JSON": await api.post(
            "/v1/handovers", content=b'{"kind": ', headers=parties.police | json_type
        ),
        "400 not UTF-8": await api.post(
            "/v1/handovers", content=b'{"kind": "\xff"}', headers=parties.police | json_type
        ),
        "400 unknown parameter": await api.get(
            "/v1/handovers", params={"debug": "1"}, headers=parties.police
        ),
        "400 bad cursor": await api.get(
            "/v1/handovers", params={"cursor": "'; DROP TABLE x; --"}, headers=parties.police
        ),
        "409 illegal transition": await api.post(
            f"{flow.path}/complete", json=body(examples.COMPLETE), headers=parties.police
        ),
        "413 too large": await api.post(
            "/v1/handovers", json=fresh(notes="x" * 300_000), headers=parties.police
        ),
        "415 form data": await api.post(
            "/v1/handovers", data={"kind": "transfer"}, headers=parties.police
        ),
        "405 DELETE": await api.delete(flow.path, headers=parties.police),
    }


async def test_every_error_is_a_terse_problem_with_security_headers(
    api: httpx.AsyncClient, settings: Settings
) -> None:
    for case, response in (await _error_answers(api, settings)).items():
        assert 400 <= response.status_code < 500, (case, response.status_code, response.text)
        assert response.headers["content-type"] == "application/problem+json", case
        problem = response.json()
        assert problem["type"].startswith("/problems/"), case
        assert problem["status"] == response.status_code, case
        assert not INTERNALS.search(response.text), (case, INTERNALS.search(response.text))
        for name, value in ALWAYS.items():
            assert response.headers.get(name) == value, (case, name)
        assert response.headers["cache-control"] == "no-store", case
        assert "max-age=" in response.headers["strict-transport-security"], case


@pytest.mark.parametrize("method", ["TRACE", "TRACK", "PUT", "PATCH", "DELETE", "CONNECT", "FOO"])
async def test_methods_nobody_needs_are_refused(
    api: httpx.AsyncClient, settings: Settings, method: str
) -> None:
    parties = Parties(settings)
    secret = f"echo-{uuid.uuid4().hex}"
    for path in ("/v1/handovers", f"/v1/handovers/{uuid.uuid4()}", "/v1/units", "/health/live"):
        response = await api.request(
            method, path, headers=parties.police | {"X-Secret-Echo": secret}
        )
        assert response.status_code in (400, 401, 404, 405, 501), (method, path, response.text)
        assert response.status_code != 200
        assert secret not in response.text, "the request was echoed back (cross-site tracing)"
        assert parties.police["Authorization"].split()[1] not in response.text
        if response.status_code == 405:
            assert response.headers["content-type"] == "application/problem+json", path


@pytest.mark.parametrize(
    "origin", ["https://evil.example", "null", "https://board.kriminalvarden.test.evil.example"]
)
async def test_cors_is_closed_on_every_route(
    api: httpx.AsyncClient, settings: Settings, origin: str
) -> None:
    parties = Parties(settings)
    flow = await Flow(api, parties).create()
    for path in ("/v1/handovers", flow.path, f"{flow.path}/accept", "/v1/audit/access"):
        preflight = await api.options(
            path,
            headers={
                "Origin": origin,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization, content-type",
            },
        )
        assert "access-control-allow-origin" not in preflight.headers, path
        assert "access-control-allow-credentials" not in preflight.headers, path
        simple = await api.get(path, headers=parties.police | {"Origin": origin})
        assert "access-control-allow-origin" not in simple.headers, path


async def test_successful_answers_are_not_cacheable_or_framable(
    api: httpx.AsyncClient, settings: Settings
) -> None:
    parties = Parties(settings)
    flow = await Flow(api, parties).create()
    for path in (flow.path, "/v1/handovers", f"{flow.path}/events", "/v1/units", "/health/live"):
        response = await api.get(path, headers=parties.police)
        assert response.status_code == 200, path
        for name, value in ALWAYS.items():
            assert response.headers.get(name) == value, (path, name)
        assert response.headers["cache-control"] == "no-store", path
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"], path
        server = response.headers.get("server", "")
        assert not re.search(r"\d+\.\d+", server), f"version disclosed: {server}"


TRACED: list[tuple[str, str, str | None, bool]] = [
    # (case, method, path, signed in?)
    ("404 unknown id", "GET", f"/v1/handovers/{uuid.uuid4()}", True),
    ("400 unknown parameter", "GET", "/v1/handovers?debug=1", True),
    ("401 no token", "GET", "/v1/handovers", False),
    ("404 unknown route", "GET", "/v1/nothing-here", True),
    ("405 method", "DELETE", "/v1/units", True),
]


@pytest.mark.parametrize(
    ("case", "method", "path", "signed_in"),
    [pytest.param(*row, id=row[0]) for row in TRACED],
)
async def test_every_error_carries_its_request_id_and_is_logged(
    api: httpx.AsyncClient,
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
    case: str,
    method: str,
    path: str,
    signed_in: bool,
) -> None:
    """README: every problem carries the `request_id` that is in every log line. A refused
    sign-in that leaves no log line and no id is invisible to the operators who must spot
    token guessing or a stolen token being tried."""
    caplog.set_level(logging.INFO, logger="http")
    rid = f"owasp-{uuid.uuid4().hex[:12]}"
    headers = {"X-Request-Id": rid} | (Parties(settings).police if signed_in else {})
    response = await api.request(method, path, headers=headers)
    assert 400 <= response.status_code < 500, case
    assert response.headers.get("x-request-id") == rid, case
    assert response.json().get("request_id") == rid, case
    logged = [r for r in caplog.records if r.name == "http" and rid in str(r.__dict__)]
    assert logged, f"{case}: no log line for the refused call"
