"""Within v1 the contract only grows: the generated document against the last released one.

`contracts/released/v1.json` is the document as last released (see the README, "Releasing
the contract"). A change is breaking when a client written against the released document
can fail against the new one:

- an operation (path and method) is gone, or a success status it answered with;
- requests: a parameter or body field is gone (unknown ones are refused), a new one is
  required, an optional one became required, or a type narrowed (a type dropped, an enum
  added or shrunk, a pattern or format added or changed, a bound tightened);
- responses: a field is gone, a required field became optional, or a field may now be of a
  JSON type it never was (e.g. null). New fields, new enum values and new variants of the
  same type are additions: clients ignore what they do not know.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from services.handover.cli import openapi_document
from services.handover.settings import ROOT, load_settings

RELEASED = ROOT / "contracts" / "released" / "v1.json"
METHODS = ("get", "put", "post", "delete", "patch")
Schema = dict[str, Any]

WORDS = ("title", "description", "examples", "discriminator")
# Bounds a request may not tighten: lower bounds may not rise, upper bounds may not fall.
LOWER_BOUNDS = ("minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties")
UPPER_BOUNDS = ("maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties")


class Checker:
    """Compares two OpenAPI 3.1 documents; `breaking()` lists what a released client trips on."""

    def __init__(self, old: dict[str, Any], new: dict[str, Any]) -> None:
        self.old, self.new = old, new
        self.problems: list[str] = []
        self._seen: set[tuple[str, int, int]] = set()

    def breaking(self) -> list[str]:
        for path, item in self.old.get("paths", {}).items():
            for method in METHODS:
                if method not in item:
                    continue
                where = f"{method.upper()} {path}"
                new_op = self.new.get("paths", {}).get(path, {}).get(method)
                if new_op is None:
                    self._flag(where, "operation removed")
                    continue
                self._operation(where, item[method], new_op)
        return self.problems

    def _flag(self, where: str, what: str) -> None:
        self.problems.append(f"{where}: {what}")

    # -- operations ------------------------------------------------------------------------

    def _operation(self, where: str, old: dict[str, Any], new: dict[str, Any]) -> None:
        old_params = {(p["in"], p["name"]): p for p in map(self._param, old.get("parameters", []))}
        new_params = {(p["in"], p["name"]): p for p in map(self._param, new.get("parameters", []))}
        for key, param in old_params.items():
            at = f"{where} {key[0]} parameter {key[1]}"
            if key not in new_params:
                self._flag(at, "request parameter removed")
                continue
            if new_params[key].get("required") and not param.get("required"):
                self._flag(at, "optional parameter became required")
            self._request(at, param.get("schema", {}), new_params[key].get("schema", {}))
        for key, param in new_params.items():
            if key not in old_params and param.get("required"):
                self._flag(f"{where} {key[0]} parameter {key[1]}", "new required parameter")
        self._body(where, old.get("requestBody"), new.get("requestBody"))
        for status, response in old.get("responses", {}).items():
            new_response = new.get("responses", {}).get(status)
            if new_response is None:
                if status.startswith("2"):
                    self._flag(f"{where} {status}", "success response removed")
                continue
            for media, content in response.get("content", {}).items():
                new_content = new_response.get("content", {}).get(media)
                if new_content is None:
                    self._flag(f"{where} {status} {media}", "response media type removed")
                    continue
                self._response(
                    f"{where} {status}", content.get("schema", {}), new_content.get("schema", {})
                )

    def _param(self, param: dict[str, Any]) -> dict[str, Any]:
        if "$ref" in param:
            name = param["$ref"].rsplit("/", 1)[1]
            return dict(self.old.get("components", {}).get("parameters", {}).get(name, {}))
        return param

    def _body(self, where: str, old: dict[str, Any] | None, new: dict[str, Any] | None) -> None:
        if new is None:
            if old is not None:
                self._flag(where, "request body removed")
            return
        if old is None:
            if new.get("required"):
                self._flag(where, "new required request body")
            return
        if new.get("required") and not old.get("required"):
            self._flag(where, "request body became required")
        for media, content in old.get("content", {}).items():
            new_content = new.get("content", {}).get(media)
            if new_content is None:
                self._flag(f"{where} body {media}", "request media type removed")
                continue
            self._request(f"{where} body", content.get("schema", {}), new_content.get("schema", {}))

    # -- schemas ---------------------------------------------------------------------------

    def _resolve(self, document: dict[str, Any], schema: Schema) -> Schema:
        while "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[1]
            schema = document.get("components", {}).get("schemas", {}).get(name, {})
        return schema

    def _alternatives(self, document: dict[str, Any], schema: Schema) -> list[Schema]:
        """A schema as the list of what it may be: oneOf/anyOf flattened, refs resolved."""
        schema = self._resolve(document, schema)
        nested = schema.get("oneOf") or schema.get("anyOf")
        if nested:
            # Constraints beside a oneOf hold for every alternative; words do not.
            rest = {k: v for k, v in schema.items() if k not in ("oneOf", "anyOf", *WORDS)}
            return [
                {**rest, **one}
                for alternative in nested
                for one in self._alternatives(document, alternative)
            ]
        types = schema.get("type")
        if isinstance(types, list):
            return [{**schema, "type": t} for t in types]
        return [schema]

    @staticmethod
    def _type(schema: Schema) -> str:
        if "type" in schema:
            return str(schema["type"])
        if "const" in schema or "enum" in schema:
            values = schema.get("enum", [schema.get("const")])
            kinds = {type(v).__name__ for v in values}
            return {"str": "string", "int": "integer", "bool": "boolean"}.get(kinds.pop(), "any")
        if "properties" in schema:
            return "object"
        return "any"

    def _pair(self, old: list[Schema], new: list[Schema], old_one: Schema) -> Schema | None:
        """The alternative of `new` that stands for `old_one`: same type, and for objects the
        same title when there is one of that title."""
        kind = self._type(old_one)
        same = [n for n in new if self._type(n) in (kind, "any")]
        titled = [n for n in same if n.get("title") and n.get("title") == old_one.get("title")]
        if titled:
            return titled[0]
        if kind == "integer" and not same:
            same = [n for n in new if self._type(n) == "number"]
        return same[0] if same else None

    def _visit(self, key: str, old: Schema, new: Schema) -> bool:
        marker = (key, id(old), id(new))
        if marker in self._seen:
            return False
        self._seen.add(marker)
        return True

    def _request(self, where: str, old: Schema, new: Schema) -> None:
        """`new` must accept every value `old` accepted."""
        if not self._visit("request", old, new):
            return
        old_alts = self._alternatives(self.old, old)
        new_alts = self._alternatives(self.new, new)
        if any(self._type(n) == "any" and len(n) == 0 for n in new_alts):
            return  # anything goes
        for old_one in old_alts:
            new_one = self._pair(old_alts, new_alts, old_one)
            if new_one is None:
                self._flag(where, f"no longer accepts {self._type(old_one)}")
                continue
            self._request_one(where, old_one, new_one)

    def _request_one(self, where: str, old: Schema, new: Schema) -> None:
        if "enum" in new:
            if "enum" not in old:
                self._flag(where, "enum added")
            elif not {json.dumps(v) for v in old["enum"]} <= {json.dumps(v) for v in new["enum"]}:
                self._flag(where, "enum values removed")
        if "const" in new and new.get("const") != old.get("const"):
            self._flag(where, "const added or changed")
        for keyword in ("pattern", "format"):
            if keyword in new and new[keyword] != old.get(keyword):
                self._flag(where, f"{keyword} added or changed")
        for keyword in LOWER_BOUNDS:
            if keyword in new and (keyword not in old or new[keyword] > old[keyword]):
                self._flag(where, f"{keyword} added or raised")
        for keyword in UPPER_BOUNDS:
            if keyword in new and (keyword not in old or new[keyword] < old[keyword]):
                self._flag(where, f"{keyword} added or lowered")
        old_props, new_props = old.get("properties", {}), new.get("properties", {})
        for name, schema in old_props.items():
            if name not in new_props:
                self._flag(f"{where}.{name}", "request field removed")
            else:
                self._request(f"{where}.{name}", schema, new_props[name])
        for name in set(new.get("required", [])) - set(old.get("required", [])):
            self._flag(f"{where}.{name}", "new required request field")
        if "items" in old and "items" in new:
            self._request(f"{where}[]", old["items"], new["items"])

    def _response(self, where: str, old: Schema, new: Schema) -> None:
        """Every value `new` produces must be one a client of `old` understands."""
        if not self._visit("response", old, new):
            return
        old_alts = self._alternatives(self.old, old)
        new_alts = self._alternatives(self.new, new)
        if any(self._type(o) == "any" and len(o) == 0 for o in old_alts):
            return
        for new_one in new_alts:
            if self._pair(new_alts, old_alts, new_one) is None:
                self._flag(where, f"may now be {self._type(new_one)}")
        for old_one in old_alts:
            paired = self._pair(old_alts, new_alts, old_one)
            if paired is not None:
                self._response_one(where, old_one, paired)

    def _response_one(self, where: str, old: Schema, new: Schema) -> None:
        old_props, new_props = old.get("properties", {}), new.get("properties", {})
        for name, schema in old_props.items():
            if name not in new_props:
                self._flag(f"{where}.{name}", "response field removed")
            else:
                self._response(f"{where}.{name}", schema, new_props[name])
        for name in set(old.get("required", [])) - set(new.get("required", [])):
            self._flag(f"{where}.{name}", "response field no longer required")
        if "items" in old and "items" in new:
            self._response(f"{where}[]", old["items"], new["items"])


def breaking(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    return Checker(old, new).breaking()


# -- the contract against its last release ---------------------------------------------------


def test_the_generated_contract_is_compatible_with_the_released_v1() -> None:
    released = json.loads(RELEASED.read_text())
    current = json.loads(openapi_document(load_settings({})))
    assert released["info"]["version"].split(".")[0] == current["info"]["version"].split(".")[0]
    found = breaking(released, current)
    assert not found, (
        "breaking changes against contracts/released/v1.json (within v1 only additions):\n"
        + "\n".join(found)
    )


def test_the_released_document_is_a_document() -> None:
    released = json.loads(Path(RELEASED).read_text())
    assert released["openapi"].startswith("3.1")
    assert breaking(released, released) == []


# -- the checker itself, on hand-made diffs --------------------------------------------------


def base() -> dict[str, Any]:
    """One create operation with a body, a query parameter and a response with a ref."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "t", "version": "1.0.0"},
        "paths": {
            "/v1/things": {
                "post": {
                    "operationId": "createThing",
                    "parameters": [
                        {
                            "name": "dry_run",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "boolean"},
                        },
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/New"}}
                        },
                    },
                    "responses": {
                        "201": {
                            "description": "made",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Thing"}
                                }
                            },
                        }
                    },
                },
                "get": {"operationId": "listThings", "responses": {"200": {"description": "x"}}},
            }
        },
        "components": {
            "schemas": {
                "New": {
                    "type": "object",
                    "required": ["name"],
                    "properties": {
                        "name": {"type": "string", "maxLength": 100},
                        "note": {"oneOf": [{"type": "string"}, {"type": "null"}]},
                        "kind": {"$ref": "#/components/schemas/Kind"},
                        "count": {"type": "integer"},
                    },
                },
                "Kind": {"type": "string", "enum": ["a", "b"]},
                "Thing": {
                    "type": "object",
                    "required": ["id", "state"],
                    "properties": {
                        "id": {"type": "string"},
                        "state": {"type": "string", "enum": ["open", "closed"]},
                        "tags": {"type": "array", "items": {"type": "string"}},
                    },
                },
            }
        },
    }


def changed(edit: Any) -> dict[str, Any]:
    document = copy.deepcopy(base())
    edit(document)
    return document


def schemas(document: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = document["components"]["schemas"]
    return result


def post(document: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = document["paths"]["/v1/things"]["post"]
    return result


BREAKING = {
    "removed operation": lambda d: d["paths"]["/v1/things"].pop("get"),
    "removed response field": lambda d: schemas(d)["Thing"]["properties"].pop("tags"),
    "response field made optional": lambda d: schemas(d)["Thing"]["required"].remove("state"),
    "response field may be null": lambda d: schemas(d)["Thing"]["properties"].update(
        id={"oneOf": [{"type": "string"}, {"type": "null"}]}
    ),
    "response type changed": lambda d: schemas(d)["Thing"]["properties"].update(
        id={"type": "integer"}
    ),
    "removed request field": lambda d: schemas(d)["New"]["properties"].pop("note"),
    "string to integer in a request": lambda d: schemas(d)["New"]["properties"].update(
        name={"type": "integer"}
    ),
    "null no longer accepted": lambda d: schemas(d)["New"]["properties"].update(
        note={"type": "string"}
    ),
    "enum added to a request field": lambda d: schemas(d)["New"]["properties"]["name"].update(
        enum=["x"]
    ),
    "enum value removed from a request": lambda d: schemas(d)["Kind"].update(enum=["a"]),
    "pattern added to a request field": lambda d: schemas(d)["New"]["properties"]["name"].update(
        pattern="^[a-z]+$"
    ),
    "maxLength lowered": lambda d: schemas(d)["New"]["properties"]["name"].update(maxLength=10),
    "minimum added": lambda d: schemas(d)["New"]["properties"]["count"].update(minimum=1),
    "new required request field": lambda d: schemas(d)["New"]["required"].append("kind"),
    "new required parameter": lambda d: post(d)["parameters"].append(
        {"name": "mode", "in": "query", "required": True, "schema": {"type": "string"}}
    ),
    "parameter made required": lambda d: post(d)["parameters"][0].update(required=True),
    "parameter removed": lambda d: post(d)["parameters"].clear(),
    "success status changed": lambda d: post(d)["responses"].update(
        {"200": post(d)["responses"].pop("201")}
    ),
}

COMPATIBLE = {
    "nothing": lambda d: None,
    "new operation": lambda d: d["paths"].update(
        {"/v1/other": {"get": {"operationId": "x", "responses": {"200": {"description": "x"}}}}}
    ),
    "new optional request field": lambda d: schemas(d)["New"]["properties"].update(
        extra={"type": "string"}
    ),
    "new optional parameter": lambda d: post(d)["parameters"].append(
        {"name": "mode", "in": "query", "required": False, "schema": {"type": "string"}}
    ),
    "new response field": lambda d: schemas(d)["Thing"]["properties"].update(
        extra={"type": "string"}
    ),
    "new response enum value": lambda d: schemas(d)["Thing"]["properties"]["state"].update(
        enum=["open", "closed", "archived"]
    ),
    "new request enum value": lambda d: schemas(d)["Kind"].update(enum=["a", "b", "c"]),
    "maxLength raised": lambda d: schemas(d)["New"]["properties"]["name"].update(maxLength=200),
    "request field accepts null too": lambda d: schemas(d)["New"]["properties"].update(
        count={"oneOf": [{"type": "integer"}, {"type": "null"}]}
    ),
    "required request field made optional": lambda d: schemas(d)["New"]["required"].clear(),
    "descriptions and links": lambda d: post(d).update(
        summary="Make a thing",
        description="Who, when, what.",
        responses=post(d)["responses"]
        | {"201": post(d)["responses"]["201"] | {"links": {"x": {"operationId": "listThings"}}}},
    ),
    "new error response": lambda d: post(d)["responses"].update({"409": {"description": "no"}}),
    "schema moved behind a ref": lambda d: (
        schemas(d).update(Name={"type": "string", "maxLength": 100}),
        schemas(d)["New"]["properties"].update(name={"$ref": "#/components/schemas/Name"}),
    ),
}


@pytest.mark.parametrize("name", sorted(BREAKING))
def test_the_checker_finds_a_breaking_change(name: str) -> None:
    assert breaking(base(), changed(BREAKING[name])), name


@pytest.mark.parametrize("name", sorted(COMPATIBLE))
def test_the_checker_lets_an_addition_pass(name: str) -> None:
    assert breaking(base(), changed(COMPATIBLE[name])) == [], name
