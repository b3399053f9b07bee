"""Webhook subscriptions of the caller's unit: create (the secret shown once), read, pause,
resume, stop, the delivery attempts and redelivery. Thin: parse, delegate, shape."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, Response, delete, get, post
from litestar.datastructures import ResponseHeader
from litestar.di import NamedDependency
from litestar.openapi.spec import Example
from litestar.params import Body, FromPath, QueryParameter

from contracts.common import Actor
from contracts.webhooks import (
    DeliveryOutcome,
    DeliveryPage,
    RedeliveryQueued,
    Subscription,
    SubscriptionCreate,
    SubscriptionCreated,
    SubscriptionPage,
)
from services.handover.api.docs import BEARER, problems
from services.handover.api.handovers import MAX_LIMIT, request_id
from services.handover.webhooks import WebhookService

SUBSCRIBE_EXAMPLE = {
    "url": "https://kv-integration.example.se/handover/webhooks",
    "event_types": ["requested", "security_assessment_amended", "deadline_breached"],
    "description": "Transport planning, NTE Stockholm",
}
LOCATION = ResponseHeader(
    name="Location", description="The new subscription.", documentation_only=True
)


class SubscriptionController(Controller):
    path = "/v1/subscriptions"
    tags = ("webhooks",)
    security = BEARER

    @post(
        "/",
        operation_id="createSubscription",
        status_code=201,
        responses=problems(400, 401, 403, 409, 415, 503),
        response_headers=[LOCATION],
    )
    async def create(
        self,
        request: Request[Actor, Any, Any],
        webhooks: NamedDependency[WebhookService],
        data: Annotated[
            SubscriptionCreate,
            Body(examples=[Example(summary="Some event types", value=SUBSCRIBE_EXAMPLE)]),
        ],
    ) -> Response[SubscriptionCreated]:
        """Subscribe your unit to signed webhooks; the answer shows the secret, once."""
        created = await webhooks.create(actor=request.user, data=data)
        return Response(
            created,
            status_code=201,
            headers={"Location": f"/v1/subscriptions/{created.id}"},
        )

    @get("/", operation_id="listSubscriptions", responses=problems(401, 403, 503))
    async def list_all(
        self, request: Request[Actor, Any, Any], webhooks: NamedDependency[WebhookService]
    ) -> SubscriptionPage:
        """Your unit's subscriptions (never their secrets)."""
        return await webhooks.list(actor=request.user)

    @get(
        "/{subscription_id:uuid}",
        operation_id="getSubscription",
        responses=problems(400, 401, 403, 404, 503),
    )
    async def get_one(
        self,
        request: Request[Actor, Any, Any],
        webhooks: NamedDependency[WebhookService],
        subscription_id: FromPath[UUID],
    ) -> Subscription:
        """One subscription of your unit, with its status (never its secret)."""
        return await webhooks.get(actor=request.user, subscription_id=str(subscription_id))

    @delete(
        "/{subscription_id:uuid}",
        operation_id="stopSubscription",
        status_code=204,
        responses=problems(400, 401, 403, 404, 503),
    )
    async def stop(
        self,
        request: Request[Actor, Any, Any],
        webhooks: NamedDependency[WebhookService],
        subscription_id: FromPath[UUID],
    ) -> None:
        """Stop a subscription for good; its delivery history stays readable."""
        await webhooks.stop(actor=request.user, subscription_id=str(subscription_id))

    @post(
        "/{subscription_id:uuid}/pause",
        operation_id="pauseSubscription",
        status_code=200,
        responses=problems(400, 401, 403, 404, 409, 503),
    )
    async def pause(
        self,
        request: Request[Actor, Any, Any],
        webhooks: NamedDependency[WebhookService],
        subscription_id: FromPath[UUID],
    ) -> Subscription:
        """Pause deliveries; the subscription keeps its place in the feed."""
        return await webhooks.pause(actor=request.user, subscription_id=str(subscription_id))

    @post(
        "/{subscription_id:uuid}/resume",
        operation_id="resumeSubscription",
        status_code=200,
        responses=problems(400, 401, 403, 404, 409, 503),
    )
    async def resume(
        self,
        request: Request[Actor, Any, Any],
        webhooks: NamedDependency[WebhookService],
        subscription_id: FromPath[UUID],
    ) -> Subscription:
        """Resume deliveries with the first event not yet delivered."""
        return await webhooks.resume(actor=request.user, subscription_id=str(subscription_id))

    @get(
        "/{subscription_id:uuid}/deliveries",
        operation_id="listDeliveries",
        responses=problems(400, 401, 403, 404, 503),
    )
    async def deliveries(
        self,
        request: Request[Actor, Any, Any],
        webhooks: NamedDependency[WebhookService],
        subscription_id: FromPath[UUID],
        outcome: Annotated[
            DeliveryOutcome | None, QueryParameter(description="Only delivered or failed ones.")
        ] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT)] = 50,
    ) -> DeliveryPage:
        """Recent delivery attempts, newest first, failed ones with their error; audited."""
        return await webhooks.deliveries(
            actor=request.user,
            subscription_id=str(subscription_id),
            outcome=outcome,
            limit=limit,
            request_id=request_id(request),
        )

    @post(
        "/{subscription_id:uuid}/deliveries/{delivery_id:uuid}/redeliver",
        operation_id="redeliverEvent",
        status_code=202,
        responses=problems(400, 401, 403, 404, 409, 503),
    )
    async def redeliver(
        self,
        request: Request[Actor, Any, Any],
        webhooks: NamedDependency[WebhookService],
        subscription_id: FromPath[UUID],
        delivery_id: FromPath[UUID],
    ) -> RedeliveryQueued:
        """Deliver the event of an earlier attempt again (after the one in flight)."""
        event_id = await webhooks.redeliver(
            actor=request.user, subscription_id=str(subscription_id), delivery_id=str(delivery_id)
        )
        return RedeliveryQueued(event_id=event_id)
