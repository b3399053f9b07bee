"""Issue 12: the placement in a prison, free places and a deferral's capacity check, and the
record of whether the person's relatives were told, through the API."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from contracts.common import Org, Role, State
from services.handover.api import examples
from services.handover.settings import Settings
from tests.flow import Flow, Parties, auth, body, fresh, now


def convicted() -> dict[str, Any]:
    made = fresh()
    made["decision"]["kind"] = "sentence_enforcement"
    return made


def reception(settings: Settings, unit: str) -> dict[str, str]:
    return auth(settings, org=Org.KRIMINALVARDEN, unit=unit, roles=[Role.RECEPTION_OFFICER])


async def publish(
    api: httpx.AsyncClient, settings: Settings, unit: str, **free: int
) -> httpx.Response:
    payload = {
        "categories": [{"category": c, "free": n} for c, n in free.items()],
        "as_of": now(),
    }
    return await api.put(
        f"/v1/units/{unit}/capacity", json=payload, headers=reception(settings, unit)
    )


# -- placed ------------------------------------------------------------------------------------


async def test_placed_meets_the_prison_place_clocks(
    api: httpx.AsyncClient, settings: Settings
) -> None:
    p = Parties(settings)
    flow = await (await Flow(api, p).create(convicted())).to(State.COMPLETED)
    clocks = {d["name"]: d for d in flow.last["deadlines"]}
    assert clocks["prison_place_target"]["state"] == "running"
    assert "placed" in (await flow.get(p.hakte))["allowed_actions"]

    await flow.post("placed", body(examples.PLACED), p.hakte)

    placed = flow.last
    assert placed["state"] == "completed"
    assert placed["placement"]["prison_unit"] == "kv-anstalt-kumla"
    met = {d["name"]: d["state"] for d in placed["deadlines"]}
    assert met["prison_place_target"] == met["prison_place_absolute"] == "met"
    assert "placed" not in placed["allowed_actions"]
    events = await api.get(f"{flow.path}/events", headers=p.police)
    assert events.json()[-1]["type"] == "placed"
    again = await api.post(f"{flow.path}/placed", json=body(examples.PLACED), headers=p.hakte)
    assert again.status_code == 409, again.text
    assert again.json()["reason"] == "not_awaiting_placement"


async def test_placed_is_refused_where_nobody_waits_or_for_the_wrong_caller(
    api: httpx.AsyncClient, settings: Settings
) -> None:
    p = Parties(settings)
    remanded = await Flow(api, p).to(State.COMPLETED)  # a remand decision: no prison-place clock
    refused = await api.post(f"{remanded.path}/placed", json=body(examples.PLACED), headers=p.hakte)
    assert refused.status_code == 409, refused.text
    assert refused.json()["reason"] == "not_awaiting_placement"

    waiting = await (await Flow(api, p).create(convicted())).to(State.COMPLETED)
    cases: list[tuple[dict[str, str], dict[str, Any], int]] = [
        (p.escort, body(examples.PLACED), 403),  # the escort does not place
        (p.police, body(examples.PLACED), 403),  # nor the police
        (p.hakte, body(examples.PLACED, prison_unit="kv-hakte-huddinge"), 400),  # no prison
        (p.hakte, body(examples.PLACED, prison_unit="kv-anstalt-nowhere"), 400),
        (p.hakte, body(examples.PLACED, occurred_at=now(3600)), 400),  # in the future
        (p.hakte, body(examples.PLACED, surprise=1), 400),
        (p.hakte, {"prison_unit": "kv-anstalt-kumla"}, 400),  # no time
    ]
    for headers, payload, status in cases:
        answer = await api.post(f"{waiting.path}/placed", json=payload, headers=headers)
        assert answer.status_code == status, (payload, answer.text)
    assert (await waiting.get(p.hakte))["placement"] is None


# -- free places -------------------------------------------------------------------------------


async def test_capacity_is_published_by_the_unit_and_read_by_coordinators(
    api: httpx.AsyncClient, settings: Settings
) -> None:
    p = Parties(settings)
    put = await publish(api, settings, "kv-hakte-sollentuna", remand_men=4, remand_women=1)
    assert put.status_code == 200, put.text
    assert put.json()["unit"] == "kv-hakte-sollentuna"
    assert put.json()["region"] == "Stockholm"

    listed = await api.get("/v1/capacity", params={"region": "Stockholm"}, headers=p.coordinator)
    assert listed.status_code == 200, listed.text
    mine = next(u for u in listed.json() if u["unit"] == "kv-hakte-sollentuna")
    assert {c["category"]: c["free"] for c in mine["categories"]} == {
        "remand_men": 4,
        "remand_women": 1,
    }
    assert all(u["region"] == "Stockholm" for u in listed.json())
    planners = await api.get("/v1/capacity", headers=p.planner)
    assert planners.status_code == 200
    assert (await api.get("/v1/capacity", headers=p.police)).status_code == 403


async def test_hostile_capacity_bodies_and_callers_are_refused(
    api: httpx.AsyncClient, settings: Settings
) -> None:
    p = Parties(settings)
    unit = "kv-hakte-visby"
    path = f"/v1/units/{unit}/capacity"
    own = reception(settings, unit)
    good = {"categories": [{"category": "remand_men", "free": 2}], "as_of": now()}
    cases: list[tuple[str, dict[str, str], Any, int]] = [
        (path, own, good | {"categories": [{"category": "remand_men", "free": -1}]}, 400),
        (path, own, good | {"categories": [{"category": "remand_men", "free": "2"}]}, 400),
        (path, own, good | {"categories": [{"category": "beds", "free": 2}]}, 400),
        (path, own, good | {"categories": [good["categories"][0]] * 2}, 400),
        (path, own, good | {"as_of": now(3600)}, 400),
        (path, own, good | {"as_of": "2026-11-28T07:00:00"}, 400),  # no offset
        (path, own, good | {"extra": True}, 400),
        (path, own, [good], 400),
        (path, reception(settings, "kv-hakte-huddinge"), good, 403),  # another unit's staff
        (path, p.planner, good, 403),
        (path, p.police, good, 403),
        ("/v1/units/pa-kronoberg/capacity", p.police, good, 403),
        ("/v1/units/kv-hakte-atlantis/capacity", own, good, 404),
        ("/v1/units/KV..HAKTE/capacity", own, good, 400),
    ]
    for where, headers, payload, status in cases:
        answer = await api.put(where, json=payload, headers=headers)
        assert answer.status_code == status, (where, payload, answer.text)
    assert (await api.put(path, json=good, headers=own)).status_code == 200
    stale = good | {"as_of": "2026-11-01T07:00:00+01:00"}
    assert (await api.put(path, json=stale, headers=own)).status_code == 409
    bad_region = await api.get("/v1/capacity", params={"region": "'; --"}, headers=p.coordinator)
    assert bad_region.status_code == 400


# -- a deferral for no capacity --------------------------------------------------------------


def deferral(flow: Flow) -> dict[str, Any]:
    return next(e for e in flow.last["escalations"] if e["level"] == "deferral")


async def test_a_deferral_while_the_region_has_room_is_flagged(
    api: httpx.AsyncClient, settings: Settings
) -> None:
    p = Parties(settings)
    assert (await publish(api, settings, "kv-hakte-kronoberg", remand_juvenile=0)).is_success
    assert (await publish(api, settings, "kv-hakte-huddinge", remand_juvenile=2)).is_success
    flow = await Flow(api, p).create()
    payload = examples.DEFER | {"category": "remand_juvenile"}  # full: the destination
    await flow.post("defer", payload, p.planner)

    shown = flow.last["deferral"]
    assert shown["full_unit"] == "kv-hakte-kronoberg"
    assert shown["room_elsewhere"] is True
    assert "kv-hakte-huddinge" in shown["room_at"]
    detail = deferral(flow)["detail"]
    assert detail.startswith("Deferred by kv-nte-stockholm (no_capacity)")
    assert "FLAGGED" in detail
    assert "kv-hakte-huddinge" in detail
    logged = (await api.get(f"{flow.path}/events", headers=p.police)).json()[-1]
    assert logged["type"] == "deferred"
    assert logged["data"]["room_elsewhere"] is True


async def test_a_deferral_without_room_elsewhere_is_not_flagged(
    api: httpx.AsyncClient, settings: Settings
) -> None:
    p = Parties(settings)
    # Region Syd: Malmö is full and Ystad has no isolation place either.
    assert (await publish(api, settings, "kv-hakte-malmo", remand_isolation=0)).is_success
    assert (await publish(api, settings, "kv-hakte-ystad", remand_isolation=0)).is_success
    flow = await Flow(api, p).create()
    named = examples.DEFER | {"full_unit": "kv-hakte-malmo", "category": "remand_isolation"}
    await flow.post("defer", named, p.planner)

    shown = flow.last["deferral"]
    assert shown["full_unit"] == "kv-hakte-malmo"
    assert shown["room_elsewhere"] is False
    assert shown["room_at"] == []
    assert "FLAGGED" not in deferral(flow)["detail"]
    assert "no room elsewhere" in deferral(flow)["detail"]


async def test_a_deferral_names_a_full_unit_only_for_no_capacity(
    api: httpx.AsyncClient, settings: Settings
) -> None:
    p = Parties(settings)
    flow = await Flow(api, p).create()
    cases = [
        {"reason": "awaiting_information", "full_unit": "kv-hakte-kronoberg"},
        {"reason": "no_transport_available", "category": "remand_men"},
        {"reason": "no_capacity", "full_unit": "pa-kronoberg"},  # not a remand prison or prison
        {"reason": "no_capacity", "full_unit": "kv-hakte-atlantis"},
        {"reason": "no_capacity", "category": "all_of_them"},
    ]
    for payload in cases:
        answer = await api.post(f"{flow.path}/defer", json=payload, headers=p.planner)
        assert answer.status_code == 400, (payload, answer.text)
    # Old clients keep working: no unit, no category (the destination is taken, unchecked).
    await flow.post("defer", {"reason": "no_capacity"}, p.planner)
    assert flow.last["deferral"]["full_unit"] == "kv-hakte-kronoberg"
    assert flow.last["deferral"]["room_elsewhere"] is None


# -- relatives ---------------------------------------------------------------------------------


def relatives_escalations(record: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for e in record["escalations"] if e["level"] == "relatives"]


async def test_relatives_recorded_and_no_reminder(
    api: httpx.AsyncClient, settings: Settings
) -> None:
    p = Parties(settings)
    flow = await Flow(api, p).create()
    told = examples.RELATIVES | {"notified_at": now(-60)}
    answer = await api.post(f"{flow.path}/relatives", json=told, headers=p.police)
    assert answer.status_code == 201, answer.text
    assert answer.json()["number"] == 1
    assert answer.json()["method"] == "phone"
    await flow.to(State.COMPLETED)
    record = await flow.get()
    assert record["relatives_notified"] is True
    assert record["relatives"][0]["relative"] == told["relative"]
    assert not relatives_escalations(record)


async def test_a_move_completed_without_relatives_raises_a_reminder(
    api: httpx.AsyncClient, settings: Settings
) -> None:
    p = Parties(settings)
    flow = await Flow(api, p).to(State.COMPLETED)
    record = await flow.get()
    [reminder] = relatives_escalations(record)
    assert reminder["subject"] == "relatives"
    listed = await api.get(
        "/v1/escalations",
        params={"level": "relatives", "acknowledged": "false"},
        headers=p.coordinator,
    )
    assert listed.status_code == 200, listed.text
    assert any(e["handover_id"] == flow.id for e in listed.json()["items"])
    # Recorded afterwards (also on a completed request): why they were not told.
    late = {"notified": False, "reason": "person_declined"}
    await flow.post("relatives", late, p.hakte, expect=201)
    assert (await flow.get())["relatives"][-1]["reason"] == "person_declined"


@pytest.mark.parametrize(
    "payload",
    [
        {"notified": True},  # who, when and how missing
        {"notified": True, "relative": "Mother", "method": "phone"},  # no time
        {"notified": False},  # no reason
        {"notified": False, "reason": "other"},  # other needs text
        {"notified": False, "reason": "no_relatives", "relative": "Mother"},
        {"notified": "yes", "reason": "no_relatives"},
        {"notified": True, "relative": "M\u202eother", "method": "phone", "notified_at": now()},
        {"notified": True, "relative": "Mother", "method": "pigeon", "notified_at": now()},
        {"notified": True, "relative": "Mother", "method": "phone", "notified_at": now(3600)},
        {"notified": True, "relative": "Mother", "method": "phone", "notified_at": "yesterday"},
    ],
)
async def test_hostile_relatives_bodies_are_refused(
    api: httpx.AsyncClient, settings: Settings, payload: dict[str, Any]
) -> None:
    p = Parties(settings)
    flow = await Flow(api, p).create()
    answer = await api.post(f"{flow.path}/relatives", json=payload, headers=p.police)
    assert answer.status_code == 400, answer.text
    stranger = await api.post(f"{flow.path}/relatives", json=examples.RELATIVES, headers=p.stranger)
    assert stranger.status_code == 404
