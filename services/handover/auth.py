"""Bearer JWT authentication: claims `sub`, `org`, `unit`, `roles`, `iat`, `exp` (at most 10 h)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import jwt
import msgspec
from litestar.connection import ASGIConnection
from litestar.datastructures import State
from litestar.exceptions import NotAuthorizedException
from litestar.middleware import AuthenticationResult
from litestar.security.jwt import JWTAuth, JWTAuthenticationMiddleware, Token
from msgspec import Meta

from contracts.access import misfit
from contracts.common import LINE_PATTERN, Actor, Org, Role, UnitId
from services.handover.errors import Forbidden
from services.handover.revocations import Revocations
from services.handover.settings import Settings
from services.handover.tokens import REQUIRED_CLAIMS, InvalidToken, TokenVerifier
from services.handover.unit_directory import UnitDirectory

PUBLIC_PATHS = ["^/health/", "^/schema", "^/problems/"]


@dataclass
class HandoverToken(Token):
    """A JWT whose extra claims carry the caller's organisation, unit and roles."""


class BearerOnly(JWTAuthenticationMiddleware):
    """Only `Authorization: Bearer <JWT>`; verified by the app's TokenVerifier, then checked
    against the revoked-token list."""

    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        scheme, _, token = connection.headers.get(self.auth_header, "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise NotAuthorizedException("Send the token as `Authorization: Bearer <JWT>`")
        return await self.authenticate_token(encoded_token=token.strip(), connection=connection)

    async def authenticate_token(
        self, encoded_token: str, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        actor, claims = await verify_token(encoded_token, connection.app.state)
        return AuthenticationResult(user=actor, auth=claims)


async def verify_token(encoded_token: str, state: State) -> tuple[Actor, dict[str, Any]]:
    """The caller behind a token, checked as every API call checks it: signature and claims,
    the unit and the roles against the reference data, and the revoked-token list. Raises
    NotAuthorizedException (401) or Forbidden (403). The board's cookie sign-in uses it too."""
    verifier: TokenVerifier = state.token_verifier
    try:
        claims = await verifier.verify(encoded_token)
    except InvalidToken as exc:
        raise NotAuthorizedException(f"Invalid token: {exc}") from exc
    actor = actor_from_claims(claims, verifier.max_lifetime)
    if actor is None:
        raise NotAuthorizedException(
            "Invalid token: claims org, unit, roles and sub of the documented shape, "
            "and a lifetime of at most the configured hours, are required"
        )
    directory: UnitDirectory | None = getattr(state, "units", None)
    if directory is not None:
        await check_holder(actor, directory)
    revocations: Revocations | None = getattr(state, "revocations", None)
    jti = claims.get("jti")
    if revocations is not None and await revocations.revoked(
        jti=jti if isinstance(jti, str) else None, sub=actor.sub, now=datetime.now(UTC)
    ):
        raise NotAuthorizedException("This token has been revoked.")
    return actor, claims


async def check_holder(actor: Actor, directory: UnitDirectory) -> None:
    """The token's unit exists in its organisation, and each of its roles fits that unit."""
    unit = await directory.get(actor.unit)
    if unit is None or unit.org != actor.org:
        raise Forbidden("The token's unit is not a unit of its organisation.")
    for role in actor.roles:
        if (why := misfit(role, unit.org, unit.kind)) is not None:
            raise Forbidden(f"The token's role does not fit its unit: {why}.")


Subject = Annotated[str, Meta(min_length=1, max_length=200, pattern=LINE_PATTERN)]


class _Claims(msgspec.Struct, frozen=True):
    sub: Subject
    org: Org
    unit: UnitId
    roles: Annotated[tuple[Role, ...], Meta(min_length=1, max_length=len(Role))]
    iat: int | float
    exp: int | float
    jti: Annotated[str, Meta(min_length=1, max_length=200, pattern=LINE_PATTERN)] | None = None


def actor_from_claims(claims: dict[str, Any], max_lifetime: timedelta) -> Actor | None:
    """The caller behind verified claims, or None (401) if their shape or lifetime is wrong."""
    try:
        parsed = msgspec.convert(claims, _Claims)
    except msgspec.ValidationError:
        return None
    if not 0 < parsed.exp - parsed.iat <= max_lifetime.total_seconds():
        return None
    return Actor(sub=parsed.sub, org=parsed.org, unit=parsed.unit, roles=parsed.roles)


def build_auth(settings: Settings) -> JWTAuth[Actor, HandoverToken]:
    async def unused(_: HandoverToken, __: ASGIConnection[Any, Any, Any, Any]) -> Actor | None:
        return None  # BearerOnly builds the actor itself; JWTAuth insists on a handler

    return JWTAuth[Actor, HandoverToken](
        retrieve_user_handler=unused,
        token_secret=settings.jwt_secret,
        algorithm=settings.jwt_algorithm,
        token_cls=HandoverToken,
        authentication_middleware_class=BearerOnly,
        require_claims=list(REQUIRED_CLAIMS),
        exclude=PUBLIC_PATHS,
        description=(
            "JWT with claims sub, org (polisen|kriminalvarden), unit, roles, iat, exp and "
            "optionally jti; RS256/ES256 against the configured JWKS in production."
        ),
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
