"""API7:2023 Server Side Request Forgery.

The service fetches nothing a client names: it talks to PostgreSQL and Temporal at
configured addresses, and in production to the identity provider's JWKS at a configured URL
(configuration, not input). SSRF therefore applies only as a regression guard: the places a
client could slip a URL in (free-text fields, unit ids, the JWT header's `jku`/`x5u`/`kid`,
forwarding headers, the request line) must never make the service open a connection. The
test puts a listener on loopback, sends its URL everywhere, and counts the connections: zero.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import jwt
import pytest

from services.handover.api import examples
from services.handover.settings import Settings
from tests.flow import Flow, Parties, body, fresh


class Listener:
    """A TCP listener on loopback that counts who connects to it."""

    def __init__(self) -> None:
        self.connections = 0
        self.url = ""

    async def _accept(self, _: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        writer.close()


@pytest.fixture
async def listener() -> AsyncIterator[Listener]:
    result = Listener()
    server = await asyncio.start_server(result._accept, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    result.url = f"http://127.0.0.1:{port}/ssrf"
    async with server:
        yield result


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _token_with_urls(settings: Settings, url: str) -> str:
    now = int(datetime.now(UTC).timestamp())
    claims = {
        "sub": url,
        "org": "polisen",
        "unit": "pa-kronoberg",
        "roles": ["custody_officer"],
        "iat": now,
        "exp": now + 600,
        "iss": url,
    }
    headers = {"jku": url, "x5u": url, "kid": url}
    return jwt.encode(claims, settings.jwt_secret, algorithm="HS256", headers=headers)


async def test_no_input_makes_the_service_connect_anywhere(
    api: httpx.AsyncClient, settings: Settings, listener: Listener
) -> None:
    url = listener.url
    parties = Parties(settings)
    flow = await Flow(api, parties).create()
    forwarding = {
        "X-Forwarded-Host": url.split("//")[1],
        "X-Forwarded-For": "127.0.0.1",
        "X-Original-URL": url,
        "X-Rewrite-URL": url,
        "Referer": url,
        "Forwarded": f"host={url.split('//')[1].split('/')[0]}",
        "X-Request-Id": "ssrf-probe-0001",
        "Callback-URL": url,
    }
    jku = {"Authorization": f"Bearer {_token_with_urls(settings, url)}"}
    unsigned = _b64(json.dumps({"alg": "RS256", "jku": url, "x5u": url, "kid": "x"}).encode())
    forged = {"Authorization": f"Bearer {unsigned}.{_b64(b'{}')}.{_b64(b'sig')}"}
    create = fresh(notes=url)
    create["origin"] = {"description": url}
    calls = [
        api.post("/v1/handovers", json=create, headers=parties.police | forwarding),
        api.post("/v1/handovers", json=fresh(to_unit=url), headers=parties.police),
        api.post(
            f"{flow.path}/incidents",
            json=body(examples.INCIDENT, description=url),
            headers=parties.police | forwarding,
        ),
        api.get(flow.path, headers=parties.police | forwarding),
        api.get("/v1/handovers", params={"unit": url}, headers=parties.police),
        api.get("/v1/events", params={"after": _b64(url.encode())}, headers=parties.police),
        api.get(f"/v1/handovers/{url}", headers=parties.police),
        api.get("/v1/units", headers=jku),
        api.get("/v1/units", headers=forged),
        api.get(url.replace("http://", "/"), headers=parties.police),
        api.get("/schema/openapi.json", headers={"Host": url.split("//")[1].split("/")[0]}),
    ]
    answers = await asyncio.gather(*calls)
    assert all(r.status_code < 500 for r in answers), [r.status_code for r in answers]
    await asyncio.sleep(0.3)
    assert listener.connections == 0, "the service opened a connection a client named"
