"""Signed webhooks: how a delivery is signed, and how a receiver checks it.

Every delivery is a POST of one JSON body (`Delivery`) with these headers:

- `Handover-Signature: t=<unix seconds>,v1=<hex>`, where `<hex>` is HMAC-SHA256 with the
  subscription's secret over the bytes `<t>` + `.` + the raw body. Several `v1=` entries may
  appear while a secret is being rotated; one matching is enough.
- `Handover-Event-Id: <handover_id>:<seq>`: the same for every attempt of one event, so a
  receiver that stores it can drop a repeat.
- `Handover-Delivery: <uuid>`: one attempt.

A receiver must compute the HMAC over the raw body (before any JSON parsing), compare it in
constant time, refuse a timestamp further than `TOLERANCE` from its own clock (replay
protection), and drop an event id it has already processed (deliveries are at least once).
`verify` does all but the last.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime
from typing import Annotated, Any

import msgspec
from msgspec import Meta

SIGNATURE_HEADER = "Handover-Signature"
EVENT_ID_HEADER = "Handover-Event-Id"
DELIVERY_HEADER = "Handover-Delivery"
SECRET_PREFIX = "whsec_"  # noqa: S105 - a prefix that marks a secret, not one
TOLERANCE_SECONDS = 300


def new_secret() -> str:
    """A subscription secret: shown once, at creation."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The hex HMAC-SHA256 of `<timestamp>.<body>` with `secret`."""
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The `Handover-Signature` header value for one delivery."""
    return f"t={timestamp},v1={signature(secret, timestamp, body)}"


def verify(
    secret: str,
    header: str,
    body: bytes,
    *,
    now: float,
    tolerance: int = TOLERANCE_SECONDS,
) -> bool:
    """Whether `header` signs `body` with `secret` within `tolerance` seconds of `now`."""
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name == "t" and value.isascii() and value.isdigit():
            timestamp = int(value)
        elif name == "v1":
            candidates.append(value)
    if timestamp is None or abs(now - timestamp) > tolerance:
        return False
    expected = signature(secret, timestamp, body)
    return any(hmac.compare_digest(expected, candidate) for candidate in candidates)


class Delivery(msgspec.Struct, frozen=True, kw_only=True):
    """The body of one webhook delivery: one event of a request the subscriber may see."""

    subscription_id: str
    event_id: Annotated[str, Meta(description="`<handover_id>:<seq>`; the same on every retry.")]
    handover_id: str
    reference: str
    seq: int
    type: str
    occurred_at: datetime
    recorded_at: datetime
    data: Annotated[
        dict[str, Any] | None, Meta(description="Null once the person's data is erased.")
    ]
