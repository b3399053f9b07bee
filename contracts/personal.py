"""Which parts of a stored request are facts anyone may keep, and which are personal data.

The read model keeps, in clear, only the *facts* of a request: its kind, state, units,
times, deadlines, escalation levels, incident kinds and severities: what follow-up and
statistics need. Everything else (identity, names, decisions and case numbers, addresses,
medication, remarks, every free text) is personal data and is stored only sealed with the
request's key (`contracts.sealing`).

The rule is an allow-list: a text value is a fact only under a key named here. Anything new
that nobody listed is treated as personal, so adding a field can never leak it.
"""

from __future__ import annotations

from typing import Any

# Subtrees that are personal as a whole, even their numbers and flags.
PERSONAL_SUBTREES = frozenset(
    {
        "person",
        "decision",
        "lpt_intake_decision",
        "restrictions",
        "guarding",
        "relatives_notified",
        "relatives",
        "under_18",
    }
)

# Keys whose text values are facts: identifiers of requests and units, closed vocabularies
# (enums) and instants.
FACT_TEXTS = frozenset(
    {
        # the request and its parties
        "id",
        "reference",
        "kind",
        "state",
        "regime",
        "legal_basis",
        "order_type",
        "destination_kind",
        "from_unit",
        "to_unit",
        "unit",
        "org",
        "requesting_unit",
        "requesting_org",
        "executing_unit",
        "executing_org",
        "transport_unit",
        "sub",
        "prison_unit",
        "full_unit",
        "room_at",
        # instants
        "since",
        "until",
        "at",
        "created_at",
        "updated_at",
        "occurred_at",
        "recorded_at",
        "reported_at",
        "pickup_at",
        "expected_at",
        "apprehended_at",
        "arrested_at",
        "placed_at",
        "erased_at",
        "starts_at",
        "due_at",
        "warn_at",
        "warned_at",
        "met_at",
        "breached_at",
        "cancelled_at",
        "acknowledged_at",
        "old_due_at",
        "new_due_at",
        # closed vocabularies
        "name",
        "basis",
        "level",
        "subject",
        "severity",
        "reason",
        "flag",
        "category",
        "status",
        "decline_reason",
        "cancel_reason",
        # journeys
        "return_to",
        "arrive_at",
        "depart_at",
        "planned_at",
        "answered_at",
        "reached_at",
        "left_at",
    }
)


def facts(value: Any, key: str | None = None) -> Any:
    """`value` (JSON-shaped, as `msgspec.to_builtins` gives it) without its personal data.

    Personal subtrees are left out; a text under a key that is not a fact becomes null
    (lists keep their length, which is not personal); numbers, booleans and nulls stay.
    """
    if isinstance(value, dict):
        return {k: facts(v, k) for k, v in value.items() if k not in PERSONAL_SUBTREES}
    if isinstance(value, list | tuple):
        return [facts(item, key) for item in value]
    if isinstance(value, str):
        return value if key in FACT_TEXTS else None
    return value
