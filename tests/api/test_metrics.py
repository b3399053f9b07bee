"""/metrics: HTTP latency per route template, and PostgreSQL gauges equal to the data after a
scripted run; who may scrape; each app (process) its own HTTP series, the same DB gauges."""

from __future__ import annotations

import asyncio

import asyncpg
import httpx
import msgspec
from prometheus_client.parser import text_string_to_metric_families

from contracts.common import State
from services.handover.api import examples
from services.handover.metrics import CACHE_SECONDS
from services.handover.settings import Settings
from tests.conftest import running_api
from tests.flow import Flow, Parties, custody, fresh

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def samples(text: str) -> Samples:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def series(found: Samples, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    return {labels: value for (n, labels), value in found.items() if n == name}


async def scrape(api: httpx.AsyncClient, headers: dict[str, str] | None = None) -> Samples:
    response = await api.get("/metrics", headers=headers or {})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return samples(response.text)


async def test_gauges_match_the_data_after_a_scripted_run(
    api: httpx.AsyncClient, settings: Settings, pool: asyncpg.Pool
) -> None:
    before = await scrape(api)
    p = Parties(settings)
    await (await Flow(api, p).create()).to(State.COMPLETED)
    deferred = await Flow(api, p).create()
    await deferred.post("defer", examples.DEFER, p.planner)
    await Flow(api, p).create(
        fresh(**{"decision": {**fresh()["decision"], "decided_at": "2026-01-01T10:00:00+01:00"}})
    )
    cached = await scrape(api)
    # Within the cache period every scrape shows the same PostgreSQL gauges.
    assert series(cached, "handover_requests") == series(before, "handover_requests")
    await asyncio.sleep(CACHE_SECONDS + 0.5)
    # A breached deadline projects within a second or so; wait until nothing is overdue.
    for _ in range(50):
        overdue = await pool.fetchval(
            "SELECT count(*) FROM deadlines WHERE state IN ('running', 'warned', 'extended')"
            " AND due_at < now()"
        )
        if overdue == 0:
            break
        await asyncio.sleep(0.2)
    after = await scrape(api)
    assert series(after, "handover_metrics_db_up") == {(): 1.0}

    rows = await pool.fetch("SELECT state, kind, count(*) AS n FROM handovers GROUP BY 1, 2")
    assert series(after, "handover_requests") == {
        (("kind", r["kind"]), ("state", r["state"])): float(r["n"]) for r in rows
    }
    assert series(after, "handover_requests")[(("kind", "transfer"), ("state", "completed"))] >= 1
    rows = await pool.fetch(
        "SELECT name, count(*) AS n FROM deadlines WHERE state IN ('running', 'warned', 'extended')"
        " GROUP BY 1"
    )
    assert series(after, "handover_deadlines_open") == {
        (("name", r["name"]),): float(r["n"]) for r in rows
    }
    rows = await pool.fetch(
        "SELECT name, count(*) AS n FROM deadlines WHERE breached_at IS NOT NULL GROUP BY 1"
    )
    breaches = series(after, "handover_deadline_breaches")
    assert breaches == {(("name", r["name"]),): float(r["n"]) for r in rows}
    assert breaches[(("name", "remand_to_remand_prison"),)] >= 1
    rows = await pool.fetch(
        "SELECT level, count(*) AS n FROM escalations WHERE acknowledged_at IS NULL GROUP BY 1"
    )
    waiting = series(after, "handover_escalations_waiting")
    assert waiting == {(("level", r["level"]),): float(r["n"]) for r in rows}
    assert waiting[(("level", "deferral"),)] >= 1
    assert series(after, "handover_projection_lag_seconds") == {(): 0.0}
    assert 0 <= series(after, "handover_last_event_age_seconds")[()] < 60
    assert series(after, "handover_webhook_lag_seconds")[()] >= 0


async def test_http_latency_by_route_template(api: httpx.AsyncClient, settings: Settings) -> None:
    p = Parties(settings)

    def count(found: Samples, route: str, status: str) -> float:
        key = (
            "handover_http_request_duration_seconds_count",
            (("method", "GET"), ("route", route), ("status", status)),
        )
        return found.get(key, 0.0)

    flow = await Flow(api, p).create()
    before = await scrape(api)
    for _ in range(3):
        assert (await api.get(flow.path, headers=p.police)).status_code == 200
    assert (await api.get("/v1/reports/pa-kronoberg", headers=p.police)).status_code == 403
    after = await scrape(api)
    one = "/v1/handovers/{handover_id}"
    assert count(after, one, "2xx") - count(before, one, "2xx") == 3
    report = "/v1/reports/{unit}"
    assert count(after, report, "4xx") - count(before, report, "4xx") == 1
    assert not [k for k in after if flow.id in str(k)], "a concrete path became a label"


async def test_who_may_scrape_and_each_process_its_own_http_series(
    api: httpx.AsyncClient, settings: Settings
) -> None:
    token = "scrape-" + "x" * 24
    guarded = msgspec.structs.replace(settings, metrics_token=token)
    async with running_api(guarded) as url, httpx.AsyncClient(base_url=url) as other:
        assert (await other.get("/metrics")).status_code == 404
        user = custody(settings)
        assert (await other.get("/metrics", headers=user)).status_code == 404
        assert (
            await other.get("/metrics", headers={"Authorization": "Bearer wrong"})
        ).status_code == 404
        mine = await scrape(other, {"Authorization": f"Bearer {token}"})
        theirs = await scrape(api)
    route = "/v1/handovers/{handover_id}"
    assert not [k for k in mine if k[0].startswith("handover_http") and ("route", route) in k[1]]
    assert [k for k in theirs if k[0].startswith("handover_http") and ("route", route) in k[1]]
    assert series(mine, "handover_metrics_db_up") == {(): 1.0}
