"""Complete, valid example bodies for the OpenAPI document; tests post every one of them."""

from __future__ import annotations

from typing import Any

TRANSFER_CREATE: dict[str, Any] = {
    "kind": "transfer",
    "person": {
        "identity": {"type": "personnummer", "number": "19121212-1212"},
        "given_name": "Tolvan",
        "family_name": "Tolvansson",
    },
    "from_unit": "pa-kronoberg",
    "to_unit": "kv-hakte-kronoberg",
    "decision": {
        "kind": "remand_decision",
        "authority": "Stockholms tingsrätt",
        "case_number": "B 12345-26",
        "decided_at": "2026-11-27T14:05:00+01:00",
    },
    "restrictions": {"applies": True, "kinds": ["visits", "correspondence"]},
    "relatives_notified": False,
    "notes": "Needs an interpreter (Arabic).",
}

ASSISTANCE_CREATE: dict[str, Any] = {
    "kind": "enforcement_assistance",
    "legal_basis": "lvm_45",
    "order_type": "transport",
    "requesting_unit": "pa-kronoberg",
    "executing_unit": "kv-nte-stockholm",
    "person": {
        "identity": {"type": "samordningsnummer", "number": "19121272-1219"},
        "given_name": "Alex",
        "family_name": "Exempel",
    },
    "decision": {
        "kind": "care_decision",
        "authority": "Förvaltningsrätten i Stockholm",
        "case_number": "LVM 2345-26",
        "decided_at": "2026-11-26T10:00:00+01:00",
    },
    "origin": {"unit": "pa-kronoberg"},
    "destination": {"description": "LVM-hemmet Hornö, Enköping"},
    "relatives_notified": True,
}

ACCEPT = {"note": "Transport planned from NTE Stockholm."}
DEFER = {
    "reason": "no_capacity",
    "text": "No place at Häktet Kronoberg before tomorrow morning.",
    "expected_at": "2026-11-28T08:00:00+01:00",
}
REJECT = {"reason": "wrong_recipient", "text": "The person is to go to Häktet Huddinge."}
SCHEDULE = {
    "pickup_at": "2026-11-28T09:30:00+01:00",
    "transport_unit": "kv-nte-stockholm",
    "note": "Two escorts; separate compartment.",
}
RELEASE = {
    "to_unit": "kv-nte-stockholm",
    "occurred_at": "2026-11-28T09:41:00+01:00",
    "identity_checked": True,
    "documents": ["häktningsbeslut", "journal"],
    "medication": ["Sertralin 50 mg, 7 tablets"],
    "property_seals": ["SEAL-004411"],
    "remarks": "Calm.",
}
RECEIVE = {
    "occurred_at": "2026-11-28T09:42:00+01:00",
    "identity_confirmed": True,
    "remarks": "Property bag sealed, seal intact.",
}
CANCEL = {"reason": "decision_revoked", "text": "The court lifted the remand order."}
COMPLETE = {
    "occurred_at": "2026-11-28T11:05:00+01:00",
    "delivered_to": "LVM-hemmet Hornö, reception",
    "remarks": "Handed over to the duty manager.",
}
NOT_EXECUTED = {
    "reason": "person_not_found",
    "text": "Not at the address; neighbours have not seen him for a week.",
    "occurred_at": "2026-11-28T07:15:00+01:00",
}
ASSESSMENT = {
    "flags": [
        {"flag": "escape_risk", "level": "warning", "comment": "Escaped during transport 2024."},
        {"flag": "medication", "level": "attention", "comment": "Daily at 08:00."},
        {"flag": "interpreter", "level": "information"},
    ],
    "interpreter_language": "arabiska",
    "complete": True,
}
INCIDENT = {
    "kind": "self_harm",
    "severity": "serious",
    "occurred_at": "2026-11-28T10:12:00+01:00",
    "place": "E4 near Uppsala, transport vehicle",
    "description": "The person hit his head against the partition.",
    "actions_taken": "Stopped, first aid, ambulance called; transport resumed after check.",
}
PLACED = {
    "prison_unit": "kv-anstalt-kumla",
    "occurred_at": "2026-12-03T13:20:00+01:00",
    "decision": "Placeringsbeslut KV 2026-4711",
    "remarks": "Moved by NTE Stockholm; received at Kumla reception.",
}
RELATIVES = {
    "notified": True,
    "relative": "Mother, Maria Tolvansson",
    "notified_at": "2026-11-28T10:30:00+01:00",
    "method": "phone",
    "text": "Told of the move to Häktet Kronoberg.",
}
CAPACITY = {
    "categories": [
        {"category": "remand_men", "free": 3},
        {"category": "remand_women", "free": 0},
        {"category": "remand_isolation", "free": 1},
    ],
    "as_of": "2026-11-28T07:00:00+01:00",
}
