"""Prometheus metrics: HTTP latency per route template, and gauges read from PostgreSQL.

Each API process has its own registry. Its HTTP histogram counts what that process served
(Prometheus scrapes every replica and sums); the PostgreSQL gauges are computed on scrape
(sql/metrics.sql, with a short timeout) and cached a few seconds, so every replica reports
the same values and scrapes cost at most one query per process per cache period. When the
query fails, `handover_metrics_db_up` is 0 and the PostgreSQL gauges are left out.

Who may scrape: with `HANDOVER_METRICS_TOKEN` set, `Authorization: Bearer <that token>`
(not a user JWT); unset, only clients on loopback (development, a sidecar). Anything else
gets a 404, as if there were no such route.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import structlog
from litestar import Request, Response, get
from litestar.enums import ScopeType
from litestar.handlers import HTTPRouteHandler
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from services.handover.errors import NotFound
from services.handover.repository import Repository

log = structlog.get_logger("metrics")
CACHE_SECONDS = 5.0
QUERY_TIMEOUT_SECONDS = 2.0
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


@dataclass(frozen=True)
class Snapshot:
    at: float
    row: dict[str, Any] | None


class DatabaseGauges(Collector):
    """Yields the gauges of the last snapshot; `refresh` (async, on scrape) renews it."""

    def __init__(self) -> None:
        self._snapshot = Snapshot(at=float("-inf"), row=None)
        self._lock = asyncio.Lock()

    async def refresh(self, repository: Repository) -> None:
        if time.monotonic() - self._snapshot.at < CACHE_SECONDS:
            return
        async with self._lock:
            if time.monotonic() - self._snapshot.at < CACHE_SECONDS:
                return
            row: dict[str, Any] | None
            try:
                async with asyncio.timeout(QUERY_TIMEOUT_SECONDS):
                    row = dict(await repository.aggregate("metrics"))
            except Exception as exc:  # noqa: BLE001 - any failure: report the gauges as down
                log.warning("metrics.db_unavailable", error=type(exc).__name__)
                row = None
            self._snapshot = Snapshot(at=time.monotonic(), row=row)

    def collect(self) -> Iterator[GaugeMetricFamily]:
        row = self._snapshot.row
        up = GaugeMetricFamily(
            "handover_metrics_db_up", "1 when the PostgreSQL gauges below could be read."
        )
        up.add_metric([], 0 if row is None else 1)
        yield up
        if row is None:
            return
        yield _family(
            "handover_requests",
            "Requests in the read model by state and kind.",
            ("state", "kind"),
            row["requests"],
        )
        open_states = ("running", "warned", "extended")
        yield _family(
            "handover_deadlines_open",
            "Deadlines running, warned or extended, by name.",
            ("name",),
            _sum_by(row["deadlines"], "name", lambda r: r["state"] in open_states),
        )
        yield _family(
            "handover_deadlines",
            "Deadlines by name and state.",
            ("name", "state"),
            row["deadlines"],
        )
        yield _family(
            "handover_deadline_breaches",
            "Deadlines that were ever breached (also when met late or extended), by name.",
            ("name",),
            row["breaches"],
        )
        yield _family(
            "handover_escalations_waiting",
            "Escalations not yet acknowledged, by level.",
            ("level",),
            row["escalations_waiting"],
        )
        yield _single(
            "handover_projection_lag_seconds",
            "Age of the oldest deadline past due but still open in the read model (0: none).",
            row["projection_lag"],
        )
        yield _single(
            "handover_last_event_age_seconds",
            "Seconds since the newest event in the read model was recorded.",
            row["last_event_age"],
        )
        yield _family(
            "handover_webhook_subscriptions",
            "Webhook subscriptions by status.",
            ("status",),
            row["subscriptions"],
        )
        yield _single(
            "handover_webhook_pending_events",
            "Events a subscription (not stopped) failed to deliver and has not delivered since.",
            row["webhook_pending"],
        )
        yield _single(
            "handover_webhook_lag_seconds",
            "Age of the first failed attempt of the oldest such event (0: none).",
            row["webhook_lag"],
        )
        yield _single(
            "handover_reconcile_repaired_requests",
            "Requests whose read model a reconciliation run found behind their workflow and "
            "repaired, summed over all runs (0 in normal operation).",
            row["reconcile_repaired"],
        )
        yield _single(
            "handover_reconcile_events_written",
            "Events reconciliation runs wrote that were missing from the read model, summed.",
            row["reconcile_events_written"],
        )
        last = row["reconcile_last"]
        if last is not None:  # no run yet: no series
            yield _single(
                "handover_reconcile_last_run_age_seconds",
                "Seconds since the last reconciliation run finished.",
                last["age"],
            )
            yield _single(
                "handover_reconcile_last_run_repaired",
                "Requests the last reconciliation run repaired.",
                last["repaired"],
            )
            yield _single(
                "handover_reconcile_last_run_failed",
                "Open requests the last reconciliation run could not query or write.",
                last["failed"],
            )


def _family(
    name: str, documentation: str, labels: tuple[str, ...], counts: Iterable[dict[str, Any]]
) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, documentation, labels=list(labels))
    for item in counts:
        family.add_metric([str(item[label]) for label in labels], float(item["count"]))
    return family


def _single(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    family = GaugeMetricFamily(name, documentation)
    family.add_metric([], float(value))
    return family


def _sum_by(rows: Iterable[dict[str, Any]], label: str, keep: Any) -> list[dict[str, Any]]:
    totals: dict[str, int] = {}
    for item in rows:
        if keep(item):
            totals[item[label]] = totals.get(item[label], 0) + int(item["count"])
    return [{label: key, "count": count} for key, count in sorted(totals.items())]


class Metrics:
    """One process's registry: its HTTP histogram and the PostgreSQL gauges."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.http = Histogram(
            "handover_http_request_duration_seconds",
            "HTTP requests served by this process: route template, method, status class.",
            ("route", "method", "status"),
            buckets=BUCKETS,
            registry=self.registry,
        )
        self.database = DatabaseGauges()
        self.registry.register(self.database)

    @property
    def middleware(self) -> Callable[[ASGIApp], ASGIApp]:
        """Times each routed request; the route is the template (`/v1/handovers/{handover_id}`),
        never the concrete path, so the label set stays small. A plain function, not a bound
        method: Litestar deep-copies its configuration, and a copied registry would be lost."""
        http = self.http

        def wrap(app: ASGIApp) -> ASGIApp:
            return _timed(app, http)

        return wrap

    async def exposition(self, repository: Repository) -> bytes:
        await self.database.refresh(repository)
        return generate_latest(self.registry)


def _timed(app: ASGIApp, http: Histogram) -> ASGIApp:

    async def timed(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await app(scope, receive, send_status)
        except Exception as exc:
            status = int(getattr(exc, "status_code", 500))
            raise
        finally:
            route = str(scope.get("path_template") or "unmatched")
            http.labels(route, scope["method"], f"{status // 100}xx").observe(
                time.perf_counter() - started
            )

    return timed


def _loopback(request: Request[Any, Any, Any]) -> bool:
    host = request.client.host if request.client else ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def allowed(request: Request[Any, Any, Any], token: str | None) -> bool:
    if token is None:
        return _loopback(request)
    given = request.headers.get("authorization", "")
    return hmac.compare_digest(given.encode(), f"Bearer {token}".encode())


def metrics_route(metrics: Metrics, token: str | None) -> HTTPRouteHandler:
    """`GET /metrics` for this app's registry (a closure: app state is copied, the registry
    must not be)."""

    @get(
        "/metrics", include_in_schema=False, exclude_from_auth=True, media_type=CONTENT_TYPE_LATEST
    )
    async def metrics_endpoint(request: Request[Any, Any, Any]) -> Response[bytes]:
        """Prometheus exposition (see the module docstring for who may scrape)."""
        if not allowed(request, token):
            raise NotFound("No such resource.")
        repository: Repository = request.app.state.repository
        return Response(await metrics.exposition(repository), media_type=CONTENT_TYPE_LATEST)

    return metrics_endpoint
