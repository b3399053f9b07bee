"""Every lifecycle action in every state, through the API, the workflow and the read model.

For each situation a request is driven there with the documented examples, and each action is
attempted by the party that would naturally take it:

- the transport planner (NTE Stockholm) accepts, defers, rejects, schedules, records not executed;
- the unit holding the person releases and completes;
- the unit a pending release goes to receives;
- the requesting police custody unit cancels.

Legal attempts get a fresh request each (they consume it) and must move it exactly as the
domain says. Refused attempts share one request per situation, since they change nothing: the
answer is the right problem, the 409s name the current state and the caller's allowed actions
(as GET shows them to that caller), and the version and the event log stay as they were.
The expectation is written out by hand below; it is not read from contracts.lifecycle.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from contracts.common import Org, Role, State
from contracts.lifecycle import Action
from services.handover.api import examples
from services.handover.settings import Settings
from tests.flow import Flow, Parties, apprehension, auth, body, fresh, now

# -- situations ----------------------------------------------------------------------------

# The nine states, as tests.flow.Flow.to reaches them (a transfer pa-kronoberg -> häkte), and
# the two halves of a handover: released but not yet received.
REQUESTED = "requested"
ACCEPTED = "accepted"  # no security assessment yet
DEFERRED = "deferred"
REJECTED = "rejected"
SCHEDULED = "scheduled"
SCHEDULED_RELEASED = "scheduled+released-to-nte"  # the police released to NTE
IN_TRANSIT = "in_transit"  # NTE holds the person
IN_TRANSIT_RELEASED = "in_transit+released-to-hakte"  # NTE released at the häkte
COMPLETED = "completed"
CANCELLED = "cancelled"
NOT_EXECUTED = "not_executed"
# Only for legal attempts and role checks:
ACCEPTED_ASSESSED = "accepted+assessed"
ASSISTANCE_IN_TRANSIT = "assistance/in_transit"  # LVM transport by NTE to a care home
CONVICTED_COMPLETED = "convicted/completed"  # a sentenced person received at the häkte

STATE_OF = {
    REQUESTED: State.REQUESTED,
    ACCEPTED: State.ACCEPTED,
    DEFERRED: State.DEFERRED,
    REJECTED: State.REJECTED,
    SCHEDULED: State.SCHEDULED,
    SCHEDULED_RELEASED: State.SCHEDULED,
    IN_TRANSIT: State.IN_TRANSIT,
    IN_TRANSIT_RELEASED: State.IN_TRANSIT,
    COMPLETED: State.COMPLETED,
    CANCELLED: State.CANCELLED,
    NOT_EXECUTED: State.NOT_EXECUTED,
    ACCEPTED_ASSESSED: State.ACCEPTED,
    ASSISTANCE_IN_TRANSIT: State.IN_TRANSIT,
    CONVICTED_COMPLETED: State.COMPLETED,
}
MATRIX_SITUATIONS = [
    REQUESTED,
    ACCEPTED,
    DEFERRED,
    REJECTED,
    SCHEDULED,
    SCHEDULED_RELEASED,
    IN_TRANSIT,
    IN_TRANSIT_RELEASED,
    COMPLETED,
    CANCELLED,
    NOT_EXECUTED,
]

# Who holds the person (releases, completes) and who would receive them next. Outside a
# pending release nobody is the receiver of a transfer (the police hold the person from the
# start); the next receiver is a party with the right role who is just not the receiver at
# this moment, so `receive` is refused for the moment (409), not as a permission (403).
HOLDER = {
    REQUESTED: "police",
    ACCEPTED: "police",
    DEFERRED: "police",
    REJECTED: "police",
    SCHEDULED: "police",
    SCHEDULED_RELEASED: "police",
    IN_TRANSIT: "escort",
    IN_TRANSIT_RELEASED: "escort",
    COMPLETED: "hakte",
    CANCELLED: "police",
    NOT_EXECUTED: "police",
    ACCEPTED_ASSESSED: "police",
    ASSISTANCE_IN_TRANSIT: "escort",
    CONVICTED_COMPLETED: "hakte",
}
NEXT_RECEIVER = {
    REQUESTED: "escort",
    ACCEPTED: "escort",
    DEFERRED: "escort",
    REJECTED: "escort",
    SCHEDULED: "escort",
    SCHEDULED_RELEASED: "escort",
    IN_TRANSIT: "hakte",
    IN_TRANSIT_RELEASED: "hakte",
    COMPLETED: "hakte",
    CANCELLED: "escort",
    NOT_EXECUTED: "escort",
}
UNIT_OF = {"police": "pa-kronoberg", "escort": "kv-nte-stockholm", "hakte": "kv-hakte-kronoberg"}


def natural_actor(situation: str, action: Action) -> str:
    match action:
        case Action.RELEASE | Action.COMPLETE:
            return HOLDER[situation]
        case Action.RECEIVE:
            return NEXT_RECEIVER[situation]
        case Action.CANCEL:
            return "police"
        case Action.PLACED:
            return "hakte"
        case _:
            return "planner"


def token(p: Parties, who: str) -> dict[str, str]:
    return {"police": p.police, "planner": p.planner, "escort": p.escort, "hakte": p.hakte}[who]


# -- the expectation, by hand ----------------------------------------------------------------

OK = "ok"
NO = "illegal_transition"  # 409: not in this state
FORBID = "forbidden"  # 403: not the party for this action
INCOMPLETE = "security_assessment_incomplete"
STARTED = "handover_started"
PENDING = "release_pending"
DESTINATION = "destination_must_receive"
UNPLACED = "not_awaiting_placement"

COLUMNS = list(Action)
CLOSED = (NO, NO, NO, NO, NO, NO, NO, NO, NO, NO)
# fmt: off
# Columns: accept, defer, reject, schedule, release, receive, cancel, complete, not-executed,
# placed. The matrix's transfer rests on a remand decision: nobody waits for a prison place.
MATRIX: dict[str, tuple[str, ...]] = {
    REQUESTED:           (OK, OK, OK, NO,         NO,      NO,     OK,      NO,          NO,      NO),  # noqa: E501
    ACCEPTED:            (NO, NO, NO, INCOMPLETE, NO,      NO,     OK,      NO,          NO,      NO),  # noqa: E501
    DEFERRED:            (OK, NO, OK, NO,         NO,      NO,     OK,      NO,          NO,      NO),  # noqa: E501
    REJECTED:            CLOSED,
    SCHEDULED:           (NO, NO, NO, OK,         OK,      NO,     OK,      NO,          OK,      NO),  # noqa: E501
    SCHEDULED_RELEASED:  (NO, NO, NO, STARTED,    PENDING, OK,     PENDING, NO,          PENDING, NO),  # noqa: E501
    IN_TRANSIT:          (NO, NO, NO, NO,         OK,      NO,     NO,      DESTINATION, OK,      NO),  # noqa: E501
    IN_TRANSIT_RELEASED: (NO, NO, NO, NO,         PENDING, OK,     NO,      PENDING,     PENDING, NO),  # noqa: E501
    COMPLETED:           (NO, NO, NO, NO,         NO,      NO,     NO,      NO,          NO,      UNPLACED),  # noqa: E501
    CANCELLED:           CLOSED,
    NOT_EXECUTED:        CLOSED,
}
# fmt: on

# Legal attempts: (situation, action, new state, new events). A reception at the destination
# completes the request and writes two events (received, completed).
LEGAL: list[tuple[str, Action, State, list[str]]] = [
    (REQUESTED, Action.ACCEPT, State.ACCEPTED, ["accepted"]),
    (REQUESTED, Action.DEFER, State.DEFERRED, ["deferred"]),
    (REQUESTED, Action.REJECT, State.REJECTED, ["rejected"]),
    (REQUESTED, Action.CANCEL, State.CANCELLED, ["cancelled"]),
    (ACCEPTED_ASSESSED, Action.SCHEDULE, State.SCHEDULED, ["scheduled"]),
    (ACCEPTED, Action.CANCEL, State.CANCELLED, ["cancelled"]),
    (DEFERRED, Action.ACCEPT, State.ACCEPTED, ["accepted"]),
    (DEFERRED, Action.REJECT, State.REJECTED, ["rejected"]),
    (DEFERRED, Action.CANCEL, State.CANCELLED, ["cancelled"]),
    (SCHEDULED, Action.SCHEDULE, State.SCHEDULED, ["rescheduled"]),
    (SCHEDULED, Action.RELEASE, State.SCHEDULED, ["released"]),
    (SCHEDULED, Action.CANCEL, State.CANCELLED, ["cancelled"]),
    (SCHEDULED, Action.NOT_EXECUTED, State.NOT_EXECUTED, ["not_executed"]),
    (SCHEDULED_RELEASED, Action.RECEIVE, State.IN_TRANSIT, ["received"]),
    (IN_TRANSIT, Action.RELEASE, State.IN_TRANSIT, ["released"]),
    (IN_TRANSIT, Action.NOT_EXECUTED, State.NOT_EXECUTED, ["not_executed"]),
    (IN_TRANSIT_RELEASED, Action.RECEIVE, State.COMPLETED, ["received", "completed"]),
    (ASSISTANCE_IN_TRANSIT, Action.COMPLETE, State.COMPLETED, ["completed"]),
    (CONVICTED_COMPLETED, Action.PLACED, State.COMPLETED, ["placed"]),
]
REFUSED = [
    pytest.param(situation, action, id=f"{situation}:{action}")
    for situation in MATRIX_SITUATIONS
    for action, want in zip(COLUMNS, MATRIX[situation], strict=True)
    if want != OK
]


def test_every_allowed_cell_has_a_legal_case() -> None:
    assert [str(a) for a in COLUMNS] == [
        "accept",
        "defer",
        "reject",
        "schedule",
        "release",
        "receive",
        "cancel",
        "complete",
        "not-executed",
        "placed",
    ]
    ok_cells = {
        (situation, action)
        for situation in MATRIX_SITUATIONS
        for action, want in zip(COLUMNS, MATRIX[situation], strict=True)
        if want == OK
    }
    legal = {(situation, action) for situation, action, _, _ in LEGAL}
    # Scheduling from `accepted` needs the assessment; the matrix's request has none.
    # Completing needs a destination that is no unit: an assistance request to a care home.
    # Placing needs a convicted person received at the häkte (the prison-place clocks run).
    extra = {
        (ACCEPTED_ASSESSED, Action.SCHEDULE),
        (ASSISTANCE_IN_TRANSIT, Action.COMPLETE),
        (CONVICTED_COMPLETED, Action.PLACED),
    }
    assert ok_cells == legal - extra


# -- driving requests ------------------------------------------------------------------------


def convicted() -> dict[str, Any]:
    """The documented transfer of a person serving a sentence (the prison-place clocks start
    at the reception at the häkte)."""
    made = fresh()
    made["decision"]["kind"] = "sentence_enforcement"
    return made


EXAMPLE: dict[Action, dict[str, Any]] = {
    Action.ACCEPT: examples.ACCEPT,
    Action.DEFER: examples.DEFER,
    Action.REJECT: examples.REJECT,
    Action.SCHEDULE: examples.SCHEDULE,
    Action.RELEASE: examples.RELEASE,
    Action.RECEIVE: examples.RECEIVE,
    Action.CANCEL: examples.CANCEL,
    Action.COMPLETE: examples.COMPLETE,
    Action.NOT_EXECUTED: examples.NOT_EXECUTED,
    Action.PLACED: examples.PLACED,
}


def payload(situation: str, action: Action) -> dict[str, Any]:
    """The documented example for `action`, with current times."""
    match action:
        case Action.SCHEDULE if STATE_OF[situation] == State.SCHEDULED:
            return body(examples.SCHEDULE, pickup_at=now(3600), reason="transport_replanned")
        case Action.RELEASE if HOLDER[situation] == "escort":
            return body(examples.RELEASE, to_unit=UNIT_OF["hakte"])
    return body(EXAMPLE[action])


async def prepare(api: httpx.AsyncClient, p: Parties, situation: str) -> Flow:
    """A fresh request in `situation`."""
    flow = Flow(api, p)
    match situation:
        case "accepted+assessed":
            await flow.ready_to_schedule()
        case "scheduled+released-to-nte":
            await flow.released_to_transport()
        case "in_transit+released-to-hakte":
            await flow.to(State.IN_TRANSIT)
            await flow.post("release", body(examples.RELEASE, to_unit=UNIT_OF["hakte"]), p.escort)
        case "assistance/in_transit":
            await flow.create(examples.ASSISTANCE_CREATE)
            await flow.to(State.IN_TRANSIT)
        case "convicted/completed":
            await flow.create(convicted())
            await flow.to(State.COMPLETED)
        case _:
            await flow.to(State(situation))
    last = await flow.get()
    assert last["state"] == STATE_OF[situation], last
    assert last["responsible"]["unit"] == UNIT_OF[HOLDER[situation]], last["responsible"]
    return flow


async def snapshot(flow: Flow, headers: dict[str, str]) -> tuple[int, list[str], list[str]]:
    """The version, the event types and the caller's allowed actions, as the API shows them."""
    record, events = await asyncio.gather(
        flow.api.get(flow.path, headers=headers),
        flow.api.get(f"{flow.path}/events", headers=flow.p.police),
    )
    assert record.status_code == 200, record.text
    assert events.status_code == 200, events.text
    doc = record.json()
    return doc["version"], [e["type"] for e in events.json()], doc["allowed_actions"]


@pytest.fixture(scope="module")
async def shared(api: httpx.AsyncClient, settings: Settings) -> dict[str, Flow]:
    """One request per situation, for attempts that must change nothing."""
    p = Parties(settings)
    names = [*MATRIX_SITUATIONS, ASSISTANCE_IN_TRANSIT, CONVICTED_COMPLETED]
    flows = await asyncio.gather(*(prepare(api, p, name) for name in names))
    return dict(zip(names, flows, strict=True))


# -- the tests -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("situation", "action", "new_state", "new_events"),
    [pytest.param(*case, id=f"{case[0]}:{case[1]}") for case in LEGAL],
)
async def test_legal_action_moves_the_request(
    api: httpx.AsyncClient,
    settings: Settings,
    situation: str,
    action: Action,
    new_state: State,
    new_events: list[str],
) -> None:
    p = Parties(settings)
    flow = await prepare(api, p, situation)
    headers = token(p, natural_actor(situation, action))
    version, events, allowed = await snapshot(flow, headers)
    assert action in allowed, allowed

    response = await api.post(
        f"{flow.path}/{action}", json=payload(situation, action), headers=headers
    )

    assert response.status_code == 200, response.text
    moved = response.json()
    assert moved["state"] == new_state
    assert moved["version"] == version + len(new_events)
    assert response.headers["etag"] == f'"{moved["version"]}"'
    after_version, after_events, _ = await snapshot(flow, headers)
    assert after_version == moved["version"]
    assert after_events == [*events, *new_events]


@pytest.mark.parametrize(("situation", "action"), REFUSED)
async def test_refused_action_changes_nothing(
    api: httpx.AsyncClient, shared: dict[str, Flow], situation: str, action: Action
) -> None:
    flow = shared[situation]
    want = MATRIX[situation][COLUMNS.index(action)]
    headers = token(flow.p, natural_actor(situation, action))
    before = await snapshot(flow, headers)
    assert action not in before[2], before[2]

    response = await api.post(
        f"{flow.path}/{action}", json=payload(situation, action), headers=headers
    )

    problem = response.json()
    if want == FORBID:
        assert response.status_code == 403, response.text
        assert problem["type"] == "/problems/forbidden"
    else:
        assert response.status_code == 409, response.text
        assert problem["type"] == "/problems/illegal-transition"
        assert problem["reason"] == want
        assert problem["current_state"] == STATE_OF[situation]
        assert problem["allowed_actions"] == before[2]
    assert await snapshot(flow, headers) == before


# Per action: the situation where it is legal for its natural actor, and a token of a party
# to the request whose role may not take it.
WRONG_ROLE: dict[Action, tuple[str, Org, str, Role]] = {
    Action.ACCEPT: (REQUESTED, Org.KRIMINALVARDEN, "kv-nte-stockholm", Role.ESCORT_OFFICER),
    Action.DEFER: (REQUESTED, Org.KRIMINALVARDEN, "kv-nte-stockholm", Role.ESCORT_OFFICER),
    Action.REJECT: (REQUESTED, Org.KRIMINALVARDEN, "kv-nte-stockholm", Role.ESCORT_OFFICER),
    Action.SCHEDULE: (SCHEDULED, Org.KRIMINALVARDEN, "kv-nte-stockholm", Role.ESCORT_OFFICER),
    Action.RELEASE: (SCHEDULED, Org.POLISEN, "pa-kronoberg", Role.AUDITOR),
    Action.RECEIVE: (
        SCHEDULED_RELEASED,
        Org.KRIMINALVARDEN,
        "kv-nte-stockholm",
        Role.TRANSPORT_PLANNER,
    ),
    Action.CANCEL: (REQUESTED, Org.POLISEN, "pa-kronoberg", Role.ESCORT_OFFICER),
    Action.COMPLETE: (
        ASSISTANCE_IN_TRANSIT,
        Org.KRIMINALVARDEN,
        "kv-nte-stockholm",
        Role.TRANSPORT_PLANNER,
    ),
    Action.NOT_EXECUTED: (SCHEDULED, Org.KRIMINALVARDEN, "kv-nte-stockholm", Role.COORDINATOR),
    Action.PLACED: (
        CONVICTED_COMPLETED,
        Org.KRIMINALVARDEN,
        "kv-nte-stockholm",
        Role.ESCORT_OFFICER,
    ),
}


@pytest.mark.parametrize("action", list(Action), ids=str)
async def test_wrong_role_is_forbidden_and_a_stranger_finds_nothing(
    api: httpx.AsyncClient, settings: Settings, shared: dict[str, Flow], action: Action
) -> None:
    situation, org, unit, role = WRONG_ROLE[action]
    flow = shared[situation]
    natural = token(flow.p, natural_actor(situation, action))
    before = await snapshot(flow, natural)
    assert action in before[2], f"{action} should be legal for its actor in {situation}"
    attempts = {
        "wrong role": (auth(settings, org=org, unit=unit, roles=[role]), 403, "forbidden"),
        "police elsewhere": (flow.p.stranger, 404, "not-found"),
        "häkte elsewhere": (
            auth(
                settings,
                org=Org.KRIMINALVARDEN,
                unit="kv-hakte-huddinge",
                roles=[Role.RECEPTION_OFFICER],
            ),
            404,
            "not-found",
        ),
    }
    for who, (headers, status, slug) in attempts.items():
        response = await api.post(
            f"{flow.path}/{action}", json=payload(situation, action), headers=headers
        )
        assert response.status_code == status, f"{who}: {response.status_code} {response.text}"
        assert response.json()["type"] == f"/problems/{slug}", who
        assert await snapshot(flow, natural) == before, who


@pytest.mark.parametrize(
    "state",
    [State.REQUESTED, State.ACCEPTED, State.DEFERRED, State.REJECTED, State.CANCELLED],
    ids=str,
)
async def test_pick_up_by_the_executor_before_scheduling_is_an_illegal_transition(
    api: httpx.AsyncClient, settings: Settings, state: State
) -> None:
    """While nobody holds the person the executor is the receiver: the state decides (409)."""
    p = Parties(settings)
    kumla = auth(
        settings,
        org=Org.KRIMINALVARDEN,
        unit="kv-anstalt-kumla",
        roles=[Role.RECEPTION_OFFICER, Role.TRANSPORT_PLANNER],
    )
    flow = await Flow(api, p).create(apprehension(), headers=kumla)
    match state:
        case State.ACCEPTED:
            await flow.post("accept", examples.ACCEPT, p.police_supervisor)
        case State.DEFERRED:
            await flow.post("defer", examples.DEFER, p.police_supervisor)
        case State.REJECTED:
            await flow.post("reject", examples.REJECT, p.police_supervisor)
        case State.CANCELLED:
            await flow.post("cancel", examples.CANCEL, kumla)
    before = await snapshot(flow, p.police)

    pick_up = body(examples.RECEIVE, received_from="Sveavägen 1")
    response = await api.post(f"{flow.path}/receive", json=pick_up, headers=p.police)

    assert response.status_code == 409, response.text
    problem = response.json()
    assert problem["type"] == "/problems/illegal-transition"
    assert problem["reason"] == "illegal_transition"
    assert problem["current_state"] == state
    assert problem["allowed_actions"] == before[2]
    assert await snapshot(flow, p.police) == before
