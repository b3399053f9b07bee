"""Typed event data (`contracts.events`) writes the log's JSON exactly as it always was.

The log's data is stored, served and hashed into the chain: a changed key, order, null or
absent key would break the verification of every chain written before. Pure: no servers.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, get_args

import msgspec
import pytest

from contracts import events
from contracts.actions import ExtensionReason, RescheduleReason
from contracts.api import Regime
from contracts.assessment import Flag, FlagEntry, Level
from contracts.common import Kind, State
from contracts.deadline_policy import DeadlineName, DeadlineState
from contracts.lifecycle import Party
from contracts.person import Decision
from contracts.workflow import EventType
from services.handover.api.examples import TRANSFER_CREATE

HISTORIES = sorted(Path(__file__).with_name("workflows").joinpath("histories").glob("*.json"))
AT = datetime(2026, 11, 28, 9, 30, tzinfo=UTC)


def logged_events(history: Path) -> list[dict[str, Any]]:
    """The events the workflow handed its projection in a committed history, as recorded."""
    found = []
    for entry in json.loads(history.read_text())["events"]:
        if entry["eventType"] == "EVENT_TYPE_ACTIVITY_TASK_SCHEDULED":
            payload = entry["activityTaskScheduledEventAttributes"]["input"]["payloads"][0]
            found += msgspec.json.decode(base64.b64decode(payload["data"]))["events"]
    return found


def test_one_struct_per_event_type() -> None:
    members = get_args(events.AnyEventData)
    assert sorted(str(m.__struct_config__.tag) for m in members) == sorted(EventType)


@pytest.mark.parametrize("history", HISTORIES, ids=[p.stem for p in HISTORIES])
def test_every_recorded_event_reads_back_and_writes_the_same_bytes(history: Path) -> None:
    recorded = logged_events(history)
    assert recorded
    for event in recorded:
        data = events.read(event["type"], event["data"])
        assert data.type == event["type"]
        assert msgspec.json.encode(events.logged(data)) == msgspec.json.encode(event["data"])


# The shapes below are written by hand from the log as it was before the data was typed:
# a body's optional field is null where the body was logged whole, absent where the
# lifecycle dropped it; facts the workflow adds come after the body's fields.
SHAPES = [
    pytest.param(
        events.Accepted(note=None, from_state=State.REQUESTED),
        {"from_state": "requested"},
        id="accepted-without-note",
    ),
    pytest.param(
        events.Rescheduled(
            pickup_at=AT,
            transport_unit="kv-nte-stockholm",
            reason=RescheduleReason.SECURITY,
            revision=2,
            from_state=State.SCHEDULED,
        ),
        {
            "pickup_at": "2026-11-28T09:30:00Z",
            "transport_unit": "kv-nte-stockholm",
            "reason": "security",
            "revision": 2,
            "from_state": "scheduled",
        },
        id="rescheduled",
    ),
    pytest.param(
        events.Released(
            to_unit="kv-nte-stockholm",
            occurred_at=AT,
            identity_checked=True,
            documents=("dom",),
            medication=(),
            property_seals=(),
            remarks=None,
            from_unit="pa-kronoberg",
            step=1,
        ),
        {
            "to_unit": "kv-nte-stockholm",
            "occurred_at": "2026-11-28T09:30:00Z",
            "identity_checked": True,
            "documents": ["dom"],
            "medication": [],
            "property_seals": [],
            "remarks": None,
            "from_unit": "pa-kronoberg",
            "step": 1,
        },
        id="released-keeps-nulls-and-empty-lists",
    ),
    pytest.param(
        events.Completed(
            occurred_at=AT,
            delivered_to="Stockholms tingsrätt",
            remarks=None,
            from_state=State.IN_TRANSIT,
        ),
        {
            "occurred_at": "2026-11-28T09:30:00Z",
            "delivered_to": "Stockholms tingsrätt",
            "remarks": None,
            "from_state": "in_transit",
        },
        id="completed-by-delivery",
    ),
    pytest.param(
        events.Completed(destination="kv-hakte-kronoberg"),
        {"destination": "kv-hakte-kronoberg"},
        id="completed-on-arrival",
    ),
    pytest.param(
        events.Requested(
            kind=Kind.TRANSFER,
            requesting_unit="pa-kronoberg",
            executing_unit="kv-hakte-kronoberg",
            from_unit=None,
            to_unit="kv-hakte-kronoberg",
            decision=msgspec.convert(TRANSFER_CREATE["decision"], Decision),
            regime=Regime.BDL,
        ),
        {
            "kind": "transfer",
            "requesting_unit": "pa-kronoberg",
            "executing_unit": "kv-hakte-kronoberg",
            "from_unit": None,
            "to_unit": "kv-hakte-kronoberg",
            "decision": TRANSFER_CREATE["decision"],
            "regime": "brottsdatalagen",
        },
        id="requested-without-assistance-or-deadlines",
    ),
    pytest.param(
        events.SecurityAssessmentAmended(
            flags=(FlagEntry(flag=Flag.VIOLENCE, level=Level.WARNING),),
            complete=True,
            interpreter_language=None,
            amendment_reason="Ny uppgift",
            version=2,
            notify=Party.EXECUTOR,
        ),
        {
            "flags": [{"flag": "violence", "level": "warning", "comment": None}],
            "complete": True,
            "interpreter_language": None,
            "amendment_reason": "Ny uppgift",
            "version": 2,
            "notify": "executor",
        },
        id="assessment-amended-after-scheduling",
    ),
    pytest.param(
        events.DeadlineWarned(
            deadline="response",
            name=DeadlineName.RESPONSE,
            legal=False,
            due_at="2026-11-28T11:30:00+00:00",
        ),
        {
            "deadline": "response",
            "name": "response",
            "legal": False,
            "due_at": "2026-11-28T11:30:00+00:00",
        },
        id="warned-without-escalation",
    ),
    pytest.param(
        events.DeadlineExtended(
            deadline="custody_gap-1",
            old_due_at="2026-11-28T09:45:00+00:00",
            new_due_at="2026-11-28T10:45:00+00:00",
            reason=ExtensionReason.OTHER,
            decision="Beslut 1",
            text=None,
            was=DeadlineState.BREACHED,
        ),
        {
            "deadline": "custody_gap-1",
            "old_due_at": "2026-11-28T09:45:00+00:00",
            "new_due_at": "2026-11-28T10:45:00+00:00",
            "reason": "other",
            "decision": "Beslut 1",
            "text": None,
            "was": "breached",
        },
        id="extended-keeps-a-null-text",
    ),
]


@pytest.mark.parametrize(("data", "expected"), SHAPES)
def test_the_logged_shape(data: events.EventData, expected: dict[str, Any]) -> None:
    logged = events.logged(data)
    assert msgspec.json.encode(logged) == msgspec.json.encode(expected)  # the keys' order too
    assert events.read(data.type, logged) == data
