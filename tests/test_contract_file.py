"""contracts/openapi.json is generated from the code; it and its examples must stay true."""

from __future__ import annotations

import json
from typing import Any

import msgspec

from contracts.api import HandoverCreate
from services.handover.cli import OPENAPI_PATH, openapi_document
from services.handover.settings import load_settings

# Request bodies and the type their example must decode into.
BODY_TYPES: dict[tuple[str, str], Any] = {("/v1/handovers", "post"): HandoverCreate}


def _document() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(OPENAPI_PATH.read_text())
    return document


def test_committed_document_matches_the_code() -> None:
    assert OPENAPI_PATH.read_text() == openapi_document(load_settings({})), (
        "contracts/openapi.json is stale: run `make openapi` and commit it"
    )


def test_every_request_body_has_a_valid_example() -> None:
    bodies = [
        (path, method, op["requestBody"])
        for path, item in _document()["paths"].items()
        for method, op in item.items()
        if "requestBody" in op
    ]
    assert bodies, "no request bodies found"
    for path, method, body in bodies:
        schema = body["content"]["application/json"]["schema"]
        examples = schema.get("examples", [])
        assert examples, f"{method.upper()} {path}: no example"
        body_type = BODY_TYPES[(path, method)]
        for example in examples:
            msgspec.convert(example, body_type)
