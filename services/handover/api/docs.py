"""OpenAPI helpers: the problem responses each operation documents."""

from __future__ import annotations

from litestar.datastructures import ResponseHeader
from litestar.openapi.datastructures import ResponseSpec

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
