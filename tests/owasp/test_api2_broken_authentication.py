"""API2:2023 Broken Authentication.

The only credential is `Authorization: Bearer <JWT>` (HS256 with the configured secret here,
RS256/ES256 against a JWKS in production; tests/api/test_sign_in.py covers the JWKS side). An
attacker forges, replays or stretches tokens: unsigned (`alg: none`), signed with a guessed
key or another HMAC algorithm, expired, not yet valid, living longer than 10 hours, sent in
another scheme or another place than the header, revoked, or naming a unit of the other
organisation. Each must be refused before anything is read or written: 401 (403 for a
well-signed token whose unit and organisation disagree), as problem+json, with no data.
"""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
import warnings
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import jwt
import pytest

from services.handover.repository import Repository
from services.handover.revocations import revoke
from services.handover.settings import Settings
from tests.api.test_wedges import assert_problem
from tests.flow import fresh


def _claims(**changes: Any) -> dict[str, Any]:
    now = int(datetime.now(UTC).timestamp())
    claims: dict[str, Any] = {
        "sub": f"api2-{uuid.uuid4().hex[:8]}",
        "org": "polisen",
        "unit": "pa-kronoberg",
        "roles": ["custody_officer"],
        "iat": now,
        "exp": now + 600,
        "jti": str(uuid.uuid4()),
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unsigned(claims: dict[str, Any], alg: str = "none") -> str:
    header = _b64(json.dumps({"alg": alg, "typ": "JWT"}).encode())
    return f"{header}.{_b64(json.dumps(claims).encode())}."


def _hs256(settings: Settings, **changes: Any) -> str:
    return jwt.encode(_claims(**changes), settings.jwt_secret, algorithm="HS256")


def _hs512(settings: Settings) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", jwt.warnings.InsecureKeyLengthWarning)
        return jwt.encode(_claims(), settings.jwt_secret, "HS512")


def _forgeries(settings: Settings) -> dict[str, str]:
    now = int(datetime.now(UTC).timestamp())
    good = _hs256(settings)
    head, payload, signature = good.split(".")
    national = {"org": "kriminalvarden", "unit": "kv-samordning-nationell"}
    coordinator = _claims(roles=["coordinator"], **national)
    return {
        "alg none": _unsigned(_claims()),
        "alg None": _unsigned(_claims(), alg="None"),
        "alg none, a coordinator": _unsigned(coordinator),
        "good header, no signature": f"{head}.{payload}.",
        "another payload under a good signature": (
            f"{head}.{_b64(json.dumps(coordinator).encode())}.{signature}"
        ),
        "guessed key": jwt.encode(_claims(), "secret" * 6, algorithm="HS256"),
        "HS512 with the real secret": _hs512(settings),
        "expired an hour ago": _hs256(settings, iat=now - 7200, exp=now - 3600),
        "issued in the future": _hs256(settings, iat=now + 3600, exp=now + 7200),
        "not valid for an hour": _hs256(settings, nbf=now + 3600),
        "lives 10 h and a minute": _hs256(settings, exp=now + 10 * 3600 + 60),
        "lives a year": _hs256(settings, exp=now + 365 * 86400),
        "no exp": _hs256(settings, exp=None),
        "no iat": _hs256(settings, iat=None),
        "exp before iat": _hs256(settings, iat=now + 20, exp=now + 10),
        "8 KiB of garbage": "a" * 8192,
    }


FORGERIES = [
    "alg none",
    "alg None",
    "alg none, a coordinator",
    "good header, no signature",
    "another payload under a good signature",
    "guessed key",
    "HS512 with the real secret",
    "expired an hour ago",
    "issued in the future",
    "not valid for an hour",
    "lives 10 h and a minute",
    "lives a year",
    "no exp",
    "no iat",
    "exp before iat",
    "8 KiB of garbage",
]


def test_the_forgery_table_is_complete(settings: Settings) -> None:
    assert list(_forgeries(settings)) == FORGERIES


@pytest.mark.parametrize("forgery", FORGERIES)
async def test_a_forged_or_stretched_token_is_401_and_reads_or_writes_nothing(
    api: httpx.AsyncClient, settings: Settings, forgery: str
) -> None:
    headers = {"Authorization": f"Bearer {_forgeries(settings)[forgery]}"}
    for method, path, payload in (
        ("GET", "/v1/handovers", None),
        ("GET", "/v1/events", None),
        ("POST", "/v1/handovers", fresh()),
    ):
        response = await api.request(method, path, json=payload, headers=headers)
        problem = assert_problem(response, 401)
        assert problem["type"] == "/problems/unauthorized", (method, path)
        assert response.headers["www-authenticate"].startswith("Bearer"), (method, path)
        assert "items" not in problem


@pytest.mark.parametrize(
    "where",
    ["Basic scheme", "Basic user:password", "query string", "cookie", "X-Access-Token", "twice"],
)
async def test_a_valid_token_anywhere_but_the_bearer_header_is_401(
    api: httpx.AsyncClient, settings: Settings, where: str
) -> None:
    token = _hs256(settings)
    headers: dict[str, str] = {}
    params: dict[str, str] = {}
    match where:
        case "Basic scheme":
            headers["Authorization"] = f"Basic {token}"
        case "Basic user:password":
            headers["Authorization"] = "Basic " + base64.b64encode(b"admin:admin").decode()
        case "query string":
            params["access_token"] = token
        case "cookie":
            headers["Cookie"] = f"token={token}; Authorization=Bearer%20{token}"
        case "X-Access-Token":
            headers["X-Access-Token"] = token
        case "twice":
            headers["Authorization"] = f"Bearer {token} Bearer {token}"
    response = await api.get("/v1/handovers", params=params, headers=headers)
    assert_problem(response, 401)


async def test_a_revoked_token_is_refused_within_the_refresh_interval(
    api: httpx.AsyncClient, settings: Settings, pool: asyncpg.Pool
) -> None:
    """The stolen phone: its token is revoked by jti; a fresh token of the same user works."""
    stolen_claims = _claims()
    stolen = {"Authorization": f"Bearer {_hs256(settings, **stolen_claims)}"}
    assert (await api.get("/v1/units", headers=stolen)).status_code == 200
    await revoke(
        Repository(pool, timeout=5),
        jti=stolen_claims["jti"],
        sub=None,
        until=datetime.now(UTC) + timedelta(hours=10),
        reason="phone stolen",
        revoked_by="admin@polisen.test",
    )
    deadline = asyncio.get_running_loop().time() + settings.revocation_refresh_seconds + 2
    while (status := (await api.get("/v1/units", headers=stolen)).status_code) == 200:
        assert asyncio.get_running_loop().time() < deadline, "the revoked token still works"
        await asyncio.sleep(0.1)
    assert status == 401
    created = await api.post("/v1/handovers", json=fresh(), headers=stolen)
    assert_problem(created, 401)
    again = {"Authorization": f"Bearer {_hs256(settings, sub=stolen_claims['sub'])}"}
    assert (await api.get("/v1/units", headers=again)).status_code == 200


@pytest.mark.parametrize(
    ("org", "unit", "role"),
    [
        ("polisen", "kv-hakte-kronoberg", "custody_officer"),
        ("kriminalvarden", "pa-kronoberg", "custody_officer"),
        ("kriminalvarden", "pa-kronoberg", "transport_planner"),
        ("polisen", "kv-samordning-nationell", "coordinator"),
        ("polisen", "pa-does-not-exist", "custody_officer"),
    ],
)
async def test_a_token_for_a_unit_of_the_other_organisation_gets_nothing(
    api: httpx.AsyncClient, settings: Settings, org: str, unit: str, role: str
) -> None:
    """A signed token is still only as good as its claims: org and unit must agree."""
    headers = {"Authorization": f"Bearer {_hs256(settings, org=org, unit=unit, roles=[role])}"}
    for method, path, payload in (
        ("GET", "/v1/handovers", None),
        ("GET", "/v1/events", None),
        ("GET", "/v1/escalations", None),
        ("GET", "/v1/audit/access", None),
        ("POST", "/v1/handovers", fresh()),
    ):
        response = await api.request(method, path, json=payload, headers=headers)
        assert response.status_code in (401, 403), (method, path, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert "items" not in response.json()
