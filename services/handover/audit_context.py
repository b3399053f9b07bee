"""The purpose a caller gives for reading personal data (`X-Purpose`), for this request."""

from __future__ import annotations

from contextvars import ContextVar

from contracts.access import Purpose

UNSTATED = "unstated"
_PURPOSE: ContextVar[Purpose | None] = ContextVar("purpose", default=None)


def set_purpose(purpose: Purpose | None) -> None:
    """Called once per request by the API's before_request hook."""
    _PURPOSE.set(purpose)


def current_purpose() -> str:
    """What the access log records: the purpose given, or `unstated`."""
    purpose = _PURPOSE.get()
    return UNSTATED if purpose is None else str(purpose)
