"""Strict input: bodies decode without type coercion, and unknown query parameters are refused.

Litestar converts request data leniently (`"1"` or `0` where a boolean is expected); a coordinator
who mistypes `?stat=requested` must not silently get every request either.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any, TypeVar

import msgspec
from litestar import Request
from litestar.handlers import HTTPRouteHandler
from litestar.params import QueryParameter

from contracts.common import AwareDatetime
from services.handover.errors import FieldError, InvalidInput, field_error

T = TypeVar("T")


async def strict_body(request: Request[Any, Any, Any], type_: type[T]) -> T:
    """The body decoded strictly into `type_`, or a 400 naming the field."""
    try:
        return msgspec.json.decode(await request.body(), type=type_)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        error = field_error(str(exc))
        raise InvalidInput(f"{error.field}: {error.message}", errors=[error]) from exc


def parse_instant(value: str, name: str) -> datetime:
    """A query parameter that must be an RFC 3339 timestamp with offset (not a number)."""
    try:
        return msgspec.convert(value, AwareDatetime)
    except msgspec.ValidationError as exc:
        raise InvalidInput(
            f"{name}: expected an RFC 3339 timestamp with offset",
            errors=[FieldError(name, "expected an RFC 3339 timestamp with offset")],
        ) from exc


@cache
def _query_names(handler: HTTPRouteHandler) -> frozenset[str]:
    names = set()
    for name, field in handler.parsed_fn_signature.parameters.items():
        kwarg = field.kwarg_definition
        if isinstance(kwarg, QueryParameter):
            names.add(kwarg.name or name)
    return frozenset(names)


async def reject_unknown_query(request: Request[Any, Any, Any]) -> None:
    """before_request hook for /v1 routes."""
    handler = request.route_handler
    if not isinstance(handler, HTTPRouteHandler) or not request.url.path.startswith("/v1/"):
        return
    unknown = sorted(set(request.query_params) - _query_names(handler))
    if unknown:
        raise InvalidInput(
            f"unknown query parameter(s): {', '.join(unknown)}",
            errors=[FieldError(name, "unknown query parameter") for name in unknown],
        )
