"""Verifying bearer tokens: RS256/ES256 against a JWKS in production, HS256 in development.

PyJWT does the cryptography and the claim checks (`exp`, `iat`, `nbf`, `iss`, `aud`, with a
small leeway); this module only picks the key and the algorithms a token may use.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

import jwt

from services.handover.settings import Settings

# Asymmetric algorithms only for a JWKS: a JWKS key must never verify an HS256 token made
# with its public key as the secret (the classic algorithm-confusion attack).
JWKS_ALGORITHMS = ("RS256", "ES256")
REQUIRED_CLAIMS = ("sub", "org", "unit", "roles", "iat", "exp")
# The longest a sign-in waits for the identity provider's JWKS.
JWKS_FETCH_SECONDS = 5.0


class InvalidToken(Exception):
    """The token is not one this service accepts; the message says why, for the 401."""


class TokenVerifier:
    """Checks a token's signature and registered claims and returns its claims."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._client = (
            jwt.PyJWKClient(
                settings.jwks_url,
                lifespan=300,
                timeout=5,
                cooldown_duration=settings.jwks_refetch_seconds,
            )
            if settings.jwks_url
            else None
        )
        self._file = Path(settings.jwks_file) if settings.jwks_file else None
        self._keys: jwt.PyJWKSet | None = None
        self.max_lifetime = timedelta(hours=settings.jwt_max_lifetime_hours)

    @property
    def uses_jwks(self) -> bool:
        return self._client is not None or self._file is not None

    async def verify(self, token: str) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise InvalidToken("not a JWT") from exc
        algorithm = header.get("alg")
        if self.uses_jwks:
            if algorithm not in JWKS_ALGORITHMS:
                raise InvalidToken(f"algorithm must be one of {', '.join(JWKS_ALGORITHMS)}")
            jwk = await self._signing_key(token, header.get("kid"))
            if jwk.algorithm_name != algorithm:
                # An RS256 header on an EC key (or the reverse): PyJWT would raise TypeError.
                raise InvalidToken(f"the key {header.get('kid')!r} is not an {algorithm} key")
            key: Any = jwk.key
        else:
            if algorithm != self._settings.jwt_algorithm:
                raise InvalidToken(f"algorithm must be {self._settings.jwt_algorithm}")
            key = self._settings.jwt_secret
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[str(algorithm)],
                audience=self._settings.jwt_audience,
                issuer=self._settings.jwt_issuer,
                leeway=self._settings.jwt_leeway_seconds,
                options={
                    "require": list(REQUIRED_CLAIMS),
                    "verify_aud": self._settings.jwt_audience is not None,
                    "verify_iss": self._settings.jwt_issuer is not None,
                },
            )
        except (jwt.PyJWTError, TypeError, ValueError) as exc:
            raise InvalidToken(str(exc) or type(exc).__name__) from exc
        return claims

    async def _signing_key(self, token: str, kid: object) -> jwt.PyJWK:
        if not isinstance(kid, str) or not kid:
            raise InvalidToken("the token names no key (`kid`)")
        if self._client is not None:
            client = self._client
            try:
                # PyJWKClient fetches (blocking) and refetches once for an unknown `kid`,
                # which is how a rotated key is picked up. Its timeout bounds each read, not
                # the fetch: a provider that trickles its answer must not hold the caller.
                signing: jwt.PyJWK = await asyncio.wait_for(
                    asyncio.to_thread(client.get_signing_key_from_jwt, token),
                    timeout=JWKS_FETCH_SECONDS,
                )
            except TimeoutError as exc:
                raise InvalidToken(
                    "the identity provider's keys could not be read in time"
                ) from exc
            except (jwt.PyJWTError, ValueError, TypeError, AttributeError, KeyError) as exc:
                # The provider's JWKS is input too: a body that is not a key set is no key.
                raise InvalidToken(f"no usable key {kid!r} in the JWKS") from exc
            return signing
        return self._file_key(kid)

    def _file_key(self, kid: str) -> jwt.PyJWK:
        assert self._file is not None
        for reload in (False, True):
            if self._keys is None or reload:
                try:
                    self._keys = jwt.PyJWKSet.from_json(self._file.read_text())
                except (OSError, ValueError, TypeError, AttributeError, jwt.PyJWTError) as exc:
                    raise InvalidToken("the JWKS file cannot be read as a key set") from exc
            try:
                return self._keys[kid]
            except KeyError:
                continue  # a rotated key: read the file again, once
        raise InvalidToken(f"no key {kid!r} in the JWKS")
