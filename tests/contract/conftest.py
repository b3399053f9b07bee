"""The API and worker as separate processes (`handover api`, `handover worker`), as deployed.

Also the requests the contract test aims at: one per operation, each in a state where that
operation is allowed, and the token of the party allowed to call it.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from contracts.common import Org, Role, State
from devservers import free_port
from services.handover.api import examples
from services.handover.api.incidents import INVESTIGATION, UNIT_INCIDENT
from services.handover.settings import Settings
from tests.flow import Flow, Parties, auth, body, fresh

HANDOVER = str(Path(sys.executable).with_name("handover"))


@pytest.fixture(scope="session")
def api_process(settings: Settings, scratch: Path) -> Iterator[str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HANDOVER_")}
    env |= {
        "DATABASE_URL": settings.database_url or "",
        "TEMPORAL_ADDRESS": settings.temporal_address or "",
        "HANDOVER_API_PORT": str(port),
        "HANDOVER_TASK_QUEUE": f"contract-{uuid.uuid4().hex[:8]}",
        "HANDOVER_LOG_FORMAT": "json",
        "HANDOVER_PAYLOAD_KEY": settings.payload_key or "",
        "HANDOVER_AUDIT_KEY": settings.audit_key or "",
        "HANDOVER_JWT_SECRET": settings.jwt_secret,
        "HANDOVER_RATE_LIMIT_PER_MINUTE": str(settings.rate_limit_per_minute),
        # Subscriptions the contract test makes point at a closed port on loopback.
        "HANDOVER_WEBHOOK_ALLOW_LOOPBACK": "true",
        "HANDOVER_WEBHOOK_INITIAL_BACKOFF_SECONDS": "1",
        "HANDOVER_WEBHOOK_POLL_SECONDS": "1",
    }
    logs = {name: open(scratch / f"{name}.log", "wb") for name in ("api", "worker")}  # noqa: SIM115
    processes = [
        subprocess.Popen([HANDOVER, name], env=env, stdout=log, stderr=subprocess.STDOUT)
        for name, log in logs.items()
    ]
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base_url}/health/ready", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or any(p.poll() is not None for p in processes):
                raise RuntimeError((scratch / "api.log").read_text()[-2000:])
            time.sleep(0.2)
        yield base_url
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        for log in logs.values():
            log.close()


@dataclass(frozen=True)
class Target:
    """Who calls one operation (`Authorization` headers), and on which resource (path values)."""

    headers: dict[str, str]
    path: dict[str, str | int] = field(default_factory=dict)


ONE = "/v1/handovers/{handover_id}"
SUBSCRIPTIONS = "/v1/subscriptions"
SUBSCRIPTION = {"url": "http://127.0.0.1:9/contract-test-hook"}  # port 9: nobody listens


async def _subscriptions(
    api: httpx.AsyncClient, p: Parties
) -> list[tuple[str, str, dict[str, str | int]]]:
    """A subscription per changing operation, and one whose first delivery has failed."""
    headers = p.coordinator

    async def made() -> str:
        created = await api.post(SUBSCRIPTIONS, json=SUBSCRIPTION, headers=headers)
        assert created.status_code == 201, created.text
        return str(created.json()["id"])

    shared, to_pause, to_resume, to_stop = [await made() for _ in range(4)]
    paused = await api.post(f"{SUBSCRIPTIONS}/{to_resume}/pause", headers=headers)
    assert paused.status_code == 200, paused.text
    # A new request's first event goes to the shared subscription's (failing) receiver.
    await Flow(api, p).create()
    delivery = None
    for _ in range(150):
        found = await api.get(f"{SUBSCRIPTIONS}/{shared}/deliveries", headers=headers)
        items = found.json().get("items", []) if found.status_code == 200 else []
        if items:
            delivery = items[0]["id"]
            break
        await asyncio.sleep(0.2)
    assert delivery is not None, "no delivery attempt was recorded"
    one = "/{subscription_id}"
    return [
        ("POST", "", {}),
        ("GET", "", {}),
        ("GET", one, {"subscription_id": shared}),
        ("DELETE", one, {"subscription_id": to_stop}),
        ("POST", f"{one}/pause", {"subscription_id": to_pause}),
        ("POST", f"{one}/resume", {"subscription_id": to_resume}),
        ("GET", f"{one}/deliveries", {"subscription_id": shared}),
        (
            "POST",
            f"{one}/deliveries/{{delivery_id}}/redeliver",
            {"subscription_id": shared, "delivery_id": delivery},
        ),
    ]


async def _unit_incidents(api: httpx.AsyncClient, p: Parties) -> list[tuple[str, str, str]]:
    """Unit incidents of pa-kronoberg, one per follow-up operation: (method, suffix, id)."""

    async def recorded() -> str:
        answer = await api.post(
            "/v1/incidents", json=body(UNIT_INCIDENT), headers=p.police_supervisor
        )
        assert answer.status_code == 201, answer.text
        return str(answer.json()["id"])

    to_close = await recorded()
    opened = await api.post(
        f"/v1/incidents/{to_close}/investigation", json=INVESTIGATION, headers=p.police_supervisor
    )
    assert opened.status_code == 200, opened.text
    return [
        ("GET", "", await recorded()),
        ("POST", "/investigation", await recorded()),
        ("POST", "/close", to_close),
        ("POST", "/report", await recorded()),
    ]


@pytest.fixture(scope="session")
async def contract_targets(api_process: str, settings: Settings) -> dict[str, Target]:
    """Per operation label ("POST /v1/..."), the right caller and a real request to act on.

    Generated bodies then reach the strict decoder and the workflow's own checks (as the party
    who may act, in a state where the action is legal) instead of stopping at 403, 404 or 409.
    Each action gets a request of its own, so one operation's cases cannot move another's.
    """
    p = Parties(settings)
    auditor = auth(
        settings, org=Org.KRIMINALVARDEN, unit="kv-samordning-nationell", roles=[Role.AUDITOR]
    )
    async with httpx.AsyncClient(base_url=api_process, timeout=30) as api:

        async def requested() -> Flow:
            return await Flow(api, p).create()

        # Read operations share one request, with a serious incident (number 1) to read.
        shared = await requested()
        await shared.post("incidents", body(examples.INCIDENT), p.police)
        to_report = await requested()
        await to_report.post("incidents", body(examples.INCIDENT), p.police)
        # A deferral raises an escalation for coordinators to acknowledge.
        deferred = await requested()
        await deferred.post("defer", examples.DEFER, p.planner)
        escalations = deferred.last["escalations"]
        escalation = next(e["id"] for e in escalations if e["level"] == "deferral")
        to_extend = await requested()
        shown = await api.get(to_extend.path, headers=p.police)
        legal = next(d["id"] for d in shown.json()["deadlines"] if d["legal"])
        # The destination of an assistance is no unit, so its holder may complete it.
        in_transit = await Flow(api, p).create(fresh(examples.ASSISTANCE_CREATE))
        await in_transit.to(State.IN_TRANSIT)
        # A convicted person received at the häkte waits for a prison place.
        sentenced = fresh()
        sentenced["decision"]["kind"] = "sentence_enforcement"
        awaiting_placement = await (await Flow(api, p).create(sentenced)).to(State.COMPLETED)
        # A release to correct (the police recorded it; its seq is the version), and a
        # request its requesting unit may amend.
        to_correct = await (await requested()).released_to_transport()
        subscriptions = await _subscriptions(api, p)
        incidents = await _unit_incidents(api, p)
        at = {
            "shared": shared.id,
            "accept": (await requested()).id,
            "defer": (await requested()).id,
            "reject": (await requested()).id,
            "cancel": (await requested()).id,
            "assess": (await requested()).id,
            "incident": (await requested()).id,
            "report": to_report.id,
            "extend": to_extend.id,
            "schedule": (await (await requested()).ready_to_schedule()).id,
            "not-executed": (await (await requested()).to(State.SCHEDULED)).id,
            "release": (await (await requested()).to(State.SCHEDULED)).id,
            "receive": (await (await requested()).released_to_transport()).id,
            "complete": in_transit.id,
            "amend": (await requested()).id,
            "journey": (await (await requested()).to(State.ACCEPTED)).id,
            "correct": to_correct.id,
            "placed": awaiting_placement.id,
            "relatives": (await requested()).id,
        }

    def on(key: str, headers: dict[str, str], **path: str | int) -> Target:
        return Target(headers, {"handover_id": at[key], **path})

    return {
        "POST /v1/handovers": Target(p.police),
        "GET /v1/handovers": Target(p.police),
        "GET /v1/units": Target(p.police),
        "GET /v1/events": Target(p.police),
        "GET /v1/escalations": Target(p.coordinator),
        "GET /v1/audit/access": Target(auditor),
        "GET /v1/reports/{unit}": Target(p.coordinator, {"unit": "pa-kronoberg"}),
        "GET /v1/reports/{unit}/csv": Target(p.coordinator, {"unit": "pa-kronoberg"}),
        "GET /v1/reports/{unit}/charts/{chart}": Target(
            p.coordinator, {"unit": "pa-kronoberg", "chart": "deadlines"}
        ),
        "POST /v1/escalations/{escalation_id}/acknowledge": Target(
            p.coordinator, {"escalation_id": escalation}
        ),
        f"GET {ONE}": on("shared", p.police),
        f"GET {ONE}/events": on("shared", p.police),
        f"GET {ONE}/export": on("shared", p.police),
        f"GET {ONE}/incidents": on("shared", p.police),
        f"GET {ONE}/incidents/{{number}}": on("shared", p.police, number=1),
        f"GET {ONE}/security-assessment": on("shared", p.police),
        f"POST {ONE}/security-assessment": on("assess", p.police),
        f"POST {ONE}/incidents": on("incident", p.police),
        f"POST {ONE}/incidents/{{number}}/report": on("report", p.police, number=1),
        f"POST {ONE}/deadlines/{{deadline}}/extend": on(
            "extend", p.police_supervisor, deadline=legal
        ),
        f"POST {ONE}/accept": on("accept", p.planner),
        f"POST {ONE}/defer": on("defer", p.planner),
        f"POST {ONE}/reject": on("reject", p.planner),
        f"POST {ONE}/cancel": on("cancel", p.police),
        f"POST {ONE}/schedule": on("schedule", p.planner),
        f"POST {ONE}/not-executed": on("not-executed", p.planner),
        f"POST {ONE}/release": on("release", p.police),
        f"POST {ONE}/receive": on("receive", p.escort),
        f"POST {ONE}/complete": on("complete", p.escort),
        f"POST {ONE}/amendments": on("amend", p.police),
        f"POST {ONE}/journey": on("journey", p.planner),
        f"POST {ONE}/events/{{seq}}/correct": on(
            "correct", p.police, seq=int(to_correct.last["version"])
        ),
        f"POST {ONE}/placed": on("placed", p.hakte),
        f"POST {ONE}/relatives": on("relatives", p.police),
        "PUT /v1/units/{unit_id}/capacity": Target(p.hakte, {"unit_id": "kv-hakte-kronoberg"}),
        "GET /v1/capacity": Target(p.coordinator),
        "POST /v1/incidents": Target(p.police_supervisor),
        "GET /v1/incidents": Target(p.police_supervisor),
        **{
            f"{method} /v1/incidents/{{incident_id}}{suffix}": Target(
                p.police_supervisor, {"incident_id": incident_id}
            )
            for method, suffix, incident_id in incidents
        },
        "GET /v1/inspections": Target(p.coordinator),
        "GET /v1/exports": Target(p.coordinator),
        **{
            f"{method} {SUBSCRIPTIONS}{suffix}": Target(p.coordinator, path)
            for method, suffix, path in subscriptions
        },
    }
