"""OpenAPI helpers: the problem responses each operation documents, and the post-processing
of the generated document (a Litestar quirk undone, descriptions and links added)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

from litestar.datastructures import ResponseHeader
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Link, OpenAPI, Operation, Schema

from contracts.common import Input
from contracts.lifecycle import Action
from services.handover.api.describe import OPERATIONS, operation_id, refusals
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
    """Post-process the generated document: see `_repair_lists`, `describe`, `link`."""
    _repair_lists(openapi)
    _closed_inputs(openapi)
    describe(openapi)
    link(openapi)


def _subclasses(cls: type) -> Iterator[type]:
    sub: type
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _closed_inputs(openapi: OpenAPI) -> None:
    """Every body a client sends refuses unknown fields (`Input`, msgspec
    `forbid_unknown_fields`); the schema says so, or a client (and a fuzzer) would think
    extra fields are fine. Litestar does not carry the struct option into the schema."""
    schemas = openapi.components.schemas if openapi.components else None
    for cls in _subclasses(Input):
        schema = (schemas or {}).get(cls.__name__)
        if isinstance(schema, Schema) and schema.properties is not None:
            schema.additional_properties = False


def operations(openapi: OpenAPI) -> Iterator[Operation]:
    for item in (openapi.paths or {}).values():
        for method in ("get", "put", "post", "delete", "patch"):
            operation = getattr(item, method)
            if isinstance(operation, Operation):
                yield operation


def describe(openapi: OpenAPI) -> None:
    """Each operation's summary and description (who, preconditions, effect, deadlines) from
    `describe.OPERATIONS`, generated from the policy tables. A description a handler gives
    itself is kept; an operation without either fails tests/test_contract_docs.py."""
    for operation in operations(openapi):
        summary, description = OPERATIONS.get(operation.operation_id or "", (None, None))
        if summary is not None:
            operation.summary = summary
        if operation.description is None:
            operation.description = description
    schemas = openapi.components.schemas if openapi.components else None
    refusal = (schemas or {}).get("Refusal")
    if isinstance(refusal, Schema):
        refusal.description = refusals()


_BY_ID = "$response.body#/id"
_BY_PATH = "$request.path.handover_id"
# What a client can do with a request once it has its id: read it, take any action, keep its
# assessment and incidents, move a deadline.
_ON_A_REQUEST = [
    "getHandover",
    *(operation_id(a) for a in Action),
    "amendSecurityAssessment",
    "getSecurityAssessment",
    "recordIncident",
    "listIncidents",
    "listHandoverEvents",
    "extendDeadline",
]


def _to_request(handover_id: str) -> dict[str, Link]:
    links = {}
    for target in _ON_A_REQUEST:
        parameters = {"handover_id": handover_id}
        if target == "extendDeadline":
            if handover_id != _BY_ID:
                continue
            parameters["deadline"] = "$response.body#/deadlines/0/id"
        links[target] = Link(operation_id=target, parameters=parameters)
    return links


# operationId -> (response status, links): create -> read -> actions -> read, so a client
# (or a stateful fuzzer) can walk a request's lifecycle from the contract alone.
LINKS: dict[str, tuple[str, dict[str, Link]]] = {
    "createHandover": ("201", _to_request(_BY_ID)),
    "getHandover": ("200", _to_request(_BY_ID)),
    **{operation_id(a): ("200", _to_request(_BY_ID)) for a in Action},
    "extendDeadline": ("200", _to_request(_BY_ID)),
    "amendSecurityAssessment": ("201", _to_request(_BY_PATH)),
    "recordIncident": (
        "201",
        {
            target: Link(
                operation_id=target,
                parameters={"handover_id": _BY_PATH, "number": "$response.body#/number"},
            )
            for target in ("getIncident", "reportIncident")
        }
        | _to_request(_BY_PATH),
    ),
    "listEscalations": (
        "200",
        {
            "acknowledgeEscalation": Link(
                operation_id="acknowledgeEscalation",
                parameters={"escalation_id": "$response.body#/items/0/id"},
            )
        },
    ),
}


def link(openapi: OpenAPI) -> None:
    """Add `LINKS` to the success responses (Litestar's handler decorators cannot say them)."""
    known = {operation.operation_id for operation in operations(openapi)}
    for operation in operations(openapi):
        status, links = LINKS.get(operation.operation_id or "", ("", {}))
        response = (operation.responses or {}).get(status)
        if response is None or isinstance(response, dict) or not hasattr(response, "links"):
            continue
        response.links = {
            name: target for name, target in links.items() if target.operation_id in known
        } or None


_STRING_KEYWORDS = ("pattern", "min_length", "max_length", "format")


def _constrain_string_branch(node: Schema) -> None:
    """`str | None` with constraints comes out as `oneOf [string, null]` with the pattern
    and lengths beside the `oneOf`; valid JSON Schema, but generators (schemathesis) draw
    from the bare string branch and ignore them. Put them on the string branch itself."""
    branches = [b for b in node.one_of or () if isinstance(b, Schema) and b.type == "string"]
    if len(branches) != 1:
        return
    for name in _STRING_KEYWORDS:
        value = getattr(node, name)
        if value is not None and getattr(branches[0], name) is None:
            setattr(branches[0], name, value)
            setattr(node, name, None)


def _repair_lists(openapi: OpenAPI) -> None:
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
            _constrain_string_branch(node)
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
