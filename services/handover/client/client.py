"""`HandoverClient`: the API as typed async calls, with safe retries, ETags and the feed."""

from __future__ import annotations

import asyncio
import inspect
import os
import random
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol, Self, TypeVar

import httpx
import msgspec

from contracts.actions import (
    AcceptBody,
    AcknowledgeBody,
    CancelBody,
    CompleteBody,
    DeferBody,
    ExtendBody,
    NotExecutedBody,
    PlacedBody,
    ReceiveBody,
    RejectBody,
    ReleaseBody,
    ReportBody,
    ScheduleBody,
)
from contracts.amendments import Amendment, CorrectionBody
from contracts.api import (
    CaseExport,
    EscalationPage,
    EventView,
    FeedEvent,
    FeedPage,
    Handover,
    HandoverCreate,
    HandoverPage,
    HandoverSummary,
    Unit,
)
from contracts.assessment import AssessmentBody, AssessmentHistory, Incident, IncidentBody
from contracts.capacity import CapacityBody, UnitCapacity
from contracts.common import Kind, Org, State, UnitKind
from contracts.deadline_policy import Escalation, EscalationLevel
from contracts.inspections import Inspection, UnitExport
from contracts.journey import JourneyChange
from contracts.lifecycle import Action
from contracts.relatives import RelativesBody, RelativesNotice
from contracts.unit_incidents import (
    CloseBody,
    IncidentReportBody,
    InvestigationBody,
    UnitIncident,
    UnitIncidentBody,
    UnitIncidentPage,
)
from services.handover.client.errors import (
    ETagUnknown,
    TransportError,
    problem_error,
    retry_after,
)

T = TypeVar("T")

TokenSource = Callable[[], str | Awaitable[str]]
"""Gives the bearer token for each attempt, so a token can be refreshed as it nears expiry."""

RETRY_STATUSES = frozenset({429, 502, 503, 504})
# Failures where the request may or may not have reached the service: safe to repeat only
# because every POST carries the same Idempotency-Key on each attempt.
RETRY_ERRORS = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)


@dataclass(frozen=True, kw_only=True)
class RetryPolicy:
    """How often and how long to retry a call that got no answer, a 502/503/504 or a 429.

    The n-th wait is `backoff * multiplier**(n-1)` (with +/- `jitter`), at most `cap`
    seconds; a `Retry-After` from the service replaces it. A `Retry-After` longer than `cap`
    is not waited for: the error is raised with its `retry_after`.
    """

    attempts: int = 5
    backoff: float = 0.2
    multiplier: float = 2.0
    cap: float = 30.0
    jitter: float = 0.1

    def delay(self, attempt: int, after: float | None = None) -> float:
        if after is not None:
            return after
        base = min(self.cap, self.backoff * self.multiplier ** (attempt - 1))
        spread = base * self.jitter
        return max(0.0, min(self.cap, base + random.uniform(-spread, spread)))  # noqa: S311


class CursorStore(Protocol):
    """Where a feed reader keeps its `next_after`, so a restart resumes where it stopped."""

    def load(self) -> str | None: ...

    def save(self, cursor: str) -> None: ...


class FileCursor:
    """A cursor in a file, replaced atomically (a crash leaves the old or the new one)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    def load(self) -> str | None:
        try:
            text = self.path.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        return text or None

    def save(self, cursor: str) -> None:
        scratch = self.path.with_name(self.path.name + ".tmp")
        scratch.write_text(cursor + "\n", encoding="utf-8")
        os.replace(scratch, self.path)


class MemoryCursor:
    """A cursor kept in memory (tests, or a caller that stores it itself)."""

    def __init__(self, cursor: str | None = None) -> None:
        self.cursor = cursor

    def load(self) -> str | None:
        return self.cursor

    def save(self, cursor: str) -> None:
        self.cursor = cursor


IfMatch = bool | str | None
"""`True`: send the last ETag this client saw for the request; a string: send it as given;
`False`: send none; `None`: the client's default (`use_if_match`)."""


class HandoverClient:
    """The handover API for one caller (one token source).

    ```python
    async with HandoverClient("https://handover.example", token=lambda: token) as client:
        handover = await client.accept(handover_id)
    ```

    Every POST gets one `Idempotency-Key` per logical call, sent again on each retry, so a
    lost answer never makes a second change. Answers that carry an `ETag` are remembered per
    request (`etag(id)`); actions send `If-Match` when asked (`if_match=True`, or
    `use_if_match=True` for all), and a stale one raises `PreconditionFailedError`.
    """

    def __init__(
        self,
        base_url: str,
        token: TokenSource,
        *,
        http: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        retry: RetryPolicy | None = None,
        timeout: float = 30.0,
        purpose: str | None = None,
        use_if_match: bool = False,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._token = token
        self._owns_http = http is None
        self._http = http or httpx.AsyncClient(transport=transport, timeout=timeout)
        self.retry = retry or RetryPolicy()
        self.purpose = purpose
        self.use_if_match = use_if_match
        self._sleep = sleep
        self._etags: dict[str, str] = {}

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    def etag(self, handover_id: str) -> str | None:
        """The last ETag this client saw for the request, e.g. `"3"`."""
        return self._etags.get(handover_id)

    # -- requests ------------------------------------------------------------------------

    async def create(self, body: HandoverCreate, *, idempotency_key: str | None = None) -> Handover:
        """Create a request (`TransferCreate` or `AssistanceCreate`); it starts `requested`."""
        response = await self._call(
            "POST", "/v1/handovers", body=body, idempotency_key=idempotency_key
        )
        return self._handover(response)

    async def get(self, handover_id: str) -> Handover:
        """One request with the person's data and your `allowed_actions`; remembers its ETag."""
        return self._handover(await self._call("GET", f"/v1/handovers/{handover_id}"))

    async def handovers(
        self,
        *,
        state: State | None = None,
        kind: Kind | None = None,
        unit: str | None = None,
        due_before: datetime | None = None,
        breached: bool | None = None,
        sort: str | None = None,
        cursor: str | None = None,
        limit: int | None = None,
    ) -> HandoverPage:
        """One page of the requests you are a party to (identity masked), newest first."""
        params = _params(
            state=state,
            kind=kind,
            unit=unit,
            due_before=due_before,
            breached=breached,
            sort=sort,
            cursor=cursor,
            limit=limit,
        )
        response = await self._call("GET", "/v1/handovers", params=params)
        return _decode(response, HandoverPage)

    async def iter_handovers(
        self,
        *,
        state: State | None = None,
        kind: Kind | None = None,
        unit: str | None = None,
        limit: int = 200,
    ) -> AsyncIterator[HandoverSummary]:
        """Every page of `handovers`, one request at a time."""
        cursor: str | None = None
        while True:
            page = await self.handovers(
                state=state, kind=kind, unit=unit, cursor=cursor, limit=limit
            )
            for item in page.items:
                yield item
            if page.next_cursor is None:
                return
            cursor = page.next_cursor

    async def events(self, handover_id: str) -> list[EventView]:
        """The request's hash-chained event log, oldest first."""
        response = await self._call("GET", f"/v1/handovers/{handover_id}/events")
        return _decode(response, list[EventView])

    async def export(self, handover_id: str) -> CaseExport:
        """The whole case as one document with its events and the chain's head hash."""
        response = await self._call("GET", f"/v1/handovers/{handover_id}/export")
        return _decode(response, CaseExport)

    async def units(self, *, org: Org | None = None, kind: UnitKind | None = None) -> list[Unit]:
        response = await self._call("GET", "/v1/units", params=_params(org=org, kind=kind))
        return _decode(response, list[Unit])

    # -- free places -----------------------------------------------------------------------

    async def put_capacity(self, unit: str, body: CapacityBody) -> UnitCapacity:
        """Publish a remand prison's or prison's free places (its own reception or system)."""
        response = await self._call("PUT", f"/v1/units/{unit}/capacity", body=body)
        return _decode(response, UnitCapacity)

    async def capacity(self, *, region: str | None = None) -> list[UnitCapacity]:
        """What each remand prison and prison published last, optionally of one region."""
        response = await self._call("GET", "/v1/capacity", params=_params(region=region))
        return _decode(response, list[UnitCapacity])

    # -- actions -------------------------------------------------------------------------

    async def act(
        self,
        handover_id: str,
        action: Action,
        body: msgspec.Struct,
        *,
        if_match: IfMatch = None,
        idempotency_key: str | None = None,
    ) -> Handover:
        """`POST /v1/handovers/{id}/{action}` with its body; the request after the change."""
        response = await self._call(
            "POST",
            f"/v1/handovers/{handover_id}/{action}",
            body=body,
            if_match=self._if_match(handover_id, if_match),
            idempotency_key=idempotency_key,
        )
        return self._handover(response)

    async def accept(
        self, handover_id: str, body: AcceptBody | None = None, *, if_match: IfMatch = None
    ) -> Handover:
        return await self.act(handover_id, Action.ACCEPT, body or AcceptBody(), if_match=if_match)

    async def defer(
        self, handover_id: str, body: DeferBody, *, if_match: IfMatch = None
    ) -> Handover:
        return await self.act(handover_id, Action.DEFER, body, if_match=if_match)

    async def reject(
        self, handover_id: str, body: RejectBody, *, if_match: IfMatch = None
    ) -> Handover:
        return await self.act(handover_id, Action.REJECT, body, if_match=if_match)

    async def schedule(
        self, handover_id: str, body: ScheduleBody, *, if_match: IfMatch = None
    ) -> Handover:
        return await self.act(handover_id, Action.SCHEDULE, body, if_match=if_match)

    async def release(
        self, handover_id: str, body: ReleaseBody, *, if_match: IfMatch = None
    ) -> Handover:
        return await self.act(handover_id, Action.RELEASE, body, if_match=if_match)

    async def receive(
        self, handover_id: str, body: ReceiveBody, *, if_match: IfMatch = None
    ) -> Handover:
        return await self.act(handover_id, Action.RECEIVE, body, if_match=if_match)

    async def cancel(
        self, handover_id: str, body: CancelBody, *, if_match: IfMatch = None
    ) -> Handover:
        return await self.act(handover_id, Action.CANCEL, body, if_match=if_match)

    async def complete(
        self, handover_id: str, body: CompleteBody, *, if_match: IfMatch = None
    ) -> Handover:
        return await self.act(handover_id, Action.COMPLETE, body, if_match=if_match)

    async def not_executed(
        self, handover_id: str, body: NotExecutedBody, *, if_match: IfMatch = None
    ) -> Handover:
        return await self.act(handover_id, Action.NOT_EXECUTED, body, if_match=if_match)

    async def extend_deadline(
        self, handover_id: str, deadline: str, body: ExtendBody, *, if_match: IfMatch = None
    ) -> Handover:
        response = await self._call(
            "POST",
            f"/v1/handovers/{handover_id}/deadlines/{deadline}/extend",
            body=body,
            if_match=self._if_match(handover_id, if_match),
        )
        return self._handover(response)

    async def placed(
        self, handover_id: str, body: PlacedBody, *, if_match: IfMatch = None
    ) -> Handover:
        """The convicted person was placed in a prison (strafftidslag 10 §)."""
        return await self.act(handover_id, Action.PLACED, body, if_match=if_match)

    # -- journeys, amendments, corrections, relatives ----------------------------------------

    async def change_journey(
        self,
        handover_id: str,
        change: JourneyChange,
        *,
        if_match: IfMatch = None,
        idempotency_key: str | None = None,
    ) -> Handover:
        """Plan or answer a lodging, cancel a stop, redirect, plan a return leg, or record
        an arrival or departure at a stop outside the agencies (`contracts.journey`)."""
        response = await self._call(
            "POST",
            f"/v1/handovers/{handover_id}/journey",
            body=change,
            if_match=self._if_match(handover_id, if_match),
            idempotency_key=idempotency_key,
        )
        return self._handover(response)

    async def amend(
        self,
        handover_id: str,
        body: Amendment,
        *,
        if_match: IfMatch = None,
        idempotency_key: str | None = None,
    ) -> Handover:
        """Amend a fact of the request (`field`), with a reason; the log keeps both values."""
        response = await self._call(
            "POST",
            f"/v1/handovers/{handover_id}/amendments",
            body=body,
            if_match=self._if_match(handover_id, if_match),
            idempotency_key=idempotency_key,
        )
        return self._handover(response)

    async def correct(
        self,
        handover_id: str,
        seq: int,
        body: CorrectionBody,
        *,
        if_match: IfMatch = None,
        idempotency_key: str | None = None,
    ) -> Handover:
        """Mark event `seq` as recorded in error, with its corrected time."""
        response = await self._call(
            "POST",
            f"/v1/handovers/{handover_id}/events/{seq}/correct",
            body=body,
            if_match=self._if_match(handover_id, if_match),
            idempotency_key=idempotency_key,
        )
        return self._handover(response)

    async def record_relatives(
        self,
        handover_id: str,
        body: RelativesBody,
        *,
        if_match: IfMatch = None,
        idempotency_key: str | None = None,
    ) -> RelativesNotice:
        """Record whether the person's close relatives were told of the move."""
        response = await self._call(
            "POST",
            f"/v1/handovers/{handover_id}/relatives",
            body=body,
            if_match=self._if_match(handover_id, if_match),
            idempotency_key=idempotency_key,
        )
        self._remember(handover_id, response)
        return _decode(response, RelativesNotice)

    # -- security assessment and incidents -------------------------------------------------

    async def assess(
        self, handover_id: str, body: AssessmentBody, *, if_match: IfMatch = None
    ) -> AssessmentHistory:
        """Record a new version of the security assessment (the requesting unit)."""
        response = await self._call(
            "POST",
            f"/v1/handovers/{handover_id}/security-assessment",
            body=body,
            if_match=self._if_match(handover_id, if_match),
        )
        self._remember(handover_id, response)
        return _decode(response, AssessmentHistory)

    async def assessment(self, handover_id: str) -> AssessmentHistory:
        response = await self._call("GET", f"/v1/handovers/{handover_id}/security-assessment")
        self._remember(handover_id, response)
        return _decode(response, AssessmentHistory)

    async def record_incident(
        self, handover_id: str, body: IncidentBody, *, if_match: IfMatch = None
    ) -> Incident:
        response = await self._call(
            "POST",
            f"/v1/handovers/{handover_id}/incidents",
            body=body,
            if_match=self._if_match(handover_id, if_match),
        )
        self._remember(handover_id, response)
        return _decode(response, Incident)

    async def incidents(self, handover_id: str) -> list[Incident]:
        response = await self._call("GET", f"/v1/handovers/{handover_id}/incidents")
        return _decode(response, list[Incident])

    async def report_incident(
        self, handover_id: str, number: int, body: ReportBody, *, if_match: IfMatch = None
    ) -> Incident:
        response = await self._call(
            "POST",
            f"/v1/handovers/{handover_id}/incidents/{number}/report",
            body=body,
            if_match=self._if_match(handover_id, if_match),
        )
        self._remember(handover_id, response)
        return _decode(response, Incident)

    # -- unit incidents and JO inspections --------------------------------------------------

    async def record_unit_incident(
        self, body: UnitIncidentBody, *, idempotency_key: str | None = None
    ) -> UnitIncident:
        """An incident of the caller's own unit outside any request."""
        response = await self._call(
            "POST", "/v1/incidents", body=body, idempotency_key=idempotency_key
        )
        return _decode(response, UnitIncident)

    async def unit_incident(self, incident_id: str) -> UnitIncident:
        response = await self._call("GET", f"/v1/incidents/{incident_id}")
        return _decode(response, UnitIncident)

    async def unit_incidents(
        self, *, unit: str | None = None, open_only: bool = False, cursor: str | None = None
    ) -> UnitIncidentPage:
        params: dict[str, Any] = {"unit": unit, "cursor": cursor}
        if open_only:
            params["investigation"] = ["none", "open"]
        query = {k: v for k, v in params.items() if v is not None}
        response = await self._call("GET", "/v1/incidents", params=query)
        return _decode(response, UnitIncidentPage)

    async def follow_up(
        self, incident_id: str, body: InvestigationBody | CloseBody | IncidentReportBody
    ) -> UnitIncident:
        """Investigate (open or update), close with a decision, or record the report."""
        step = {InvestigationBody: "investigation", CloseBody: "close"}.get(type(body), "report")
        response = await self._call("POST", f"/v1/incidents/{incident_id}/{step}", body=body)
        return _decode(response, UnitIncident)

    async def inspection(self, unit: str, start: str, end: str) -> Inspection:
        """The JO inspection of a unit for the days `start` to `end` (YYYY-MM-DD)."""
        params = {"unit": unit, "from": start, "to": end}
        response = await self._call("GET", "/v1/inspections", params=params)
        return _decode(response, Inspection)

    async def export_unit(
        self, unit: str, start: str, end: str, *, cursor: str | None = None
    ) -> UnitExport:
        """One page of a unit's cases for a period (coordinators)."""
        params = {"unit": unit, "from": start, "to": end}
        if cursor is not None:
            params["cursor"] = cursor
        response = await self._call("GET", "/v1/exports", params=params)
        return _decode(response, UnitExport)

    # -- coordinators ----------------------------------------------------------------------

    async def escalations(
        self,
        *,
        unit: str | None = None,
        kind: Kind | None = None,
        level: EscalationLevel | None = None,
        acknowledged: bool | None = None,
        cursor: str | None = None,
        limit: int | None = None,
    ) -> EscalationPage:
        params = _params(
            unit=unit, kind=kind, level=level, acknowledged=acknowledged, cursor=cursor, limit=limit
        )
        response = await self._call("GET", "/v1/escalations", params=params)
        return _decode(response, EscalationPage)

    async def acknowledge(self, escalation_id: str, body: AcknowledgeBody) -> Escalation:
        response = await self._call(
            "POST", f"/v1/escalations/{escalation_id}/acknowledge", body=body
        )
        return _decode(response, Escalation)

    # -- the feed --------------------------------------------------------------------------

    async def feed_page(self, after: str | None = None, *, limit: int | None = None) -> FeedPage:
        """One poll of `GET /v1/events`: events after `after`, oldest first."""
        response = await self._call("GET", "/v1/events", params=_params(after=after, limit=limit))
        return _decode(response, FeedPage)

    async def feed(
        self,
        after: str | None = None,
        *,
        cursor: CursorStore | None = None,
        limit: int = 100,
        poll_interval: float = 2.0,
        stop_when_idle: bool = False,
    ) -> AsyncIterator[FeedEvent]:
        """Every event you may see, each once, in the feed's order; polls for new ones.

        Starts after `after`, else after the cursor `cursor` holds, else at the beginning.
        The cursor is saved once every event of a page has been handed out and the caller
        asked for the next (so a crash repeats at most one page: make handling idempotent,
        e.g. by `(handover_id, seq)`). A full page is followed at once; otherwise the next
        poll waits `poll_interval`. `stop_when_idle` ends the iteration at the first poll
        that brings nothing.
        """
        position = after if after is not None else (cursor.load() if cursor else None)
        while True:
            page = await self.feed_page(position, limit=limit)
            for event in page.items:
                yield event
            if page.next_after is not None and page.next_after != position:
                position = page.next_after
                if cursor is not None:
                    cursor.save(position)
            if not page.items:
                if stop_when_idle:
                    return
                await self._sleep(poll_interval)
            elif len(page.items) < limit:
                await self._sleep(poll_interval)

    async def feed_head(self) -> str | None:
        """The cursor after the newest event you may see now: to read only what comes next."""
        position: str | None = None
        while True:
            page = await self.feed_page(position, limit=200)
            if page.next_after is not None:
                position = page.next_after
            if len(page.items) < 200:
                return position

    # -- plumbing --------------------------------------------------------------------------

    def _if_match(self, handover_id: str, if_match: IfMatch) -> str | None:
        wanted = self.use_if_match if if_match is None else if_match
        if isinstance(wanted, str):
            return wanted
        if not wanted:
            return None
        known = self._etags.get(handover_id)
        if known is None:
            raise ETagUnknown(f"no ETag known for {handover_id}: read it first (`get`)")
        return known

    def _remember(self, handover_id: str, response: httpx.Response) -> None:
        value = response.headers.get("ETag")
        if value:
            self._etags[handover_id] = value

    def _handover(self, response: httpx.Response) -> Handover:
        handover = _decode(response, Handover)
        self._remember(handover.id, response)
        return handover

    async def _bearer(self) -> str:
        token = self._token()
        if inspect.isawaitable(token):
            token = await token
        return str(token)

    async def _call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str | list[str]] | None = None,
        body: msgspec.Struct | None = None,
        if_match: str | None = None,
        idempotency_key: str | None = None,
    ) -> httpx.Response:
        """Send one logical call, retrying what is safe to retry; raise a typed problem."""
        headers = {"Accept": "application/json"}
        content = None
        if method == "POST":
            # One key per logical call, the same on every attempt: the service answers a
            # repeat with the original result instead of changing the request again.
            headers["Idempotency-Key"] = idempotency_key or str(uuid.uuid4())
        if method in ("POST", "PUT"):
            # A PUT replaces what it names with the same body each time: safe to repeat.
            headers["Content-Type"] = "application/json"
            content = msgspec.json.encode(body if body is not None else {})
        if if_match is not None:
            headers["If-Match"] = if_match
        if self.purpose:
            headers["X-Purpose"] = self.purpose
        url = self.base_url + path
        policy = self.retry
        refreshed = False
        attempt = 0
        while True:
            attempt += 1
            headers["Authorization"] = f"Bearer {await self._bearer()}"
            try:
                response = await self._http.request(
                    method, url, params=params, content=content, headers=headers
                )
            except RETRY_ERRORS as exc:
                if attempt >= policy.attempts:
                    raise TransportError(
                        f"{method} {path}: no answer after {attempt} attempts ({exc!r})"
                    ) from exc
                await self._sleep(policy.delay(attempt))
                continue
            if response.is_success:
                return response
            if response.status_code == 401 and not refreshed:
                # The token may have expired between being made and being read: ask the
                # token source again, once.
                refreshed = True
                attempt -= 1
                continue
            if response.status_code in RETRY_STATUSES and attempt < policy.attempts:
                after = retry_after(response)
                if after is None or after <= policy.cap:
                    await self._sleep(policy.delay(attempt, after))
                    continue
            raise problem_error(response)


def _decode(response: httpx.Response, kind: type[T]) -> T:
    return msgspec.json.decode(response.content, type=kind)


def _params(**values: Any) -> dict[str, str]:
    """Query parameters, leaving out those not given; booleans as `true`/`false`."""
    result: dict[str, str] = {}
    for name, value in values.items():
        if value is None:
            continue
        if isinstance(value, bool):
            result[name] = "true" if value else "false"
        elif isinstance(value, datetime):
            result[name] = value.isoformat()
        else:
            result[name] = str(value)
    return result
