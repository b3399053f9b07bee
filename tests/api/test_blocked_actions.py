"""A 409 names what blocks each action the caller might expect, and where the contract says why."""

from __future__ import annotations

from typing import Any

from httpx import AsyncClient

from contracts.common import State
from services.handover.api import examples
from services.handover.settings import Settings
from tests.flow import Flow, Parties, body


def by_action(problem: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {entry["action"]: entry for entry in problem["blocked_actions"]}


async def test_scheduling_before_the_assessment_names_the_assessment(
    api: AsyncClient, settings: Settings
) -> None:
    p = Parties(settings)
    flow = await Flow(api, p).to(State.ACCEPTED)
    response = await flow.post("schedule", body(examples.SCHEDULE), p.planner, expect=409)
    problem = response.json()
    assert response.headers["content-type"].startswith("application/problem+json")
    assert problem["reason"] == "security_assessment_incomplete"
    assert problem["allowed_actions"] == []
    blocked = by_action(problem)
    schedule = blocked["schedule"]
    assert schedule["reason"] == "security_assessment_incomplete"
    assert "security assessment" in schedule["detail"]
    # The operation that lifts it, in the served contract.
    assert schedule["see"] == (
        "/schema/openapi.json#/paths/~1v1~1handovers~1{handover_id}~1security-assessment/post"
    )
    contract = (await api.get("/schema/openapi.json")).json()
    assert "post" in contract["paths"]["/v1/handovers/{handover_id}/security-assessment"]
    # What the planner may do at other moments, and why not now; never the requester's cancel.
    assert blocked["accept"]["reason"] == "illegal_transition"
    assert blocked["accept"]["see"].endswith("~1accept/post")
    assert "cancel" not in blocked
    assert "release" not in blocked  # the planner's unit holds nobody: a 403, not a 409

    await flow.assess()
    await flow.post("schedule", body(examples.SCHEDULE), p.planner)


async def test_a_pending_release_blocks_the_holders_other_actions(
    api: AsyncClient, settings: Settings
) -> None:
    p = Parties(settings)
    flow = await Flow(api, p).released_to_transport()
    problem = (await flow.post("cancel", examples.CANCEL, p.police, expect=409)).json()
    assert problem["reason"] == "release_pending"
    blocked = by_action(problem)
    assert blocked["cancel"]["reason"] == "release_pending"
    assert blocked["cancel"]["see"].endswith("~1receive/post")
    assert blocked["release"]["reason"] == "release_pending"
    assert set(problem["allowed_actions"]).isdisjoint(blocked)


async def test_a_closed_request_blocks_every_action_by_its_state(
    api: AsyncClient, settings: Settings
) -> None:
    p = Parties(settings)
    flow = await Flow(api, p).to(State.CANCELLED)
    problem = (await flow.post("accept", examples.ACCEPT, p.planner, expect=409)).json()
    assert problem["allowed_actions"] == []
    blocked = by_action(problem)
    assert {"accept", "defer", "reject", "schedule"} <= set(blocked)
    assert {entry["reason"] for entry in blocked.values()} == {"illegal_transition"}
    assert all("cancelled" in entry["detail"] for entry in blocked.values())
