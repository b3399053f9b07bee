"""OpenAPI helpers: the problem responses each operation documents."""

from __future__ import annotations

import dataclasses

from litestar.datastructures import ResponseHeader
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import OpenAPI, Schema

from services.handover.errors import Problem

BEARER: list[dict[str, list[str]]] = [{"BearerToken": []}]
ETAG = ResponseHeader(
    name="ETag", description="The request's version; send it as If-Match.", documentation_only=True
)

_DESCRIPTIONS = {
    400: "Invalid input; `errors` names each field.",
    401: "Missing, expired or invalid bearer token.",
    403: "Your role or unit may not do this.",
    404: "No such request, or not one you are a party to.",
    409: "Illegal in the request's current state.",
    412: "If-Match does not match the current version.",
    415: "The body is not application/json in UTF-8.",
    422: "Idempotency-Key reused with another body, or a change that could not be stored.",
    503: "PostgreSQL or Temporal unavailable; retry after Retry-After seconds.",
}


# Every operation that takes a body and changes a request.
CHANGE_STATUSES = (400, 401, 403, 404, 409, 412, 415, 422, 503)


def problems(*statuses: int) -> dict[int, ResponseSpec]:
    return {
        status: ResponseSpec(
            data_container=Problem,
            description=_DESCRIPTIONS[status],
            media_type="application/problem+json",
            generate_examples=False,
        )
        for status in statuses
    }


def repair_schema(openapi: OpenAPI) -> None:
    """Undo a Litestar 2 quirk: a length-constrained list field's items come out as
    `oneOf [item, {}]` (the Annotated metadata read as a second type), which every value
    matches twice, so the contract would refuse every response that has such a list."""
    seen: set[int] = set()

    def visit(node: object) -> None:
        if id(node) in seen:
            return
        seen.add(id(node))
        if isinstance(node, Schema):
            if node.one_of and len(node.one_of) == 2 and node.one_of[1] == Schema():
                only = node.one_of[0]
                node.one_of = None
                if isinstance(only, Schema):
                    for field in dataclasses.fields(only):
                        value = getattr(only, field.name)
                        if value is not None:
                            setattr(node, field.name, value)
                else:
                    node.one_of = [only]
            for field in dataclasses.fields(node):
                visit(getattr(node, field.name))
        elif isinstance(node, list | tuple):
            for item in node:
                visit(item)
        elif isinstance(node, dict):
            for item in node.values():
                visit(item)
        elif dataclasses.is_dataclass(node):
            for field in dataclasses.fields(node):
                visit(getattr(node, field.name))

    visit(openapi)
