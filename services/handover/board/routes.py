"""The coordinators' board at /board: server-rendered pages, plain forms, a live list.

Signed in with the API's own tokens, kept in an HttpOnly, SameSite=Strict cookie and verified
on every request exactly as a bearer token is (`auth.verify_token`: signature, claims, unit and
role fit, revocation). Every form carries a double-submit CSRF token. The pages read through
the API's read use cases, so visibility, masking and the access log are the API's own: every
page that shows personal data writes an access-log row with the action `board_view`.
"""

from __future__ import annotations

import asyncio
import hmac
import re
import secrets
import time
from collections.abc import AsyncGenerator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

import jinja2
import msgspec
from litestar import Request, Response, Router, get, post
from litestar.datastructures import Cookie
from litestar.di import NamedDependency
from litestar.enums import MediaType
from litestar.exceptions import NotAuthorizedException
from litestar.params import FromPath
from litestar.response import Redirect, ServerSentEvent, ServerSentEventMessage
from litestar.static_files import create_static_files_router

from contracts.access import Purpose
from contracts.actions import AcknowledgeBody
from contracts.api import HandoverSummary, LegalBasis
from contracts.common import CURSOR_PATTERN, Actor, Kind, Role, State
from contracts.person import masked_identity
from contracts.workflow import UPDATE_ACKNOWLEDGE
from services.handover.audit_context import set_purpose
from services.handover.auth import verify_token
from services.handover.board.deferral import deferral_units, deferral_view, flagged_deferrals
from services.handover.board.free_places import FRESH_HOURS, free_places
from services.handover.board.i18n import DEFAULT, LANGUAGES, Translator
from services.handover.board.journey import journey_units, journey_view
from services.handover.board.svg import STOCKHOLM, custody_chain_svg
from services.handover.errors import Forbidden, Gone, InvalidInput, NotFound, ProblemError
from services.handover.read_use_cases import (
    PARTY_ROLES,
    HandoverQueries,
    encode_position,
    feed_position,
)
from services.handover.repository import Repository
from services.handover.unit_incidents import UnitIncidents
from services.handover.use_cases import HandoverService

HERE = Path(__file__).parent
SESSION = "board_session"
CSRF = "board_csrf"
LANG = "board_lang"
PREFIX = "/board"
PAGE_SIZE = 100
# A live stream ends after this long; the browser reconnects with Last-Event-ID at once.
STREAM_SECONDS = 120.0
POLL_SECONDS = 1.0
KEEPALIVE_SECONDS = 15.0
YEAR = 365 * 24 * 3600
UNIT_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
CURSOR_RE = re.compile(CURSOR_PATTERN)
# Only what the board itself serves: its own styles and script, forms back to itself.
PAGE_HEADERS = {
    "content-security-policy": (
        "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'none'"
    ),
    "cache-control": "no-store",
}

ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(HERE / "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)


def _when(at: datetime | str | None) -> str:
    """An instant in Swedish time to the minute (the event log's are RFC 3339 strings)."""
    if isinstance(at, str):
        at = datetime.fromisoformat(at)
    return at.astimezone(STOCKHOLM).strftime("%Y-%m-%d %H:%M") if at else ""


ENV.filters["when"] = _when


# --- session, language, CSRF ----------------------------------------------------------------


def _cookie(
    request: Request[Any, Any, Any],
    key: str,
    value: str,
    *,
    max_age: int | None = None,
    httponly: bool = True,
) -> Cookie:
    return Cookie(
        key=key,
        value=value,
        path=PREFIX,
        max_age=max_age,
        httponly=httponly,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


def _lang(request: Request[Any, Any, Any]) -> str:
    asked = request.query_params.get("lang")
    if asked in LANGUAGES:
        return str(asked)
    kept = request.cookies.get(LANG)
    return kept if kept in LANGUAGES else DEFAULT


def _request_id(request: Request[Any, Any, Any]) -> str:
    return str(request.state.request_id)


def may_use_board(actor: Actor) -> bool:
    """Coordinators see their agency's or region's requests; parties their own."""
    return actor.has_any(Role.COORDINATOR, *PARTY_ROLES)


async def signed_in(request: Request[Any, Any, Any]) -> Actor | None:
    """The caller behind the session cookie, verified as the API verifies a bearer token."""
    token = request.cookies.get(SESSION)
    if not token:
        return None
    try:
        actor, _ = await verify_token(token, request.app.state)
    except (NotAuthorizedException, Forbidden):
        return None
    return actor


async def _form(request: Request[Any, Any, Any]) -> dict[str, str] | None:
    """The posted form if its CSRF token matches the cookie's (double submit), else None."""
    form = await request.form()
    sent = form.get("csrf")
    kept = request.cookies.get(CSRF, "")
    if not kept or not isinstance(sent, str) or not hmac.compare_digest(sent, kept):
        return None
    return {key: value for key, value in form.items() if isinstance(value, str)}


def _purpose(value: str | None) -> Purpose:
    try:
        return Purpose(value) if value else Purpose.COORDINATION
    except ValueError:
        return Purpose.COORDINATION


def render(
    request: Request[Any, Any, Any],
    template: str,
    *,
    actor: Actor | None = None,
    status: int = 200,
    **context: Any,
) -> Response[str]:
    """A page in the caller's language, with a CSRF token for its forms."""
    lang = _lang(request)
    csrf = request.cookies.get(CSRF) or secrets.token_urlsafe(32)

    def lang_url(code: str) -> str:
        query = {k: v for k, v in request.query_params.items() if k != "lang"}
        return f"{request.url.path}?{urlencode({**query, 'lang': code})}"

    html = ENV.get_template(template).render(
        t=Translator(lang),
        lang=lang,
        csrf=csrf,
        actor=actor,
        coordinator=actor is not None and actor.has_any(Role.COORDINATOR),
        lang_url=lang_url,
        **context,
    )
    cookies = [_cookie(request, CSRF, csrf)]
    if request.query_params.get("lang") in LANGUAGES:
        cookies.append(_cookie(request, LANG, lang, max_age=YEAR, httponly=False))
    return Response(
        html,
        media_type=MediaType.HTML,
        status_code=status,
        cookies=cookies,
        headers=PAGE_HEADERS,
    )


def _to_sign_in() -> Redirect:
    return Redirect(f"{PREFIX}/sign-in", status_code=303)


def _refused(request: Request[Any, Any, Any], actor: Actor | None, key: str, status: int) -> Any:
    t = Translator(_lang(request))
    return render(request, "error.html", actor=actor, status=status, message=t(key))


# --- the list of open requests --------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    unit: str | None
    kind: str | None
    state: str | None
    legal_basis: str | None
    cursor: str | None
    purpose: Purpose

    @classmethod
    def read(cls, request: Request[Any, Any, Any]) -> Filters:
        """Known values only: anything else is no filter, never an error page."""
        q = request.query_params

        def one_of(name: str, allowed: set[str]) -> str | None:
            value = q.get(name)
            return value if value in allowed else None

        unit, cursor = q.get("unit"), q.get("cursor")
        return cls(
            unit=unit if unit and UNIT_RE.match(unit) else None,
            kind=one_of("kind", {k.value for k in Kind}),
            state=one_of("state", {s.value for s in State}),
            legal_basis=one_of("legal_basis", {b.value for b in LegalBasis}),
            cursor=cursor if cursor and len(cursor) <= 200 and CURSOR_RE.match(cursor) else None,
            purpose=_purpose(q.get("purpose")),
        )

    def query(self, **changes: str | None) -> str:
        values = {
            "unit": self.unit,
            "kind": self.kind,
            "state": self.state,
            "legal_basis": self.legal_basis,
            "purpose": self.purpose.value,
        } | changes
        return urlencode({k: v for k, v in values.items() if v})


@dataclass(frozen=True)
class Row:
    item: HandoverSummary
    status: str  # breached, warned or on_time
    # Deferred for no capacity while the capacity data showed room elsewhere in the region.
    room_elsewhere: bool = False


async def _rows(
    request: Request[Any, Any, Any],
    actor: Actor,
    queries: HandoverQueries,
    repository: Repository,
    filters: Filters,
) -> tuple[list[Row], str | None]:
    set_purpose(filters.purpose)
    page = await queries.list(
        actor=actor,
        state=filters.state,
        kind=filters.kind,
        unit=filters.unit,
        legal_basis=filters.legal_basis,
        cursor=filters.cursor,
        limit=PAGE_SIZE,
        request_id=_request_id(request),
        sort="next_due",
        action="board_view",
    )
    ids = [item.id for item in page.items]
    states = await repository.open_deadline_states(handover_ids=ids) if ids else {}
    flagged = await flagged_deferrals(repository, page.items)
    rows = [
        Row(
            item=item,
            status=(
                "breached"
                if item.breached
                else "warned"
                if states.get(item.id) == "warned"
                else "on_time"
            ),
            room_elsewhere=item.id in flagged,
        )
        for item in page.items
    ]
    return rows, page.next_cursor


@get("/", name="board")
async def board(
    request: Request[Any, Any, Any],
    queries: NamedDependency[HandoverQueries],
    repository: NamedDependency[Repository],
    unit_incidents: NamedDependency[UnitIncidents],
) -> Any:
    """Open requests, the next deadline to fall due first; filters; live updates; for
    coordinators, the free places of the remand prisons and prisons in their scope."""
    actor = await signed_in(request)
    if actor is None:
        return _to_sign_in()
    if not may_use_board(actor):
        return _refused(request, actor, "err_forbidden", 403)
    filters = Filters.read(request)
    try:
        rows, next_cursor = await _rows(request, actor, queries, repository, filters)
    except InvalidInput:  # a cursor from another sort order or a stale link
        filters = replace(filters, cursor=None)
        rows, next_cursor = await _rows(request, actor, queries, repository, filters)
    units = await repository.list_units(org=None, kind=None)
    now = datetime.now(UTC)
    return render(
        request,
        "board.html",
        actor=actor,
        rows=rows,
        purpose=filters.purpose.value,
        filters=filters,
        next_url=f"{PREFIX}?{filters.query(cursor=next_cursor)}" if next_cursor else None,
        rows_url=f"{PREFIX}/rows?{filters.query(cursor=filters.cursor)}",
        live_url=f"{PREFIX}/live?{urlencode({'purpose': filters.purpose.value})}",
        units=units,
        kinds=list(Kind),
        states=list(State),
        bases=list(LegalBasis),
        purposes=list(Purpose),
        updated=now,
        free_places=await free_places(actor, repository, unit_incidents, now=now),
        fresh_hours=FRESH_HOURS,
    )


@get("/rows", name="board-rows")
async def board_rows(
    request: Request[Any, Any, Any],
    queries: NamedDependency[HandoverQueries],
    repository: NamedDependency[Repository],
) -> Any:
    """The list's rows alone (the live page swaps them in); audited like the page."""
    actor = await signed_in(request)
    if actor is None or not may_use_board(actor):
        raise NotAuthorizedException("Sign in to the board first.")
    filters = Filters.read(request)
    rows, _ = await _rows(request, actor, queries, repository, filters)
    return render(request, "rows.html", actor=actor, rows=rows, purpose=filters.purpose.value)


# --- escalations ----------------------------------------------------------------------------


async def _escalations_page(
    request: Request[Any, Any, Any],
    actor: Actor,
    queries: HandoverQueries,
    *,
    status: int = 200,
    error: str | None = None,
) -> Response[str]:
    page = await queries.escalations(
        actor=actor,
        unit=None,
        kind=None,
        level=None,
        acknowledged=False,
        cursor=None,
        limit=PAGE_SIZE,
    )
    return render(
        request,
        "escalations.html",
        actor=actor,
        status=status,
        escalations=page.items,
        error=error,
        done=request.query_params.get("acknowledged") == "1",
    )


@get("/escalations", name="board-escalations")
async def escalations(
    request: Request[Any, Any, Any], queries: NamedDependency[HandoverQueries]
) -> Any:
    """Escalations waiting for acknowledgement (coordinators)."""
    actor = await signed_in(request)
    if actor is None:
        return _to_sign_in()
    if not actor.has_any(Role.COORDINATOR):
        return _refused(request, actor, "err_coordinators", 403)
    return await _escalations_page(request, actor, queries)


@post("/escalations/{escalation_id:uuid}/acknowledge", name="board-acknowledge")
async def acknowledge(
    request: Request[Any, Any, Any],
    queries: NamedDependency[HandoverQueries],
    handovers: NamedDependency[HandoverService],
    escalation_id: FromPath[UUID],
) -> Any:
    """Acknowledge with a note, through the same use case as the API's acknowledge."""
    form = await _form(request)
    actor = await signed_in(request)
    if form is None:
        return _refused(request, actor, "err_csrf", 403)
    if actor is None:
        return _to_sign_in()
    if not actor.has_any(Role.COORDINATOR):
        return _refused(request, actor, "err_coordinators", 403)
    t = Translator(_lang(request))
    try:
        body = msgspec.convert({"note": form.get("note", "").strip()}, AcknowledgeBody)
    except msgspec.ValidationError:
        return await _escalations_page(request, actor, queries, status=400, error=t("err_note"))
    set_purpose(Purpose.COORDINATION)
    try:
        handover_id = await handovers.escalation_handover(actor, str(escalation_id))
        await handovers.act(
            actor=actor,
            handover_id=handover_id,
            name=UPDATE_ACKNOWLEDGE,
            body=body,
            expected_version=None,
            idempotency_key=None,
            request_id=_request_id(request),
            target=str(escalation_id),
        )
    except ProblemError as exc:
        return await _escalations_page(
            request, actor, queries, status=exc.status, error=f"{t('err_ack')}: {exc}"
        )
    return Redirect(f"{PREFIX}/escalations?acknowledged=1", status_code=303)


# --- one request ----------------------------------------------------------------------------


@get("/requests/{handover_id:uuid}", name="board-request")
async def request_page(
    request: Request[Any, Any, Any],
    queries: NamedDependency[HandoverQueries],
    repository: NamedDependency[Repository],
    unit_incidents: NamedDependency[UnitIncidents],
    handover_id: FromPath[UUID],
) -> Any:
    """Deferral, timeline, custody chain (SVG), journey, deadlines, incidents, assessment
    versions; audited as the page's `board_view` reads (the units' names are reference data,
    not personal data, and free places neither)."""
    actor = await signed_in(request)
    if actor is None:
        return _to_sign_in()
    if not may_use_board(actor):
        return _refused(request, actor, "err_forbidden", 403)
    set_purpose(_purpose(request.query_params.get("purpose")))
    try:
        record = await queries.record(
            actor=actor,
            handover_id=str(handover_id),
            request_id=_request_id(request),
            what="board_view",
        )
        events = await queries.events(
            actor=actor,
            handover_id=str(handover_id),
            request_id=_request_id(request),
            action="board_view",
        )
    except (NotFound, Gone):
        return _refused(request, actor, "err_not_found", 404)
    t = Translator(_lang(request))
    now = datetime.now(UTC)
    names: dict[str, str] = {}
    units = set(deferral_units(record.deferral))
    if record.journey is not None:
        units.update(journey_units(record.journey))
    if units:
        found = await repository.get_units(ids=sorted(units))
        names = {u.id: u.name for u in found.values()}
    # What the units with room publish now: the caller's Free places (coordinators only).
    places = (
        await free_places(actor, repository, unit_incidents, now=now)
        if record.deferral is not None and record.deferral.room_at
        else None
    )
    return render(
        request,
        "request.html",
        actor=actor,
        record=record,
        identity=masked_identity(record.person.identity),
        events=events,
        chain=custody_chain_svg(record.custody_chain, now, t) if record.custody_chain else None,
        journey=journey_view(record.journey, names, now),
        deferral=deferral_view(record.deferral, names, places),
    )


# --- live updates ---------------------------------------------------------------------------


@get("/live", name="board-live")
async def live(
    request: Request[Any, Any, Any],
    queries: NamedDependency[HandoverQueries],
    repository: NamedDependency[Repository],
) -> ServerSentEvent:
    """Server-sent events from the event feed, in the caller's scope; a reconnect resumes
    from `Last-Event-ID` (the feed's own cursor), so no change is missed or repeated."""
    actor = await signed_in(request)
    if actor is None or not may_use_board(actor):
        raise NotAuthorizedException("Sign in to the board first.")
    purpose = _purpose(request.query_params.get("purpose"))
    after = request.headers.get("last-event-id") or None
    if after is not None:
        try:
            feed_position(after)
        except InvalidInput:
            after = None
    if after is None:
        head = await repository.feed_head()
        after = encode_position(*head) if head else None
    request_id = _request_id(request)

    async def stream() -> AsyncGenerator[ServerSentEventMessage, None]:
        nonlocal after
        set_purpose(purpose)
        yield ServerSentEventMessage(event="ready", data="", id=after, retry=1000)
        started = quiet = time.monotonic()
        while time.monotonic() - started < STREAM_SECONDS:
            page = await queries.feed(actor=actor, after=after, limit=200, request_id=request_id)
            if page.items:
                after = page.next_after
                changes = [
                    {"handover_id": e.handover_id, "reference": e.reference, "type": e.type}
                    for e in page.items
                ]
                yield ServerSentEventMessage(
                    event="change", data=msgspec.json.encode(changes).decode(), id=after
                )
                quiet = time.monotonic()
                continue
            if time.monotonic() - quiet > KEEPALIVE_SECONDS:
                yield ServerSentEventMessage(comment="keep-alive")
                quiet = time.monotonic()
            await asyncio.sleep(POLL_SECONDS)

    return ServerSentEvent(stream(), headers={"cache-control": "no-store"})


# --- sign-in --------------------------------------------------------------------------------


@get("/sign-in", name="board-sign-in")
async def sign_in_page(request: Request[Any, Any, Any]) -> Response[str]:
    return render(request, "sign_in.html", error=None)


@post("/sign-in", name="board-sign-in-post")
async def sign_in(request: Request[Any, Any, Any]) -> Any:
    """Takes a token (development), verifies it as the API does, keeps it in a cookie."""
    form = await _form(request)
    if form is None:
        return _refused(request, None, "err_csrf", 403)
    t = Translator(_lang(request))
    token = form.get("token", "").strip()
    try:
        actor, claims = await verify_token(token, request.app.state)
    except NotAuthorizedException:
        return render(request, "sign_in.html", status=401, error=t("err_token"))
    except Forbidden:
        return render(request, "sign_in.html", status=403, error=t("err_forbidden"))
    if not may_use_board(actor):
        return render(request, "sign_in.html", status=403, error=t("err_forbidden"))
    lifetime = max(int(float(claims["exp"]) - time.time()), 1)
    return Redirect(
        PREFIX,
        status_code=303,
        cookies=[_cookie(request, SESSION, token, max_age=lifetime)],
    )


@post("/sign-out", name="board-sign-out")
async def sign_out(request: Request[Any, Any, Any]) -> Any:
    form = await _form(request)
    if form is None:
        return _refused(request, None, "err_csrf", 403)
    return Redirect(
        f"{PREFIX}/sign-in",
        status_code=303,
        cookies=[_cookie(request, SESSION, "", max_age=0)],
    )


def router() -> Router:
    """The board and its assets; its own cookie sign-in instead of the API's bearer check."""
    from services.handover.board import follow_up  # its pages use this module's helpers

    static = create_static_files_router(
        path="/static", directories=[HERE / "static"], include_in_schema=False
    )
    return Router(
        path=PREFIX,
        route_handlers=[
            board,
            board_rows,
            escalations,
            acknowledge,
            request_page,
            live,
            sign_in_page,
            sign_in,
            sign_out,
            follow_up.investigations,
            follow_up.inspection,
            follow_up.inspection_json,
            static,
        ],
        include_in_schema=False,
        opt={"exclude_from_auth": True},
    )
