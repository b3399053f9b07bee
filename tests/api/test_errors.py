"""Every client mistake and every unavailable dependency is a problem+json, never a 500."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest
from httpx import AsyncClient
from temporalio.worker import Worker

from contracts.common import Org, Role
from devservers import free_port
from services.handover.api.examples import TRANSFER_CREATE
from services.handover.settings import Settings
from tests.conftest import running_api
from tests.flow import auth, custody


def assert_problem(response: httpx.Response, status: int, type_: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem: dict[str, Any] = response.json()
    assert problem["type"] == f"/problems/{type_}"
    assert problem["status"] == status
    assert "Traceback" not in response.text
    return problem


def _token(settings: Settings, **overrides: Any) -> dict[str, str]:
    now = datetime.now(UTC)
    claims: dict[str, Any] = {
        "sub": "someone",
        "org": "polisen",
        "unit": "pa-kronoberg",
        "roles": ["custody_officer"],
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(hours=1)).timestamp()),
    }
    claims.update(overrides)
    claims = {k: v for k, v in claims.items() if v is not None}
    secret = overrides.pop("secret", None) or settings.jwt_secret
    claims.pop("secret", None)
    return {"Authorization": f"Bearer {jwt.encode(claims, secret, algorithm='HS256')}"}


async def test_missing_token_is_401(api: AsyncClient) -> None:
    response = await api.get("/v1/handovers")
    assert_problem(response, 401, "unauthorized")
    assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "overrides",
    [
        {"secret": "x" * 40},  # signed with another key
        {"exp": int((datetime.now(UTC) - timedelta(minutes=1)).timestamp())},  # expired
        {"exp": int((datetime.now(UTC) + timedelta(hours=11)).timestamp())},  # over 10 hours
        {"org": "sapo"},  # unknown organisation
        {"roles": []},  # no role
        {"roles": ["janitor"]},  # unknown role
        {"unit": None},  # claim missing
    ],
    ids=["bad-signature", "expired", "too-long", "bad-org", "no-roles", "bad-role", "no-unit"],
)
async def test_bad_tokens_are_401(
    api: AsyncClient, settings: Settings, overrides: dict[str, Any]
) -> None:
    response = await api.get("/v1/handovers", headers=_token(settings, **overrides))
    assert_problem(response, 401, "unauthorized")


async def test_garbage_token_is_401(api: AsyncClient) -> None:
    response = await api.get("/v1/handovers", headers={"Authorization": "Bearer not.a.jwt"})
    assert_problem(response, 401, "unauthorized")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (
            TRANSFER_CREATE
            | {"person": {"identity": {"type": "personnummer", "number": "19121212-1213"}}},
            "$.person.identity",
        ),
        (
            TRANSFER_CREATE | {"person": {"identity": {"type": "passport", "number": "X"}}},
            "$.person.identity",
        ),
        (TRANSFER_CREATE | {"to_unit": "kv-no-such-place"}, "$.to_unit"),
        (TRANSFER_CREATE | {"to_unit": "pa-solna"}, "$.to_unit"),
        (TRANSFER_CREATE | {"from_unit": "Not A Unit"}, "$.from_unit"),
        (TRANSFER_CREATE | {"decision": {"kind": "remand_decision"}}, "$.decision"),
        (TRANSFER_CREATE | {"kind": "teleport"}, "$"),
        (TRANSFER_CREATE | {"surprise": True}, "$"),
        (TRANSFER_CREATE | {"notes": ""}, "$.notes"),
    ],
    ids=[
        "check-digit",
        "identity-type",
        "unknown-unit",
        "wrong-unit-kind",
        "bad-unit-id",
        "decision-incomplete",
        "unknown-kind",
        "unknown-field",
        "empty-notes",
    ],
)
async def test_invalid_bodies_name_the_field(
    api: AsyncClient, settings: Settings, body: dict[str, Any], field: str
) -> None:
    response = await api.post("/v1/handovers", json=body, headers=custody(settings))
    problem = assert_problem(response, 400, "validation")
    assert any(e["field"].startswith(field) for e in problem["errors"]), problem


async def test_decision_in_the_future_is_rejected(api: AsyncClient, settings: Settings) -> None:
    decision = dict(TRANSFER_CREATE["decision"], decided_at="2999-01-01T00:00:00+01:00")
    response = await api.post(
        "/v1/handovers", json=TRANSFER_CREATE | {"decision": decision}, headers=custody(settings)
    )
    problem = assert_problem(response, 400, "validation")
    assert problem["errors"][0]["field"] == "$.decision.decided_at"


async def test_not_json_is_400(api: AsyncClient, settings: Settings) -> None:
    response = await api.post(
        "/v1/handovers",
        content=b"{not json",
        headers=custody(settings) | {"content-type": "application/json"},
    )
    assert_problem(response, 400, "validation")


async def test_kriminalvarden_cannot_create_a_transfer(
    api: AsyncClient, settings: Settings
) -> None:
    headers = auth(
        settings, org=Org.KRIMINALVARDEN, unit="kv-hakte-kronoberg", roles=[Role.RECEPTION_OFFICER]
    )
    response = await api.post("/v1/handovers", json=TRANSFER_CREATE, headers=headers)
    assert_problem(response, 403, "forbidden")


async def test_custody_officer_only_for_own_unit(api: AsyncClient, settings: Settings) -> None:
    response = await api.post(
        "/v1/handovers", json=TRANSFER_CREATE, headers=custody(settings, "pa-malmo")
    )
    assert_problem(response, 403, "forbidden")


async def test_unknown_id_is_404(api: AsyncClient, settings: Settings) -> None:
    response = await api.get(
        "/v1/handovers/5f0b8a34-9d1e-4c8e-9a51-3f4e2b1c0d99", headers=custody(settings)
    )
    assert_problem(response, 404, "not-found")


async def test_malformed_id_is_a_problem(api: AsyncClient, settings: Settings) -> None:
    response = await api.get("/v1/handovers/not-a-uuid", headers=custody(settings))
    assert response.status_code in (400, 404)
    assert response.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 1000}, "limit"),
        ({"limit": 0}, "limit"),
        ({"cursor": "bm9wZQ"}, "cursor"),
        ({"state": "lost"}, "state"),
    ],
)
async def test_bad_list_parameters(
    api: AsyncClient, settings: Settings, params: dict[str, Any], field: str
) -> None:
    response = await api.get("/v1/handovers", params=params, headers=custody(settings))
    problem = assert_problem(response, 400, "validation")
    assert any(e["field"] == field for e in problem["errors"]), problem


async def test_too_large_body_is_413(api: AsyncClient, settings: Settings) -> None:
    response = await api.post(
        "/v1/handovers", json=TRANSFER_CREATE | {"notes": "x" * 300_000}, headers=custody(settings)
    )
    assert_problem(response, 413, "too-large")


async def test_unknown_route_is_404_problem(api: AsyncClient) -> None:
    assert_problem(await api.get("/v2/nothing"), 404, "not-found")


async def test_postgres_down_is_503_with_retry_after(settings: Settings, worker: Worker) -> None:
    down = settings.with_servers(
        database_url=f"postgresql://handover@127.0.0.1:{free_port()}/handover",
        temporal_address=settings.temporal_address or "",
    )
    async with running_api(down) as base, AsyncClient(base_url=base) as client:
        response = await client.get("/v1/handovers", headers=custody(settings))
        assert_problem(response, 503, "unavailable")
        assert int(response.headers["retry-after"]) > 0
        ready = await client.get("/health/ready")
        assert ready.status_code == 503
        assert ready.json()["checks"]["postgres"].startswith("unavailable")
        assert (await client.get("/health/live")).status_code == 200


async def test_temporal_down_is_503_with_retry_after(settings: Settings) -> None:
    down = settings.with_servers(
        database_url=settings.database_url or "",
        temporal_address=f"127.0.0.1:{free_port()}",
    )
    async with running_api(down) as base, AsyncClient(base_url=base) as client:
        response = await client.post(
            "/v1/handovers", json=TRANSFER_CREATE, headers=custody(settings)
        )
        assert_problem(response, 503, "unavailable")
        assert int(response.headers["retry-after"]) > 0
        ready = await client.get("/health/ready")
        assert ready.status_code == 503
        assert ready.json()["checks"]["temporal"].startswith("unavailable")
