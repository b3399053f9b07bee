"""Activities of the webhook delivery workflow: read the subscriber's next events, POST one
signed event, record the subscription's status. The event's data never passes through
Temporal: the delivery activity reads and opens it itself, right before sending it."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg
import httpx
import msgspec
import structlog
from temporalio import activity
from temporalio.exceptions import ApplicationError

from contracts.access import Purpose
from contracts.common import Role
from contracts.sealing import Unreadable, event_context, seal, unseal
from contracts.webhooks import (
    ACTIVITY_WEBHOOK_DELIVER,
    ACTIVITY_WEBHOOK_FETCH,
    ACTIVITY_WEBHOOK_STATUS,
    DELIVERY_HEADER,
    EVENT_ID_HEADER,
    SIGNATURE_HEADER,
    WEBHOOK_REFUSED,
    DeliverRequest,
    DeliverResult,
    Delivery,
    DeliveryOutcome,
    EventRef,
    FetchRequest,
    Position,
    StatusChange,
    WebhookPolicy,
    address_refusal,
    sign,
    url_refusal,
)
from workflows.codec import key_id

log = structlog.get_logger(__name__)

_SQL = Path(__file__).with_name("sql")
FEED = (_SQL / "webhook_feed.sql").read_text()
EVENT = (_SQL / "webhook_event.sql").read_text()
ATTEMPT = (_SQL / "webhook_attempt.sql").read_text()
ACCESS = (_SQL / "webhook_access.sql").read_text()
STATUS = (_SQL / "webhook_status.sql").read_text()
# What a delivery failure is called in Temporal (retried with backoff by the retry policy).
WEBHOOK_FAILED = "WebhookFailed"


def secret_context(subscription_id: str) -> str:
    return f"webhook-secret:{subscription_id}"


class SecretBox:
    """Seals subscription secrets with the current key; opens them with any known key (each
    row names its key's id, so a rotation keeps older subscriptions working)."""

    def __init__(self, key: bytes, old_keys: Sequence[bytes] = ()) -> None:
        self.current = key_id(key).decode()
        self._keys = {key_id(k).decode(): k for k in (key, *old_keys)}

    def seal(self, subscription_id: str, secret: str) -> tuple[bytes, str]:
        key = self._keys[self.current]
        return seal(key, secret.encode(), secret_context(subscription_id)), self.current

    def open(self, subscription_id: str, sealed: bytes, kid: str) -> str:
        key = self._keys.get(kid)
        if key is None:
            raise Unreadable(secret_context(subscription_id))
        return unseal(key, sealed, secret_context(subscription_id)).decode()


@dataclass(frozen=True)
class WebhookConfig:
    """The worker's side of webhooks: the key that opens secrets, and whether plain http to
    loopback is allowed (development and tests only)."""

    secrets: SecretBox | None = None
    allow_loopback: bool = False


def backoff(policy: WebhookPolicy, attempt: int) -> timedelta:
    """The wait after failed attempt `attempt`, as the workflow's retry policy computes it."""
    seconds = policy.initial_backoff_seconds * 2 ** (attempt - 1)
    return timedelta(seconds=min(seconds, policy.max_backoff_seconds))


def refused(message: str) -> ApplicationError:
    """A delivery that cannot succeed as configured: not retried; the subscription pauses."""
    return ApplicationError(message, type=WEBHOOK_REFUSED, non_retryable=True)


class WebhookActivities:
    def __init__(self, pool: asyncpg.Pool, config: WebhookConfig) -> None:
        self._pool = pool
        self._config = config

    @activity.defn(name=ACTIVITY_WEBHOOK_FETCH)
    async def fetch(self, request: FetchRequest) -> list[EventRef]:
        after = request.after
        rows = await self._pool.fetch(
            FEED,
            uuid.UUID(request.subscription_id),
            int(after.tx) if after else None,
            after.global_seq if after else None,
            request.limit,
        )
        return [
            EventRef(
                handover_id=row["handover_id"],
                seq=row["seq"],
                position=Position(tx=row["tx"], global_seq=row["global_seq"]),
            )
            for row in rows
        ]

    @activity.defn(name=ACTIVITY_WEBHOOK_STATUS)
    async def status(self, change: StatusChange) -> None:
        await self._pool.execute(
            STATUS,
            uuid.UUID(change.subscription_id),
            change.status.value,
            change.reason,
            change.version,
        )
        log.info(
            "webhook.status",
            subscription_id=change.subscription_id,
            status=change.status.value,
            reason=change.reason,
        )

    @activity.defn(name=ACTIVITY_WEBHOOK_DELIVER)
    async def deliver(self, request: DeliverRequest) -> DeliverResult:
        """POST one event, signed; record the attempt and audit the data sent, then raise if
        it failed (the workflow's retry policy retries with backoff)."""
        subscription_id, event = request.subscription_id, request.event
        row = await self._pool.fetchrow(
            EVENT, uuid.UUID(subscription_id), uuid.UUID(event.handover_id), event.seq
        )
        if row is None:
            raise refused("no such subscription or event")
        if not row["visible"]:
            return DeliverResult(delivered=False)  # no longer the subscriber's to see
        secret = self._secret(subscription_id, row["secret_sealed"], row["secret_key_id"])
        url = row["url"]
        await self._check_destination(url)
        body = msgspec.json.encode(self._delivery(subscription_id, row))
        event_id = f"{event.handover_id}:{event.seq}"
        delivery_id = str(uuid.uuid4())
        timestamp = int(time.time())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "handover-webhooks/1",
            SIGNATURE_HEADER: sign(secret, timestamp, body),
            EVENT_ID_HEADER: event_id,
            DELIVERY_HEADER: delivery_id,
        }
        attempt = activity.info().attempt
        policy = request.policy
        started = time.monotonic()
        status: int | None = None
        error: str | None = None
        sent = True
        try:
            async with httpx.AsyncClient(
                timeout=httpx.Timeout(policy.timeout_seconds), follow_redirects=False
            ) as client:
                response = await client.post(url, content=body, headers=headers)
            status = response.status_code
            if not 200 <= status < 300:
                error = f"HTTP {status}" + (
                    " (redirects are not followed)" if 300 <= status < 400 else ""
                )
        except httpx.TimeoutException:
            error = f"no answer within {policy.timeout_seconds:g} s"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: could not connect"
            sent = not isinstance(exc, httpx.ConnectError)
        duration_ms = int((time.monotonic() - started) * 1000)
        next_at = None
        if error is not None and attempt < policy.max_failures:
            next_at = datetime.now(UTC) + backoff(policy, attempt)
        roles = list(row["roles"])
        async with self._pool.acquire() as connection, connection.transaction():
            await connection.execute(
                ATTEMPT,
                uuid.UUID(delivery_id),
                uuid.UUID(subscription_id),
                uuid.UUID(event.handover_id),
                event.seq,
                attempt,
                request.redelivery,
                (DeliveryOutcome.FAILED if error else DeliveryOutcome.DELIVERED).value,
                status,
                error,
                duration_ms,
                next_at,
            )
            if sent:  # the body (a person's data) reached, or may have reached, the subscriber
                purpose = (
                    Purpose.COORDINATION if Role.COORDINATOR in roles else Purpose.CASE_HANDLING
                )
                await connection.execute(
                    ACCESS,
                    f"webhook:{subscription_id}",
                    row["org"],
                    row["unit"],
                    [event.handover_id],
                    purpose.value,
                    delivery_id,
                    roles,
                )
        log.info(
            "webhook.attempt",
            subscription_id=subscription_id,
            event_id=event_id,
            delivery_id=delivery_id,
            attempt=attempt,
            http_status=status,
            error=error,
        )
        if error is not None:
            raise ApplicationError(error, type=WEBHOOK_FAILED)
        return DeliverResult(delivered=True)

    def _secret(self, subscription_id: str, sealed: bytes, kid: str) -> str:
        if self._config.secrets is None:
            raise refused("the worker has no webhook key (HANDOVER_WEBHOOK_KEY or _PAYLOAD_KEY)")
        try:
            return self._config.secrets.open(subscription_id, sealed, kid)
        except Unreadable:
            raise refused(
                "the subscription's secret does not open with the worker's keys"
            ) from None

    async def _check_destination(self, url: str) -> None:
        """The URL's rule again, and every address its host resolves to now (a name that
        pointed outside at creation may point inside today)."""
        allow = self._config.allow_loopback
        if (why := url_refusal(url, allow_loopback=allow)) is not None:
            raise refused(f"the URL is refused: {why}")
        parts = urlsplit(url)
        host = parts.hostname or ""
        try:
            found = await asyncio.get_running_loop().getaddrinfo(
                host, parts.port or (443 if parts.scheme == "https" else 80)
            )
        except OSError as exc:
            raise ApplicationError(
                f"the host does not resolve ({exc.errno})", type=WEBHOOK_FAILED
            ) from None
        for *_, sockaddr in found:
            if (why := address_refusal(str(sockaddr[0]), allow_loopback=allow)) is not None:
                raise refused(f"the host resolves to {why}")

    @staticmethod
    def _delivery(subscription_id: str, row: asyncpg.Record) -> Delivery:
        data = msgspec.json.decode(row["data"]) if row["data"] is not None else None
        key, sealed = row["key"], row["sealed"]
        if key is not None and sealed is not None:
            opened = msgspec.json.decode(
                unseal(key, sealed, event_context(row["handover_id"], row["seq"]))
            )
            data = opened["data"]
        return Delivery(
            subscription_id=subscription_id,
            event_id=f"{row['handover_id']}:{row['seq']}",
            handover_id=row["handover_id"],
            reference=row["reference"],
            seq=row["seq"],
            type=row["type"],
            occurred_at=row["occurred_at"],
            recorded_at=row["recorded_at"],
            data=data,
        )
