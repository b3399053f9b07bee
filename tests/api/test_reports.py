"""Follow-up reports: figures checked against the requests that produced them, driven through
the API at a unit no other test uses (Polisarrest Luleå), and CSV equal to JSON."""

from __future__ import annotations

import asyncio
import csv
import io
import math
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from contracts.common import Org, Role, State
from services.handover.api import examples
from services.handover.reports import STOCKHOLM
from services.handover.settings import Settings
from tests.flow import Flow, Parties, auth, body, coordinator, custody, fresh

UNIT = "pa-lulea"
HAKTE = "kv-hakte-lulea"


def percentile(values: list[float], p: float) -> float | None:
    """PostgreSQL's percentile_cont: linear interpolation at (n - 1) * p."""
    if not values:
        return None
    ordered = sorted(values)
    at = (len(ordered) - 1) * p
    low, high = math.floor(at), math.ceil(at)
    return ordered[low] + (ordered[high] - ordered[low]) * (at - low)


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text)


class Lulea(Parties):
    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.police = custody(settings, UNIT)
        self.hakte = auth(
            settings, org=Org.KRIMINALVARDEN, unit=HAKTE, roles=[Role.RECEPTION_OFFICER]
        )


def transfer(decided_at: datetime | None = None) -> dict[str, Any]:
    payload = fresh(examples.TRANSFER_CREATE, from_unit=UNIT, to_unit=HAKTE)
    if decided_at is not None:
        payload["decision"]["decided_at"] = decided_at.isoformat()
    return payload


async def complete(flow: Flow) -> None:
    await flow.to(State.IN_TRANSIT)
    await flow.post("release", body(examples.RELEASE, to_unit=HAKTE), flow.p.escort)
    await flow.post("receive", body(examples.RECEIVE), flow.p.hakte)


async def until_breached(api: httpx.AsyncClient, flow: Flow, name: str) -> None:
    for _ in range(150):
        shown = await flow.get()
        if any(d["name"] == name and d["breached_at"] for d in shown["deadlines"]):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{name} was not breached")


@pytest.fixture(scope="module")
async def seeded(api: httpx.AsyncClient, settings: Settings) -> list[dict[str, Any]]:
    """Four requests at Luleå: completed; remand decided three days ago (breached at once),
    deferred, accepted and taken over by the transport; deferred and waiting; with incidents,
    then deferred."""
    p = Lulea(settings)
    done = await Flow(api, p).create(transfer())
    await complete(done)

    late = await Flow(api, p).create(transfer(datetime.now(UTC) - timedelta(days=3)))
    await until_breached(api, late, "remand_to_remand_prison")
    await late.post("defer", examples.DEFER, p.planner)
    await late.post("accept", examples.ACCEPT, p.planner)
    await late.assess()
    await late.post("schedule", body(examples.SCHEDULE), p.planner)
    await late.post("release", body(examples.RELEASE), p.police)
    await late.post("receive", body(examples.RECEIVE), p.escort)

    waiting = await Flow(api, p).create(transfer())
    await waiting.post("defer", dict(examples.DEFER, reason="awaiting_information"), p.planner)

    hurt = await Flow(api, p).create(transfer())
    await hurt.post("incidents", body(examples.INCIDENT), p.police)
    await hurt.post(
        "incidents", body(examples.INCIDENT, kind="near_miss", severity="minor"), p.police
    )
    await hurt.post(
        "incidents", body(examples.INCIDENT, kind="near_miss", severity="minor"), p.police
    )
    await hurt.post("defer", dict(examples.DEFER, reason="no_transport_available"), p.planner)
    return [await flow.get() for flow in (done, late, waiting, hurt)]


def expected(records: list[dict[str, Any]]) -> dict[str, Any]:
    """The report's figures, computed here from the requests as the API shows them."""
    to_handover, remand, waiting_handover = [], [], 0
    deadlines: dict[str, dict[str, int]] = {}
    for r in records:
        kv = [s for s in r["custody_chain"] if s["org"] == "kriminalvarden"]
        if kv:
            to_handover.append((instant(kv[0]["since"]) - instant(r["created_at"])).total_seconds())
        else:
            waiting_handover += 1
        for d in r["deadlines"]:
            counts = deadlines.setdefault(
                d["name"], {"total": 0, "met": 0, "warned": 0, "breached": 0, "open": 0}
            )
            counts["total"] += 1
            counts["met"] += bool(d["met_at"] and not d["breached_at"])
            counts["warned"] += bool(d["warned_at"])
            counts["breached"] += bool(d["breached_at"])
            counts["open"] += d["state"] in ("running", "warned", "extended")
            if d["name"] == "remand_to_remand_prison" and kv:
                remand.append((instant(kv[0]["since"]) - instant(d["starts_at"])).total_seconds())
    return {
        "to_handover": (to_handover, waiting_handover),
        "remand": remand,
        "deadlines": deadlines,
    }


def close(actual: float | None, wanted: float | None) -> bool:
    if actual is None or wanted is None:
        return actual is wanted
    return abs(actual - wanted) < 0.01


async def test_report_figures_match_the_requests(
    api: httpx.AsyncClient, settings: Settings, seeded: list[dict[str, Any]]
) -> None:
    national = coordinator(settings, "kv-samordning-nationell")
    response = await api.get(f"/v1/reports/{UNIT}", params={"period": "week"}, headers=national)
    assert response.status_code == 200, response.text
    report = response.json()
    today = datetime.now(STOCKHOLM).date()
    assert report["start"] == (today - timedelta(days=today.weekday())).isoformat()
    assert report["scope"] == "kriminalvarden"

    assert report["requests"] == 4
    assert report["by_kind"] == [{"kind": "transfer", "legal_basis": None, "count": 4}]
    assert report["by_state"] == {"completed": 1, "in_transit": 1, "deferred": 2}

    want = expected(seeded)
    durations, waiting = want["to_handover"]
    assert report["to_handover"]["count"] == len(durations) == 2
    assert report["to_handover"]["waiting"] == waiting == 2
    assert close(report["to_handover"]["median_seconds"], percentile(durations, 0.5))
    assert close(report["to_handover"]["p90_seconds"], percentile(durations, 0.9))

    remand = report["remand_custody"]
    assert remand["count"] == len(want["remand"]) == 2
    assert close(remand["median_seconds"], percentile(want["remand"], 0.5))
    assert close(remand["p90_seconds"], percentile(want["remand"], 0.9))
    assert close(remand["max_seconds"], max(want["remand"]))
    assert remand["max_seconds"] > 3 * 24 * 3600 - 60  # decided three days before its reception
    assert remand["waiting"] == 2

    by_name = {d.pop("name"): d for d in report["deadlines"]}
    assert by_name == want["deadlines"]
    assert by_name["remand_to_remand_prison"]["breached"] == 1

    assert report["deferrals"] == {
        "count": 3,
        "requests": 3,
        "reasons": {"no_capacity": 1, "no_transport_available": 1, "awaiting_information": 1},
    }
    assert sorted((i["kind"], i["severity"], i["count"]) for i in report["incidents"]) == [
        ("near_miss", "minor", 2),
        ("self_harm", "serious", 1),
    ]


async def test_csv_has_the_same_numbers(
    api: httpx.AsyncClient, settings: Settings, seeded: list[dict[str, Any]]
) -> None:
    national = coordinator(settings, "kv-samordning-nationell")
    report = (await api.get(f"/v1/reports/{UNIT}", headers=national)).json()
    response = await api.get(f"/v1/reports/{UNIT}/csv", headers=national)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    figures = {(r["section"], r["key"], r["metric"]): r["value"] for r in rows}
    assert {r["unit"] for r in rows} == {UNIT}

    def number(section: str, key: str, metric: str) -> float | None:
        value = figures.pop((section, key, metric))
        return float(value) if value else None

    assert number("requests", "all", "count") == report["requests"]
    for k in report["by_kind"]:
        key = f"{k['kind']}:{k['legal_basis']}" if k["legal_basis"] else k["kind"]
        assert number("requests_by_kind", key, "count") == k["count"]
    for state, count in report["by_state"].items():
        assert number("requests_by_state", state, "count") == count
    for section in ("to_handover", "remand_custody"):
        for metric, value in report[section].items():
            assert number(section, "all", metric) == value
    for d in report["deadlines"]:
        for metric in ("total", "met", "warned", "breached", "open"):
            assert number("deadlines", d["name"], metric) == d[metric]
    assert number("deferrals", "all", "count") == report["deferrals"]["count"]
    assert number("deferrals", "all", "requests") == report["deferrals"]["requests"]
    for reason, count in report["deferrals"]["reasons"].items():
        assert number("deferral_reasons", reason, "count") == count
    for i in report["incidents"]:
        assert number("incidents", f"{i['kind']}:{i['severity']}", "count") == i["count"]
    assert not figures, f"figures in the CSV but not in the JSON: {figures}"


@pytest.mark.parametrize("chart", ["requests", "durations", "deadlines", "deferrals", "incidents"])
async def test_charts_are_self_contained_svg(
    api: httpx.AsyncClient, settings: Settings, seeded: list[dict[str, Any]], chart: str
) -> None:
    national = coordinator(settings, "kv-samordning-nationell")
    response = await api.get(f"/v1/reports/{UNIT}/charts/{chart}", headers=national)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("image/svg+xml")
    root = ET.fromstring(response.text)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    # pygal's inline config only: no script is loaded from anywhere (the CSP runs none).
    scripts = [e for e in root.iter() if e.tag.endswith("script")]
    assert all(set(e.attrib) <= {"type"} for e in scripts), scripts
    assert "kozea.github.io" not in response.text
    hrefs = [v for e in root.iter() for k, v in e.attrib.items() if k.endswith("href")]
    assert not [h for h in hrefs if not h.startswith("#")], hrefs


async def test_scope_and_who_may_read(
    api: httpx.AsyncClient, settings: Settings, seeded: list[dict[str, Any]]
) -> None:
    path = f"/v1/reports/{UNIT}"
    nord = (await api.get(path, headers=coordinator(settings, "kv-samordning-nord"))).json()
    assert (nord["scope"], nord["requests"]) == ("kriminalvarden:Nord", 4)
    syd = (await api.get(path, headers=coordinator(settings, "kv-samordning-syd"))).json()
    assert (syd["requests"], syd["deadlines"], syd["incidents"]) == (0, [], [])
    auditor = auth(
        settings, org=Org.KRIMINALVARDEN, unit="kv-samordning-nationell", roles=[Role.AUDITOR]
    )
    assert (await api.get(path, headers=auditor)).json()["requests"] == 4
    assert (await api.get(path, headers=custody(settings, UNIT))).status_code == 403
    national = coordinator(settings, "kv-samordning-nationell")
    assert (await api.get("/v1/reports/pa-nowhere", headers=national)).status_code == 404
    assert (await api.get(path, params={"period": "year"}, headers=national)).status_code == 400
    last_month = (datetime.now(STOCKHOLM).date().replace(day=1) - timedelta(days=1)).isoformat()
    old = await api.get(path, params={"period": "month", "start": last_month}, headers=national)
    assert old.status_code == 200, old.text
    assert old.json()["requests"] == 0
    month = (await api.get(path, params={"period": "month"}, headers=national)).json()
    assert month["requests"] == 4
