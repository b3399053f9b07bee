"""Bearer JWT authentication: claims `sub`, `org`, `unit`, `roles`, `iat`, `exp` (at most 10 h)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Self

import jwt
import msgspec
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.middleware import AuthenticationResult
from litestar.security.jwt import JWTAuth, JWTAuthenticationMiddleware, Token
from msgspec import Meta

from contracts.common import LINE_PATTERN, Actor, Org, Role, UnitId
from services.handover.settings import Settings

REQUIRED_CLAIMS = ("sub", "org", "unit", "roles", "iat", "exp")
PUBLIC_PATHS = ["^/health/", "^/schema", "^/problems/"]


@dataclass
class HandoverToken(Token):
    """A JWT whose extra claims carry the caller's organisation, unit and roles."""

    @classmethod
    def decode(
        cls,
        encoded_token: str,
        secret: str,
        algorithm: str,
        audience: str | Sequence[str] | None = None,
        issuer: str | Sequence[str] | None = None,
        require_claims: Sequence[str] | None = None,
        verify_exp: bool = True,
        verify_nbf: bool = True,
        strict_audience: bool = False,
    ) -> Self:
        """As Litestar decodes it, but a signed token of any shape is a 401, never a 500."""
        try:
            return super().decode(
                encoded_token,
                secret,
                algorithm,
                audience=audience,
                issuer=issuer,
                require_claims=require_claims,
                verify_exp=verify_exp,
                verify_nbf=verify_nbf,
                strict_audience=strict_audience,
            )
        except NotAuthorizedException:
            raise
        except (TypeError, ValueError, OverflowError, AttributeError) as exc:
            raise NotAuthorizedException("Invalid token") from exc


class BearerOnly(JWTAuthenticationMiddleware):
    """Only the `Bearer` scheme carries a token (`Basic <jwt>` is not one)."""

    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        scheme, _, token = connection.headers.get(self.auth_header, "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise NotAuthorizedException("Send the token as `Authorization: Bearer <JWT>`")
        return await self.authenticate_token(encoded_token=token.strip(), connection=connection)


Subject = Annotated[str, Meta(min_length=1, max_length=200, pattern=LINE_PATTERN)]


class _Claims(msgspec.Struct, frozen=True):
    org: Org
    unit: UnitId
    roles: Annotated[tuple[Role, ...], Meta(min_length=1, max_length=len(Role))]


def actor_from_token(token: Token, max_lifetime: timedelta) -> Actor | None:
    """The caller behind a verified token, or None (401) if its claims or lifetime are wrong."""
    if token.exp - token.iat > max_lifetime:
        return None
    try:
        claims = msgspec.convert(token.extras, _Claims)
        sub = msgspec.convert(token.sub, Subject)
    except msgspec.ValidationError:
        return None
    return Actor(sub=sub, org=claims.org, unit=claims.unit, roles=claims.roles)


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
        authentication_middleware_class=BearerOnly,
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
