"""Webhook subscriptions: the use cases behind /v1/subscriptions.

The API writes a subscription once (with its secret sealed) and starts its delivery
workflow; from then on the workflow is the only writer of its status (pause, resume, stop
and the pause after repeated failure are updates of that workflow).
"""

from __future__ import annotations

import uuid

import msgspec

from contracts.common import Actor, Role
from contracts.webhooks import (
    UPDATE_WEBHOOK_PAUSE,
    UPDATE_WEBHOOK_REDELIVER,
    UPDATE_WEBHOOK_RESUME,
    UPDATE_WEBHOOK_STOP,
    DeliveryAttempt,
    DeliveryOutcome,
    DeliveryPage,
    EventRef,
    Redeliver,
    Subscription,
    SubscriptionCreate,
    SubscriptionCreated,
    SubscriptionPage,
    SubscriptionStatus,
    WebhookPolicy,
    WebhookStart,
    new_secret,
    url_refusal,
)
from services.handover.audit_context import current_purpose
from services.handover.errors import (
    Conflict,
    FieldError,
    Forbidden,
    InternalError,
    InvalidInput,
    NotFound,
    Unavailable,
)
from services.handover.read_use_cases import HandoverQueries
from services.handover.repository import Repository
from services.handover.temporal_gateway import TemporalGateway, WorkflowGone
from workflows.webhook_activities import SecretBox

SUBSCRIBERS = (Role.SYSTEM, Role.COORDINATOR)
# Subscriptions a unit may have that are not stopped: each is a workflow polling the feed.
MAX_PER_UNIT = 20


class WebhookStore(Repository):
    """The subscriptions' rows (named SQL in sql/)."""

    async def insert(self, **values: object) -> Subscription:
        rows = await self._fetch("insert_subscription", **values)
        return msgspec.convert(dict(rows[0]), Subscription)

    async def get(self, *, actor: Actor, subscription_id: str) -> Subscription:
        rows = await self._structs(
            "get_subscription", Subscription, id=subscription_id, org=actor.org, unit=actor.unit
        )
        if not rows:
            raise NotFound(f"No subscription {subscription_id} of your unit.")
        return rows[0]

    async def of_unit(self, *, actor: Actor) -> list[Subscription]:
        return await self._structs(
            "list_subscriptions", Subscription, org=actor.org, unit=actor.unit
        )

    async def delete(self, *, subscription_id: str) -> None:
        await self._fetch("delete_subscription", id=subscription_id)

    async def stop(self, *, subscription_id: str, reason: str) -> None:
        await self._fetch("stop_subscription", id=subscription_id, reason=reason)

    async def deliveries(
        self, *, subscription_id: str, outcome: DeliveryOutcome | None, limit: int
    ) -> list[DeliveryAttempt]:
        return await self._structs(
            "list_deliveries",
            DeliveryAttempt,
            subscription_id=subscription_id,
            outcome=outcome,
            limit=limit,
        )

    async def delivery(self, *, subscription_id: str, delivery_id: str) -> EventRef:
        rows = await self._fetch("get_delivery", id=delivery_id, subscription_id=subscription_id)
        if not rows:
            raise NotFound(f"No delivery {delivery_id} of subscription {subscription_id}.")
        return EventRef(handover_id=rows[0]["handover_id"], seq=rows[0]["seq"])


class WebhookService:
    def __init__(
        self,
        store: WebhookStore,
        queries: HandoverQueries,
        temporal: TemporalGateway,
        *,
        secrets: SecretBox | None,
        policy: WebhookPolicy,
        allow_loopback: bool,
    ) -> None:
        self._store = store
        self._queries = queries
        self._temporal = temporal
        self._secrets = secrets
        self._policy = policy
        self._allow_loopback = allow_loopback

    @staticmethod
    def _may(actor: Actor) -> None:
        if not actor.has_any(*SUBSCRIBERS):
            raise Forbidden("Only the roles system and coordinator manage webhook subscriptions.")

    async def create(self, *, actor: Actor, data: SubscriptionCreate) -> SubscriptionCreated:
        """Store the subscription with its secret sealed, start its workflow, show the secret."""
        self._may(actor)
        if (why := url_refusal(data.url, allow_loopback=self._allow_loopback)) is not None:
            raise InvalidInput(f"url is refused: {why}", errors=[FieldError("url", why)])
        if self._secrets is None:
            raise InternalError("Webhooks are not configured (no webhook or payload key).")
        existing = await self._store.of_unit(actor=actor)
        if sum(s.status != SubscriptionStatus.STOPPED for s in existing) >= MAX_PER_UNIT:
            raise Conflict(f"Your unit already has {MAX_PER_UNIT} subscriptions; stop one first.")
        scope = await self._queries.scope(actor)
        subscription_id = str(uuid.uuid4())
        secret = new_secret()
        sealed, key_id = self._secrets.seal(subscription_id, secret)
        subscription = await self._store.insert(
            id=subscription_id,
            org=actor.org,
            unit=actor.unit,
            url=data.url,
            event_types=None if data.event_types is None else [str(t) for t in data.event_types],
            description=data.description,
            secret_sealed=sealed,
            secret_key_id=key_id,
            roles=[str(role) for role in actor.roles],
            visible_units=scope.visible_units or [],
            executing_org=scope.executing_org,
            scope_org=scope.org,
            scope_region=scope.region,
            created_by=actor.sub,
        )
        try:
            await self._temporal.start_webhook(
                WebhookStart(subscription_id=subscription_id, policy=self._policy)
            )
        except Unavailable:
            await self._store.delete(subscription_id=subscription_id)
            raise
        return SubscriptionCreated(**msgspec.structs.asdict(subscription), secret=secret)

    async def list(self, *, actor: Actor) -> SubscriptionPage:
        self._may(actor)
        return SubscriptionPage(items=await self._store.of_unit(actor=actor))

    async def get(self, *, actor: Actor, subscription_id: str) -> Subscription:
        self._may(actor)
        return await self._store.get(actor=actor, subscription_id=subscription_id)

    async def pause(self, *, actor: Actor, subscription_id: str) -> Subscription:
        return await self._command(actor, subscription_id, UPDATE_WEBHOOK_PAUSE)

    async def resume(self, *, actor: Actor, subscription_id: str) -> Subscription:
        return await self._command(actor, subscription_id, UPDATE_WEBHOOK_RESUME)

    async def stop(self, *, actor: Actor, subscription_id: str) -> None:
        subscription = await self.get(actor=actor, subscription_id=subscription_id)
        if subscription.status == SubscriptionStatus.STOPPED:
            return
        try:
            await self._temporal.webhook_update(subscription_id, UPDATE_WEBHOOK_STOP)
        except (WorkflowGone, Conflict):
            await self._store.stop(subscription_id=subscription_id, reason="stopped (no workflow)")

    async def _command(self, actor: Actor, subscription_id: str, update: str) -> Subscription:
        subscription = await self.get(actor=actor, subscription_id=subscription_id)
        if subscription.status == SubscriptionStatus.STOPPED:
            raise Conflict("The subscription is stopped.")
        try:
            await self._temporal.webhook_update(subscription_id, update)
        except WorkflowGone as exc:
            raise Conflict("The subscription's delivery workflow is gone; stop it.") from exc
        return await self.get(actor=actor, subscription_id=subscription_id)

    async def deliveries(
        self,
        *,
        actor: Actor,
        subscription_id: str,
        outcome: DeliveryOutcome | None,
        limit: int,
        request_id: str,
    ) -> DeliveryPage:
        """Recent attempts; they name requests, so reading them is audited."""
        await self.get(actor=actor, subscription_id=subscription_id)
        items = await self._store.deliveries(
            subscription_id=subscription_id, outcome=outcome, limit=limit
        )
        await self._store.log_access(
            actor=actor,
            action="read_webhook_deliveries",
            handover_ids=sorted({item.handover_id for item in items}),
            purpose=current_purpose(),
            request_id=request_id,
        )
        return DeliveryPage(items=items)

    async def redeliver(self, *, actor: Actor, subscription_id: str, delivery_id: str) -> str:
        """Queue the event of an earlier attempt for delivery again; its event id."""
        subscription = await self.get(actor=actor, subscription_id=subscription_id)
        event = await self._store.delivery(subscription_id=subscription_id, delivery_id=delivery_id)
        if subscription.status == SubscriptionStatus.STOPPED:
            raise Conflict("The subscription is stopped.")
        try:
            await self._temporal.webhook_update(
                subscription_id, UPDATE_WEBHOOK_REDELIVER, Redeliver(event=event)
            )
        except WorkflowGone as exc:
            raise Conflict("The subscription's delivery workflow is gone; stop it.") from exc
        return f"{event.handover_id}:{event.seq}"
