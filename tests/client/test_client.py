"""The Python client used the way Kriminalvården's (and the police's) systems would use it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import msgspec
import pytest

from contracts.actions import (
    AcceptBody,
    DeferBody,
    ReceiveBody,
    ReleaseBody,
    ScheduleBody,
)
from contracts.api import CaseExport, EventView, FeedEvent, Handover, HandoverPage
from contracts.assessment import AssessmentBody, AssessmentHistory
from contracts.common import Org, Role, State
from contracts.eventlog import verify_served
from contracts.lifecycle import Action
from contracts.refusals import Refusal
from services.handover.api import examples
from services.handover.client import (
    ConflictError,
    ETagUnknown,
    FileCursor,
    ForbiddenError,
    HandoverClient,
    IdempotencyKeyReusedError,
    InvalidRequestError,
    MemoryCursor,
    NotFoundError,
    PreconditionFailedError,
    RateLimitedError,
    RetryPolicy,
    TransportError,
    UnauthorizedError,
    UnavailableError,
)
from tests.client.conftest import Cast, Sleeps, token, transfer, typed

ASSESSMENT = typed(examples.ASSESSMENT, AssessmentBody)


def now() -> datetime:
    return datetime.now(UTC)


def schedule() -> ScheduleBody:
    return ScheduleBody(pickup_at=now() + timedelta(hours=1), transport_unit="kv-nte-stockholm")


def release(to_unit: str) -> ReleaseBody:
    return ReleaseBody(to_unit=to_unit, occurred_at=now(), identity_checked=True)


def receive() -> ReceiveBody:
    return ReceiveBody(occurred_at=now(), identity_confirmed=True)


class LoseAnswers(httpx.AsyncBaseTransport):
    """Forwards every request to the service, but loses the answer to the first `lose` that
    match: the service did the work, the client only sees a reset connection."""

    def __init__(self, match: str, lose: int = 1) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.match = match
        self.lose = lose
        self.sent: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        if request.method == "POST" and request.url.path.endswith(self.match):
            self.sent.append(request)
            if self.lose > 0:
                self.lose -= 1
                await response.aread()
                await response.aclose()
                raise httpx.ReadError("connection reset before the answer", request=request)
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


class Refuse(httpx.AsyncBaseTransport):
    """Answers the first answers itself (a proxy or a busy service), then forwards."""

    def __init__(self, answers: list[httpx.Response]) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.answers = answers
        self.calls = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        if self.answers:
            return self.answers.pop(0)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def busy(status: int, retry_after: str | None) -> httpx.Response:
    headers = {"Content-Type": "application/problem+json"}
    if retry_after is not None:
        headers["Retry-After"] = retry_after
    body = {"type": "/problems/unavailable", "title": "Busy", "status": status}
    return httpx.Response(status, headers=headers, content=msgspec.json.encode(body))


async def test_full_lifecycle_through_the_client(cast: Cast) -> None:
    created = await cast.police.create(transfer())
    assert isinstance(created, Handover)
    assert (created.state, created.version) == (State.REQUESTED, 1)
    assert cast.police.etag(created.id) == '"1"'
    history = await cast.police.assess(created.id, ASSESSMENT)
    assert isinstance(history, AssessmentHistory)
    assert history.current is not None
    assert history.current.complete

    seen = await cast.planner.get(created.id)
    assert Action.ACCEPT in seen.allowed_actions
    accepted = await cast.planner.accept(
        created.id, AcceptBody(note="Through the client."), if_match=True
    )
    assert accepted.state == State.ACCEPTED
    scheduled = await cast.planner.schedule(created.id, schedule(), if_match=True)
    assert scheduled.state == State.SCHEDULED
    assert cast.planner.etag(created.id) == f'"{scheduled.version}"'

    await cast.police.release(created.id, release("kv-nte-stockholm"))
    in_transit = await cast.escort.receive(created.id, receive())
    assert in_transit.state == State.IN_TRANSIT
    assert in_transit.responsible is not None
    assert in_transit.responsible.unit == "kv-nte-stockholm"
    await cast.escort.release(created.id, release("kv-hakte-kronoberg"))
    done = await cast.hakte.receive(created.id, receive())
    assert done.state == State.COMPLETED
    assert [s.unit for s in done.custody_chain] == [
        "pa-kronoberg",
        "kv-nte-stockholm",
        "kv-hakte-kronoberg",
    ]

    events = await cast.hakte.events(created.id)
    assert all(isinstance(e, EventView) for e in events)
    assert [e.type for e in events][:2] == ["requested", "security_assessment_recorded"]
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert verify_served(msgspec.to_builtins(events)) is None
    export = await cast.police.export(created.id)
    assert isinstance(export, CaseExport)
    assert export.head_hash == events[-1].hash
    assert export.chain_verified

    page = await cast.hakte.handovers(state=State.COMPLETED, limit=200)
    assert isinstance(page, HandoverPage)
    found = [s async for s in cast.hakte.iter_handovers(state=State.COMPLETED)]
    assert created.id in {s.id for s in found}


async def test_a_lost_answer_is_retried_with_the_same_key_and_changes_once(cast: Cast) -> None:
    sub = f"lost-{uuid.uuid4().hex[:8]}"
    start = await cast.planner.feed_head()
    sleeps = Sleeps()
    transport = LoseAnswers("/v1/handovers")
    police = cast.make(
        Org.POLISEN,
        "pa-kronoberg",
        Role.CUSTODY_OFFICER,
        sub=sub,
        transport=transport,
        sleep=sleeps,
    )
    async with police:
        created = await police.create(transfer())
    assert len(transport.sent) == 2
    assert len(sleeps.waits) == 1
    keys = {r.headers["Idempotency-Key"] for r in transport.sent}
    assert len(keys) == 1  # one logical call, one key
    assert transport.sent[0].content == transport.sent[1].content

    accepting = LoseAnswers("/accept")
    planner = cast.make(
        Org.KRIMINALVARDEN,
        "kv-nte-stockholm",
        Role.TRANSPORT_PLANNER,
        transport=accepting,
        sleep=Sleeps(),
    )
    async with planner:
        accepted = await planner.accept(created.id)
    assert accepted.state == State.ACCEPTED
    assert accepted.version == 2
    assert len({r.headers["Idempotency-Key"] for r in accepting.sent}) == 1
    assert len(accepting.sent) == 2

    events = [e async for e in cast.planner.feed(start, stop_when_idle=True)]
    created_by_sub = [e for e in events if e.type == "requested" and e.actor.sub == sub]
    assert [e.handover_id for e in created_by_sub] == [created.id]  # one request, not two
    log = await cast.planner.events(created.id)
    assert [e.type for e in log] == ["requested", "accepted"]


async def test_busy_answers_are_retried_honouring_retry_after(cast: Cast) -> None:
    sleeps = Sleeps()
    refusing = Refuse([busy(503, "2"), busy(429, "1"), busy(502, None)])
    police = cast.make(
        Org.POLISEN, "pa-kronoberg", Role.CUSTODY_OFFICER, transport=refusing, sleep=sleeps
    )
    async with police:
        created = await police.create(transfer())
    assert created.state == State.REQUESTED
    assert refusing.calls == 4
    assert sleeps.waits[:2] == [2.0, 1.0]
    assert 0.72 <= sleeps.waits[2] <= 0.88  # the backoff's third step (0.2 * 2**2), +/- 10 %


async def test_retries_stop_at_the_cap(cast: Cast) -> None:
    policy = RetryPolicy(attempts=4, backoff=1.0, multiplier=10.0, cap=5.0, jitter=0.0)
    sleeps = Sleeps()
    refusing = Refuse([busy(503, None) for _ in range(10)])
    planner = cast.make(
        Org.KRIMINALVARDEN,
        "kv-nte-stockholm",
        Role.TRANSPORT_PLANNER,
        transport=refusing,
        retry=policy,
        sleep=sleeps,
    )
    async with planner:
        with pytest.raises(UnavailableError) as raised:
            await planner.feed_page()
    assert raised.value.status == 503
    assert refusing.calls == 4
    assert sleeps.waits == [1.0, 5.0, 5.0]

    # A Retry-After longer than the cap is not waited for: the caller decides.
    sleeps = Sleeps()
    limited = Refuse([busy(429, "3600")])
    planner = cast.make(
        Org.KRIMINALVARDEN,
        "kv-nte-stockholm",
        Role.TRANSPORT_PLANNER,
        transport=limited,
        retry=policy,
        sleep=sleeps,
    )
    async with planner:
        with pytest.raises(RateLimitedError) as rate:
            await planner.feed_page()
    assert rate.value.retry_after == 3600.0
    assert sleeps.waits == []

    # No service at all: the connection errors are retried, then raised as one error.
    sleeps = Sleeps()
    nowhere = HandoverClient(
        "http://127.0.0.1:9", lambda: "x", retry=RetryPolicy(attempts=3, jitter=0), sleep=sleeps
    )
    async with nowhere:
        with pytest.raises(TransportError):
            await nowhere.units()
    assert sleeps.waits == [0.2, 0.4]


async def test_a_stale_etag_is_a_typed_412(cast: Cast) -> None:
    created = await cast.police.create(transfer())
    await cast.planner.get(created.id)  # the planner reads version 1 ...
    await cast.police.assess(created.id, ASSESSMENT)  # ... the police move it on to 2
    with pytest.raises(PreconditionFailedError) as stale:
        await cast.planner.accept(created.id, if_match=True)
    assert stale.value.status == 412
    assert stale.value.current_version == 2
    assert stale.value.type.endswith("/precondition-failed")
    again = await cast.planner.get(created.id)
    assert cast.planner.etag(created.id) == '"2"'
    accepted = await cast.planner.accept(again.id, if_match=True)
    assert accepted.version == 3
    with pytest.raises(PreconditionFailedError):
        await cast.planner.schedule(created.id, schedule(), if_match='"1"')
    with pytest.raises(ETagUnknown):
        await cast.planner.accept(str(uuid.uuid4()), if_match=True)


async def test_problems_are_typed(cast: Cast) -> None:
    created = await cast.police.create(transfer())
    await cast.planner.accept(created.id)
    with pytest.raises(ConflictError) as conflict:
        await cast.planner.schedule(created.id, schedule())
    problem = conflict.value
    assert problem.status == 409
    assert problem.refusal == Refusal.SECURITY_ASSESSMENT_INCOMPLETE
    assert problem.current_state == State.ACCEPTED
    blocked = {b.action: b for b in problem.blocked_actions}
    assert blocked["schedule"].refusal == Refusal.SECURITY_ASSESSMENT_INCOMPLETE
    assert blocked["schedule"].see

    with pytest.raises(ForbiddenError) as forbidden:
        await cast.escort.defer(created.id, typed(examples.DEFER, DeferBody))
    assert forbidden.value.status == 403
    assert forbidden.value.type.endswith("/forbidden")
    assert forbidden.value.detail == "Your role may not defer."

    with pytest.raises(NotFoundError):
        await cast.planner.get(str(uuid.uuid4()))
    with pytest.raises(InvalidRequestError) as invalid:
        await cast.planner.feed_page("garbage")
    assert [e.field for e in invalid.value.errors] == ["after"]

    key = f"reused-{uuid.uuid4().hex}"
    await cast.police.create(transfer(), idempotency_key=key)
    with pytest.raises(IdempotencyKeyReusedError) as reused:
        await cast.police.create(transfer(notes="Another body."), idempotency_key=key)
    assert reused.value.status == 422

    refreshed: list[str] = []

    def expiring() -> str:
        refreshed.append("asked")
        return "not-a-token"

    async with HandoverClient(cast.base_url, expiring) as nobody:
        with pytest.raises(UnauthorizedError):
            await nobody.units()
    assert len(refreshed) == 2  # the token source was asked again once before giving up


async def test_the_feed_iterator_hands_out_each_event_once_in_order(
    cast: Cast, tmp_path: Path
) -> None:
    cursor = FileCursor(tmp_path / "cursor")
    head = await cast.hakte.feed_head()
    assert head is not None
    cursor.save(head)
    ours = [await cast.police.create(transfer()) for _ in range(3)]
    for handover in ours[:2]:
        await cast.planner.accept(handover.id)
    await cast.police.assess(ours[0].id, ASSESSMENT)

    seen: list[FeedEvent] = []
    async for event in cast.hakte.feed(cursor=cursor, limit=2, stop_when_idle=True):
        assert isinstance(event, FeedEvent)
        seen.append(event)
    ids = {h.id for h in ours}
    mine = [(e.handover_id, e.seq) for e in seen if e.handover_id in ids]
    assert len(mine) == len(set(mine))
    for handover in ours:
        log = await cast.police.events(handover.id)
        assert [seq for hid, seq in mine if hid == handover.id] == [e.seq for e in log]
    saved = cursor.load()
    assert saved is not None
    assert saved != head

    # Resuming from the saved cursor hands out nothing already seen; a new event comes once.
    await cast.police.assess(ours[1].id, ASSESSMENT)
    memory = MemoryCursor()
    later = [e async for e in cast.hakte.feed(saved, cursor=memory, stop_when_idle=True)]
    assert [(e.handover_id, e.type) for e in later if e.handover_id in ids] == [
        (ours[1].id, "security_assessment_recorded")
    ]
    assert memory.cursor is not None
    assert memory.cursor != saved


async def test_the_feed_iterator_polls_for_what_comes_next(cast: Cast) -> None:
    sleeps: list[float] = []
    created: list[Handover] = []

    async def create_while_polling(seconds: float) -> None:
        sleeps.append(seconds)
        if not created:
            created.append(await cast.police.create(transfer()))

    hakte = token(cast.settings, Org.KRIMINALVARDEN, "kv-hakte-kronoberg", Role.RECEPTION_OFFICER)
    reader = HandoverClient(cast.base_url, hakte, sleep=create_while_polling)
    head = await reader.feed_head()
    async with reader:
        async for event in reader.feed(head, poll_interval=0.5):
            if created and event.handover_id == created[0].id:
                assert event.type == "requested"
                assert event.seq == 1
                break
    assert sleeps
    assert all(s == 0.5 for s in sleeps)
