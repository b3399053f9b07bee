"""Bearer JWT authentication: claims `sub`, `org`, `unit`, `roles`, `iat`, `exp` (at most 10 h)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import msgspec
from litestar.connection import ASGIConnection
from litestar.security.jwt import JWTAuth, Token

from contracts.common import Actor, Org, Role
from services.handover.settings import Settings

REQUIRED_CLAIMS = ("sub", "org", "unit", "roles", "iat", "exp")
PUBLIC_PATHS = ["^/health/", "^/schema", "^/problems/"]


@dataclass
class HandoverToken(Token):
    """A JWT whose extra claims carry the caller's organisation, unit and roles."""


class _Claims(msgspec.Struct, frozen=True):
    org: Org
    unit: str
    roles: tuple[Role, ...]


def actor_from_token(token: Token, max_lifetime: timedelta) -> Actor | None:
    """The caller behind a verified token, or None (401) if its claims or lifetime are wrong."""
    if token.exp - token.iat > max_lifetime:
        return None
    try:
        claims = msgspec.convert(token.extras, _Claims)
    except msgspec.ValidationError:
        return None
    if not claims.roles or not claims.unit:
        return None
    return Actor(sub=token.sub, org=claims.org, unit=claims.unit, roles=claims.roles)


def build_auth(settings: Settings) -> JWTAuth[Actor, HandoverToken]:
    max_lifetime = timedelta(hours=settings.jwt_max_lifetime_hours)

    async def retrieve_actor(
        token: HandoverToken, _: ASGIConnection[Any, Any, Any, Any]
    ) -> Actor | None:
        return actor_from_token(token, max_lifetime)

    return JWTAuth[Actor, HandoverToken](
        retrieve_user_handler=retrieve_actor,
        token_secret=settings.jwt_secret,
        algorithm=settings.jwt_algorithm,
        token_cls=HandoverToken,
        require_claims=list(REQUIRED_CLAIMS),
        exclude=PUBLIC_PATHS,
        description="JWT with claims sub, org (polisen|kriminalvarden), unit, roles, iat, exp.",
    )


def issue_token(
    settings: Settings,
    *,
    sub: str,
    org: Org,
    unit: str,
    roles: list[Role],
    lifetime: timedelta | None = None,
) -> str:
    """A signed development token (the `handover token` command)."""
    now = datetime.now(UTC).replace(microsecond=0)
    lifetime = lifetime or timedelta(hours=settings.jwt_max_lifetime_hours)
    claims = {
        "sub": sub,
        "org": org.value,
        "unit": unit,
        "roles": [r.value for r in roles],
        "iat": int(now.timestamp()),
        "exp": int((now + lifetime).timestamp()),
    }
    return jwt.encode(claims, settings.jwt_secret, algorithm=settings.jwt_algorithm)
