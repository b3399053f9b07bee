"""The lifecycle policy: which action is legal in which state, for which party and role.

Pure: the workflow's validators and the API's `allowed_actions` both ask this module, so the
two can never disagree.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from contracts.common import Actor, Org, Role, State, UnitKind
from contracts.refusals import Refusal


class Action(enum.StrEnum):
    """State-changing actions, each `POST /v1/handovers/{id}/<action>`."""

    ACCEPT = "accept"
    DEFER = "defer"
    REJECT = "reject"
    SCHEDULE = "schedule"
    RELEASE = "release"
    RECEIVE = "receive"
    CANCEL = "cancel"
    COMPLETE = "complete"
    NOT_EXECUTED = "not-executed"
    PLACED = "placed"


class Party(enum.StrEnum):
    """How a caller's unit relates to a request."""

    REQUESTER = "requester"
    EXECUTOR = "executor"
    HOLDER = "holder"
    RECEIVER = "receiver"
    # A unit that is to take, takes or took the person for a night on the way.
    LODGING = "lodging"


# Who plans: Kriminalvården's transport planners and reception, the police custody
# supervisor (arrestföreståndare) when the police execute, and integrated systems.
PLANNING = frozenset(
    {Role.TRANSPORT_PLANNER, Role.RECEPTION_OFFICER, Role.CUSTODY_SUPERVISOR, Role.SYSTEM}
)
HANDS_ON = frozenset(
    {
        Role.CUSTODY_OFFICER,
        Role.CUSTODY_SUPERVISOR,
        Role.ESCORT_OFFICER,
        Role.RECEPTION_OFFICER,
        Role.SYSTEM,
    }
)
REQUESTING = frozenset(
    {Role.CUSTODY_OFFICER, Role.CUSTODY_SUPERVISOR, Role.TRANSPORT_PLANNER, Role.SYSTEM}
)
# The requesting unit's staff keep the security assessment; either party records incidents.
ASSESSING = frozenset(
    {
        Role.CUSTODY_OFFICER,
        Role.CUSTODY_SUPERVISOR,
        Role.RECEPTION_OFFICER,
        Role.TRANSPORT_PLANNER,
        Role.SYSTEM,
    }
)
REPORTING = HANDS_ON | PLANNING
# Who records that a convicted person waiting in a remand prison was placed in a prison
# (strafftidslag 10 §): Kriminalvården's reception at the remand prison that holds the person
# (the executing unit of the transfer), its transport planners (placement and the move are
# planned by Kriminalvården, whose transport units execute every such request) and systems.
PLACING = frozenset({Role.RECEPTION_OFFICER, Role.TRANSPORT_PLANNER, Role.SYSTEM})
# Roles that see every request (of their agency) without being a party to it.
OVERVIEW = frozenset({Role.COORDINATOR, Role.AUDITOR})
MOMENTARY = frozenset({Party.HOLDER, Party.RECEIVER})
BEFORE_FIRST_HANDOVER = frozenset(
    {State.REQUESTED, State.ACCEPTED, State.DEFERRED, State.SCHEDULED}
)


@dataclass(frozen=True)
class Rule:
    states: frozenset[State]
    parties: frozenset[Party]
    roles: frozenset[Role]


RULES: dict[Action, Rule] = {
    Action.ACCEPT: Rule(
        frozenset({State.REQUESTED, State.DEFERRED}), frozenset({Party.EXECUTOR}), PLANNING
    ),
    Action.DEFER: Rule(frozenset({State.REQUESTED}), frozenset({Party.EXECUTOR}), PLANNING),
    Action.REJECT: Rule(
        frozenset({State.REQUESTED, State.DEFERRED}), frozenset({Party.EXECUTOR}), PLANNING
    ),
    Action.SCHEDULE: Rule(
        frozenset({State.ACCEPTED, State.SCHEDULED}), frozenset({Party.EXECUTOR}), PLANNING
    ),
    Action.RELEASE: Rule(
        frozenset({State.SCHEDULED, State.IN_TRANSIT}), frozenset({Party.HOLDER}), HANDS_ON
    ),
    Action.RECEIVE: Rule(
        frozenset({State.SCHEDULED, State.IN_TRANSIT}), frozenset({Party.RECEIVER}), HANDS_ON
    ),
    Action.CANCEL: Rule(BEFORE_FIRST_HANDOVER, frozenset({Party.REQUESTER}), REQUESTING),
    Action.COMPLETE: Rule(frozenset({State.IN_TRANSIT}), frozenset({Party.HOLDER}), HANDS_ON),
    Action.NOT_EXECUTED: Rule(
        frozenset({State.SCHEDULED, State.IN_TRANSIT}),
        frozenset({Party.EXECUTOR}),
        PLANNING | HANDS_ON,
    ),
    # After the reception at the remand prison, which completed the request: the prison-place
    # clocks outlive the closure, and this is what meets them.
    Action.PLACED: Rule(frozenset({State.COMPLETED}), frozenset({Party.EXECUTOR}), PLACING),
}


PRECONDITIONS: dict[Action, dict[Refusal, str]] = {
    Action.SCHEDULE: {
        Refusal.SECURITY_ASSESSMENT_INCOMPLETE: (
            "the security assessment is complete (the requesting unit records it)"
        ),
        Refusal.HANDOVER_STARTED: "a reschedule comes before the first release or reception",
    },
    Action.RELEASE: {Refusal.RELEASE_PENDING: "no earlier release awaits its reception"},
    Action.CANCEL: {
        Refusal.RELEASE_PENDING: "no release awaits its reception",
        Refusal.HANDOVER_STARTED: "nobody has received the person yet (after that: not-executed)",
    },
    Action.COMPLETE: {
        Refusal.RELEASE_PENDING: "no release awaits its reception",
        Refusal.DESTINATION_MUST_RECEIVE: (
            "the destination is no unit (a unit's reception completes the request)"
        ),
    },
    Action.NOT_EXECUTED: {Refusal.RELEASE_PENDING: "no release awaits its reception"},
    Action.PLACED: {
        Refusal.NOT_AWAITING_PLACEMENT: (
            "a convicted person was received at a remand prison (the prison-place clocks run) "
            "and is not placed yet"
        )
    },
}
"""Each action's preconditions beyond state, party and role: the refusal when one fails and
what must hold. Written for the contract's documentation; `_precondition` is the check, and
tests/test_contract_docs.py proves the two list the same refusals."""


@dataclass(frozen=True)
class Situation:
    """The parts of a request's state the policy looks at."""

    state: State
    requesting_unit: str
    executing_unit: str
    executing_org: Org
    transport_unit: str | None
    holder: str | None
    pending_release_to: str | None
    any_reception: bool
    assessment_complete: bool
    destination_unit: str | None
    # A convicted person received at a remand prison whose prison-place clocks still run.
    awaiting_placement: bool = False
    # Units planned as overnight lodgings on the way (not declined or cancelled).
    lodging_units: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Denied:
    """Why an action is not allowed: 403 (who) or 409 (when), as the refusal says."""

    code: Refusal
    detail: str

    @property
    def status(self) -> int:
        return self.code.status


def parties(situation: Situation, actor: Actor, actor_unit_kind: UnitKind | None) -> set[Party]:
    """Every way the caller's unit takes part in the request."""
    found: set[Party] = set()
    if actor.unit == situation.requesting_unit:
        found.add(Party.REQUESTER)
    executing_units = {situation.executing_unit, situation.transport_unit}
    if actor.org == situation.executing_org and (
        actor.unit in executing_units
        or (actor_unit_kind == UnitKind.TRANSPORT and actor.org == Org.KRIMINALVARDEN)
    ):
        found.add(Party.EXECUTOR)
    if actor.unit in situation.lodging_units:
        found.add(Party.LODGING)
    if situation.holder is not None and actor.unit == situation.holder:
        found.add(Party.HOLDER)
    if situation.pending_release_to is not None:
        if actor.unit == situation.pending_release_to:
            found.add(Party.RECEIVER)
    elif situation.holder is None and Party.EXECUTOR in found:
        # Nobody in either agency holds the person yet: the executor picks them up.
        found.add(Party.RECEIVER)
    return found


def check(
    action: Action, situation: Situation, actor: Actor, actor_unit_kind: UnitKind | None
) -> Denied | None:
    """None when the caller may take `action` now; otherwise why not."""
    rule = RULES[action]
    found = parties(situation, actor, actor_unit_kind)
    if not rule.parties & found:
        # Holding or receiving the person is a matter of the moment, not of permission: a
        # party with the right role who is not the holder (or receiver) *now* gets a 409,
        # e.g. the loser of a race to confirm the same reception.
        if found and rule.parties <= MOMENTARY and rule.roles & set(actor.roles):
            return Denied(
                Refusal.ILLEGAL_TRANSITION, f"Only the current {_names(rule.parties)} may {action}."
            )
        return Denied(Refusal.FORBIDDEN, f"Only the {_names(rule.parties)} may {action}.")
    if not rule.roles & set(actor.roles):
        return Denied(Refusal.FORBIDDEN, f"Your role may not {action}.")
    if situation.state not in rule.states:
        return Denied(Refusal.ILLEGAL_TRANSITION, f"Cannot {action} in state {situation.state}.")
    return _precondition(action, situation)


def _precondition(action: Action, s: Situation) -> Denied | None:
    pending = s.pending_release_to is not None
    match action:
        case Action.SCHEDULE if s.state == State.SCHEDULED and (pending or s.any_reception):
            return Denied(Refusal.HANDOVER_STARTED, "Rescheduling ends at the first handover.")
        case Action.SCHEDULE if not s.assessment_complete:
            return Denied(
                Refusal.SECURITY_ASSESSMENT_INCOMPLETE,
                "The security assessment must be complete before scheduling.",
            )
        case Action.RELEASE | Action.CANCEL | Action.COMPLETE | Action.NOT_EXECUTED if pending:
            return Denied(
                Refusal.RELEASE_PENDING, "A release awaits reception; the receiver must confirm."
            )
        case Action.COMPLETE if s.destination_unit is not None:
            return Denied(
                Refusal.DESTINATION_MUST_RECEIVE,
                "The destination is a unit: release to it; its reception completes the request.",
            )
        case Action.CANCEL if s.any_reception:
            return Denied(Refusal.HANDOVER_STARTED, "After the first handover, use not-executed.")
        case Action.PLACED if not s.awaiting_placement:
            return Denied(
                Refusal.NOT_AWAITING_PLACEMENT,
                "Nobody waits for a prison place on this request (no convicted person received "
                "at a remand prison, or already placed).",
            )
    return None


def allowed(situation: Situation, actor: Actor, actor_unit_kind: UnitKind | None) -> list[Action]:
    """The actions the caller may take now, in lifecycle order."""
    return [a for a in Action if check(a, situation, actor, actor_unit_kind) is None]


def blocked(
    situation: Situation, actor: Actor, actor_unit_kind: UnitKind | None
) -> list[tuple[Action, Denied]]:
    """What blocks each action the caller could take in some other moment, in lifecycle order.

    Those are the actions whose party and role fit the caller but that the state, the moment
    (not the holder or receiver *now*) or a precondition refuse: a 409 each. Actions the
    caller may never take (a 403) are not listed.
    """
    found = [(a, check(a, situation, actor, actor_unit_kind)) for a in Action]
    return [(a, d) for a, d in found if d is not None and d.status == 409]


def _names(found: frozenset[Party]) -> str:
    return " or ".join(sorted(found))
