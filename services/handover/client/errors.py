"""What the client raises: one exception per kind of problem+json answer, and transport failure.

Every answer the service refuses is an RFC 9457 problem (`application/problem+json`); the
client decodes it into `Problem` and raises the `ProblemError` subclass for its status (and,
where the status has several meanings, its `type`), so a caller can write
`except ConflictError as exc: exc.blocked_actions`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TypeVar

import httpx
import msgspec

from contracts.lifecycle import Action
from contracts.refusals import Refusal


class FieldError(msgspec.Struct, frozen=True, kw_only=True):
    """One invalid field: a JSON path (`$.person.identity.number`) or a parameter name."""

    field: str
    message: str


class BlockedAction(msgspec.Struct, frozen=True, kw_only=True):
    """An action the caller could take at another moment, and what refuses it now."""

    action: str
    reason: str
    detail: str
    see: str

    @property
    def refusal(self) -> Refusal | None:
        return _enum(Refusal, self.reason)


class Problem(msgspec.Struct, frozen=True, kw_only=True):
    """An RFC 9457 problem document as the service sends it.

    Codes are kept as text: a newer service may name a refusal this client does not know
    (the contract only grows); `refusal` and `ProblemError.allowed` give the enumerations.
    """

    type: str = "about:blank"
    title: str = ""
    status: int = 0
    detail: str | None = None
    instance: str | None = None
    errors: list[FieldError] = msgspec.field(default_factory=list)
    current_state: str | None = None
    allowed_actions: list[str] = msgspec.field(default_factory=list)
    blocked_actions: list[BlockedAction] = msgspec.field(default_factory=list)
    current_version: int | None = None
    reason: str | None = None
    request_id: str | None = None


E = TypeVar("E", Refusal, Action)


def _enum(kind: type[E], value: str | None) -> E | None:
    try:
        return kind(value) if value is not None else None
    except ValueError:
        return None


class HandoverClientError(Exception):
    """Base of everything the client raises."""


class TransportError(HandoverClientError):
    """No answer from the service (connection refused, reset, timed out), after every retry."""


class ETagUnknown(HandoverClientError):
    """`if_match=True` on a request this client has not read (no ETag to send)."""


class ProblemError(HandoverClientError):
    """The service refused the call with a problem document."""

    def __init__(self, problem: Problem, *, status: int, retry_after: float | None = None) -> None:
        self.problem = problem
        self.status = status
        self.retry_after = retry_after
        super().__init__(
            f"{status} {problem.title}" + (f": {problem.detail}" if problem.detail else "")
        )

    @property
    def type(self) -> str:
        return self.problem.type

    @property
    def title(self) -> str:
        return self.problem.title

    @property
    def detail(self) -> str | None:
        return self.problem.detail

    @property
    def reason(self) -> str | None:
        """The refusal code (`contracts.refusals.Refusal`), as text."""
        return self.problem.reason

    @property
    def refusal(self) -> Refusal | None:
        """`reason` as the enumeration, or None when absent or unknown to this client."""
        return _enum(Refusal, self.problem.reason)

    @property
    def errors(self) -> list[FieldError]:
        return self.problem.errors

    @property
    def blocked_actions(self) -> list[BlockedAction]:
        return self.problem.blocked_actions

    @property
    def allowed_actions(self) -> list[Action]:
        """The actions the caller may take now (a 409 names them), those this client knows."""
        found = (_enum(Action, a) for a in self.problem.allowed_actions)
        return [a for a in found if a is not None]

    @property
    def current_state(self) -> str | None:
        return self.problem.current_state

    @property
    def request_id(self) -> str | None:
        return self.problem.request_id


class InvalidRequestError(ProblemError):
    """400: a body, parameter or header is not valid; `errors` names the fields."""


class UnauthorizedError(ProblemError):
    """401: no token, or one the service does not accept."""


class ForbiddenError(ProblemError):
    """403: your role or unit may not do this."""


class NotFoundError(ProblemError):
    """404: no such request, or none you are a party to."""


class ConflictError(ProblemError):
    """409: not allowed now; `current_state`, `allowed_actions` and `blocked_actions` say why."""


class GoneError(ProblemError):
    """410: the person's data was erased after the retention time."""


class PreconditionFailedError(ProblemError):
    """412: the request changed since the ETag you sent; read it again (`current_version`)."""

    @property
    def current_version(self) -> int | None:
        return self.problem.current_version


class TooLargeError(ProblemError):
    """413: the body is too large."""


class UnsupportedMediaTypeError(ProblemError):
    """415: the body is not JSON."""


class UnprocessableError(ProblemError):
    """422: the request cannot be processed (e.g. the change could not be stored)."""


class IdempotencyKeyReusedError(UnprocessableError):
    """422: the same Idempotency-Key was used with another body."""


class RateLimitedError(ProblemError):
    """429 after every retry; `retry_after` says when the window ends."""


class ServerError(ProblemError):
    """500 or any other 5xx but 503."""


class UnavailableError(ServerError):
    """503 (or 502/504) after every retry: a dependency is away; nothing was lost or applied."""


_BY_STATUS: dict[int, type[ProblemError]] = {
    400: InvalidRequestError,
    401: UnauthorizedError,
    403: ForbiddenError,
    404: NotFoundError,
    409: ConflictError,
    410: GoneError,
    412: PreconditionFailedError,
    413: TooLargeError,
    415: UnsupportedMediaTypeError,
    422: UnprocessableError,
    429: RateLimitedError,
    502: UnavailableError,
    503: UnavailableError,
    504: UnavailableError,
}
_BY_TYPE: dict[str, type[ProblemError]] = {
    "idempotency-key-reused": IdempotencyKeyReusedError,
}
_PROBLEM = msgspec.json.Decoder(Problem)


def retry_after(response: httpx.Response, now: datetime | None = None) -> float | None:
    """`Retry-After` in seconds (a number or an HTTP date), None when absent or unreadable."""
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def problem_error(response: httpx.Response) -> ProblemError:
    """The typed exception for a refused call (any body: a proxy may answer with HTML)."""
    try:
        problem = _PROBLEM.decode(response.content)
    except msgspec.DecodeError:
        problem = Problem(
            title=response.reason_phrase or "HTTP error",
            status=response.status_code,
            detail=response.text[:500] or None,
        )
    slug = problem.type.rsplit("/", 1)[-1]
    kind = _BY_TYPE.get(slug) or _BY_STATUS.get(response.status_code)
    if kind is None:
        kind = ServerError if response.status_code >= 500 else ProblemError
    return kind(problem, status=response.status_code, retry_after=retry_after(response))
