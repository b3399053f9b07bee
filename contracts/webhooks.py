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

import enum
import hashlib
import hmac
import ipaddress
import secrets
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlsplit

import msgspec
from msgspec import Meta

from contracts.common import Input, Org, ShortText
from contracts.workflow import EventType

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


# --- Subscriptions (the API) -------------------------------------------------------------

WEBHOOK_URL_PATTERN = r"^https?://[^\s\x00-\x1f\x7f]+$"
WebhookUrl = Annotated[
    str,
    Meta(
        min_length=10,
        max_length=2000,
        pattern=WEBHOOK_URL_PATTERN,
        description=(
            "Where deliveries are POSTed: `https://` with a public host name or address "
            "(private, loopback and link-local addresses are refused)."
        ),
        examples=["https://kv-integration.example.se/handover/webhooks"],
    ),
]


class SubscriptionStatus(enum.StrEnum):
    """`active` delivers; `paused` keeps its place and delivers again on resume; `stopped`
    is final."""

    ACTIVE = "active"
    PAUSED = "paused"
    STOPPED = "stopped"


class SubscriptionCreate(Input, frozen=True, kw_only=True):
    """A webhook subscription for the caller's unit."""

    url: WebhookUrl
    event_types: (
        Annotated[
            list[EventType],
            Meta(
                min_length=1,
                max_length=len(EventType),
                description="Only these event types; absent or null: every type.",
            ),
        ]
        | None
    ) = None
    description: ShortText | None = None


class Subscription(msgspec.Struct, frozen=True, kw_only=True):
    """A subscription as its unit reads it (never with its secret)."""

    id: str
    org: Org
    unit: str
    url: str
    event_types: list[EventType] | None
    description: str | None
    status: SubscriptionStatus
    status_reason: Annotated[
        str | None,
        Meta(description="Why it is paused or stopped (`failing: ...` after repeated failures)."),
    ]
    status_changed_at: datetime
    created_by: str
    created_at: datetime


class SubscriptionCreated(Subscription, frozen=True, kw_only=True):
    """The answer to a new subscription: the only time its secret is shown."""

    secret: Annotated[
        str,
        Meta(
            description=(
                "HMAC-SHA256 key of `Handover-Signature`. Shown once: store it now; no read "
                "returns it again."
            )
        ),
    ]


class SubscriptionPage(msgspec.Struct, frozen=True, kw_only=True):
    items: list[Subscription]


class DeliveryOutcome(enum.StrEnum):
    DELIVERED = "delivered"
    FAILED = "failed"


class DeliveryAttempt(msgspec.Struct, frozen=True, kw_only=True):
    """One POST of one event to the subscriber."""

    id: Annotated[str, Meta(description="The attempt's `Handover-Delivery` header.")]
    event_id: str
    handover_id: str
    seq: int
    attempt: Annotated[int, Meta(description="1 for the first try of this event, then 2, 3 ...")]
    redelivery: bool
    attempted_at: datetime
    outcome: DeliveryOutcome
    http_status: int | None
    error: Annotated[str | None, Meta(description="Why it failed (never the response body).")]
    duration_ms: int | None
    next_attempt_at: Annotated[
        datetime | None,
        Meta(description="When the next try is due; null when delivered or given up."),
    ]


class DeliveryPage(msgspec.Struct, frozen=True, kw_only=True):
    """Recent attempts, newest first."""

    items: list[DeliveryAttempt]


class RedeliveryQueued(msgspec.Struct, frozen=True, kw_only=True):
    """The event will be delivered again, with the same `Handover-Event-Id`."""

    event_id: str


# --- URLs the service may call -------------------------------------------------------------

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})


def address_refusal(address: str, *, allow_loopback: bool) -> str | None:
    """Why the service must not connect to this IP address, or None when it may."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return "not an IP address"
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return None if allow_loopback else "a loopback address"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_private or ip.is_reserved or ip.is_multicast or ip.is_unspecified:
        return "a private or reserved address"
    if not ip.is_global:
        return "not a public address"
    return None


def url_refusal(url: str, *, allow_loopback: bool) -> str | None:
    """Why a subscription may not name this URL, or None. Host names are resolved (and each
    address checked) again at every delivery; here only what the URL itself says."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "not a valid URL"
    host = (parts.hostname or "").lower().rstrip(".")
    if not host:
        return "the URL names no host"
    if parts.username is not None or parts.password is not None:
        return "credentials in the URL are not allowed"
    if parts.fragment:
        return "a fragment is never sent; remove it"
    loopback = host in LOOPBACK_NAMES or host.endswith(".localhost")
    if parts.scheme == "http":
        if not (allow_loopback and loopback):
            return "only https:// (plain http only to localhost in development)"
    elif parts.scheme != "https":
        return "only https://"
    if port == 0:
        return "port 0 is not a port"
    if loopback:
        return None if allow_loopback else "a loopback address"
    if host.endswith((".local", ".internal", ".localdomain", ".lan", ".home.arpa")):
        return "a local host name"
    try:
        ipaddress.ip_address(host)
    except ValueError:
        if "." not in host:
            return "a host name without a domain"
        return None
    return address_refusal(host, allow_loopback=allow_loopback)


# --- The delivery workflow's messages --------------------------------------------------------

WEBHOOK_WORKFLOW = "WebhookDelivery"
ACTIVITY_WEBHOOK_FETCH = "webhook_fetch"
ACTIVITY_WEBHOOK_DELIVER = "webhook_deliver"
ACTIVITY_WEBHOOK_STATUS = "webhook_status"
UPDATE_WEBHOOK_PAUSE = "pause"
UPDATE_WEBHOOK_RESUME = "resume"
UPDATE_WEBHOOK_STOP = "stop"
UPDATE_WEBHOOK_REDELIVER = "redeliver"
# The activity's failure type when a delivery can never succeed as configured (no key, a
# refused address): not retried, the subscription pauses with the message as its reason.
WEBHOOK_REFUSED = "WebhookRefused"


def webhook_workflow_id(subscription_id: str) -> str:
    return f"webhook-{subscription_id}"


class WebhookPolicy(msgspec.Struct, frozen=True, kw_only=True):
    """How the workflow retries and polls (from the API's settings at creation)."""

    initial_backoff_seconds: float = 1.0
    max_backoff_seconds: float = 300.0
    max_failures: int = 8
    poll_seconds: float = 2.0
    timeout_seconds: float = 5.0
    batch: int = 50
    steps_per_run: int = 500


class Position(msgspec.Struct, frozen=True, kw_only=True):
    """A place in the event feed: (writing transaction, global sequence)."""

    tx: str
    global_seq: int


class EventRef(msgspec.Struct, frozen=True, kw_only=True):
    """An event to deliver, without its data (which never passes through Temporal)."""

    handover_id: str
    seq: int
    position: Position | None = None


class WebhookStart(msgspec.Struct, frozen=True, kw_only=True):
    """The workflow's input, and what it carries into each continued run."""

    subscription_id: str
    policy: WebhookPolicy
    cursor: Position | None = None  # None: from the subscription's start
    paused: bool = False
    status_version: int = 1
    redeliveries: list[EventRef] = []


class FetchRequest(msgspec.Struct, frozen=True, kw_only=True):
    subscription_id: str
    after: Position | None
    limit: int


class DeliverRequest(msgspec.Struct, frozen=True, kw_only=True):
    subscription_id: str
    event: EventRef
    redelivery: bool
    policy: WebhookPolicy


class DeliverResult(msgspec.Struct, frozen=True, kw_only=True):
    """`delivered` false: the event is no longer the subscriber's to see (skipped)."""

    delivered: bool


class StatusChange(msgspec.Struct, frozen=True, kw_only=True):
    subscription_id: str
    status: SubscriptionStatus
    reason: str | None
    version: int


class Redeliver(msgspec.Struct, frozen=True, kw_only=True):
    event: EventRef
