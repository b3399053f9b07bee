"""One error tree, mapped once to RFC 9457 problem+json responses."""

from __future__ import annotations

import re
from typing import Any

import msgspec
import structlog
from litestar import Request, Response
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.types import ExceptionHandlersMap

from contracts.common import LINE_PATTERN, TEXT_PATTERN
from contracts.lifecycle import Action
from contracts.refusals import Refusal

log = structlog.get_logger(__name__)

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "/problems/"


class FieldError(msgspec.Struct, frozen=True):
    """One invalid field: a JSON path (`$.person.identity.number`) or a parameter name."""

    field: str
    message: str


class BlockedAction(msgspec.Struct, frozen=True, kw_only=True):
    """An action whose party and role fit the caller, and what refuses it now (a 409)."""

    action: Action
    reason: Refusal
    detail: str
    see: str
    """The contract's operation to read on: a JSON pointer into `/schema/openapi.json`."""


class Problem(msgspec.Struct, frozen=True, kw_only=True, omit_defaults=True):
    """An RFC 9457 problem document. `reason` is the refusal's code (`Refusal`); a 409 for a
    lifecycle action names the caller's `allowed_actions` and, for each action the caller
    could take at another moment, what blocks it (`blocked_actions`)."""

    type: str
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: list[FieldError] | None = None
    current_state: str | None = None
    allowed_actions: list[Action] | None = None
    blocked_actions: list[BlockedAction] | None = None
    current_version: int | None = None
    reason: Refusal | None = None
    request_id: str | None = None


class ProblemError(Exception):
    """A failure a client can act on; subclasses fix the status, type and title."""

    status = 400
    slug = "bad-request"
    title = "Bad request"

    def __init__(
        self,
        detail: str | None = None,
        *,
        errors: list[FieldError] | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail
        self.errors = errors
        self.headers = headers or {}
        self.extra = extra or {}


class InvalidInput(ProblemError):
    status, slug, title = 400, "validation", "The request is not valid"


class Unauthorized(ProblemError):
    status, slug, title = 401, "unauthorized", "A valid bearer token is required"


class Forbidden(ProblemError):
    status, slug, title = 403, "forbidden", "Your role or unit may not do this"


class NotFound(ProblemError):
    status, slug, title = 404, "not-found", "No such resource"


class Gone(ProblemError):
    """The request's personal data was erased after the retention time; its facts remain in
    lists, deadlines and the event log's chain."""

    status, slug, title = 410, "personal-data-erased", "The person's data was erased"


class Conflict(ProblemError):
    status, slug, title = 409, "conflict", "The request conflicts with the current state"


class IllegalTransition(Conflict):
    slug, title = "illegal-transition", "Not allowed in the request's current state"


class PreconditionFailed(ProblemError):
    status, slug, title = 412, "precondition-failed", "The request has changed since you read it"


class IdempotencyKeyReused(ProblemError):
    status, slug, title = 422, "idempotency-key-reused", "Idempotency-Key reused with another body"


class Unprocessable(ProblemError):
    status, slug, title = 422, "unprocessable", "The request cannot be processed"


class ChangeNotStored(ProblemError):
    status, slug, title = (
        422,
        "change-not-stored",
        "The change could not be stored; nothing was applied",
    )


class InternalError(ProblemError):
    status, slug, title = 500, "internal", "Internal error; nothing was applied"


class UnsupportedMediaType(ProblemError):
    status, slug, title = 415, "unsupported-media-type", "The body must be application/json"


class Unavailable(Exception):
    """A dependency is away or too slow, not a bug: 503 with Retry-After, nothing was lost.

    Raised only where a dependency is called, by code that knows which of its failures mean
    "not there now" (`postgres.outage_is_unavailable`, the Temporal gateway); anything else
    stays what it is, a bug answered 500.
    """

    dependency = "a dependency"
    title = "A service this API depends on is unavailable"

    def __init__(
        self, detail: str = "Try again shortly; nothing was lost or applied twice."
    ) -> None:
        super().__init__(detail)
        self.detail = detail


class DatabaseUnavailable(Unavailable):
    """PostgreSQL cannot be reached, refuses connections for now, or does not answer in time."""

    dependency = "postgres"


class TemporalUnavailable(Unavailable):
    """Temporal cannot be reached, is overloaded, or did not confirm a change in time."""

    dependency = "temporal"


# Handler arguments whose public parameter name is a reserved word in Litestar (`state`).
PARAMETER_ALIASES = {"state_filter": "state"}

_AT_PATH = re.compile(r"^(?P<message>.*?)(?: - at `(?P<path>[^`]+)`)?$", re.S)
# A check in a Struct's __post_init__ that names one of its fields: "`decided_at` must ...".
_NAMED_FIELD = re.compile(r"^`(?P<name>[a-z_]+)` (?P<message>.*)$", re.S)
_PATTERN_MESSAGES = {
    LINE_PATTERN: "must be one line of text without control or direction-override characters",
    TEXT_PATTERN: "must be text without control or direction-override characters",
}


def field_error(message: str, *, default_field: str = "$") -> FieldError:
    """Split msgspec's 'Expected `int`, got `str` - at `$.x`' into field and message."""
    match = _AT_PATH.match(message)
    assert match is not None
    field, text = match["path"] or default_field, match["message"]
    named = _NAMED_FIELD.match(text)
    if named is not None:
        field, text = f"{field}.{named['name']}", named["message"]
    for pattern, friendly in _PATTERN_MESSAGES.items():
        if repr(pattern) in text:  # msgspec quotes the pattern with repr()
            text = friendly
    return FieldError(field=field, message=text)


def _request_id(request: Request[Any, Any, Any]) -> str | None:
    value = request.scope.get("state", {}).get("request_id")
    return value if isinstance(value, str) else None


def problem_response(
    request: Request[Any, Any, Any],
    *,
    status: int,
    slug: str,
    title: str,
    detail: str | None = None,
    errors: list[FieldError] | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> Response[bytes]:
    problem = Problem(
        type=PROBLEM_BASE + slug,
        title=title,
        status=status,
        detail=detail,
        instance=request.url.path,
        errors=errors,
        request_id=_request_id(request),
        **(extra or {}),
    )
    return Response(
        content=msgspec.json.encode(problem),
        status_code=status,
        media_type=PROBLEM_JSON,
        headers=headers,
    )


def _on_problem(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    assert isinstance(exc, ProblemError)
    return problem_response(
        request,
        status=exc.status,
        slug=exc.slug,
        title=exc.title,
        detail=exc.detail,
        errors=exc.errors,
        headers=exc.headers,
        extra=exc.extra,
    )


def _validation_errors(exc: ValidationException) -> list[FieldError]:
    extra = exc.extra if isinstance(exc.extra, list) else []
    errors: list[FieldError] = []
    for item in extra:
        if not isinstance(item, dict):
            continue
        message = str(item.get("message", "invalid"))
        key = item.get("key")
        source = item.get("source")
        if key and source in ("query", "path", "header", "cookie"):
            name = PARAMETER_ALIASES.get(str(key), str(key))
            errors.append(FieldError(field=name, message=message))
        elif source == "body":
            path = "$" if key in (None, "", "data") else f"$.{key}"
            errors.append(FieldError(field=path, message=field_error(message).message))
        else:
            errors.append(field_error(message, default_field=str(key) if key else "$"))
    return errors


def _on_validation(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    assert isinstance(exc, ValidationException)
    errors = _validation_errors(exc)
    detail = "; ".join(f"{e.field}: {e.message}" for e in errors) or exc.detail
    return problem_response(
        request,
        status=400,
        slug="validation",
        title="The request is not valid",
        detail=detail,
        errors=errors,
    )


def _on_http(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    assert isinstance(exc, HTTPException)
    if isinstance(exc, NotAuthorizedException):
        return problem_response(
            request,
            status=401,
            slug="unauthorized",
            title="A valid bearer token is required",
            detail=exc.detail,
            headers={"WWW-Authenticate": 'Bearer realm="handover"'},
        )
    if isinstance(exc, PermissionDeniedException):
        return problem_response(
            request, status=403, slug="forbidden", title=Forbidden.title, detail=exc.detail
        )
    if exc.status_code == 400:
        return problem_response(
            request, status=400, slug="validation", title=InvalidInput.title, detail=exc.detail
        )
    slug = {
        404: "not-found",
        405: "method-not-allowed",
        413: "too-large",
        415: "unsupported-media-type",
        429: "rate-limited",
    }
    headers = dict(exc.headers or {})
    if exc.status_code == 429:
        # The window's end, as RFC 9110 wants it for a client that backs off.
        headers["Retry-After"] = headers.get("RateLimit-Reset", "60")
    return problem_response(
        request,
        status=exc.status_code,
        slug=slug.get(exc.status_code, "http-error"),
        title=exc.detail,
        headers=headers,
    )


def _on_unavailable(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    assert isinstance(exc, Unavailable)
    log.warning(
        "dependency.unavailable",
        dependency=exc.dependency,
        error=type(exc.__cause__ or exc).__name__,
        path=request.url.path,
    )
    retry_after = int(getattr(request.app.state, "retry_after_seconds", 5))
    return problem_response(
        request,
        status=503,
        slug="unavailable",
        title=exc.title,
        detail=exc.detail,
        headers={"Retry-After": str(retry_after)},
    )


def _on_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    log.error("http.unhandled", path=request.url.path, exc_info=exc)
    return problem_response(
        request,
        status=500,
        slug="internal",
        title="Internal error",
        detail="The error was logged; quote the request id when reporting it.",
    )


exception_handlers: ExceptionHandlersMap = {
    ProblemError: _on_problem,
    ValidationException: _on_validation,
    HTTPException: _on_http,
    Unavailable: _on_unavailable,
    Exception: _on_unexpected,
}
