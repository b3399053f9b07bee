"""Production sign-in: RS256/ES256 tokens against a JWKS (file and URL), issuer, audience,
leeway, key rotation, algorithm confusion, and revocation by jti or by subject."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import jwt
import msgspec
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from services.handover.repository import Repository
from services.handover.revocations import revoke
from services.handover.settings import Settings
from tests.conftest import running_api

ISSUER = "https://idp.polisen.test"
AUDIENCE = "handover-api"


class Key:
    """A key pair of the identity provider, published under `kid`."""

    def __init__(self, algorithm: str, kid: str) -> None:
        self.algorithm, self.kid = algorithm, kid
        if algorithm == "RS256":
            self.private: Any = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            jwk = RSAAlgorithm.to_jwk(self.private.public_key(), as_dict=True)
        else:
            self.private = ec.generate_private_key(ec.SECP256R1())
            jwk = ECAlgorithm.to_jwk(self.private.public_key(), as_dict=True)
        self.jwk: dict[str, Any] = {**jwk, "kid": kid, "use": "sig", "alg": algorithm}

    def token(self, **changes: Any) -> str:
        now = int(datetime.now(UTC).timestamp())
        claims: dict[str, Any] = {
            "sub": "anna.custody@polisen.test",
            "org": "polisen",
            "unit": "pa-kronoberg",
            "roles": ["custody_officer"],
            "iat": now,
            "exp": now + 600,
            "iss": ISSUER,
            "aud": AUDIENCE,
            "jti": str(uuid.uuid4()),
        }
        claims.update(changes)
        claims = {k: v for k, v in claims.items() if v is not None}
        return jwt.encode(claims, self.private, algorithm=self.algorithm, headers={"kid": self.kid})

    def public_pem(self) -> bytes:
        pem: bytes = self.private.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return pem


def jwks(*keys: Key) -> str:
    return json.dumps({"keys": [k.jwk for k in keys]})


@contextlib.asynccontextmanager
async def api_with(settings: Settings, **changes: Any) -> AsyncIterator[httpx.AsyncClient]:
    local = msgspec.structs.replace(
        settings,
        jwt_issuer=ISSUER,
        jwt_audience=AUDIENCE,
        revocation_refresh_seconds=0.2,
        **changes,
    )
    async with running_api(local) as base_url, httpx.AsyncClient(base_url=base_url) as client:
        yield client


async def status(client: httpx.AsyncClient, token: str) -> int:
    response = await client.get("/v1/handovers", headers={"Authorization": f"Bearer {token}"})
    if response.status_code == 401:
        assert response.headers["content-type"] == "application/problem+json"
    return response.status_code


async def test_jwks_file_rs256_es256_issuer_audience_and_rotation(
    settings: Settings, tmp_path: Path
) -> None:
    rsa_key, ec_key = Key("RS256", "rsa-1"), Key("ES256", "ec-1")
    path = tmp_path / "jwks.json"
    path.write_text(jwks(rsa_key, ec_key))
    async with api_with(settings, jwks_file=str(path)) as client:
        assert await status(client, rsa_key.token()) == 200
        assert await status(client, ec_key.token()) == 200
        assert await status(client, rsa_key.token(aud="another-api")) == 401
        assert await status(client, rsa_key.token(aud=None)) == 401
        assert await status(client, rsa_key.token(iss="https://evil.test")) == 401
        assert await status(client, rsa_key.token(iss=None)) == 401
        # A key the JWKS does not publish, under a published kid: the signature fails.
        impostor = Key("RS256", "rsa-1")
        assert await status(client, impostor.token()) == 401
        # The development secret no longer signs anything.
        now = int(datetime.now(UTC).timestamp())
        dev = jwt.encode(
            {"sub": "x", "org": "polisen", "unit": "pa-kronoberg", "roles": ["custody_officer"],
             "iat": now, "exp": now + 600, "iss": ISSUER, "aud": AUDIENCE},
            settings.jwt_secret,
            algorithm="HS256",
        )  # fmt: skip
        assert await status(client, dev) == 401
        # Algorithm confusion: HS256 with the published public key as the secret.
        forged = _hs256_with_public_key(rsa_key)
        assert await status(client, forged) == 401

        # Rotation: the provider publishes a new key and drops the old one; no restart.
        rotated = Key("RS256", "rsa-2")
        path.write_text(jwks(rotated, ec_key))
        assert await status(client, rotated.token()) == 200
        assert await status(client, rsa_key.token()) == 401


def _hs256_with_public_key(key: Key) -> str:
    """A token signed with HMAC over the public key's PEM, built by hand (PyJWT refuses)."""
    import base64
    import hashlib
    import hmac

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    now = int(datetime.now(UTC).timestamp())
    header = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": key.kid}).encode())
    payload = b64(
        json.dumps(
            {
                "sub": "mallory",
                "org": "polisen",
                "unit": "pa-kronoberg",
                "roles": ["coordinator"],
                "iat": now,
                "exp": now + 600,
                "iss": ISSUER,
                "aud": AUDIENCE,
            }
        ).encode()
    )
    signature = hmac.new(key.public_pem(), f"{header}.{payload}".encode(), hashlib.sha256)
    return f"{header}.{payload}.{b64(signature.digest())}"


async def test_leeway_is_small(settings: Settings, tmp_path: Path) -> None:
    key = Key("ES256", "ec-leeway")
    path = tmp_path / "jwks.json"
    path.write_text(jwks(key))
    now = int(datetime.now(UTC).timestamp())
    async with api_with(settings, jwks_file=str(path), jwt_leeway_seconds=30) as client:
        assert await status(client, key.token(iat=now - 600, exp=now - 10)) == 200
        assert await status(client, key.token(iat=now - 600, exp=now - 60)) == 401
        assert await status(client, key.token(iat=now, exp=now + 11 * 3600)) == 401


@contextlib.contextmanager
def jwks_server(document: dict[str, str]) -> Iterator[str]:
    """The identity provider's JWKS endpoint, on loopback; `document["body"]` is served."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = document["body"].encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/.well-known/jwks.json"
    finally:
        server.shutdown()
        server.server_close()


async def test_jwks_url_and_a_rotated_key(settings: Settings) -> None:
    first, second = Key("RS256", "url-1"), Key("ES256", "url-2")
    document = {"body": jwks(first)}
    with jwks_server(document) as url:
        async with api_with(settings, jwks_url=url, jwks_refetch_seconds=0) as client:
            assert await status(client, first.token()) == 200
            assert await status(client, second.token()) == 401
            document["body"] = jwks(first, second)  # the provider adds a key
            assert await status(client, second.token()) == 200


async def test_revocation_by_jti_and_by_subject(
    settings: Settings, tmp_path: Path, pool: asyncpg.Pool
) -> None:
    key = Key("RS256", "rsa-revoke")
    path = tmp_path / "jwks.json"
    path.write_text(jwks(key))
    sub = f"lost-phone-{uuid.uuid4().hex[:6]}@polisen.test"
    lost, other = key.token(sub=sub), key.token(sub=sub)
    async with api_with(settings, jwks_file=str(path)) as client:
        assert await status(client, lost) == 200
        until = datetime.now(UTC) + timedelta(hours=10)
        await revoke(
            Repository(pool, timeout=5),
            jti=jwt.decode(lost, options={"verify_signature": False})["jti"],
            sub=None,
            until=until,
            reason="lost phone",
            revoked_by="admin@polisen.test",
        )
        assert await _refused_within(client, lost, seconds=3)
        assert await status(client, other) == 200  # only that token

        await revoke(
            Repository(pool, timeout=5),
            jti=None,
            sub=sub,
            until=until,
            reason="account",
            revoked_by="admin@polisen.test",
        )
        assert await _refused_within(client, other, seconds=3)
        assert await status(client, key.token(sub=sub)) == 401
        assert await status(client, key.token(sub="someone.else@polisen.test")) == 200

        ended = f"ended-{uuid.uuid4().hex[:6]}"
        await revoke(
            Repository(pool, timeout=5),
            jti=None,
            sub=ended,
            until=datetime.now(UTC) - timedelta(seconds=1),
            reason="over",
            revoked_by="admin@polisen.test",
        )
        await asyncio.sleep(0.5)
        assert await status(client, key.token(sub=ended)) == 200


async def _refused_within(client: httpx.AsyncClient, token: str, *, seconds: float) -> bool:
    for _ in range(int(seconds / 0.1)):
        if await status(client, token) == 401:
            return True
        await asyncio.sleep(0.1)
    return False


def test_revoke_needs_exactly_one_target() -> None:
    with pytest.raises(ValueError, match="either"):
        asyncio.run(
            revoke(
                None,  # type: ignore[arg-type]
                jti="a",
                sub="b",
                until=datetime.now(UTC),
                reason="x",
                revoked_by="y",
            )
        )


def test_handover_revoke_command(settings: Settings) -> None:
    """The administrator's command writes the revocation every process then reads."""
    import os
    import subprocess
    import sys

    command = str(Path(sys.executable).with_name("handover"))
    env = {**os.environ, "DATABASE_URL": settings.database_url or ""}
    done = subprocess.run(
        [command, "revoke", "--sub", "cli-test@polisen.test", "--reason", "lost", "--by", "me"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "in force until" in done.stdout
    both = subprocess.run(
        [command, "revoke", "--sub", "a", "--jti", "b", "--reason", "x", "--by", "me"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert both.returncode == 2  # one target only
