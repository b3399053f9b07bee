"""Complete, valid example bodies shown in the OpenAPI document (and tested to be accepted)."""

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
