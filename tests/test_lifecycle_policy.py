"""The lifecycle policy against the product's rules, written out by hand.

Every (situation, action, unit, role) goes through `contracts.lifecycle.check()` and is compared
with what DOMAIN.md ("Lifecycle", "Responsibility and handovers") and the issue say. The
expectation below is deliberately NOT derived from `contracts.lifecycle.RULES`: a test that
reuses the implementation's own table cannot fail.

How the rules read:
- who may act is a party to the request (requester, executor, holder, receiver) and holds one
  of the action's roles; a caller that is no party of the right kind, or has no allowed role,
  gets 403 `forbidden` -- except that a party with the right role who is not the holder (or
  receiver) at this moment gets 409 `illegal_transition` (e.g. the loser of a race to confirm
  the same reception);
- then the state must allow the action, else 409 `illegal_transition`;
- then the action's preconditions, each a 409 with its own code.

Situations are written as the read model would hold them for realistic requests: a transfer
from Polisen's custody in Kronoberg to Häktet Kronoberg (transported by NTE Stockholm), an
enforcement-assistance transport executed by NTE Stockholm to a care home, and an apprehension
for enforcement that Anstalten Kumla asks the police to carry out.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import pytest

from contracts.common import Actor, Org, Role, State, UnitKind
from contracts.lifecycle import Action, Situation, allowed, check, parties

# -- the cast: real units from the reference data ------------------------------------------

POLICE = "pa-kronoberg"  # police custody unit; requester of the transfer
POLICE_ELSEWHERE = "pa-malmo"  # police custody unit with nothing to do with these requests
HAKTE = "kv-hakte-kronoberg"  # receiving remand prison: executor of the transfer
HAKTE_ELSEWHERE = "kv-hakte-huddinge"  # another remand prison: no relation
NTE = "kv-nte-stockholm"  # Kriminalvården's transport unit that drives the person
NTE_ELSEWHERE = "kv-nte-goteborg"  # any Kriminalvården transport unit plans for the agency
KUMLA = "kv-anstalt-kumla"  # prison asking the police to apprehend a convicted person
KV_COORDINATION = "kv-samordning-nationell"  # coordination unit: watches, never acts

UNITS: dict[str, tuple[Org, UnitKind]] = {
    POLICE: (Org.POLISEN, UnitKind.POLICE_CUSTODY),
    POLICE_ELSEWHERE: (Org.POLISEN, UnitKind.POLICE_CUSTODY),
    HAKTE: (Org.KRIMINALVARDEN, UnitKind.REMAND_PRISON),
    HAKTE_ELSEWHERE: (Org.KRIMINALVARDEN, UnitKind.REMAND_PRISON),
    NTE: (Org.KRIMINALVARDEN, UnitKind.TRANSPORT),
    NTE_ELSEWHERE: (Org.KRIMINALVARDEN, UnitKind.TRANSPORT),
    KUMLA: (Org.KRIMINALVARDEN, UnitKind.PRISON),
    KV_COORDINATION: (Org.KRIMINALVARDEN, UnitKind.COORDINATION),
}

# -- the product's rules, by hand ------------------------------------------------------------

REQUESTER, EXECUTOR, HOLDER, RECEIVER = "requester", "executor", "holder", "receiver"

# Kriminalvården's planners and reception, the police custody supervisor, integrated systems.
PLANNING_ROLES = frozenset(
    {Role.TRANSPORT_PLANNER, Role.RECEPTION_OFFICER, Role.CUSTODY_SUPERVISOR, Role.SYSTEM}
)
# Whoever has the person in front of them.
HANDS_ON_ROLES = frozenset(
    {
        Role.CUSTODY_OFFICER,
        Role.CUSTODY_SUPERVISOR,
        Role.ESCORT_OFFICER,
        Role.RECEPTION_OFFICER,
        Role.SYSTEM,
    }
)
CANCELLING_ROLES = frozenset(
    {Role.CUSTODY_OFFICER, Role.CUSTODY_SUPERVISOR, Role.TRANSPORT_PLANNER, Role.SYSTEM}
)
# Kriminalvården records a placement in a prison (strafftidslag 10 §): the remand prison's
# reception, the transport planners who move the person, and systems. Not the escort, not
# the police.
PLACING_ROLES = frozenset({Role.RECEPTION_OFFICER, Role.TRANSPORT_PLANNER, Role.SYSTEM})


@dataclass(frozen=True)
class Rule:
    """In which states, by which party and with which roles an action is legal."""

    states: frozenset[State]
    party: str
    roles: frozenset[Role]


def states(*names: State) -> frozenset[State]:
    return frozenset(names)


EXPECTED_RULES: dict[Action, Rule] = {
    Action.ACCEPT: Rule(states(State.REQUESTED, State.DEFERRED), EXECUTOR, PLANNING_ROLES),
    Action.DEFER: Rule(states(State.REQUESTED), EXECUTOR, PLANNING_ROLES),
    Action.REJECT: Rule(states(State.REQUESTED, State.DEFERRED), EXECUTOR, PLANNING_ROLES),
    Action.SCHEDULE: Rule(states(State.ACCEPTED, State.SCHEDULED), EXECUTOR, PLANNING_ROLES),
    Action.RELEASE: Rule(states(State.SCHEDULED, State.IN_TRANSIT), HOLDER, HANDS_ON_ROLES),
    Action.RECEIVE: Rule(states(State.SCHEDULED, State.IN_TRANSIT), RECEIVER, HANDS_ON_ROLES),
    Action.CANCEL: Rule(
        states(State.REQUESTED, State.ACCEPTED, State.DEFERRED, State.SCHEDULED),
        REQUESTER,
        CANCELLING_ROLES,
    ),
    Action.COMPLETE: Rule(states(State.IN_TRANSIT), HOLDER, HANDS_ON_ROLES),
    Action.NOT_EXECUTED: Rule(
        states(State.SCHEDULED, State.IN_TRANSIT), EXECUTOR, PLANNING_ROLES | HANDS_ON_ROLES
    ),
    # After the reception at the remand prison (which completed the request).
    Action.PLACED: Rule(states(State.COMPLETED), EXECUTOR, PLACING_ROLES),
}

# Precondition codes (409 after party, role and state are right).
HANDOVER_STARTED = "handover_started"
ASSESSMENT_INCOMPLETE = "security_assessment_incomplete"
RELEASE_PENDING = "release_pending"
DESTINATION_MUST_RECEIVE = "destination_must_receive"
NOT_AWAITING_PLACEMENT = "not_awaiting_placement"

# -- situations ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    """A request as the policy sees it, with who is what in it and what blocks which action.

    `cast` names every unit that takes part and how; a unit not named is a stranger.
    `blocked` names the preconditions that fail here (they matter only when party, role and
    state allow the action).
    """

    key: str
    situation: Situation
    cast: dict[str, frozenset[str]]
    blocked: dict[Action, str] = field(default_factory=dict)


def kinds(*names: str) -> frozenset[str]:
    return frozenset(names)


TRANSFER = Situation(
    state=State.REQUESTED,
    requesting_unit=POLICE,
    executing_unit=HAKTE,
    executing_org=Org.KRIMINALVARDEN,
    transport_unit=None,
    holder=POLICE,
    pending_release_to=None,
    any_reception=False,
    assessment_complete=False,
    destination_unit=HAKTE,
)
# Before the police hand the person over: police request and hold; the häkte and every
# Kriminalvården transport unit execute.
TRANSFER_AT_POLICE = {
    POLICE: kinds(REQUESTER, HOLDER),
    HAKTE: kinds(EXECUTOR),
    NTE: kinds(EXECUTOR),
    NTE_ELSEWHERE: kinds(EXECUTOR),
}
TRANSFER_WITH_NTE = {
    POLICE: kinds(REQUESTER),
    HAKTE: kinds(EXECUTOR),
    NTE: kinds(EXECUTOR, HOLDER),
    NTE_ELSEWHERE: kinds(EXECUTOR),
}
SCHEDULED_TRANSFER = replace(
    TRANSFER, state=State.SCHEDULED, transport_unit=NTE, assessment_complete=True
)
IN_TRANSIT_TRANSFER = replace(
    SCHEDULED_TRANSFER, state=State.IN_TRANSIT, holder=NTE, any_reception=True
)

# Enforcement assistance (LVM 45 §): the police ask NTE Stockholm to drive a person from the
# custody unit to a care home, which is a place, not a unit.
ASSISTANCE = Situation(
    state=State.REQUESTED,
    requesting_unit=POLICE,
    executing_unit=NTE,
    executing_org=Org.KRIMINALVARDEN,
    transport_unit=None,
    holder=POLICE,
    pending_release_to=None,
    any_reception=False,
    assessment_complete=False,
    destination_unit=None,
)

# Apprehension for enforcement (strafftidslag 6 §): Kumla asks the police to fetch a person
# from a home address; nobody in either agency holds the person until the police pick up.
APPREHENSION = Situation(
    state=State.REQUESTED,
    requesting_unit=KUMLA,
    executing_unit=POLICE,
    executing_org=Org.POLISEN,
    transport_unit=None,
    holder=None,
    pending_release_to=None,
    any_reception=False,
    assessment_complete=False,
    destination_unit=KUMLA,
)
# Nobody holds the person: the executor is the one who receives them.
APPREHENSION_BEFORE_PICKUP = {KUMLA: kinds(REQUESTER), POLICE: kinds(EXECUTOR, RECEIVER)}

SCENARIOS: list[Scenario] = [
    # -- transfer, police custody -> häkte ------------------------------------------------
    Scenario("transfer/requested", TRANSFER, TRANSFER_AT_POLICE),
    Scenario("transfer/deferred", replace(TRANSFER, state=State.DEFERRED), TRANSFER_AT_POLICE),
    Scenario(
        "transfer/accepted-not-assessed",
        replace(TRANSFER, state=State.ACCEPTED),
        TRANSFER_AT_POLICE,
        {Action.SCHEDULE: ASSESSMENT_INCOMPLETE},
    ),
    Scenario(
        "transfer/accepted-assessed",
        replace(TRANSFER, state=State.ACCEPTED, assessment_complete=True),
        TRANSFER_AT_POLICE,
    ),
    Scenario("transfer/rejected", replace(TRANSFER, state=State.REJECTED), TRANSFER_AT_POLICE),
    Scenario("transfer/scheduled", SCHEDULED_TRANSFER, TRANSFER_AT_POLICE),
    Scenario(
        # The police amended the assessment after scheduling and left it incomplete.
        "transfer/scheduled-assessment-reopened",
        replace(SCHEDULED_TRANSFER, assessment_complete=False),
        TRANSFER_AT_POLICE,
        {Action.SCHEDULE: ASSESSMENT_INCOMPLETE},
    ),
    Scenario(
        # The police released the person to NTE; NTE has not confirmed yet.
        "transfer/scheduled-released-to-nte",
        replace(SCHEDULED_TRANSFER, pending_release_to=NTE),
        {
            POLICE: kinds(REQUESTER, HOLDER),
            HAKTE: kinds(EXECUTOR),
            NTE: kinds(EXECUTOR, RECEIVER),
            NTE_ELSEWHERE: kinds(EXECUTOR),
        },
        {
            Action.SCHEDULE: HANDOVER_STARTED,
            Action.RELEASE: RELEASE_PENDING,
            Action.CANCEL: RELEASE_PENDING,
            Action.NOT_EXECUTED: RELEASE_PENDING,
        },
    ),
    Scenario(
        "transfer/in-transit",
        IN_TRANSIT_TRANSFER,
        TRANSFER_WITH_NTE,
        {Action.COMPLETE: DESTINATION_MUST_RECEIVE},
    ),
    Scenario(
        # NTE released the person at the häkte; the häkte has not confirmed yet.
        "transfer/in-transit-released-to-hakte",
        replace(IN_TRANSIT_TRANSFER, pending_release_to=HAKTE),
        {
            POLICE: kinds(REQUESTER),
            HAKTE: kinds(EXECUTOR, RECEIVER),
            NTE: kinds(EXECUTOR, HOLDER),
            NTE_ELSEWHERE: kinds(EXECUTOR),
        },
        # Both the pending release and the unit destination stand in the way of `complete`;
        # the half-done handover is named first: it is what has to be resolved.
        {
            Action.RELEASE: RELEASE_PENDING,
            Action.COMPLETE: RELEASE_PENDING,
            Action.NOT_EXECUTED: RELEASE_PENDING,
        },
    ),
    Scenario(
        # A remanded person: no prison-place clock runs, so nobody waits for a placement.
        "transfer/completed",
        replace(IN_TRANSIT_TRANSFER, state=State.COMPLETED, holder=HAKTE),
        {
            POLICE: kinds(REQUESTER),
            HAKTE: kinds(EXECUTOR, HOLDER),
            NTE: kinds(EXECUTOR),
            NTE_ELSEWHERE: kinds(EXECUTOR),
        },
        {Action.PLACED: NOT_AWAITING_PLACEMENT},
    ),
    Scenario(
        # A convicted person received at the häkte waits for a prison place.
        "transfer/completed-convicted-awaiting-placement",
        replace(IN_TRANSIT_TRANSFER, state=State.COMPLETED, holder=HAKTE, awaiting_placement=True),
        {
            POLICE: kinds(REQUESTER),
            HAKTE: kinds(EXECUTOR, HOLDER),
            NTE: kinds(EXECUTOR),
            NTE_ELSEWHERE: kinds(EXECUTOR),
        },
    ),
    Scenario(
        "transfer/cancelled-before-pickup",
        replace(SCHEDULED_TRANSFER, state=State.CANCELLED),
        TRANSFER_AT_POLICE,
    ),
    Scenario(
        "transfer/not-executed-before-pickup",
        replace(SCHEDULED_TRANSFER, state=State.NOT_EXECUTED),
        TRANSFER_AT_POLICE,
    ),
    Scenario(
        "transfer/not-executed-in-transit",
        replace(IN_TRANSIT_TRANSFER, state=State.NOT_EXECUTED),
        TRANSFER_WITH_NTE,
    ),
    # -- enforcement assistance executed by NTE, to a place outside both agencies ----------
    Scenario(
        "assistance/requested",
        ASSISTANCE,
        # The häkte is not the executor here: it is a stranger to this request.
        {POLICE: kinds(REQUESTER, HOLDER), NTE: kinds(EXECUTOR), NTE_ELSEWHERE: kinds(EXECUTOR)},
    ),
    Scenario(
        "assistance/in-transit",
        replace(
            ASSISTANCE,
            state=State.IN_TRANSIT,
            transport_unit=NTE,
            holder=NTE,
            any_reception=True,
            assessment_complete=True,
        ),
        {POLICE: kinds(REQUESTER), NTE: kinds(EXECUTOR, HOLDER), NTE_ELSEWHERE: kinds(EXECUTOR)},
    ),
    # -- apprehension executed by the police, from outside both agencies to Kumla ----------
    Scenario("apprehension/requested", APPREHENSION, APPREHENSION_BEFORE_PICKUP),
    Scenario(
        "apprehension/accepted",
        replace(APPREHENSION, state=State.ACCEPTED),
        APPREHENSION_BEFORE_PICKUP,
        {Action.SCHEDULE: ASSESSMENT_INCOMPLETE},
    ),
    Scenario(
        # The police schedule with an NTE vehicle named; the executing agency is still the
        # police, so Kriminalvården's transport units do not become executors.
        "apprehension/scheduled",
        replace(APPREHENSION, state=State.SCHEDULED, transport_unit=NTE, assessment_complete=True),
        APPREHENSION_BEFORE_PICKUP,
    ),
    Scenario(
        "apprehension/in-transit",
        replace(
            APPREHENSION,
            state=State.IN_TRANSIT,
            transport_unit=NTE,
            assessment_complete=True,
            holder=POLICE,
            any_reception=True,
        ),
        {KUMLA: kinds(REQUESTER), POLICE: kinds(EXECUTOR, HOLDER)},
        {Action.COMPLETE: DESTINATION_MUST_RECEIVE},
    ),
    Scenario(
        "apprehension/in-transit-released-to-kumla",
        replace(
            APPREHENSION,
            state=State.IN_TRANSIT,
            transport_unit=NTE,
            assessment_complete=True,
            holder=POLICE,
            any_reception=True,
            pending_release_to=KUMLA,
        ),
        {KUMLA: kinds(REQUESTER, RECEIVER), POLICE: kinds(EXECUTOR, HOLDER)},
        {
            Action.RELEASE: RELEASE_PENDING,
            Action.COMPLETE: RELEASE_PENDING,
            Action.NOT_EXECUTED: RELEASE_PENDING,
        },
    ),
]

Outcome = tuple[int, str] | None  # None: allowed; else (status, code)
FORBIDDEN: Outcome = (403, "forbidden")


def expected(scenario: Scenario, action: Action, unit: str, role: Role) -> Outcome:
    rule = EXPECTED_RULES[action]
    cast = scenario.cast.get(unit, frozenset())
    if rule.party not in cast:
        # Holder and receiver change with every handover: a party with the right role who
        # just is not the holder (receiver) at this moment meets the state, not a permission.
        if cast and rule.party in (HOLDER, RECEIVER) and role in rule.roles:
            return (409, "illegal_transition")
        return FORBIDDEN
    if role not in rule.roles:
        return FORBIDDEN
    if scenario.situation.state not in rule.states:
        return (409, "illegal_transition")
    code = scenario.blocked.get(action)
    return None if code is None else (409, code)


def actor(unit: str, role: Role) -> Actor:
    org, _ = UNITS[unit]
    return Actor(sub=f"test-{unit}-{role}", org=org, unit=unit, roles=(role,))


def show(outcome: Outcome) -> str:
    return "allowed" if outcome is None else f"{outcome[0]} {outcome[1]}"


def _cases() -> list[object]:
    cases: list[object] = []
    for scenario in SCENARIOS:
        for action in Action:
            for unit in UNITS:
                cases.append(
                    pytest.param(scenario, action, unit, id=f"{scenario.key}:{action}:{unit}")
                )
    return cases


def test_the_expectation_covers_every_action_and_state() -> None:
    assert set(EXPECTED_RULES) == set(Action)
    covered = {scenario.situation.state for scenario in SCENARIOS}
    assert covered == set(State)
    assert len({scenario.key for scenario in SCENARIOS}) == len(SCENARIOS)


@pytest.mark.parametrize(("scenario", "action", "unit"), _cases())
def test_check_follows_the_domain_rules(scenario: Scenario, action: Action, unit: str) -> None:
    """Every role of `unit` attempting `action` in `scenario`: allowed, or the right problem."""
    _, kind = UNITS[unit]
    mismatches = []
    for role in Role:
        want = expected(scenario, action, unit, role)
        denied = check(action, scenario.situation, actor(unit, role), kind)
        got: Outcome = None if denied is None else (denied.status, denied.code)
        if got != want:
            mismatches.append(f"  {role}: expected {show(want)}, got {show(got)}")
    assert not mismatches, (
        f"{scenario.key}, {unit} ({', '.join(sorted(scenario.cast.get(unit, ()))) or 'stranger'})"
        f" tries {action}:\n" + "\n".join(mismatches)
    )


@pytest.mark.parametrize(
    ("scenario", "unit"),
    [
        pytest.param(scenario, unit, id=f"{scenario.key}:{unit}")
        for scenario in SCENARIOS
        for unit in UNITS
    ],
)
def test_parties_and_allowed_actions(scenario: Scenario, unit: str) -> None:
    """Who is what in the request, and the `allowed_actions` every role of the unit is shown."""
    _, kind = UNITS[unit]
    found = {str(p) for p in parties(scenario.situation, actor(unit, Role.SYSTEM), kind)}
    assert found == set(scenario.cast.get(unit, frozenset()))
    for role in Role:
        want = [a for a in Action if expected(scenario, a, unit, role) is None]
        assert allowed(scenario.situation, actor(unit, role), kind) == want, role


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.AUDITOR])
def test_coordinators_and_auditors_take_no_lifecycle_action(role: Role) -> None:
    """Whatever unit they sit at and whatever the request: they watch, they do not act."""
    for scenario in SCENARIOS:
        for unit, (_, kind) in UNITS.items():
            assert allowed(scenario.situation, actor(unit, role), kind) == [], (scenario.key, unit)
