"""Messages between the API and the request workflow, and between the workflow and its activities.

Payloads only gain fields with defaults, so old and new workers read each other.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any, Generic, TypeVar

import msgspec

from contracts.api import HandoverCreate, HandoverRecord
from contracts.capacity import CapacityCheck
from contracts.common import Actor, ActorRef, Org, UnitKind
from contracts.deadline_policy import Clocks

WORKFLOW_NAME = "Handover"
UPDATE_CREATE = "create"
UPDATE_ASSESS = "assess"
UPDATE_INCIDENT = "record_incident"
UPDATE_REPORT = "report_incident"
UPDATE_EXTEND = "extend_deadline"
UPDATE_ACKNOWLEDGE = "acknowledge_escalation"
UPDATE_AMEND = "amend"
UPDATE_JOURNEY = "journey"
UPDATE_CORRECT = "correct_event"
UPDATE_RELATIVES = "record_relatives"
QUERY_RECORD = "record"
ACTIVITY_PROJECT = "project_handover"
ACTIVITY_ERASE = "erase_handover"
DEFAULT_TASK_QUEUE = "handover"


def workflow_id(handover_id: str) -> str:
    """The Temporal workflow id of a request."""
    return f"handover-{handover_id}"


# The type of the projection's non-retryable failure: PostgreSQL refused the data itself.
PROJECTION_REFUSED = "projection_refused"


class EventType(enum.StrEnum):
    """What happened to a request."""

    REQUESTED = "requested"
    ACCEPTED = "accepted"
    DEFERRED = "deferred"
    REJECTED = "rejected"
    SCHEDULED = "scheduled"
    RESCHEDULED = "rescheduled"
    RELEASED = "released"
    RECEIVED = "received"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    NOT_EXECUTED = "not_executed"
    SECURITY_ASSESSMENT_RECORDED = "security_assessment_recorded"
    SECURITY_ASSESSMENT_AMENDED = "security_assessment_amended"
    INCIDENT_RECORDED = "incident_recorded"
    INCIDENT_REPORTED = "incident_reported"
    DEADLINE_WARNED = "deadline_warned"
    DEADLINE_BREACHED = "deadline_breached"
    DEADLINE_EXTENDED = "deadline_extended"
    ESCALATION_ACKNOWLEDGED = "escalation_acknowledged"
    PERSONAL_DATA_ERASED = "personal_data_erased"
    CHANGE_REFUSED = "change_refused"
    PLACED = "placed"
    RELATIVES_RECORDED = "relatives_recorded"
    AMENDED = "amended"
    CORRECTED = "corrected"
    DEADLINE_RECOMPUTED = "deadline_recomputed"
    LODGING_PLANNED = "lodging_planned"
    LODGING_ANSWERED = "lodging_answered"
    STOP_CANCELLED = "stop_cancelled"
    REDIRECTED = "redirected"
    RETURN_PLANNED = "return_planned"
    STOP_ARRIVED = "stop_arrived"
    STOP_DEPARTED = "stop_departed"


class CommandMeta(msgspec.Struct, frozen=True, kw_only=True):
    """Who sends a command and the request id that follows it into logs."""

    actor: Actor
    request_id: str
    actor_unit_kind: UnitKind | None = None


B = TypeVar("B")


class Command(msgspec.Struct, Generic[B], frozen=True, kw_only=True):
    """An update on an existing request: the body plus concurrency and retry controls.

    `idempotency_key` is already scoped to the caller's unit; `fingerprint` hashes the body
    so a reused key with another body is refused.
    """

    meta: CommandMeta
    body: B
    expected_version: int | None = None
    idempotency_key: str | None = None
    fingerprint: str = ""
    target: str | None = None  # the deadline, escalation or incident the command is about
    # A deferral for no capacity: what the capacity data said (looked up by the API).
    capacity: CapacityCheck | None = None


class Archive(msgspec.Struct, frozen=True, kw_only=True):
    """What a closed request's retention run carries: no personal data at all.

    After the follow-up window the request workflow continues as new with this instead of
    its record and events, so the history that holds the person's data closes (and is
    deleted by the namespace retention); the retention run only waits to erase.
    """

    reference: str
    state: str
    version: int
    last_seq: int
    last_hash: str
    erase_at: datetime | None
    erasure_deadline: str | None = None


class HandoverStart(msgspec.Struct, frozen=True, kw_only=True):
    """The workflow's start argument (`archive` only for a retention run)."""

    handover_id: str
    archive: Archive | None = None


class CreateHandover(msgspec.Struct, frozen=True, kw_only=True):
    """The `create` update: the validated body plus what the API assigned to it."""

    meta: CommandMeta
    reference: str
    fingerprint: str
    body: HandoverCreate
    origin_org: Org | None = None
    destination_kind: UnitKind | None = None
    clocks: Clocks = Clocks()


class Event(msgspec.Struct, frozen=True, kw_only=True):
    """One entry of a request's append-only, hash-chained event log."""

    handover_id: str
    seq: int
    type: EventType
    actor: ActorRef
    occurred_at: datetime
    recorded_at: datetime
    data: dict[str, Any]  # as stored and hashed: `events.logged(...)`; `events.read` types it
    request_id: str
    prev_hash: str
    hash: str = ""
    # How `hash` was computed (contracts/eventlog.py); events of older runs have no field.
    hash_alg: str = "msgspec-sorted-v1"
    # canonical-json-v2: a random salt erased with the data, and the digest the hash covers.
    salt: str = ""
    data_digest: str = ""


class Projection(msgspec.Struct, frozen=True, kw_only=True):
    """New events and the row they lead to, written to PostgreSQL in one transaction.

    When `record.erased_at` is set the projection also erases the request's key.
    """

    record: HandoverRecord
    events: list[Event]
    request_id: str


class Erasure(msgspec.Struct, frozen=True, kw_only=True):
    """The retention run's only write: erase the request's key and log that it was done."""

    handover_id: str
    event: Event
    erasure_deadline: str | None = None


class Outcome(msgspec.Struct, frozen=True, kw_only=True):
    """What a finished workflow returns."""

    handover_id: str
    state: str
    version: int
