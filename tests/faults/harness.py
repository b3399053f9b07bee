"""The fault suite: the service as separate processes, under load, while things break.

Two `handover api` and two `handover worker` processes, started from the installed console
script (`.venv/bin/handover`), run against an embedded PostgreSQL and a Temporal dev server
on a persistent SQLite file. Client tasks drive full lifecycles (eight calls, each with its
own Idempotency-Key), sending each attempt to the next API process (round robin) and
retrying a call until it succeeds. Meanwhile the harness SIGKILLs a worker on a schedule,
restarts Temporal, stops PostgreSQL for a while and SIGKILLs an API process, restarting
each. A process that exits on its own is restarted too (as Kubernetes would) and reported.

Then it checks what the service promises: every request completed, its event log has no
gap and no duplicate and its chain verifies, the read model equals the workflow's state,
every call succeeded; and measures what an operator feels: latency per call, the longest
wait, the wait outside a dependency's own outage, and after each worker kill the time until
each running request's next call succeeds.

After the checks it runs `handover reconcile` once against the same servers: in normal
operation, and so after these faults, it must find nothing to repair.

`make faults` runs the long scenario (`python -m tests.faults`); `test_faults.py` a bounded
one in `make test`; `make prod-like` (`python -m tests.faults.prod_like`) the long one on the
built wheel with production settings, through a `Deployment`.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import json
import logging
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO, Any

import asyncpg
import httpx
import msgspec
from temporalio.client import Client

from contracts.api import HandoverRecord
from contracts.common import Org, Role
from contracts.eventlog import verify_served
from contracts.workflow import QUERY_RECORD, workflow_id
from devservers import EmbeddedPostgres, EmbeddedTemporal, free_port
from services.handover.api import examples
from services.handover.app import connect_temporal
from services.handover.migrate import migrate
from services.handover.settings import Settings, load_settings
from tests.flow import Parties, body, fresh
from workflows.codec import new_key

HANDOVER = Path(sys.executable).with_name("handover")
# What a client retries: the service or a dependency away, a process gone, a slow answer.
RETRYABLE = frozenset({429, 502, 503, 504})
# A client waits at most this long between attempts (it may be told Retry-After: 5).
RETRY_PAUSE = 0.5
# A call that has not succeeded after this long has failed.
CALL_DEADLINE = 300.0
FUTURE_ERROR = "Future exception was never retrieved"


@dataclass(frozen=True)
class Scenario:
    """What happens when, in seconds from the start of the load."""

    clients: int
    load_seconds: float
    worker_kills: tuple[float, ...]
    temporal_restart_at: float
    temporal_down_seconds: float
    postgres_stop_at: float
    postgres_down_seconds: float
    api_kill_at: float
    # How long a killed process stays dead before it is started again.
    restart_delay: float = 1.0

    @classmethod
    def full(cls, clients: int = 6, load_seconds: float = 210.0) -> Scenario:
        """The issue's scenario: a worker SIGKILLed every 20 s, each other fault once."""
        return cls(
            clients=clients,
            load_seconds=load_seconds,
            worker_kills=tuple(float(t) for t in range(10, int(load_seconds) - 5, 20)),
            # Down over the kill at 70 s: that worker starts while Temporal is away.
            temporal_restart_at=67.0,
            temporal_down_seconds=8.0,
            postgres_stop_at=load_seconds * 0.52,
            postgres_down_seconds=25.0,
            api_kill_at=load_seconds * 0.77,
        )

    @classmethod
    def bounded(cls) -> Scenario:
        """One of each fault, a few clients, for `make test`."""
        return cls(
            clients=3,
            load_seconds=56.0,
            # The worker is killed while Temporal is away: it must start and wait for it.
            worker_kills=(8.0,),
            temporal_restart_at=6.0,
            temporal_down_seconds=6.0,
            postgres_stop_at=24.0,
            postgres_down_seconds=12.0,
            api_kill_at=46.0,
        )


@dataclass(frozen=True)
class Cast:
    """The signed-in parties a lifecycle needs (their Authorization headers)."""

    police: dict[str, str]
    planner: dict[str, str]
    escort: dict[str, str]
    hakte: dict[str, str]

    @classmethod
    def of(cls, sign: Callable[[Org, str, Role], str]) -> Cast:
        def headers(org: Org, unit: str, role: Role) -> dict[str, str]:
            return {"Authorization": f"Bearer {sign(org, unit, role)}"}

        return cls(
            police=headers(Org.POLISEN, "pa-kronoberg", Role.CUSTODY_OFFICER),
            planner=headers(Org.KRIMINALVARDEN, "kv-nte-stockholm", Role.TRANSPORT_PLANNER),
            escort=headers(Org.KRIMINALVARDEN, "kv-nte-stockholm", Role.ESCORT_OFFICER),
            hakte=headers(Org.KRIMINALVARDEN, "kv-hakte-kronoberg", Role.RECEPTION_OFFICER),
        )


@dataclass(frozen=True)
class Deployment:
    """What the harness runs: by default the repository's `handover` with development
    sign-in (HS256 with a random secret). `make prod-like` gives the executable of a venv
    built from the wheel, production settings, and a signer of JWKS tokens."""

    executable: Path = HANDOVER
    # Added to the processes' environment (overriding the harness's); `unset` removed.
    env: dict[str, str] = field(default_factory=dict)
    unset: tuple[str, ...] = ()
    # Signs a token for (organisation, unit, role); None: the development secret.
    sign: Callable[[Org, str, Role], str] | None = None
    # Run with PostgreSQL's URL once it is up and migrated; what it returns is recorded.
    prepare_postgres: Callable[[str], Awaitable[dict[str, Any]]] | None = None
    # Where the processes run (outside the checkout, for a deployment).
    cwd: Path | None = None


@dataclass
class Call:
    """One client call, from its first attempt until it succeeded (or gave up)."""

    lifecycle: int
    step: str
    started: float
    finished: float = 0.0
    ok: bool = False
    attempts: int = 0
    answers: Counter[str] = field(default_factory=Counter)
    unexpected: str | None = None

    @property
    def wait(self) -> float:
        return self.finished - self.started


@dataclass
class Outage:
    what: str
    started: float
    ended: float = 0.0


class Process:
    """One `handover` process; restarted when it dies, whoever killed it."""

    def __init__(
        self, name: str, argv: list[str], env: dict[str, str], log: Path, cwd: Path | None = None
    ) -> None:
        self.name, self.argv, self.env, self.log, self.cwd = name, argv, env, log, cwd
        self.popen: subprocess.Popen[bytes] | None = None
        self._out: IO[bytes] | None = None
        self.killed_by_us = False

    def start(self) -> None:
        if self._out is not None:
            self._out.close()
        self._out = self.log.open("ab")
        self.popen = subprocess.Popen(
            self.argv, env=self.env, stdout=self._out, stderr=subprocess.STDOUT,
            start_new_session=True, cwd=self.cwd,
        )  # fmt: skip
        self.killed_by_us = False

    def kill(self) -> None:
        assert self.popen is not None
        self.killed_by_us = True
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.popen.pid, signal.SIGKILL)
        self.popen.wait()

    def exited(self) -> int | None:
        return None if self.popen is None else self.popen.poll()

    def stop(self, timeout: float = 20.0) -> int | None:
        """SIGTERM, as a deployment stops it; SIGKILL if it does not leave in time."""
        if self.popen is None or self.popen.poll() is not None:
            return None
        self.killed_by_us = True
        self.popen.send_signal(signal.SIGTERM)
        try:
            return self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait()
            return None
        finally:
            if self._out is not None:
                self._out.close()


@dataclass
class Result:
    scenario: dict[str, Any]
    calls: list[Call]
    lifecycles: int
    outages: list[Outage]
    kills: list[dict[str, Any]]
    unexpected_exits: list[dict[str, Any]]
    problems: list[str]
    future_errors: int
    figures: dict[str, Any]
    # `handover reconcile` after the checks (its report), and what `prepare_postgres` said.
    reconcile: dict[str, Any] = field(default_factory=dict)
    postgres: dict[str, Any] = field(default_factory=dict)


class Harness:
    def __init__(
        self, scenario: Scenario, scratch: Path, deployment: Deployment | None = None
    ) -> None:
        self.scenario = scenario
        self.scratch = scratch
        self.deployment = deployment or Deployment()
        self.reconcile: dict[str, Any] = {}
        self.postgres: dict[str, Any] = {}
        self.t0 = 0.0
        self.calls: list[Call] = []
        self.outages: list[Outage] = []
        self.kills: list[dict[str, Any]] = []
        self.unexpected_exits: list[dict[str, Any]] = []
        self.problems: list[str] = []
        self.handover_ids: dict[int, str] = {}
        self.apis: list[Process] = []
        self.workers: list[Process] = []
        self.api_urls: list[str] = []
        self._rr = itertools.count()
        self._lifecycle_numbers = itertools.count()
        self._stopping = False

    def now(self) -> float:
        return time.monotonic() - self.t0

    # ----------------------------------------------------------------- the servers

    async def run(self) -> Result:
        logging.getLogger("httpx").setLevel(logging.WARNING)  # a line per call otherwise
        postgres = EmbeddedPostgres(self.scratch / "postgres", free_port())
        await asyncio.to_thread(postgres.start)
        temporal = EmbeddedTemporal(
            port=free_port(),
            db_file=self.scratch / "temporal.db",
            log_file=self.scratch / "temporal.log",
        )
        try:
            await asyncio.to_thread(migrate, postgres.url, load_settings({}).migrations_dir)
            if self.deployment.prepare_postgres is not None:
                self.postgres = await self.deployment.prepare_postgres(postgres.url)
            await temporal.start()
            env = self._environment(postgres.url, temporal.address)
            settings = load_settings(env)
            handover, cwd = str(self.deployment.executable), self.deployment.cwd
            for n in range(2):
                port = free_port()
                self.api_urls.append(f"http://127.0.0.1:{port}")
                api_env = env | {"HANDOVER_API_PORT": str(port)}
                self.apis.append(
                    Process(f"api-{n}", [handover, "api"], api_env, self._log(f"api-{n}"), cwd)
                )
                self.workers.append(
                    Process(f"worker-{n}", [handover, "worker"], env, self._log(f"worker-{n}"), cwd)
                )
            for process in (*self.workers, *self.apis):
                process.start()
            async with httpx.AsyncClient(timeout=30.0) as http:
                for url in self.api_urls:
                    await _until_live(http, url)
                await self._load_with_faults(http, settings, postgres, temporal)
                await self._check(http, settings)
            await self._reconcile(env)
            for process in (*self.apis, *self.workers):
                code = process.stop()
                if process.name.startswith("worker") and code not in (0, None):
                    self.problems.append(f"{process.name} left with {code} on SIGTERM")
        finally:
            for process in (*self.apis, *self.workers):
                with contextlib.suppress(Exception):
                    process.stop(5)
            await temporal.stop()
            await asyncio.to_thread(postgres.stop)
        future_errors = sum(
            p.log.read_text(errors="replace").count(FUTURE_ERROR) for p in self.apis
        )
        if future_errors:
            self.problems.append(f"{future_errors} '{FUTURE_ERROR}' in the API logs")
        return Result(
            scenario=asdict(self.scenario),
            calls=self.calls,
            lifecycles=len(self.handover_ids),
            outages=self.outages,
            kills=self.kills,
            unexpected_exits=self.unexpected_exits,
            problems=self.problems,
            future_errors=future_errors,
            figures=figures(self.calls, self.kills, self.outages),
            reconcile=self.reconcile,
            postgres=self.postgres,
        )

    def _log(self, name: str) -> Path:
        return self.scratch / f"{name}.log"

    def _environment(self, database_url: str, temporal_address: str) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("HANDOVER_") and k not in ("DATABASE_URL", "TEMPORAL_ADDRESS")
        }
        env |= {
            "DATABASE_URL": database_url,
            "TEMPORAL_ADDRESS": temporal_address,
            "HANDOVER_API_HOST": "127.0.0.1",
            "HANDOVER_PAYLOAD_KEY": new_key(),
            "HANDOVER_AUDIT_KEY": new_key(),
            "HANDOVER_JWT_SECRET": new_key(),
            "HANDOVER_TASK_QUEUE": "handover-faults",
            "HANDOVER_RATE_LIMIT_PER_MINUTE": "1000000",
            "HANDOVER_LOG_FORMAT": "json",
        }
        env |= self.deployment.env
        return {k: v for k, v in env.items() if k not in self.deployment.unset}

    def _cast(self, settings: Settings) -> Cast:
        sign = self.deployment.sign
        if sign is not None:
            return Cast.of(sign)
        p = Parties(settings)
        return Cast(police=p.police, planner=p.planner, escort=p.escort, hakte=p.hakte)

    async def _reconcile(self, env: dict[str, str]) -> None:
        """`handover reconcile` once, as an operator would: it must repair nothing."""
        started = time.monotonic()
        done = await asyncio.to_thread(
            subprocess.run,
            [str(self.deployment.executable), "reconcile"],
            env=env,
            cwd=self.deployment.cwd,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        seconds = round(time.monotonic() - started, 3)
        if done.returncode != 0:
            said = (done.stdout + done.stderr)[-2000:]
            self.problems.append(f"handover reconcile left with {done.returncode}: {said}")
            return
        report: dict[str, Any] = json.loads(done.stdout)
        self.reconcile = {k: v for k, v in report.items() if k not in ("repairs", "failed")}
        self.reconcile |= {"seconds": seconds, "failed": report["failed"]}
        if report["repairs"]:
            self.problems.append(f"reconciliation repaired what the faults left: {report}")
        # The scheduled runs during the load (workers install the schedule at start).
        conn = await asyncpg.connect(env["DATABASE_URL"])
        try:
            rows = await conn.fetch(
                "SELECT trigger, count(*)::int AS runs, sum(repaired)::int AS repaired,"
                " sum(failed)::int AS failed FROM reconciliations GROUP BY trigger"
            )
        finally:
            await conn.close()
        self.reconcile["runs"] = {r["trigger"]: dict(r) for r in rows}
        scheduled = self.reconcile["runs"].get("schedule")
        if scheduled and scheduled["repaired"]:
            self.problems.append(f"scheduled reconciliation repaired during the load: {scheduled}")

    # ------------------------------------------------------------ load and faults

    async def _load_with_faults(
        self,
        http: httpx.AsyncClient,
        settings: Settings,
        postgres: EmbeddedPostgres,
        temporal: EmbeddedTemporal,
    ) -> None:
        parties = self._cast(settings)
        self.t0 = time.monotonic()
        clients = [
            asyncio.create_task(self._client(http, parties), name=f"client-{n}")
            for n in range(self.scenario.clients)
        ]
        watcher = asyncio.create_task(self._watch_processes(), name="watcher")
        await self._faults(postgres, temporal)
        await asyncio.gather(*clients)
        self._stopping = True
        await watcher

    async def _faults(self, postgres: EmbeddedPostgres, temporal: EmbeddedTemporal) -> None:
        s = self.scenario
        plan: list[tuple[float, str, Callable[[], Any]]] = []
        for n, at in enumerate(s.worker_kills):
            plan.append((at, "worker", functools.partial(self._kill, self.workers[n % 2])))
        plan.append((s.temporal_restart_at, "temporal", lambda: self._restart_temporal(temporal)))
        plan.append((s.postgres_stop_at, "postgres", lambda: self._stop_postgres(postgres)))
        plan.append((s.api_kill_at, "api", lambda: self._kill(self.apis[0])))
        tasks = []
        for at, _, action in sorted(plan, key=lambda p: p[0]):
            await asyncio.sleep(max(0.0, at - self.now()))
            tasks.append(asyncio.create_task(action()))
        await asyncio.gather(*tasks)
        await asyncio.sleep(max(0.0, s.load_seconds - self.now()))

    async def _kill(self, process: Process) -> None:
        at = self.now()
        await asyncio.to_thread(process.kill)
        self.kills.append({"process": process.name, "at": round(at, 3)})
        await asyncio.sleep(self.scenario.restart_delay)
        process.start()

    async def _restart_temporal(self, temporal: EmbeddedTemporal) -> None:
        outage = Outage("temporal", self.now())
        self.outages.append(outage)
        await temporal.stop()
        await asyncio.sleep(self.scenario.temporal_down_seconds)
        for _ in range(60):  # the port may linger for a moment
            try:
                await temporal.start()
                break
            except RuntimeError:
                await asyncio.sleep(0.5)
        else:
            raise RuntimeError("Temporal did not start again")
        outage.ended = self.now()

    async def _stop_postgres(self, postgres: EmbeddedPostgres) -> None:
        outage = Outage("postgres", self.now())
        self.outages.append(outage)
        await asyncio.to_thread(postgres.stop)
        await asyncio.sleep(self.scenario.postgres_down_seconds)
        await asyncio.to_thread(postgres.start)
        outage.ended = self.now()

    async def _watch_processes(self) -> None:
        """A process that left on its own is reported and started again, 2 s later (as a
        supervisor with a back-off would; a crash loop must not eat the machine)."""
        restart_at: dict[str, float] = {}
        while not self._stopping:
            for process in (*self.apis, *self.workers):
                code = process.exited()
                if code is None or process.killed_by_us:
                    continue
                if process.name not in restart_at:
                    self.unexpected_exits.append(
                        {"process": process.name, "code": code, "at": round(self.now(), 3)}
                    )
                    restart_at[process.name] = self.now() + 2.0
                elif self.now() >= restart_at[process.name]:
                    del restart_at[process.name]
                    process.start()
            await asyncio.sleep(0.25)

    async def _client(self, http: httpx.AsyncClient, parties: Cast) -> None:
        """Full lifecycles, one after another, until the load time is over."""
        while self.now() < self.scenario.load_seconds:
            number = next(self._lifecycle_numbers)
            if not await self._lifecycle(http, parties, number):
                return

    async def _lifecycle(self, http: httpx.AsyncClient, p: Cast, number: int) -> bool:
        created = await self._call(http, number, "create", "", fresh(), p.police, 201)
        if created is None:
            return False
        self.handover_ids[number] = created["id"]
        steps: list[tuple[str, str, Callable[[], dict[str, Any]], dict[str, str], int]] = [
            ("accept", "accept", lambda: examples.ACCEPT, p.planner, 200),
            (
                "assess",
                "security-assessment",
                lambda: body(examples.ASSESSMENT, complete=True),
                p.police,
                201,
            ),
            ("schedule", "schedule", lambda: body(examples.SCHEDULE), p.planner, 200),
            ("release", "release", lambda: body(examples.RELEASE), p.police, 200),
            ("receive", "receive", lambda: body(examples.RECEIVE), p.escort, 200),
            (
                "release_2",
                "release",
                lambda: body(examples.RELEASE, to_unit="kv-hakte-kronoberg"),
                p.escort,
                200,
            ),
            ("receive_2", "receive", lambda: body(examples.RECEIVE), p.hakte, 200),
        ]
        for step, action, payload, headers, status in steps:
            path = f"/{created['id']}/{action}"
            if await self._call(http, number, step, path, payload(), headers, status) is None:
                return False
        return True

    async def _call(
        self,
        http: httpx.AsyncClient,
        number: int,
        step: str,
        path: str,
        payload: dict[str, Any],
        headers: dict[str, str],
        expect: int,
    ) -> dict[str, Any] | None:
        """One call with its Idempotency-Key, retried on every API process until it succeeds."""
        call = Call(number, step, self.now())
        self.calls.append(call)
        headers = headers | {"Idempotency-Key": f"faults-{number}-{step}"}
        while self.now() - call.started < CALL_DEADLINE:
            call.attempts += 1
            url = self.api_urls[next(self._rr) % len(self.api_urls)] + "/v1/handovers" + path
            try:
                response = await http.post(url, json=payload, headers=headers)
            except httpx.TransportError as exc:
                call.answers[type(exc).__name__] += 1
                await asyncio.sleep(0.1)
                continue
            call.answers[str(response.status_code)] += 1
            if response.status_code == expect:
                call.ok, call.finished = True, self.now()
                result: dict[str, Any] = response.json()
                return result
            if response.status_code not in RETRYABLE:
                call.unexpected = f"{response.status_code} {response.text[:300]}"
                break
            await asyncio.sleep(RETRY_PAUSE)
        call.finished = self.now()
        self.problems.append(f"lifecycle {number} {step} failed: {call.unexpected or 'deadline'}")
        return None

    # -------------------------------------------------------------------- checks

    async def _check(self, http: httpx.AsyncClient, settings: Settings) -> None:
        """Final state, event log and read model of every request, once everything is back."""
        parties = self._cast(settings)
        temporal = await _connect(settings)
        for number, handover_id in sorted(self.handover_ids.items()):
            base = self.api_urls[number % 2] + f"/v1/handovers/{handover_id}"
            got = await _get(http, base, parties.police)
            events = await _get(http, base + "/events", parties.police)
            where = f"lifecycle {number} ({handover_id})"
            if got.json()["state"] != "completed":
                self.problems.append(f"{where}: state {got.json()['state']}, not completed")
            served = events.json()
            seqs = [e["seq"] for e in served]
            if seqs != list(range(1, len(seqs) + 1)):
                self.problems.append(f"{where}: event seqs {seqs} have a gap or duplicate")
            if (broken := verify_served(served)) is not None:
                self.problems.append(f"{where}: chain broken at seq {broken}")
            handle = temporal.get_workflow_handle(workflow_id(handover_id))
            own: HandoverRecord = await handle.query(QUERY_RECORD, result_type=HandoverRecord)
            read = msgspec.to_builtins(msgspec.json.decode(got.content, type=HandoverRecord))
            if msgspec.to_builtins(own) != read:
                self.problems.append(f"{where}: read model (v{read['version']}) != workflow")
            if seqs and seqs[-1] != own.version:
                self.problems.append(f"{where}: {len(seqs)} events, workflow v{own.version}")
        for call in self.calls:
            if not call.ok and not any(str(call.lifecycle) in p for p in self.problems):
                self.problems.append(f"lifecycle {call.lifecycle} {call.step} did not succeed")


async def _connect(settings: Settings) -> Client:
    for _ in range(60):
        try:
            return await connect_temporal(settings)
        except RuntimeError:
            await asyncio.sleep(1)
    return await connect_temporal(settings)


async def _get(http: httpx.AsyncClient, url: str, headers: dict[str, str]) -> httpx.Response:
    """A read after the faults; the service may still be settling for a few seconds."""
    for _ in range(60):
        with contextlib.suppress(httpx.TransportError):
            response = await http.get(url, headers=headers)
            if response.status_code == 200:
                return response
        await asyncio.sleep(1)
    response = await http.get(url, headers=headers)
    response.raise_for_status()
    return response


async def _until_live(http: httpx.AsyncClient, url: str) -> None:
    for _ in range(240):
        with contextlib.suppress(httpx.TransportError):
            if (await http.get(url + "/health/live")).status_code == 200:
                return
        await asyncio.sleep(0.25)
    raise RuntimeError(f"{url} did not come up")


# ------------------------------------------------------------------------ figures


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return round(ordered[index], 3)


def _overlap(start: float, end: float, outages: list[Outage]) -> float:
    return sum(max(0.0, min(end, o.ended) - max(start, o.started)) for o in outages)


def figures(
    calls: list[Call], kills: list[dict[str, Any]], outages: list[Outage]
) -> dict[str, Any]:
    """Latency per call, the longest waits, and the recovery after each worker kill."""
    per_step: dict[str, Any] = {}
    for step in dict.fromkeys(c.step for c in calls):
        step_waits = [c.wait for c in calls if c.step == step and c.ok]
        per_step[step] = {
            "count": len(step_waits),
            "p50_s": _percentile(step_waits, 0.5),
            "p99_s": _percentile(step_waits, 0.99),
            "max_s": round(max(step_waits, default=0.0), 3),
            "retried": sum(1 for c in calls if c.step == step and c.attempts > 1),
        }
    ok = [c for c in calls if c.ok]
    worst = max(ok, key=lambda c: c.wait, default=None)
    # A call's wait minus the time a dependency (Temporal, PostgreSQL) was down meanwhile.
    outside = [c.wait - _overlap(c.started, c.finished, outages) for c in ok]
    recoveries = [
        _recovery(kill, calls, outages) for kill in kills if kill["process"][:6] == "worker"
    ]
    all_waits = [w for r in recoveries for w in r.pop("_waits")]
    clean_waits = [w for r in recoveries if r["clean"] for w in r["_clean_waits"]]
    for r in recoveries:
        del r["_clean_waits"]
    return {
        "calls": len(calls),
        "calls_ok": len(ok),
        "per_call": per_step,
        "worst_wait_s": round(worst.wait, 3) if worst else 0.0,
        "worst_wait_call": f"{worst.step} (lifecycle {worst.lifecycle})" if worst else None,
        "worst_wait_outside_outages_s": round(max(outside, default=0.0), 3),
        "after_worker_kill": {
            "kills": recoveries,
            "next_success_p50_s": _percentile(all_waits, 0.5),
            "next_success_p99_s": _percentile(all_waits, 0.99),
            "next_success_max_s": round(max(all_waits, default=0.0), 3),
            "clean_kills_next_success_p99_s": _percentile(clean_waits, 0.99),
            "clean_kills_next_success_max_s": round(max(clean_waits, default=0.0), 3),
        },
        "outages": [
            {"what": o.what, "from": round(o.started, 3), "to": round(o.ended, 3)} for o in outages
        ],
        "answers": dict(sum((c.answers for c in calls), Counter())),
    }


def _recovery(kill: dict[str, Any], calls: list[Call], outages: list[Outage]) -> dict[str, Any]:
    """For each request running when a worker was killed: the time until its next success."""
    at: float = kill["at"]
    # Clean: no dependency outage from 5 s before the kill to 20 s after it.
    clean = all(o.ended < at - 5 or o.started > at + 20 for o in outages)
    waits: list[float] = []
    for lifecycle in sorted({c.lifecycle for c in calls if c.started <= at}):
        mine = [c for c in calls if c.lifecycle == lifecycle]
        if mine[-1].step == "receive_2" and mine[-1].ok and mine[-1].finished <= at:
            continue  # completed before the kill
        after = [c.finished for c in mine if c.ok and c.finished > at]
        if after:
            waits.append(min(after) - at)
    return {
        "process": kill["process"],
        "at": at,
        "clean": clean,
        "requests": len(waits),
        "first_success_s": round(min(waits, default=0.0), 3),
        "slowest_request_s": round(max(waits, default=0.0), 3),
        "_waits": waits,
        "_clean_waits": waits,
    }


def scratch_dir() -> Path:
    """A directory the `postgres` user can enter when we are root (not pytest's tmp_path)."""
    path = Path(tempfile.mkdtemp(prefix="handover-faults-", dir="/tmp"))
    path.chmod(0o755)
    return path


async def run(scenario: Scenario, scratch: Path, deployment: Deployment | None = None) -> Result:
    """Run `scenario` with its data and process logs in `scratch` (left for the caller)."""
    return await Harness(scenario, scratch, deployment).run()
