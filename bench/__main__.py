"""Throughput and latency of the API on real servers: `make bench` (or `python -m bench`).

Starts throwaway PostgreSQL and Temporal dev servers (SQLite in WAL mode, as `make run`),
runs the worker and the API in this process, drives them over HTTP and writes
bench/results/<date>-<commit>.json. Numbers are for this machine and only comparable with
runs on the same machine; compare two variants in the same run, as a ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from contracts.common import Org, Role
from devservers import EmbeddedPostgres, EmbeddedTemporal, free_port
from services.handover.api import examples
from services.handover.app import connect_temporal, create_app, create_pool
from services.handover.auth import issue_token
from services.handover.migrate import migrate
from services.handover.settings import Settings, load_settings
from workflows.codec import new_key
from workflows.worker import create_worker

RESULTS = Path(__file__).with_name("results")


def _now(offset: float = 0) -> str:
    return (datetime.now(UTC) + timedelta(seconds=offset)).isoformat()


def _headers(settings: Settings, org: Org, unit: str, role: Role) -> dict[str, str]:
    token = issue_token(settings, sub="bench", org=org, unit=unit, roles=[role])
    return {"Authorization": f"Bearer {token}"}


class Cast:
    def __init__(self, settings: Settings) -> None:
        self.police = _headers(settings, Org.POLISEN, "pa-kronoberg", Role.CUSTODY_OFFICER)
        self.planner = _headers(
            settings, Org.KRIMINALVARDEN, "kv-nte-stockholm", Role.TRANSPORT_PLANNER
        )
        self.escort = _headers(
            settings, Org.KRIMINALVARDEN, "kv-nte-stockholm", Role.ESCORT_OFFICER
        )
        self.hakte = _headers(
            settings, Org.KRIMINALVARDEN, "kv-hakte-kronoberg", Role.RECEPTION_OFFICER
        )


def _transfer() -> dict[str, Any]:
    body: dict[str, Any] = json.loads(json.dumps(examples.TRANSFER_CREATE))
    body["decision"]["decided_at"] = _now(-600)
    return body


async def _ok(response: Awaitable[httpx.Response], status: int = 200) -> httpx.Response:
    result = await response
    if result.status_code != status:
        raise RuntimeError(f"{result.request.url}: {result.status_code} {result.text[:300]}")
    return result


async def create(client: httpx.AsyncClient, cast: Cast) -> str:
    response = await _ok(client.post("/v1/handovers", json=_transfer(), headers=cast.police), 201)
    return str(response.json()["id"])


async def lifecycle(client: httpx.AsyncClient, cast: Cast) -> str:
    """Create, accept, assess, schedule and two handovers to the remand prison: 8 calls."""
    path = f"/v1/handovers/{await create(client, cast)}"
    await _ok(client.post(f"{path}/accept", json=examples.ACCEPT, headers=cast.planner))
    await _ok(
        client.post(f"{path}/security-assessment", json=examples.ASSESSMENT, headers=cast.police),
        201,
    )
    await _ok(
        client.post(
            f"{path}/schedule",
            json=dict(examples.SCHEDULE, pickup_at=_now(3600)),
            headers=cast.planner,
        )
    )
    await _ok(
        client.post(
            f"{path}/release", json=dict(examples.RELEASE, occurred_at=_now()), headers=cast.police
        )
    )
    await _ok(
        client.post(
            f"{path}/receive", json=dict(examples.RECEIVE, occurred_at=_now()), headers=cast.escort
        )
    )
    release = dict(examples.RELEASE, to_unit="kv-hakte-kronoberg", occurred_at=_now())
    await _ok(client.post(f"{path}/release", json=release, headers=cast.escort))
    await _ok(
        client.post(
            f"{path}/receive", json=dict(examples.RECEIVE, occurred_at=_now()), headers=cast.hakte
        )
    )
    return path


async def read(client: httpx.AsyncClient, cast: Cast) -> str:
    await _ok(client.get("/v1/handovers", params={"limit": 50}, headers=cast.police))
    return ""


async def measure(
    name: str,
    operation: Callable[[httpx.AsyncClient, Cast], Awaitable[str]],
    client: httpx.AsyncClient,
    cast: Cast,
    *,
    total: int,
    concurrency: int,
) -> dict[str, Any]:
    latencies: list[float] = []
    queue = iter(range(total))

    async def runner() -> None:
        for _ in queue:
            started = time.perf_counter()
            await operation(client, cast)
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(runner() for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    result = {
        "scenario": name,
        "count": total,
        "concurrency": concurrency,
        "per_second": round(total / elapsed, 2),
        "p50_ms": round(statistics.median(latencies) * 1000, 1),
        "p95_ms": round(latencies[int(len(latencies) * 0.95) - 1] * 1000, 1),
    }
    print(json.dumps(result), flush=True)
    return result


async def run(quick: bool) -> dict[str, Any]:
    scratch = Path(tempfile.mkdtemp(prefix="bench-"))
    scratch.chmod(0o755)  # noqa: ASYNC240 - once, before anything runs
    async with (
        EmbeddedPostgres(scratch / "pg", free_port()) as pg,
        EmbeddedTemporal(port=free_port(), db_file=scratch / "temporal.db") as temporal,
    ):
        settings = load_settings(
            {"HANDOVER_PAYLOAD_KEY": new_key(), "HANDOVER_RATE_LIMIT_PER_MINUTE": "1000000"}
        ).with_servers(database_url=pg.url, temporal_address=temporal.address)
        migrate(pg.url, settings.migrations_dir)
        pool = await create_pool(settings)
        worker = create_worker(
            await connect_temporal(settings), pool, task_queue=settings.task_queue
        )
        worker_task = asyncio.create_task(worker.run())
        port = free_port()
        server = uvicorn.Server(
            uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
        )
        server_task = asyncio.create_task(server.serve())
        while not server.started:  # noqa: ASYNC110 - uvicorn offers no event to await
            await asyncio.sleep(0.05)
        cast = Cast(settings)
        scale = 1 if quick else 4
        results = []
        limits = httpx.Limits(max_connections=64)
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}", timeout=60, limits=limits
        ) as client:
            await measure("warm-up", create, client, cast, total=10, concurrency=2)
            for concurrency in (1, 8):
                results.append(
                    await measure(
                        "create", create, client, cast, total=25 * scale, concurrency=concurrency
                    )
                )
            for concurrency in (1, 8):
                results.append(
                    await measure(
                        "lifecycle (8 calls)",
                        lifecycle,
                        client,
                        cast,
                        total=5 * scale,
                        concurrency=concurrency,
                    )
                )
            results.append(
                await measure("list 50", read, client, cast, total=100 * scale, concurrency=8)
            )
        server.should_exit = True
        await server_task
        await worker.shutdown()
        await worker_task
        await pool.close()
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "results": results,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer iterations")
    args = parser.parse_args()
    report = asyncio.run(run(args.quick))
    report["commit"] = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    ).stdout.strip()
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{report['date'][:10]}-{report['commit'] or 'local'}.json"
    path.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
