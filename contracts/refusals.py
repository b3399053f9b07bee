"""Why a change was refused: one table, raised by the workflow, mapped by the API, published.

Clients switch on the `reason` of a problem; its HTTP status comes from here, so a new
refusal cannot silently change class on its way through the API.
"""

from __future__ import annotations

import enum


class Refusal(enum.StrEnum):
    """A refusal's code; `status` is the HTTP status the API answers with."""

    INVALID_INPUT = "invalid_input"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    PRECONDITION_FAILED = "precondition_failed"
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
    ILLEGAL_TRANSITION = "illegal_transition"
    HANDOVER_STARTED = "handover_started"
    SECURITY_ASSESSMENT_INCOMPLETE = "security_assessment_incomplete"
    RELEASE_PENDING = "release_pending"
    DESTINATION_MUST_RECEIVE = "destination_must_receive"
    DEADLINE_CLOSED = "deadline_closed"
    ALREADY_ACKNOWLEDGED = "already_acknowledged"
    ALREADY_REPORTED = "already_reported"
    CHANGE_NOT_STORED = "change_not_stored"
    """The read model refused the change's data; nothing was applied, operators are alerted."""
    INTERNAL_ERROR = "internal_error"
    """A fault in the service's own rules; nothing was applied, operators are alerted."""
    ARCHIVED = "archived"
    """The request closed and its follow-up window ended: it takes no more changes."""
    PERSONAL_DATA_ERASED = "personal_data_erased"
    """The request's personal data was erased after the retention time."""
    NOT_AWAITING_PLACEMENT = "not_awaiting_placement"
    """`placed` needs a convicted person received at a remand prison and not yet placed."""

    @property
    def status(self) -> int:
        return _STATUS.get(self, 409)


_STATUS: dict[Refusal, int] = {
    Refusal.INVALID_INPUT: 400,
    Refusal.FORBIDDEN: 403,
    Refusal.NOT_FOUND: 404,
    Refusal.PRECONDITION_FAILED: 412,
    Refusal.IDEMPOTENCY_KEY_REUSED: 422,
    Refusal.CHANGE_NOT_STORED: 422,
    Refusal.INTERNAL_ERROR: 500,
    Refusal.PERSONAL_DATA_ERASED: 410,
}
"""Every other refusal is a 409: the action is not possible in the request's current state."""
