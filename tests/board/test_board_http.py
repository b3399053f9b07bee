"""The board over HTTP: sign-in, CSRF, auditing, masking, languages, live events."""

from __future__ import annotations

import asyncio
import json
import time

import asyncpg
import httpx
import jwt
import pytest

from contracts.common import Org, Role
from services.handover.auth import issue_token
from services.handover.settings import Settings
from tests.board.helpers import (
    BOARD_UNIT,
    at_board_unit,
    board_police,
    board_views,
    breached_transfer,
    coordinator_token,
    csrf_of,
    sign_in,
)
from tests.flow import Flow, Parties, apprehension, fresh


async def test_the_board_asks_to_sign_in_and_keeps_the_token_in_a_strict_cookie(
    board: httpx.AsyncClient, settings: Settings
) -> None:
    first = await board.get("/board")
    assert first.status_code == 303
    assert first.headers["location"] == "/board/sign-in"

    signed = await sign_in(board, coordinator_token(settings))
    assert signed.status_code == 303, signed.text
    assert signed.headers["location"] == "/board"
    cookie = next(
        c for c in signed.headers.get_list("set-cookie") if c.startswith("board_session=")
    )
    attributes = {part.strip().lower() for part in cookie.split(";")}
    assert {"httponly", "samesite=strict", "path=/board"} <= attributes
    assert "secure" not in attributes  # plain http here; over https the cookie is Secure

    page = await board.get("/board")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert "<table" in page.text

    signed_out = await board.post("/board/sign-out", data={"csrf": csrf_of(page.text)})
    assert signed_out.status_code == 303
    assert (await board.get("/board")).status_code == 303


@pytest.mark.parametrize(
    ("org", "unit", "roles", "status"),
    [
        # The role does not fit the unit: refused as the API refuses it.
        (Org.POLISEN, "pa-kronoberg", [Role.COORDINATOR], 403),
        # Auditors read the access log, not cases.
        (Org.KRIMINALVARDEN, "kv-samordning-nationell", [Role.AUDITOR], 403),
    ],
)
async def test_sign_in_refuses_who_the_api_refuses(
    board: httpx.AsyncClient,
    settings: Settings,
    org: Org,
    unit: str,
    roles: list[Role],
    status: int,
) -> None:
    token = issue_token(settings, sub="board-refused", org=org, unit=unit, roles=roles)
    refused = await sign_in(board, token)
    assert refused.status_code == status
    assert "board_session" not in refused.headers.get("set-cookie", "")


async def test_a_bad_or_revoked_token_is_refused(
    board: httpx.AsyncClient, settings: Settings, pool: asyncpg.Pool
) -> None:
    assert (await sign_in(board, "not-a-token")).status_code == 401
    claims = {"sub": "board-forged", "org": "kriminalvarden", "unit": "kv-samordning-nationell"}
    now = int(time.time())
    forged = jwt.encode(
        claims | {"roles": ["coordinator"], "iat": now, "exp": now + 3600},
        "another secret of at least thirty-two bytes",
        algorithm="HS256",
    )
    assert (await sign_in(board, forged)).status_code == 401

    # Signed in, then revoked: the next page view asks to sign in again.
    sub = "board-revoked"
    token = issue_token(
        settings,
        sub=sub,
        org=Org.KRIMINALVARDEN,
        unit="kv-samordning-nationell",
        roles=[Role.COORDINATOR],
    )
    assert (await sign_in(board, token)).status_code == 303
    assert (await board.get("/board")).status_code == 200
    await pool.execute(
        "INSERT INTO revoked_tokens (sub, until, reason, revoked_by) "
        "VALUES ($1, now() + interval '1 day', 'test', 'test')",
        sub,
    )
    for _ in range(100):
        if (await board.get("/board")).status_code == 303:
            break
        await asyncio.sleep(0.1)
    assert (await board.get("/board")).status_code == 303


async def test_forms_without_the_csrf_token_are_refused(
    board: httpx.AsyncClient, api: httpx.AsyncClient, settings: Settings
) -> None:
    page = await board.get("/board/sign-in")
    token = coordinator_token(settings)
    missing = await board.post("/board/sign-in", data={"token": token})
    assert missing.status_code == 403
    wrong = await board.post("/board/sign-in", data={"token": token, "csrf": "forged"})
    assert wrong.status_code == 403
    assert "board_session" not in wrong.headers.get("set-cookie", "")
    # The field without its cookie (another site's form) is refused too.
    async with httpx.AsyncClient(base_url=str(api.base_url)) as stranger:
        crossed = await stranger.post(
            "/board/sign-in", data={"token": token, "csrf": csrf_of(page.text)}
        )
        assert crossed.status_code == 403

    # Signed in, an acknowledgement without the token changes nothing.
    p = Parties(settings)
    flow = await Flow(api, p).create(breached_transfer())
    assert (await sign_in(board, token)).status_code == 303
    escalation = await _open_escalation(api, p, flow.id)
    refused = await board.post(
        f"/board/escalations/{escalation}/acknowledge", data={"note": "seen"}
    )
    assert refused.status_code == 403
    assert await _open_escalation(api, p, flow.id) == escalation


async def _open_escalation(api: httpx.AsyncClient, p: Parties, handover_id: str) -> str:
    for _ in range(100):
        page = await api.get(
            "/v1/escalations", params={"acknowledged": "false"}, headers=p.coordinator
        )
        mine = [e["id"] for e in page.json()["items"] if e["handover_id"] == handover_id]
        if mine:
            return str(mine[0])
        await asyncio.sleep(0.1)
    raise AssertionError(f"no open escalation for {handover_id}")


async def test_acknowledging_on_the_board_uses_the_api_use_case(
    board: httpx.AsyncClient, api: httpx.AsyncClient, settings: Settings
) -> None:
    p = Parties(settings)
    flow = await Flow(api, p).create(breached_transfer())
    escalation = await _open_escalation(api, p, flow.id)
    assert (await sign_in(board, coordinator_token(settings))).status_code == 303
    page = await board.get("/board/escalations")
    assert page.status_code == 200
    assert f'data-id="{escalation}"' in page.text
    done = await board.post(
        f"/board/escalations/{escalation}/acknowledge",
        data={"csrf": csrf_of(page.text), "note": "Ringt NTE, transport 14:00."},
    )
    assert done.status_code == 303, done.text
    after = await board.get(done.headers["location"])
    assert f'data-id="{escalation}"' not in after.text
    events = (await api.get(f"{flow.path}/events", headers=p.police)).json()
    acknowledged = [e for e in events if e["type"] == "escalation_acknowledged"]
    assert acknowledged[0]["actor"]["unit"] == "kv-samordning-nationell"


async def test_every_page_view_with_personal_data_is_audited(
    board: httpx.AsyncClient, api: httpx.AsyncClient, settings: Settings, pool: asyncpg.Pool
) -> None:
    p = Parties(settings)
    flow = await Flow(api, p).create(at_board_unit(fresh()), headers=board_police(settings))
    unit = "kv-samordning-stockholm"
    sub = f"board-{unit}"
    assert (await sign_in(board, coordinator_token(settings, unit))).status_code == 303
    before = len(await board_views(pool, sub))

    listed = await board.get("/board", params={"unit": BOARD_UNIT})
    assert flow.id in listed.text
    views = await board_views(pool, sub)
    assert len(views) == before + 1
    assert flow.id in views[-1]["ids"]
    assert views[-1]["purpose"] == "coordination"
    assert views[-1]["unit"] == unit

    one = await board.get(f"/board/requests/{flow.id}", params={"purpose": "follow_up"})
    assert one.status_code == 200
    views = await board_views(pool, sub)
    assert len(views) > before + 1
    assert all(v["ids"] == [flow.id] for v in views[before + 1 :])
    assert {v["purpose"] for v in views[before + 1 :]} == {"follow_up"}

    # The live rows are a page view too.
    rows = await board.get("/board/rows", params={"unit": BOARD_UNIT})
    assert flow.id in rows.text
    assert len(await board_views(pool, sub)) == len(views) + 1


async def test_identity_is_masked_and_no_name_is_shown(
    board: httpx.AsyncClient, api: httpx.AsyncClient, settings: Settings
) -> None:
    p = Parties(settings)
    flow = await Flow(api, p).create(fresh())
    person = flow.last["person"]
    number = person["identity"]["number"]
    assert (await sign_in(board, coordinator_token(settings))).status_code == 303
    for path in ("/board", f"/board/requests/{flow.id}"):
        page = await board.get(path)
        assert page.status_code == 200
        assert number[:8] + "-****" in page.text
        for secret in (
            number,
            number.replace("-", ""),
            person["given_name"],
            person["family_name"],
        ):
            assert secret not in page.text, f"{secret} shown on {path}"


async def test_swedish_by_default_english_on_request_and_kept(
    board: httpx.AsyncClient, settings: Settings
) -> None:
    sign_in_page = await board.get("/board/sign-in")
    assert '<html lang="sv">' in sign_in_page.text
    assert "Logga in" in sign_in_page.text
    assert (await sign_in(board, coordinator_token(settings))).status_code == 303

    swedish = await board.get("/board")
    assert '<html lang="sv">' in swedish.text
    assert "Öppna ärenden" in swedish.text

    english = await board.get("/board", params={"lang": "en"})
    assert '<html lang="en">' in english.text
    assert "Open requests" in english.text
    assert "Öppna ärenden" not in english.text
    kept = await board.get("/board/escalations")
    assert '<html lang="en">' in kept.text
    assert "Escalations waiting for acknowledgement" in kept.text
    back = await board.get("/board", params={"lang": "sv"})
    assert '<html lang="sv">' in back.text


async def test_filters_by_kind_and_legal_basis(
    board: httpx.AsyncClient, api: httpx.AsyncClient, settings: Settings
) -> None:
    p = Parties(settings)
    transfer = await Flow(api, p).create(at_board_unit(fresh()), headers=board_police(settings))
    kumla = issue_token(
        settings,
        sub="board-kumla",
        org=Org.KRIMINALVARDEN,
        unit="kv-anstalt-kumla",
        roles=[Role.TRANSPORT_PLANNER],
    )
    assistance = await Flow(api, p).create(
        apprehension(), headers={"Authorization": f"Bearer {kumla}"}
    )
    assert (await sign_in(board, coordinator_token(settings))).status_code == 303
    own = {"unit": BOARD_UNIT}
    transfers = (await board.get("/board", params={**own, "kind": "transfer"})).text
    assert transfer.id in transfers
    assists = (await board.get("/board", params={**own, "kind": "enforcement_assistance"})).text
    assert transfer.id not in assists
    if assistance.last.get("next_due_at") is None and not assistance.last["deadlines"]:
        pytest.fail("the apprehension has no deadline, so the legal-basis filter shows nothing")
    kumla_unit = {"unit": "kv-anstalt-kumla"}
    by_basis = (
        await board.get("/board", params={**kumla_unit, "legal_basis": "strafftidslag_6"})
    ).text
    assert assistance.id in by_basis
    assert transfer.id not in by_basis
    kumla_transfers = (await board.get("/board", params={**kumla_unit, "kind": "transfer"})).text
    assert assistance.id not in kumla_transfers
    other = (await board.get("/board", params={**kumla_unit, "legal_basis": "lvm_45"})).text
    assert assistance.id not in other


async def test_live_events_resume_from_last_event_id(
    board: httpx.AsyncClient, api: httpx.AsyncClient, settings: Settings
) -> None:
    assert (await sign_in(board, coordinator_token(settings))).status_code == 303
    flow = Flow(api, Parties(settings))
    Seen = list[tuple[str, str, str]]

    async def read(headers: dict[str, str], ready: asyncio.Event) -> Seen:
        """(event, id, data) until a `change` naming the flow's request arrives."""
        seen: Seen = []
        async with board.stream("GET", "/board/live", headers=headers, timeout=30) as stream:
            assert stream.status_code == 200
            assert stream.headers["content-type"].startswith("text/event-stream")
            event = {"event": "", "id": "", "data": ""}
            async for line in stream.aiter_lines():
                if line:
                    name, _, value = line.partition(":")
                    event[name] = value.strip()
                    continue
                seen.append((event["event"], event["id"], event["data"]))
                if event["event"] == "ready":
                    ready.set()
                if event["event"] == "change" and flow.id and flow.id in event["data"]:
                    return seen
                event = {"event": "", "id": "", "data": ""}
        return seen

    ready = asyncio.Event()
    task = asyncio.create_task(read({}, ready))
    await asyncio.wait_for(ready.wait(), 10)
    await flow.create(fresh())
    seen = await asyncio.wait_for(task, 30)
    first = seen[0]
    assert first[0] == "ready"
    changes = [json.loads(data) for kind, _, data in seen if kind == "change"]
    assert any(c["handover_id"] == flow.id for batch in changes for c in batch)

    # The browser reconnects with the last id it saw: what came after it comes again.
    again = await asyncio.wait_for(read({"Last-Event-ID": first[1]}, asyncio.Event()), 30)
    assert again[0][0] == "ready"
    assert any(flow.id in data for kind, _, data in again if kind == "change")
