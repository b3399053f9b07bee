"""The Litestar application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

import asyncpg
from litestar import Litestar
from litestar.config.app import AppConfig
from litestar.config.cors import CORSConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Tag
from temporalio.client import Client
from temporalio.service import RetryConfig

from services.handover.api import actions, amendments, journey
from services.handover.api.audit import AuditController
from services.handover.api.capacity import CapacityController
from services.handover.api.deadlines import DeadlineController, EscalationController
from services.handover.api.docs import repair_schema
from services.handover.api.docs_assets import assets_router, swagger_plugin
from services.handover.api.exports import ExportController, InspectionController
from services.handover.api.feed import FeedController
from services.handover.api.handovers import HandoverController
from services.handover.api.health import HealthController
from services.handover.api.incidents import UnitIncidentController
from services.handover.api.reports import ReportController
from services.handover.api.strict import StrictRequest, check_request
from services.handover.api.units import UnitController
from services.handover.api.webhooks import SubscriptionController
from services.handover.auth import build_auth
from services.handover.board import router as board_router
from services.handover.errors import exception_handlers
from services.handover.metrics import Metrics, metrics_route
from services.handover.middleware import request_context, response_headers
from services.handover.postgres import decode_json
from services.handover.ratelimit import STORE, PostgresStore, rate_limit_config
from services.handover.read_use_cases import HandoverQueries
from services.handover.repository import Repository
from services.handover.revocations import Revocations
from services.handover.settings import Settings
from services.handover.temporal_gateway import TemporalGateway
from services.handover.tokens import TokenVerifier
from services.handover.unit_directory import UnitDirectory
from services.handover.unit_incidents import UnitIncidents
from services.handover.use_cases import HandoverService
from services.handover.webhooks import WebhookService, WebhookStore
from workflows.converter import data_converter

API_VERSION = "1.0.0"
MAX_BODY_BYTES = 256 * 1024
DESCRIPTION = """\
Shared API between Swedish police custody (Polisen) and Kriminalvården for handover requests:
transfers of people in police custody to remand prisons and prisons, and enforcement
assistance. Every request's state lives in a Temporal workflow; reads come from PostgreSQL.

Authenticate with `Authorization: Bearer <JWT>` (claims `sub`, `org`, `unit`, `roles`,
`iat`, `exp`; at most 10 hours). Errors are `application/problem+json` (RFC 9457).
Send an `Idempotency-Key` with every POST to make retries safe.

Every read and change of a person's data is logged with who, when and why: say why with
`X-Purpose` (case_handling, coordination, follow_up, incident_investigation, supervision);
a read outside your own cases without one is flagged for the auditors.
"""


# The client's own retry of a failed RPC (Temporal restarting, a lost connection): the SDK's
# default backs off to 5 s between attempts, so a call could sleep 5 s after the server was
# back; 1 s at most. The API's calls are bounded by HANDOVER_UPDATE_TIMEOUT_SECONDS anyway.
RPC_RETRY = RetryConfig(
    initial_interval_millis=100,
    multiplier=1.5,
    max_interval_millis=1000,
    max_elapsed_time_millis=10_000,
    max_retries=20,
)


async def connect_temporal(settings: Settings) -> Client:
    assert settings.temporal_address is not None
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=data_converter(settings.payload_codec()),
        retry_config=RPC_RETRY,
    )


async def create_pool(
    settings: Settings,
    *,
    init: Callable[[asyncpg.Connection], Coroutine[Any, Any, None]] | None = None,
) -> asyncpg.Pool:
    """A pool that connects on demand: the API starts, and answers 503, while PostgreSQL is down."""
    assert settings.database_url is not None
    return await asyncpg.create_pool(
        settings.database_url,
        min_size=0,
        max_size=settings.pg_pool_max,
        timeout=settings.db_timeout_seconds,
        command_timeout=settings.db_timeout_seconds,
        init=init,
    )


def create_app(settings: Settings) -> Litestar:
    """Build the app; PostgreSQL and Temporal connections open in the lifespan."""

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        pool = await create_pool(settings, init=decode_json)
        repository = Repository(pool, timeout=settings.db_timeout_seconds)
        # Connects on the first request, so the API starts, and answers 503, while Temporal is down.
        temporal = TemporalGateway(
            partial(connect_temporal, settings),
            task_queue=settings.task_queue,
            timeout=settings.update_timeout_seconds,
        )
        app.state.repository = repository
        app.state.temporal = temporal
        app.state.handovers = HandoverService(repository, temporal, settings.clocks())
        app.state.queries = HandoverQueries(repository, audit_key=settings.audit_key_bytes())
        app.state.unit_incidents = UnitIncidents(repository, temporal, settings.clocks())
        app.state.webhooks = WebhookService(
            WebhookStore(pool, timeout=settings.db_timeout_seconds),
            app.state.queries,
            temporal,
            secrets=settings.webhook_secrets(),
            policy=settings.webhook_policy(),
            allow_loopback=settings.webhook_allow_loopback,
        )
        rate_store.attach(pool)
        app.state.units = UnitDirectory(repository)
        app.state.revocations = Revocations(
            repository, refresh_seconds=settings.revocation_refresh_seconds
        )
        try:
            yield
        finally:
            await pool.close()

    def provide_repository(state: State) -> Repository:
        repository: Repository = state.repository
        return repository

    def provide_handovers(state: State) -> HandoverService:
        service: HandoverService = state.handovers
        return service

    def provide_queries(state: State) -> HandoverQueries:
        queries: HandoverQueries = state.queries
        return queries

    def provide_webhooks(state: State) -> WebhookService:
        webhooks: WebhookService = state.webhooks
        return webhooks

    def provide_unit_incidents(state: State) -> UnitIncidents:
        unit_incidents: UnitIncidents = state.unit_incidents
        return unit_incidents

    def provide_temporal(state: State) -> TemporalGateway:
        temporal: TemporalGateway = state.temporal
        return temporal

    auth = build_auth(settings)
    rate_store = PostgresStore()
    rate_limit = rate_limit_config(settings.rate_limit_per_minute)
    metrics = Metrics()
    origins = [o.strip() for o in settings.cors_origins.split(",") if o.strip()]
    config = AppConfig(
        route_handlers=[
            HandoverController,
            actions.router(),
            amendments.router(),
            journey.router(),
            DeadlineController,
            EscalationController,
            AuditController,
            FeedController,
            SubscriptionController,
            UnitController,
            CapacityController,
            HealthController,
            ReportController,
            UnitIncidentController,
            ExportController,
            InspectionController,
            metrics_route(metrics, settings.metrics_token),
            assets_router(),
            board_router(),
        ],
        dependencies={
            "repository": Provide(provide_repository, sync_to_thread=False),
            "handovers": Provide(provide_handovers, sync_to_thread=False),
            "queries": Provide(provide_queries, sync_to_thread=False),
            "temporal": Provide(provide_temporal, sync_to_thread=False),
            "unit_incidents": Provide(provide_unit_incidents, sync_to_thread=False),
            "webhooks": Provide(provide_webhooks, sync_to_thread=False),
        },
        exception_handlers=exception_handlers,
        before_request=check_request,
        request_class=StrictRequest,
        lifespan=[lifespan],
        middleware=[metrics.middleware, rate_limit.middleware],
        before_send=[response_headers],
        stores={STORE: rate_store},
        # Closed unless origins are configured: no browser page elsewhere may call the API.
        cors_config=CORSConfig(allow_origins=origins) if origins else None,
        request_max_body_size=MAX_BODY_BYTES,
        state=State(
            {
                "retry_after_seconds": settings.retry_after_seconds,
                "token_verifier": TokenVerifier(settings),
            }
        ),
        openapi_config=OpenAPIConfig(
            title="Handover coordination API",
            version=API_VERSION,
            description=DESCRIPTION,
            tags=[
                Tag(name="handovers", description="Handover requests and their lifecycle."),
                Tag(name="deadlines", description="Legal deadlines, extensions, escalations."),
                Tag(name="audit", description="Who read which person's data."),
                Tag(name="webhooks", description="Signed webhooks: subscriptions, deliveries."),
                Tag(name="reports", description="Follow-up reports per unit: JSON, CSV, SVG."),
                Tag(name="reference data", description="Units that can be parties."),
                Tag(name="health", description="Probes."),
            ],
            path="/schema",
            # Swagger UI from local assets (no CDN): services/handover/api/docs_assets.py.
            render_plugins=[swagger_plugin()],
        ),
    )
    config = auth.on_app_init(config)
    # Security is declared per controller, so the public probes and docs say they need no token.
    assert config.openapi_config is not None
    config.openapi_config.security = None
    app = Litestar.from_config(config)
    # Outside routing and authentication, so that a 401, an unknown route or a 405 also gets
    # a request id, in its problem and its headers, and a log line.
    app.asgi_handler = request_context(app.asgi_handler)
    repair_schema(app.openapi_schema)
    return app
