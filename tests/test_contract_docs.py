"""The contract explains itself: every operation says who, when, what and which clocks; every
refusal is an enumeration; links walk a request's lifecycle; the docs agree with the rules."""

from __future__ import annotations

import itertools
import json
from typing import Any

import pytest

from contracts.common import Actor, Org, Role, State
from contracts.deadline_policy import POLICY, DeadlineName, Start
from contracts.lifecycle import PRECONDITIONS, Action, Situation, blocked, check
from contracts.refusals import Refusal
from services.handover.api import describe
from services.handover.api.links import CONTRACT, REMEDY, see
from services.handover.cli import openapi_document
from services.handover.settings import load_settings
from workflows import deadline_engine, rules

METHODS = ("get", "put", "post", "delete", "patch")


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    result: dict[str, Any] = json.loads(openapi_document(load_settings({})))
    return result


def operations(document: dict[str, Any]) -> dict[str, tuple[str, str, dict[str, Any]]]:
    return {
        op["operationId"]: (path, method, op)
        for path, item in document["paths"].items()
        for method, op in item.items()
        if method in METHODS
    }


def resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def refs_in(schema: dict[str, Any]) -> set[str]:
    """The component names a property refers to, directly, as items or in a oneOf."""
    found = {schema["$ref"].rsplit("/", 1)[1]} if "$ref" in schema else set()
    for alternative in schema.get("oneOf", []) + schema.get("anyOf", []):
        found |= refs_in(alternative)
    if "items" in schema:
        found |= refs_in(schema["items"])
    return found


def test_every_operation_has_a_summary_and_a_description(document: dict[str, Any]) -> None:
    missing = [
        f"{method.upper()} {path}"
        for op_id, (path, method, op) in operations(document).items()
        # Litestar's default summary is the handler's name in CamelCase: one word.
        if not op.get("description") or " " not in op.get("summary", "")
    ]
    assert not missing, (
        f"operations without a summary or description: {missing}; add them to "
        "services/handover/api/describe.py OPERATIONS (or give the handler summary= and "
        "description=)"
    )


def test_descriptions_say_who_and_which_deadlines(document: dict[str, Any]) -> None:
    for op_id, (_, _, op) in operations(document).items():
        if op_id in describe.OPERATIONS:
            assert "**Who.**" in op["description"], op_id
            assert "**Deadlines.**" in op["description"], op_id
    schedule = operations(document)["scheduleHandover"][2]["description"]
    assert "`security_assessment_incomplete`" in schedule
    assert "requesting unit records it" in schedule
    assert "`accepted` or `scheduled`" in schedule
    assert "`transport_planner` (Kriminalvården" in schedule
    assert "`escort_officer`" not in schedule
    release = operations(document)["releaseHandover"][2]["description"]
    assert "**Deadlines.** Starts `custody_gap` (from release" in release
    assess = operations(document)["amendSecurityAssessment"][2]["description"]
    assert "`custody_officer`" in assess
    assert "requesting unit" in assess


def test_every_refusal_is_an_enumeration_in_the_problem_schema(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    assert set(schemas["Refusal"]["enum"]) == {str(r) for r in Refusal}
    assert set(schemas["Action"]["enum"]) == {str(a) for a in Action}
    problem = schemas["Problem"]["properties"]
    assert refs_in(problem["reason"]) == {"Refusal"}
    assert refs_in(problem["allowed_actions"]) == {"Action"}
    assert refs_in(problem["blocked_actions"]) == {"BlockedAction"}
    blocked_action = schemas["BlockedAction"]["properties"]
    assert refs_in(blocked_action["reason"]) == {"Refusal"}
    assert refs_in(blocked_action["action"]) == {"Action"}
    for code in Refusal:
        assert f"`{code}` ({code.status})" in schemas["Refusal"]["description"]
    # Every problem response of every operation is that schema.
    for op_id, (_, _, op) in operations(document).items():
        for status, response in op["responses"].items():
            if status.startswith(("4", "5")) and "content" in response:
                schema = response["content"]["application/problem+json"]["schema"]
                assert resolve(document, schema)["title"] == "Problem", (op_id, status)


def test_links_walk_from_create_to_read_to_actions(document: dict[str, Any]) -> None:
    ops = operations(document)
    created = ops["createHandover"][2]["responses"]["201"]["links"]
    assert {"getHandover", "scheduleHandover", "amendSecurityAssessment"} <= set(created)
    read = ops["getHandover"][2]["responses"]["200"]["links"]
    assert {describe.operation_id(a) for a in Action} <= set(read)
    for op_id, (_, _, op) in ops.items():
        for status, response in op["responses"].items():
            for name, link in response.get("links", {}).items():
                assert link["operationId"] in ops, (op_id, name)
                target = ops[link["operationId"]][2]
                names = {p["name"] for p in target.get("parameters", []) if p["in"] == "path"}
                assert set(link["parameters"]) == names, (op_id, status, name)


def test_see_links_name_operations_of_the_contract(document: dict[str, Any]) -> None:
    for action, reason in itertools.product(Action, Refusal):
        link = see(action, reason)
        assert link.startswith(CONTRACT + "#/paths/")
        pointer = link.split("#/paths/", 1)[1]
        path, method = pointer.rsplit("/", 1)
        path = path.replace("~1", "/").replace("~0", "~")
        assert method in document["paths"][path], link
    assert see(Action.SCHEDULE, Refusal.SECURITY_ASSESSMENT_INCOMPLETE).endswith(
        "~1security-assessment/post"
    )
    assert set(REMEDY) <= {code for found in PRECONDITIONS.values() for code in found}


def test_preconditions_table_lists_what_the_check_refuses() -> None:
    """`PRECONDITIONS` (documentation) against `_precondition` (the check), over every state
    and flag, for a caller who is every party with every role."""
    caller = Actor(sub="t", org=Org.KRIMINALVARDEN, unit="u", roles=tuple(Role))
    seen: dict[Action, set[Refusal]] = {a: set() for a in Action}
    for state, pending, received, complete, destination in itertools.product(
        State, (None, "u"), (False, True), (False, True), (None, "d")
    ):
        situation = Situation(
            state=state,
            requesting_unit="u",
            executing_unit="u",
            executing_org=Org.KRIMINALVARDEN,
            transport_unit=None,
            holder="u",
            pending_release_to=pending,
            any_reception=received,
            assessment_complete=complete,
            destination_unit=destination,
        )
        for action in Action:
            denied = check(action, situation, caller, None)
            if denied is not None and denied.code != Refusal.ILLEGAL_TRANSITION:
                seen[action].add(denied.code)
    assert seen == {a: set(PRECONDITIONS.get(a, {})) for a in Action}


def test_blocked_names_the_precondition_and_leaves_out_what_the_caller_may_never_do() -> None:
    situation = Situation(
        state=State.ACCEPTED,
        requesting_unit="pa-kronoberg",
        executing_unit="kv-hakte-kronoberg",
        executing_org=Org.KRIMINALVARDEN,
        transport_unit=None,
        holder="pa-kronoberg",
        pending_release_to=None,
        any_reception=False,
        assessment_complete=False,
        destination_unit="kv-hakte-kronoberg",
    )
    planner = Actor(
        sub="p", org=Org.KRIMINALVARDEN, unit="kv-hakte-kronoberg", roles=(Role.TRANSPORT_PLANNER,)
    )
    found = {str(a): d.code for a, d in blocked(situation, planner, None)}
    assert found["schedule"] == Refusal.SECURITY_ASSESSMENT_INCOMPLETE
    assert found["accept"] == Refusal.ILLEGAL_TRANSITION
    assert "cancel" not in found  # the requester's, a 403 for the planner
    assert all(code.status == 409 for code in found.values())


def test_deadline_tables_agree_with_the_policy_and_the_engine() -> None:
    assert describe.OUTLIVE_CLOSURE == deadline_engine.OUTLIVE_CLOSURE
    started = set().union(*describe.STARTS.values()) | {Start.CLOSURE}
    assert started == set(Start), "a clock starts from an event no operation documents"
    met = set().union(*describe.MEETS.values())
    for entry in POLICY:
        if "POST" in entry.met_by or "reception" in entry.met_by or "accept" in entry.met_by:
            assert entry.name in met, entry.name
    assert DeadlineName.ERASURE not in met
    extend = describe.OPERATIONS["extendDeadline"][1]
    for role in rules.EXTENDERS_OPERATIONAL:
        assert f"`{role}`" in extend
