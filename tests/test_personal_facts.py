"""What the read model keeps in clear (contracts/personal.py) holds no personal data.

The rule is an allow-list of keys; these tests walk every type a stored request is made of,
so a new field can only be a fact if it is a closed vocabulary, an instant or an identifier
someone reviewed here.
"""

from __future__ import annotations

from typing import Any

import msgspec
import msgspec.inspect as mi
from hypothesis import given
from hypothesis import strategies as st

from contracts.api import HandoverRecord
from contracts.assessment import Incident
from contracts.personal import FACT_TEXTS, PERSONAL_SUBTREES, facts

# Plain-text fields that are facts: identifiers of requests, units and staff, and texts the
# service itself writes from closed lists (deadline bases, escalation subjects).
REVIEWED = {
    ("HandoverRecord", "id"),
    ("HandoverRecord", "reference"),
    ("HandoverRecord", "from_unit"),
    ("HandoverRecord", "to_unit"),
    ("HandoverRecord", "requesting_unit"),
    ("HandoverRecord", "executing_unit"),
    ("Responsibility", "unit"),
    ("CustodySegment", "unit"),
    ("ActorRef", "sub"),
    ("ActorRef", "unit"),
    ("Place", "unit"),
    ("Release", "from_unit"),
    ("Release", "to_unit"),
    ("Reception", "unit"),
    ("Schedule", "transport_unit"),
    ("Deadline", "id"),
    ("Deadline", "basis"),
    ("Extension", "reason"),
    ("Escalation", "id"),
    ("Escalation", "subject"),
    ("Closure", "reason"),
    ("Placement", "prison_unit"),
    ("Deferral", "full_unit"),
    ("Deferral", "room_at"),
    # journeys: unit identifiers
    ("Stop", "unit"),
    ("RedirectRecord", "from_unit"),
    ("RedirectRecord", "to_unit"),
    ("Journey", "return_to"),
}
SAFE_TYPES = (mi.DateTimeType, mi.EnumType, mi.LiteralType, mi.IntType, mi.BoolType)


def _structs(t: mi.Type, seen: dict[str, mi.StructType]) -> None:
    match t:
        case mi.StructType() if t.cls.__name__ not in seen:
            seen[t.cls.__name__] = t
            for f in t.fields:
                _structs(f.type, seen)
        case mi.UnionType():
            for member in t.types:
                _structs(member, seen)
        case mi.ListType() | mi.VarTupleType() | mi.SetType() | mi.FrozenSetType():
            _structs(t.item_type, seen)
        case mi.DictType():
            _structs(t.value_type, seen)
        case _:
            pass


def _leaves(t: mi.Type) -> list[mi.Type]:
    if isinstance(t, mi.UnionType):
        return [leaf for member in t.types for leaf in _leaves(member)]
    if isinstance(t, mi.ListType | mi.VarTupleType):
        return _leaves(t.item_type)
    return [t]


def stored_structs() -> dict[str, mi.StructType]:
    seen: dict[str, mi.StructType] = {}
    for root in (HandoverRecord, Incident):
        _structs(mi.type_info(root), seen)
    return seen


def test_every_text_kept_in_clear_is_a_reviewed_fact() -> None:
    unreviewed = []
    for name, struct in stored_structs().items():
        for f in struct.fields:
            if f.encode_name not in FACT_TEXTS:
                continue
            texts = [leaf for leaf in _leaves(f.type) if isinstance(leaf, mi.StrType)]
            if texts and (name, f.encode_name) not in REVIEWED:
                unreviewed.append(f"{name}.{f.encode_name}")
    assert not unreviewed, f"plain text kept in clear; make it personal or review it: {unreviewed}"


def test_the_person_and_the_decision_are_personal_as_a_whole() -> None:
    fields = {f.encode_name for s in stored_structs().values() for f in s.fields}
    assert {"person", "decision", "restrictions"} <= PERSONAL_SUBTREES
    assert PERSONAL_SUBTREES - {"lpt_intake_decision", "guarding", "relatives_notified"} <= fields


def test_free_text_fields_are_not_facts() -> None:
    free = {"notes", "text", "note", "remarks", "description", "place", "actions_taken"}
    free |= {"medication", "documents", "property_seals", "comment", "given_name"}
    free |= {"family_name", "number", "case_number", "authority", "detail", "delivered_to"}
    free |= {"interpreter_language", "amendment_reason", "report_reference", "decision"}
    assert not free & FACT_TEXTS


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(sorted(FACT_TEXTS | {"notes", "x", "person"})), inner)
    ),
    max_leaves=20,
)


@given(json_values)
def test_facts_keep_texts_only_under_fact_keys(value: Any) -> None:
    def texts(v: Any, key: str | None = None) -> list[tuple[str | None, str]]:
        if isinstance(v, dict):
            assert not PERSONAL_SUBTREES & v.keys()
            return [t for k, item in v.items() for t in texts(item, k)]
        if isinstance(v, list):
            return [t for item in v for t in texts(item, key)]
        return [(key, v)] if isinstance(v, str) else []

    kept = facts(value)
    assert all(key in FACT_TEXTS for key, _ in texts(kept))
    assert msgspec.json.decode(msgspec.json.encode(kept)) == kept
