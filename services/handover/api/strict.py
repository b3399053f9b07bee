"""Strict input at one boundary: bodies, media types, query parameters and instants.

Litestar converts request data leniently (`"1"` or `0` where a boolean is expected) and answers
500 to a body that is not UTF-8 or nests too deeply; a coordinator who mistypes
`?stat=requested` must not silently get every request either. Every handler therefore takes
`data` as usual, and `StrictRequest` decodes it from the raw body against the handler's `data`
type, strictly, with a problem naming the field for anything the contract does not allow.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any, TypeVar
from urllib.parse import unquote_to_bytes

import msgspec
from litestar import Request
from litestar.handlers import HTTPRouteHandler
from litestar.params import QueryParameter

from contracts.access import Purpose
from contracts.common import EARLIEST_YEAR, LATEST_YEAR, AwareDatetime, instant_in_range
from services.handover.audit_context import set_purpose
from services.handover.errors import (
    FieldError,
    InvalidInput,
    NotFound,
    UnsupportedMediaType,
    field_error,
)

T = TypeVar("T")
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


@cache
def body_type(handler: HTTPRouteHandler) -> Any:
    """The type a handler declares for `data`, or None when it takes no body."""
    field = handler.parsed_fn_signature.parameters.get("data")
    return None if field is None else field.annotation


def decode_body(raw: bytes, type_: type[T]) -> T:
    """`raw` decoded strictly into `type_`, or a 400 that says what is wrong with it."""
    try:
        return msgspec.json.decode(raw, type=type_)
    except msgspec.ValidationError as exc:
        error = field_error(str(exc))
        raise InvalidInput(f"{error.field}: {error.message}", errors=[error]) from exc
    except UnicodeDecodeError as exc:
        raise _malformed("the body is not valid UTF-8") from exc
    except RecursionError as exc:
        raise _malformed("the body nests too deeply") from exc
    except msgspec.DecodeError as exc:
        raise _malformed(f"the body is not valid JSON ({exc})") from exc


def _malformed(message: str) -> InvalidInput:
    return InvalidInput(message, errors=[FieldError("$", message)])


class StrictRequest(Request[Any, Any, Any]):
    """A request whose JSON body is decoded strictly into the handler's `data` type."""

    async def json(self) -> Any:
        handler = self.route_handler
        type_ = body_type(handler) if isinstance(handler, HTTPRouteHandler) else None
        if type_ is None:
            return await super().json()
        return decode_body(await self.body(), type_)


def _is_json(content_type: str) -> bool:
    media, _, params = content_type.partition(";")
    media = media.strip().lower()
    if media != "application/json" and not (
        media.startswith("application/") and media.endswith("+json")
    ):
        return False
    charset = next(
        (p.split("=", 1)[1].strip().strip('"').lower() for p in params.split(";") if "=" in p),
        "utf-8",
    )
    return charset in ("utf-8", "utf8")


def parse_instant(value: str, name: str) -> datetime:
    """A query parameter that must be an RFC 3339 timestamp with offset (not a number)."""
    try:
        instant = msgspec.convert(value, AwareDatetime)
    except msgspec.ValidationError as exc:
        raise InvalidInput(
            f"{name}: expected an RFC 3339 timestamp with offset",
            errors=[FieldError(name, "expected an RFC 3339 timestamp with offset")],
        ) from exc
    if not instant_in_range(instant):
        message = f"must lie in the years {EARLIEST_YEAR} to {LATEST_YEAR}"
        raise InvalidInput(f"{name}: {message}", errors=[FieldError(name, message)])
    return instant


@cache
def _query_names(handler: HTTPRouteHandler) -> frozenset[str]:
    names = set()
    for name, field in handler.parsed_fn_signature.parameters.items():
        kwarg = field.kwarg_definition
        if isinstance(kwarg, QueryParameter):
            names.add(kwarg.name or name)
    return frozenset(names)


async def check_request(request: Request[Any, Any, Any]) -> None:
    """before_request hook for /v1 routes: JSON bodies only, no unknown query parameters."""
    handler = request.route_handler
    if not isinstance(handler, HTTPRouteHandler) or not request.url.path.startswith("/v1/"):
        return
    purpose = request.headers.get("x-purpose")
    try:
        set_purpose(None if purpose is None else Purpose(purpose.strip()))
    except ValueError as exc:
        allowed = ", ".join(Purpose)
        raise InvalidInput(
            f"X-Purpose must be one of {allowed}",
            errors=[FieldError("X-Purpose", f"one of {allowed}")],
        ) from exc
    if not request.url.path.isascii():
        # Every id is ASCII; Python's UUID() would also read Arabic-Indic or other digits.
        raise NotFound("No such resource: ids are ASCII.")
    if request.method in BODY_METHODS and body_type(handler) is not None:
        content_type = request.headers.get("content-type", "")
        if not _is_json(content_type):
            raise UnsupportedMediaType(
                f"send the body as application/json in UTF-8, not {content_type or 'nothing'!r}",
                headers={"Accept-Post": "application/json"},
            )
    try:
        unquote_to_bytes(request.scope.get("query_string", b"")).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _malformed("the query string is not valid UTF-8") from exc
    # Litestar reads `null` as "parameter absent": `?state=null` would silently list all.
    nulls = sorted({k for k, v in request.query_params.multi_items() if v.lower() == "null"})
    if nulls:
        raise InvalidInput(
            f"null is not a value of {', '.join(nulls)}; leave the parameter out instead",
            errors=[FieldError(name, "null is not a value; leave it out") for name in nulls],
        )
    unknown = sorted(set(request.query_params) - _query_names(handler))
    if unknown:
        raise InvalidInput(
            f"unknown query parameter(s): {', '.join(unknown)}",
            errors=[FieldError(name, "unknown query parameter") for name in unknown],
        )
