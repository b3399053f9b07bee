"""What the contract says about each operation: who, preconditions, effect, deadlines.

The per-action parts are generated from the policy tables (`contracts/lifecycle.py` for
states, parties, roles and preconditions, `contracts/access.py` for who holds a role,
`contracts/deadline_policy.py` for the clocks), so the documentation moves with the rules.
What no table holds (the effect of an action, which lifecycle event starts or meets which
clock in the deadline engine) is a short table here, checked by tests/test_contract_docs.py.
"""

from __future__ import annotations

from collections.abc import Iterable

from contracts.access import ANY_KIND, ANY_ORG, HOLDERS
from contracts.amendments import AMENDERS, CORRECTORS
from contracts.assessment import SERIOUS
from contracts.common import FINAL_STATES, Org, Role, State
from contracts.deadline_policy import (
    EXECUTION_CLOCKS,
    POLICY,
    DeadlineName,
    Due,
    Entry,
    Rule,
    Start,
)
from contracts.lifecycle import (
    ASSESSING,
    HANDS_ON,
    MOMENTARY,
    PLANNING,
    PRECONDITIONS,
    REPORTING,
    RULES,
    Action,
    Party,
)
from contracts.refusals import Refusal

ORG_NAMES = {Org.POLISEN: "Polisen", Org.KRIMINALVARDEN: "Kriminalvården"}

PARTIES = {
    Party.REQUESTER: "the requesting unit",
    Party.EXECUTOR: (
        "the executor (the executing unit or the scheduled transport unit; when "
        "Kriminalvården executes, any Kriminalvården transport unit)"
    ),
    Party.HOLDER: "the holder (the unit responsible for the person now)",
    Party.RECEIVER: (
        "the receiver (the unit a pending release names; before anyone in the agencies "
        "holds the person, the executor picking them up)"
    ),
    Party.LODGING: "a lodging unit (planned, accepted or reached as a night's stop on the way)",
}

SUMMARIES = {
    Action.ACCEPT: "Accept the request",
    Action.DEFER: "Defer the request (not now; the legal clock runs on)",
    Action.REJECT: "Reject an invalid request",
    Action.SCHEDULE: "Schedule or reschedule the pick-up",
    Action.RELEASE: "Release the person to another unit",
    Action.RECEIVE: "Confirm reception of the person",
    Action.CANCEL: "Cancel the request before the first handover",
    Action.COMPLETE: "Complete: delivered outside both agencies",
    Action.NOT_EXECUTED: "Record that the handover was not executed",
    Action.PLACED: "Record that the convicted person was placed in a prison",
}

EFFECTS = {
    Action.ACCEPT: "The request moves to `accepted`; the deferral, if any, is cleared.",
    Action.DEFER: (
        "The request moves to `deferred` with a reason and the expected time; coordinators "
        "get a `deferral` escalation. No legal clock stops. For `no_capacity` the deferral "
        "names the unit that is full (`full_unit`, else the destination when it is a remand "
        "prison or prison; another unit must be a remand prison or prison, else 400) and, "
        "with a `category`, is flagged (`room_elsewhere: true`, `room_at`, and in the "
        "escalation's detail) when other units of that unit's region published free places "
        "of the category within the last 24 hours (`PUT /v1/units/{unit_id}/capacity`)."
    ),
    Action.REJECT: "The request moves to `rejected` and is closed.",
    Action.SCHEDULE: (
        "The request moves to `scheduled` with the pick-up time and transport unit. In "
        "`scheduled` it is a reschedule (a new revision; `reason` required)."
    ),
    Action.RELEASE: (
        "Records a release to `to_unit`. The state stays; the releasing unit stays "
        "responsible until the receiver confirms."
    ),
    Action.RECEIVE: (
        "Records the reception: responsibility and the custody chain move to the receiving "
        "unit. The request moves to `in_transit`, or to `completed` when the receiver is the "
        "destination."
    ),
    Action.CANCEL: "The request moves to `cancelled` and is closed.",
    Action.COMPLETE: (
        "The request moves to `completed` and is closed; the custody chain ends at `occurred_at`."
    ),
    Action.NOT_EXECUTED: (
        "The request moves to `not_executed` and is closed; the person stays with the holder."
    ),
    Action.PLACED: (
        "Records the placement (`prison_unit`, `occurred_at`, the placement decision) of a "
        "convicted person who waited in the remand prison after this request's reception "
        "there (strafftidslag 10 §). The state stays `completed`; the move to the prison, when "
        "it is a transport, is a request of its own. The request's run can then archive."
    ),
}

# Which lifecycle events start a clock (the policy's `starts_from`) and which operations meet
# one: the deadline engine's `follow` (workflows/deadline_engine.py) in table form.
STARTS: dict[str, frozenset[Start]] = {
    "createHandover": frozenset(
        {
            Start.REMAND_DECISION,
            Start.APPREHENSION,
            Start.ARREST_DECISION,
            Start.REQUEST_CREATED,
            Start.PLACEMENT,
        }
    ),
    "deferHandover": frozenset({Start.DEFERRAL}),
    "releaseHandover": frozenset({Start.RELEASE}),
    "receiveHandover": frozenset({Start.INTAKE, Start.PLANNED_DEPARTURE}),
    "recordIncident": frozenset({Start.SERIOUS_INCIDENT}),
}
START_WHEN = {
    "receiveHandover": (
        " (`intake`: on reception at a remand prison that is the destination; "
        "`planned_departure`: on reception at a lodging, running from its planned departure)"
    )
}
MEETS: dict[str, frozenset[DeadlineName]] = {
    "acceptHandover": frozenset({DeadlineName.RESPONSE, DeadlineName.DEFERRAL_REMINDER}),
    "deferHandover": frozenset({DeadlineName.RESPONSE}),
    "rejectHandover": frozenset({DeadlineName.RESPONSE, DeadlineName.DEFERRAL_REMINDER}),
    "cancelHandover": frozenset({DeadlineName.DEFERRAL_REMINDER}),
    "receiveHandover": frozenset(
        {
            DeadlineName.CUSTODY_GAP,
            DeadlineName.LVM_TRANSPORT_START,
            DeadlineName.REMAND_TO_REMAND_PRISON,
            DeadlineName.UTL_PLACEMENT,
            *EXECUTION_CLOCKS,
        }
    ),
    "releaseHandover": frozenset({DeadlineName.LODGING_DEPARTURE}),
    "reportIncident": frozenset({DeadlineName.INCIDENT_REPORT}),
    "placedHandover": frozenset(
        {DeadlineName.PRISON_PLACE_TARGET, DeadlineName.PRISON_PLACE_ABSOLUTE}
    ),
}
# Clocks a closed request keeps (the engine's OUTLIVE_CLOSURE); closing cancels the others.
OUTLIVE_CLOSURE = frozenset(
    {
        DeadlineName.INCIDENT_REPORT,
        DeadlineName.PRISON_PLACE_TARGET,
        DeadlineName.PRISON_PLACE_ABSOLUTE,
        DeadlineName.ERASURE,
    }
)


def operation_id(action: Action) -> str:
    words = str(action).split("-")
    return words[0] + "".join(w.title() for w in words[1:]) + "Handover"


def closes(action: Action) -> bool:
    """Whether the action can close the request (reception at the destination does)."""
    return action == Action.RECEIVE or any(
        s in FINAL_STATES for s in _TARGETS.get(action, frozenset())
    )


_TARGETS = {
    Action.REJECT: frozenset({State.REJECTED}),
    Action.CANCEL: frozenset({State.CANCELLED}),
    Action.COMPLETE: frozenset({State.COMPLETED}),
    Action.NOT_EXECUTED: frozenset({State.NOT_EXECUTED}),
}


def _codes(values: Iterable[str], conjunction: str = "or") -> str:
    items = [f"`{v}`" for v in values]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {conjunction} " + items[-1]


def holders(role: Role) -> str:
    """Who may hold a role (contracts/access.py): `transport_planner` (Kriminalvården, ...)."""
    held = HOLDERS[role]
    orgs = "either agency" if held.orgs == ANY_ORG else " or ".join(ORG_NAMES[o] for o in held.orgs)
    kinds = "any unit" if held.kinds == ANY_KIND else " or ".join(sorted(held.kinds)) + " unit"
    return f"`{role}` ({orgs}, {kinds})"


def roles(allowed: Iterable[Role]) -> str:
    """The roles, in the contract's order, each with the units that may hold it."""
    wanted = set(allowed)
    return "; ".join(holders(r) for r in Role if r in wanted)


def due(entry: Entry) -> str:
    """The rule of a clock in words, e.g. `24:00 the following day`."""
    return _rule(entry.due)


def _rule(rule: Due) -> str:
    n = rule.amount
    match rule.rule:
        case Rule.END_OF_DAY:
            return "24:00 the same day" if n == 0 else f"24:00 {int(n)} day(s) later"
        case Rule.NOON_ON_DAY_AFTER:
            return f"12:00 on day {int(n)} after"
        case Rule.ELAPSED_HOURS:
            return f"{n:g} h later"
        case Rule.ELAPSED_SECONDS:
            return f"{n:g} s later"
        case Rule.CALENDAR_DAYS:
            return f"{int(n)} days later"


def _clock(entry: Entry) -> str:
    where: list[str] = []
    if len(entry.kinds) == 1:
        where.append(next(iter(entry.kinds)))
    if entry.decision_kinds:
        where.append(_codes(sorted(entry.decision_kinds)).replace("`", ""))
    if entry.legal_bases:
        where.append(_codes(sorted(entry.legal_bases)).replace("`", ""))
    condition = f", for {' / '.join(where)}" if where else ""
    setting = f"; `{entry.configurable}`" if entry.configurable else ""
    if entry.child_due is not None:
        condition += f"; {_rule(entry.child_due)} for a child"
    if entry.repeats:
        condition += "; repeats from its due time while the request stays deferred"
    if not entry.legal:
        condition += "; operational default"
    return f"`{entry.name}` (from {entry.starts_from}, due {due(entry)}{condition}{setting})"


def deadlines(operation: str, *, closing: bool = False) -> str:
    """Which clocks an operation starts, meets and (by closing the request) cancels."""
    parts: list[str] = []
    started = [e for e in POLICY if e.starts_from in STARTS.get(operation, frozenset())]
    if started:
        when = START_WHEN.get(operation, "")
        parts.append(f"starts{when} " + ", ".join(_clock(e) for e in started))
    met = [e for e in POLICY if e.name in MEETS.get(operation, frozenset())]
    if met:
        parts.append("meets " + ", ".join(f"`{e.name}` (met by {e.met_by})" for e in met))
    if closing:
        kept = _codes(sorted(OUTLIVE_CLOSURE - {DeadlineName.ERASURE}), "and")
        parts.append(
            "when it closes the request, it cancels every open clock except "
            f"{kept}, and starts `{DeadlineName.ERASURE}` (from closure, due "
            f"{due(_entry(DeadlineName.ERASURE))}; `HANDOVER_RETENTION_DAYS`)"
        )
    return "; ".join(parts) + "." if parts else "none."


def _entry(name: DeadlineName) -> Entry:
    return next(e for e in POLICY if e.name == name)


def section(**parts: str) -> str:
    """Markdown paragraphs: **Who.** ... **Preconditions.** ... in the order given."""
    titles = {
        "who": "Who",
        "preconditions": "Preconditions",
        "effect": "Effect",
        "deadlines": "Deadlines",
        "refusals": "Refusals",
    }
    return "\n\n".join(f"**{titles[k]}.** {v[:1].upper()}{v[1:]}" for k, v in parts.items())


def action(act: Action) -> str:
    """The description of `POST /v1/handovers/{id}/<action>`, from the lifecycle policy."""
    rule = RULES[act]
    parties = " or ".join(PARTIES[p] for p in Party if p in rule.parties)
    states = _codes(s for s in State if s in rule.states)
    preconditions = [f"the request is in {states}"]
    preconditions += [
        f"{text} (else `{code}`)" for code, text in PRECONDITIONS.get(act, {}).items()
    ]
    refusals = [
        f"403 `{Refusal.FORBIDDEN}`: not a party of that kind, or no role among those above",
        f"409 `{Refusal.ILLEGAL_TRANSITION}`: the state does not allow it"
        + (
            f", or the caller's unit is not the {' or '.join(sorted(rule.parties))} at this moment"
            if rule.parties <= MOMENTARY
            else ""
        ),
    ]
    refusals += [f"409 `{code}`" for code in PRECONDITIONS.get(act, {})]
    refusals.append(
        "a 409 names `current_state`, the caller's `allowed_actions` and, for each action the "
        "caller could take at another moment, what blocks it (`blocked_actions`)"
    )
    return section(
        who=f"{parties[0].upper()}{parties[1:]}, with the role {roles(rule.roles)}.",
        preconditions="; ".join(preconditions) + ".",
        effect=EFFECTS[act] + " Appends an event to the request's log.",
        deadlines=deadlines(operation_id(act), closing=closes(act)),
        refusals="; ".join(refusals) + ".",
    )


READERS = (
    "A unit that is a party to the request (requesting, executing, holding, receiving, on the "
    "route; Kriminalvården's transport units for every request Kriminalvården executes), and "
    f"{holders(Role.COORDINATOR)} of the agency's region (a national coordination unit: the "
    "whole agency). Others get 404; auditors read the access log, not the cases."
)
AUDITED = "Changes nothing; the read is written to the access log (`X-Purpose` says why)."
SUBSCRIBERS = (
    f"The role {roles([Role.SYSTEM, Role.COORDINATOR])}, for its own unit's subscriptions "
    "(another unit's are 404). Others get 403."
)
NOTHING = "Changes nothing."
REPORTERS = (
    f"{roles([Role.COORDINATOR, Role.AUDITOR])}, as for escalations: a national coordination "
    "unit counts its agency's requests, a regional one those with a party in its region. "
    "Others get 403; an unknown unit 404."
)
CHANGE = "Appends an event to the request's log and returns the new version with its `ETag`."
INCIDENT_READERS = (
    "The incident's own unit (any role of its staff) and "
    f"{holders(Role.COORDINATOR)} of its region (a national coordination unit: the whole "
    "agency). Others get 404; auditors 403 (the inspection gives them the facts)."
)
PARTY_ROLES = tuple(r for r in Role if r not in (Role.COORDINATOR, Role.AUDITOR))

OPERATIONS: dict[str, tuple[str, str]] = {
    "createHandover": (
        "Create a handover request",
        section(
            who=(
                "For a `transfer`: the caller's own police custody unit (`from_unit`), with "
                f"the role {roles([Role.CUSTODY_OFFICER, Role.CUSTODY_SUPERVISOR])}. For "
                "`enforcement_assistance`: either agency, for the caller's own unit "
                "(`requesting_unit`), with one of those roles or "
                f"{roles([Role.TRANSPORT_PLANNER, Role.RECEPTION_OFFICER])}. The role "
                f"{roles([Role.SYSTEM])} may name a unit other than its own (a transfer still "
                "needs a Polisen token)."
            ),
            preconditions=(
                "The units exist and are of the right kind (a transfer goes from a "
                "police_custody unit to a remand_prison or prison); a transfer rests on a "
                "remand decision or a sentence."
            ),
            effect=(
                "A new request in `requested`, with its first event; the `Location` header "
                "names it. With an `Idempotency-Key` a retry returns the same request."
            ),
            deadlines=deadlines("createHandover"),
        ),
    ),
    "getHandover": (
        "Read one request",
        section(
            who=READERS,
            effect=(
                "The request with the person's data, its deadlines and the caller's "
                f"`allowed_actions`. {AUDITED}"
            ),
            deadlines="none.",
        ),
    ),
    "listHandovers": (
        "List the requests you may see",
        section(
            who=f"As for a single read: {READERS[0].lower()}{READERS[1:]}",
            effect=(
                "A page of summaries (identity numbers masked to the date of birth, no names), "
                f"keyset pagination by `next_cursor`. {AUDITED}"
            ),
            deadlines="none; `due_before`, `breached` and `sort=next_due` filter by them.",
        ),
    ),
    "amendSecurityAssessment": (
        "Record the security assessment (a new version)",
        section(
            who=(f"{PARTIES[Party.REQUESTER].capitalize()}, with the role {roles(ASSESSING)}."),
            preconditions=(
                "The request is not closed (else 409 `illegal_transition`); every version after "
                "the first needs an `amendment_reason`. Scheduling needs the current version "
                "with `complete: true` (else the schedule is refused with 409 "
                f"`{Refusal.SECURITY_ASSESSMENT_INCOMPLETE}`)."
            ),
            effect=(
                "A new version of the assessment; an amendment after scheduling is flagged for "
                f"the executor (`after_scheduling`, the event's `notify`). {CHANGE}"
            ),
            deadlines="none.",
        ),
    ),
    "getSecurityAssessment": (
        "Read the security assessment and its earlier versions",
        section(who=READERS, effect=AUDITED, deadlines="none."),
    ),
    "recordIncident": (
        "Record an incident",
        section(
            who=f"Any party to the request, with the role {roles(REPORTING)}.",
            preconditions=(
                "None on the state: also after the request closed. `occurred_at` not in the "
                "future nor more than a day before the request was made."
            ),
            effect=(
                "A numbered incident; a "
                f"{' or '.join(sorted(SERIOUS))} one raises an `incident` escalation for "
                f"coordinators. {CHANGE}"
            ),
            deadlines=(
                f"for a {' or '.join(sorted(SERIOUS))} incident " + deadlines("recordIncident")
            ),
        ),
    ),
    "recordRelatives": (
        "Record whether the person's close relatives were told of the move",
        section(
            who=f"Any party to the request, with the role {roles(REPORTING)}.",
            preconditions=(
                "None on the state: also after the request closed. `notified: true` needs "
                "`relative`, `notified_at` and `method`; `notified: false` needs `reason` "
                "(`other` needs `text`); `notified_at` not in the future (else 400)."
            ),
            effect=(
                "A numbered record (the newest holds; `relatives_notified` follows it). A move "
                "that completes without any such record raises a `relatives` escalation for "
                f"coordinators. All of it is personal data. {CHANGE}"
            ),
            deadlines="none; the reminder is an escalation, not a clock.",
        ),
    ),
    "putUnitCapacity": (
        "Publish a unit's free places by category",
        section(
            who=(
                f"The unit's own staff with the role {roles([Role.RECEPTION_OFFICER])} or its "
                f"{holders(Role.SYSTEM)}; the unit is a remand prison or prison. Others get 403; "
                "an unknown unit 404."
            ),
            preconditions=(
                "Each category at most once; `as_of` not in the future (else 400) and not "
                "older than what the unit published last (else 409)."
            ),
            effect=(
                "Replaces the unit's published free places. Capacity is reference data, not "
                "personal data and not the state of a request: it is written directly, not "
                "through a request's workflow, and appends no event."
            ),
            deadlines="none; a deferral for no capacity is checked against it.",
        ),
    ),
    "listCapacity": (
        "List the free places of remand prisons and prisons",
        section(
            who=(
                f"{roles([Role.COORDINATOR])} of either agency, and Kriminalvården's "
                f"{roles([Role.TRANSPORT_PLANNER, Role.RECEPTION_OFFICER, Role.ESCORT_OFFICER])}"
                " and systems. Others get 403."
            ),
            effect=(
                "What each unit published last (`categories`, `as_of`), of one `region` or "
                f"all. {NOTHING}"
            ),
            deadlines="none.",
        ),
    ),
    "listIncidents": (
        "List the incidents of a request",
        section(who=READERS, effect=AUDITED, deadlines="none."),
    ),
    "getIncident": ("Read one incident", section(who=READERS, effect=AUDITED, deadlines="none.")),
    "reportIncident": (
        "Record that a serious incident was reported to Arbetsmiljöverket",
        section(
            who=f"Any party to the request, with the role {roles(REPORTING)}.",
            preconditions=(
                f"The incident is {' or '.join(sorted(SERIOUS))} (else 400) and not reported yet "
                f"(else 409 `{Refusal.ALREADY_REPORTED}`); `reported_at` not before it."
            ),
            effect=f"The incident carries the report's time and reference. {CHANGE}",
            deadlines=deadlines("reportIncident"),
        ),
    ),
    "listHandoverEvents": (
        "Read the request's event log",
        section(
            who=READERS,
            effect=(
                "Every event in order: actor, `occurred_at`, `recorded_at`, data and the hash "
                f"chain. {AUDITED}"
            ),
            deadlines="none; `deadline_warned`, `deadline_breached` and extensions are events.",
        ),
    ),
    "exportHandover": (
        "Export the whole case as one verifiable document",
        section(
            who=READERS,
            effect=(
                "The request (custody chain, deadlines, incidents, assessment versions), its "
                "event log and the chain's head hash, checked before it is sent; `handover` is "
                "null once the person's data is erased, the events then carry only what the "
                f"chain needs. Verify it with `handover verify FILE`. Audited as `export`. "
                f"{AUDITED}"
            ),
            deadlines="none.",
        ),
    ),
    "extendDeadline": (
        "Move a deadline by a recorded decision",
        section(
            who=(
                f"A party or a coordinator of the agency's region with the role "
                f"{roles([Role.COORDINATOR, Role.CUSTODY_SUPERVISOR, Role.SYSTEM])}; for an "
                "operational clock ("
                + _codes(e.name for e in POLICY if not e.legal)
                + f") also {roles([Role.TRANSPORT_PLANNER])}."
            ),
            preconditions=(
                "The deadline (its `id`, e.g. `response` or `custody_gap-1`) is running, warned, "
                f"extended or breached (else 409 `{Refusal.DEADLINE_CLOSED}`); `new_due_at` is "
                "later than the current due time and not past."
            ),
            effect=f"The deadline's new due time, with the decision it rests on. {CHANGE}",
            deadlines="moves the one named; a breach stays on record.",
        ),
    ),
    "listEscalations": (
        "List escalations",
        section(
            who=(
                f"{roles([Role.COORDINATOR, Role.AUDITOR])}: a national coordination unit sees "
                "its agency, a regional one its region. Others get 403."
            ),
            effect="Escalations newest first; they stay until acknowledged. Changes nothing.",
            deadlines=(
                "warnings and breaches of deadlines, deferrals, serious incidents and moves "
                "completed without a record about relatives raise escalations."
            ),
        ),
    ),
    "acknowledgeEscalation": (
        "Acknowledge an escalation",
        section(
            who=f"The role {roles([Role.COORDINATOR])}, of the agency's region.",
            preconditions=f"Not acknowledged yet (else 409 `{Refusal.ALREADY_ACKNOWLEDGED}`).",
            effect=(
                "The escalation carries who acknowledged it, when, and the note; it leaves the "
                f"list of open escalations. {CHANGE}"
            ),
            deadlines="none: the clock behind the escalation is not touched.",
        ),
    ),
    "eventFeed": (
        "Poll the event feed",
        section(
            who=("Every role but `auditor`, for the requests it may read (as for a single read)."),
            effect=(
                "Events after the cursor `after`, oldest first; `next_after` never skips an "
                f"event that commits late. {AUDITED}"
            ),
            deadlines="none; deadline warnings, breaches and extensions are events.",
        ),
    ),
    "listAccess": (
        "Read the access log",
        section(
            who=f"The role {roles([Role.AUDITOR])}. Others get 403.",
            effect=(
                "Every read of personal data, newest first, flagged when outside the reader's "
                "own cases or at an unusual hour. Changes nothing."
            ),
            deadlines="none.",
        ),
    ),
    "listUnits": (
        "List the units",
        section(
            who="Any valid token.",
            effect="The reference data: the units that can be parties. Changes nothing.",
            deadlines="none.",
        ),
    ),
    "createSubscription": (
        "Subscribe your unit to signed webhooks",
        section(
            who=SUBSCRIBERS,
            preconditions=(
                "`url` is `https://` with a public host (private, loopback, link-local and "
                "reserved addresses, local names and credentials in the URL are refused with "
                "400); at most 20 subscriptions of the unit that are not stopped (else 409)."
            ),
            effect=(
                "A subscription of the caller's unit and its delivery workflow. Every event "
                "recorded from now on of a request the caller may read (as for a single read, "
                "with the caller's scope at this moment), of the `event_types` asked for, is "
                "POSTed in order, one at a time, signed (`Handover-Signature`, see the README "
                "section Webhooks); failures are retried with exponential backoff and after "
                "repeated failure the subscription pauses. The answer shows `secret` once; no "
                "read returns it again. Every delivery is written to the access log "
                "(`webhook_delivery`)."
            ),
            deadlines="none; deadline warnings, breaches and extensions are events.",
        ),
    ),
    "listSubscriptions": (
        "List your unit's webhook subscriptions",
        section(who=SUBSCRIBERS, effect=f"Never with secrets. {NOTHING}", deadlines="none."),
    ),
    "getSubscription": (
        "Read one webhook subscription",
        section(
            who=SUBSCRIBERS,
            effect=(
                "Its status (`active`, `paused` with `status_reason` such as `failing: ...` "
                f"after repeated failure, `stopped`); never the secret. {NOTHING}"
            ),
            deadlines="none.",
        ),
    ),
    "stopSubscription": (
        "Stop a webhook subscription",
        section(
            who=SUBSCRIBERS,
            effect=(
                "Deliveries end for good (status `stopped`); the delivery history stays "
                "readable. Stopping a stopped subscription changes nothing."
            ),
            deadlines="none.",
        ),
    ),
    "pauseSubscription": (
        "Pause webhook deliveries",
        section(
            who=SUBSCRIBERS,
            preconditions="Not stopped (else 409).",
            effect=(
                "Status `paused`; an attempt in flight is abandoned and the event stays the "
                "next to deliver. Events recorded meanwhile are delivered on resume."
            ),
            deadlines="none.",
        ),
    ),
    "resumeSubscription": (
        "Resume webhook deliveries",
        section(
            who=SUBSCRIBERS,
            preconditions="Not stopped (else 409).",
            effect=(
                "Status `active`; delivery continues, in order, with the first event not yet "
                "delivered (also after a pause for repeated failure)."
            ),
            deadlines="none.",
        ),
    ),
    "listDeliveries": (
        "Read a subscription's delivery attempts",
        section(
            who=SUBSCRIBERS,
            effect=(
                "Recent attempts newest first: event id, attempt number, outcome, HTTP "
                "status, error, when the next attempt is due. They name requests, so the read "
                f"is audited. {AUDITED}"
            ),
            deadlines="none.",
        ),
    ),
    "redeliverEvent": (
        "Deliver an event again",
        section(
            who=SUBSCRIBERS,
            preconditions=(
                "The attempt belongs to the subscription, which is not stopped (else 409); "
                "the request is still one the subscriber may see (else it is skipped)."
            ),
            effect=(
                "The attempt's event is queued for delivery again, with the same "
                "`Handover-Event-Id`, after the delivery in flight; receivers drop a repeat."
            ),
            deadlines="none.",
        ),
    ),
    "getReport": (
        "Read a unit's follow-up report",
        section(
            who=REPORTERS,
            effect=(
                "Figures for the week (Monday to Sunday) or month in Europe/Stockholm that "
                "contains `start`, over the requests the unit is a party to that were created "
                "in it (within the caller's scope): requests by kind and legal basis and by "
                "state; median and p90 from the request to the first reception by the "
                "executing agency; for remanded people, from the remand decision to the first "
                "reception by Kriminalvården; per deadline met, warned, breached, open; "
                "deferrals and their closed reasons; incidents that occurred in the period by "
                f"kind and severity. Aggregates only: no person is shown. {NOTHING}"
            ),
            deadlines="none; breaches and warnings are counted, not changed.",
        ),
    ),
    "getReportCsv": (
        "Export a unit's follow-up report as CSV",
        section(
            who=REPORTERS,
            effect=(
                "The figures of `getReport`, one per row: `unit`, `period`, `start`, `end`, "
                f"`section`, `key`, `metric`, `value` (empty when not measured). {NOTHING}"
            ),
            deadlines="none.",
        ),
    ),
    "getReportChart": (
        "Draw a chart of a unit's follow-up report",
        section(
            who=REPORTERS,
            effect=(
                "One chart of `getReport` as SVG (`requests`, `durations` in hours, "
                "`deadlines`, `deferrals`, `incidents`), drawn by the server; no script, no "
                f"external asset. {NOTHING}"
            ),
            deadlines="none.",
        ),
    ),
    "recordUnitIncident": (
        "Record an incident of your unit outside any request",
        section(
            who=(
                f"Any role of a unit's own staff ({roles(PARTY_ROLES)}), for the token's own "
                f"unit; {holders(Role.COORDINATOR)} for their own unit. Auditors get 403."
            ),
            effect=(
                "Starts the incident's own workflow (`unit-incident-<id>`, the only writer of "
                "its row) and records the incident (in a cell, at a hearing, on the premises; "
                "a work injury to staff is the kind `work_injury`). The texts are stored "
                "sealed with the incident's own key. With `Idempotency-Key` a retry returns "
                "the same incident. The write is in the access log."
            ),
            deadlines=(
                "a `serious` or `critical` incident starts "
                + _clock(_entry(DeadlineName.INCIDENT_REPORT))
                + ", met by `reportUnitIncident`."
            ),
        ),
    ),
    "listUnitIncidents": (
        "List unit incidents (facts)",
        section(
            who=INCIDENT_READERS,
            effect=(
                "Kind, severity, setting, times, the investigation's state and measures "
                "counted, the reporting clock; no text and no person. " + NOTHING
            ),
            deadlines="none; `report_overdue` says when the reporting clock broke.",
        ),
    ),
    "getUnitIncident": (
        "Read a unit incident with its follow-up",
        section(
            who=INCIDENT_READERS,
            effect=(
                "The incident, its investigation (responsible person, measures, closing "
                "decision) and its reporting clock, opened with the incident's key (410 once "
                "erased). " + AUDITED
            ),
            deadlines="none.",
        ),
    ),
    "investigateUnitIncident": (
        "Open or update an incident's investigation",
        section(
            who=INCIDENT_READERS,
            effect=(
                "Opens the investigation (state `open`) or replaces its responsible person and "
                "measures; 409 once closed. Returns the incident with its new `version`."
            ),
            deadlines="none.",
        ),
    ),
    "closeUnitIncident": (
        "Close an incident's investigation with a decision",
        section(
            who=INCIDENT_READERS,
            effect=(
                "Records the closing decision; the investigation moves to `closed` (409 unless "
                "it is `open`). When it is closed and any report is made, the retention time "
                "starts: after it the incident's key is erased."
            ),
            deadlines=(
                "once closed and reported, the incident's erasure is due "
                f"{due(_entry(DeadlineName.ERASURE))} (`HANDOVER_RETENTION_DAYS`, as for a "
                "request)."
            ),
        ),
    ),
    "reportUnitIncident": (
        "Record an incident's report to Arbetsmiljöverket",
        section(
            who=INCIDENT_READERS,
            effect=(
                "Records when and under which reference the incident was reported; 409 "
                "(`already_reported`) when it has no open reporting clock."
            ),
            deadlines="meets `incident_report` (AML 3:3 a).",
        ),
    ),
    "getInspection": (
        "Read a JO inspection of a unit and period",
        section(
            who=REPORTERS,
            effect=(
                "For the days `from` to `to` (Europe/Stockholm): the requests the unit is a "
                "party to created then or breached then, each breach with its cause as the "
                "facts tell it (the last lifecycle step before it, who held the person, the "
                "deferrals' closed reasons, an extension), the incidents on those requests and "
                "the unit's own incidents with their follow-up, and a summary of the access "
                "log for them. Facts only: no person is shown. " + NOTHING
            ),
            deadlines="none; breaches are listed, not changed.",
        ),
    ),
    "exportUnit": (
        "Export a unit's cases for a period (JO)",
        section(
            who=(
                f"{holders(Role.COORDINATOR)}, within the scope of `getInspection`. Auditors get "
                "403: they see no case contents (`getInspection` gives them the facts and the "
                "access-log summary). Others get 403."
            ),
            effect=(
                "One page of the cases of `getInspection`'s period, each exactly as "
                "`exportHandover` (events, custody chain, deadlines, incidents, assessments, "
                "head hash), oldest first; follow `next_cursor`. Each case is written to the "
                "access log as `export`."
            ),
            deadlines="none.",
        ),
    ),
    "live": (
        "Liveness probe",
        section(who="Anyone; no token.", effect="200 while the process is up.", deadlines="none."),
    ),
    "ready": (
        "Readiness probe",
        section(
            who="Anyone; no token.",
            effect="200 when PostgreSQL and Temporal both answer; 503 otherwise.",
            deadlines="none.",
        ),
    ),
}
# Amendments and corrections (workflows/amendments.py holds the rules).
OPERATIONS |= {
    "amendHandover": (
        "Amend a fact of the request, with a reason",
        section(
            who=(
                f"{PARTIES[Party.REQUESTER].capitalize()}, with the role {roles(AMENDERS)} "
                "(for a police request: the custody unit's officers and supervisor). "
                "Coordinators do not amend (403): they watch and follow up, while the "
                "requesting unit holds the decision, the identity papers and the call to the "
                "relatives; a coordinator moves a clock with `extendDeadline`."
            ),
            preconditions=(
                "`destination`: the request is open (else 409 `illegal_transition`) and nobody "
                f"has been released or picked up yet (else 409 `{Refusal.HANDOVER_STARTED}`); "
                "a transfer names `to_unit` (a remand_prison or prison unit), an assistance "
                "request `destination`. `identity`: the identity is still `unknown` (else 409 "
                "`illegal_transition`). `under_18`: the identity shows no date of birth (else "
                "409 `illegal_transition`: the number decides). `decision`: `authority`, "
                "`case_number` or `decided_at` (its kind stays; `decided_at` not in the "
                "future). Every amendment changes something (else 400) and has a `reason`; "
                "none after the person's data was erased (409 `illegal_transition`)."
            ),
            effect=(
                "The record takes the new value (a transfer's new destination also becomes its "
                "executing unit); an `amended` event logs `field`, `old`, `new` and `reason`. "
                "`relatives_notified` corrects the flag only: a notification itself (who, when, "
                f"how) is recorded with `POST .../relatives`. {CHANGE}"
            ),
            deadlines=(
                f"a new `decided_at` runs `{DeadlineName.REMAND_TO_REMAND_PRISON}` again from "
                "it (while it is open and not extended by a decision), logged as "
                "`deadline_recomputed` with the old and new start and due time; a due time "
                "already past breaches at once. An `identity` or `under_18` that changes whether "
                "the person is a child runs the open clocks with a child's rule (the execution "
                "clocks, the deferral reminder, `utl_placement`) again from their start under "
                "the rule that now applies, each logged as `deadline_recomputed`; for UtlL a "
                "child's placement clock is out at once and escalates."
            ),
        ),
    ),
    "correctEvent": (
        "Correct the time of an event recorded in error",
        section(
            who=(
                "The unit that recorded the event (its `actor.unit`), while a party, with the "
                f"role {roles(CORRECTORS)}. Nobody corrects what another unit recorded (403), "
                "coordinators included."
            ),
            preconditions=(
                "Event `seq` is a `released`, `received`, `not_executed` or a `completed` "
                "delivery by the holder (else 400 naming `seq`; a completion by the "
                "destination's reception has the reception's time: correct the reception). "
                "`occurred_at` differs from the time now recorded, is not in the future and "
                "keeps the order of the other lifecycle events (else 400)."
            ),
            effect=(
                "A `corrected` event names the event (`corrects`) with the old and new time "
                "and the reason; the event itself stays as recorded, so the hash chain "
                "verifies, and is served with `corrected_by`. The record shows the corrected "
                "view: the handover step, the custody chain (the segment a reception began "
                "starts at the new time and the one before ends there: still gapless), "
                f"`responsible.since` and the closure time. {CHANGE}"
            ),
            deadlines=(
                "a corrected release runs its `custody_gap-N` again from the new time, a "
                "corrected reception the prison-place clocks it started (while open and not "
                "extended), each logged as `deadline_recomputed`; clocks the reception met "
                "are met at the new time, and one met after its due time counts as breached "
                "(a breach on record stays)."
            ),
        ),
    ),
}
# Journeys with stops (workflows/journey.py holds the rules).
OPERATIONS |= {
    "changeJourney": (
        "Plan or record a stop on the way, or redirect the journey",
        section(
            who=(
                f"`lodging` and `cancel_stop`: {PARTIES[Party.EXECUTOR]}, with the role "
                f"{roles(PLANNING)}. `lodging_answer`: the lodging unit's own staff, with the "
                f"role {roles(PLANNING)}. `redirect` and `return`: the executor's planners or "
                f"{PARTIES[Party.REQUESTER]} with the role {roles(AMENDERS)}. `arrived` and "
                f"`departed`: {PARTIES[Party.HOLDER]}, with the role {roles(HANDS_ON)}. Others "
                "get 403, or 404 when the request is not theirs to see."
            ),
            preconditions=(
                "`lodging`: the request is `accepted`, `scheduled` or `in_transit`; `unit` is a "
                "remand_prison or police_custody unit (else 400), not the destination, not the "
                "unit holding the person and not a lodging of the journey already; "
                "`depart_at` after `arrive_at`, at most 72 hours later. A child is never lodged "
                "in police custody under UtlL (409 `illegal_transition`). `lodging_answer`: the "
                "stop is `planned`; a decline has a `reason`. `cancel_stop`: the stop is "
                "`planned` or `accepted` and nobody is released to it "
                f"(else 409 `{Refusal.RELEASE_PENDING}`). `redirect`: after pickup (before it, "
                "amend the destination: 409 `illegal_transition`) and before the request "
                "closes; a transfer names `to_unit` (a remand_prison or prison), an assistance "
                "request `destination`; not the destination already (400); the unit that holds "
                "the person ends the journey there at once (`completed`), unless its release "
                f"awaits reception (409 `{Refusal.RELEASE_PENDING}`). `return`: enforcement "
                "assistance only, once, before the request closes. `arrived`/`departed`: a "
                "turnaround outside the agencies (a stop at a unit is reached and left by "
                "handovers), in `in_transit`, in that order, with no release pending."
            ),
            effect=(
                "The record's `journey` lists the `stops` (each `planned`, `accepted`, "
                "`declined`, `cancelled`, `reached` or `left`), the `redirects` (old and new "
                "destination, reason) and `return_to`. A planned or accepted lodging unit "
                "becomes a party (it sees the request); a release to a lodging that is still "
                "`planned` is refused (409 `illegal_transition`): the unit accepts first. A "
                "reception by a stop's unit marks it `reached` and the release from it `left`; "
                "responsibility moves only by those handovers, so the custody chain stays "
                "gapless. A redirect or return changes `to_unit` (a transfer's new destination "
                "also executes it): that unit's reception completes the request, and "
                "delivering outside the agencies (`complete`) is then refused. Events: "
                "`lodging_planned`, `lodging_answered`, `stop_cancelled`, `redirected`, "
                f"`return_planned`, `stop_arrived`, `stop_departed`. {CHANGE}"
            ),
            deadlines=(
                "the clocks follow the person: none restarts at a stop or a redirect. Every "
                "handover to or from a stop runs its own `custody_gap-N`; the remand and UtlL "
                "clocks are met when the person first leaves police custody; the prison-place "
                "clocks start at the reception by the (redirected) destination when it is a "
                "remand prison, not at a lodging."
            ),
        ),
    ),
}
OPERATIONS |= {operation_id(a): (SUMMARIES[a], action(a)) for a in Action}


def refusals() -> str:
    """The `Refusal` enumeration explained: each code with its HTTP status, and for the
    lifecycle's preconditions, what must hold."""
    holds: dict[Refusal, list[str]] = {}
    for act, found in PRECONDITIONS.items():
        for code, text in found.items():
            holds.setdefault(code, []).append(f"refuses `{act}` unless {text}")
    lines = [
        "Why a change was refused: the `reason` of a problem, and of each `blocked_actions` "
        "entry of a 409. Clients switch on it; new codes may be added within v1.",
        "",
    ]
    for code in Refusal:
        why = f": {'; '.join(holds[code])}" if code in holds else ""
        lines.append(f"- `{code}` ({code.status}){why}")
    return "\n".join(lines)
