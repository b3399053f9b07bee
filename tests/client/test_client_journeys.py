"""The client's newer calls against the real servers: a journey with a night's lodging and a
redirect, amendments and corrections, placement, relatives and free places."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from msgspec.structs import replace

from contracts.actions import PlacedBody
from contracts.amendments import CorrectionBody, DestinationAmendment, RelativesAmendment
from contracts.api import Handover, TransferCreate
from contracts.capacity import CapacityBody, CapacityCategory, CategoryPlaces, UnitCapacity
from contracts.common import Org, Role, State
from contracts.journey import (
    AnswerLodging,
    PlanLodging,
    Redirect,
    RedirectReason,
    StopKind,
    StopStatus,
)
from contracts.refusals import Refusal
from contracts.relatives import NoticeMethod, RelativesBody, RelativesNotice
from services.handover.client import (
    ConflictError,
    ForbiddenError,
    HandoverClient,
    InvalidRequestError,
    PreconditionFailedError,
)
from tests.client.conftest import Cast, Sleeps, transfer, typed
from tests.client.test_client import ASSESSMENT, LoseAnswers, receive, release, schedule
from tests.flow import fresh

LODGING = "kv-hakte-sundsvall"
REASON = "The court's decision names Göteborg remand prison."


def now() -> datetime:
    return datetime.now(UTC)


def lodging(unit: str = LODGING) -> PlanLodging:
    return PlanLodging(
        unit=unit,
        arrive_at=now() + timedelta(hours=1),
        depart_at=now() + timedelta(hours=14),
        note="Luleå–Stockholm in two days.",
    )


async def scheduled(cast: Cast) -> Handover:
    created = await cast.police.create(transfer())
    await cast.police.assess(created.id, ASSESSMENT)
    await cast.planner.accept(created.id)
    return await cast.planner.schedule(created.id, schedule())


async def hand(
    holder: HandoverClient, to_unit: str, receiver: HandoverClient, hid: str
) -> Handover:
    """The two-party handover: `holder` releases to `to_unit`, whose `receiver` confirms."""
    await holder.release(hid, release(to_unit))
    return await receiver.receive(hid, receive())


async def test_a_transfer_with_a_lodging_and_a_redirect_through_the_client(cast: Cast) -> None:
    handover = await scheduled(cast)
    hid = handover.id
    # A lost answer: the plan is sent again with the same key and made once.
    losing = LoseAnswers("/journey")
    planner = cast.make(
        Org.KRIMINALVARDEN,
        "kv-nte-stockholm",
        Role.TRANSPORT_PLANNER,
        transport=losing,
        sleep=Sleeps(),
    )
    async with planner:
        planned = await planner.change_journey(hid, lodging())
    assert len(losing.sent) == 2
    assert len({r.headers["Idempotency-Key"] for r in losing.sent}) == 1
    assert planned.journey is not None
    stop = planned.journey.stops[0]
    assert (stop.number, stop.kind, stop.status, stop.unit) == (
        1,
        StopKind.LODGING,
        StopStatus.PLANNED,
        LODGING,
    )
    assert [e.type for e in await cast.police.events(hid)].count("lodging_planned") == 1

    # Only the lodging unit answers; the escort's try is a typed 403.
    with pytest.raises(ForbiddenError):
        await cast.escort.change_journey(hid, AnswerLodging(stop=1, accepted=True))
    await hand(cast.police, "kv-nte-stockholm", cast.escort, hid)
    # Not accepted yet: the escort may not hand the person to the lodging.
    with pytest.raises(ConflictError) as early:
        await cast.escort.release(hid, release(LODGING))
    assert early.value.refusal == Refusal.ILLEGAL_TRANSITION
    assert early.value.detail is not None
    assert "has not accepted the lodging" in early.value.detail

    seen = await cast.lodging.get(hid)  # a party now: it sees the request and its ETag
    answered = await cast.lodging.change_journey(
        hid, AnswerLodging(stop=1, accepted=True), if_match=True
    )
    assert answered.version == seen.version + 1
    assert cast.lodging.etag(hid) == f'"{answered.version}"'
    assert answered.journey is not None
    assert answered.journey.stops[0].status == StopStatus.ACCEPTED

    # The night at the lodging: reached by its reception, left by its release.
    there = await hand(cast.escort, LODGING, cast.lodging, hid)
    assert there.state == State.IN_TRANSIT
    assert there.responsible is not None
    assert there.responsible.unit == LODGING
    assert there.journey is not None
    assert there.journey.stops[0].status == StopStatus.REACHED
    onwards = await hand(cast.lodging, "kv-nte-stockholm", cast.escort, hid)
    assert onwards.journey is not None
    assert onwards.journey.stops[0].status == StopStatus.LEFT

    # A new destination on the way: the planner's ETag is stale since the lodging moved it.
    change = Redirect(
        to_unit="kv-hakte-goteborg",
        reason=RedirectReason.PLACEMENT_DECISION,
        text="Placeringsenheten: Göteborg.",
    )
    with pytest.raises(PreconditionFailedError):
        await cast.planner.change_journey(hid, change, if_match=True)
    await cast.planner.get(hid)
    redirected = await cast.planner.change_journey(hid, change, if_match=True)
    assert (redirected.to_unit, redirected.executing_unit) == ("kv-hakte-goteborg",) * 2
    assert redirected.journey is not None
    moved = redirected.journey.redirects[0]
    assert (moved.from_unit, moved.to_unit) == ("kv-hakte-kronoberg", "kv-hakte-goteborg")
    assert (await cast.police.events(hid))[-1].type == "redirected"

    done = await hand(cast.escort, "kv-hakte-goteborg", cast.goteborg, hid)
    assert done.state == State.COMPLETED
    assert [s.unit for s in done.custody_chain] == [
        "pa-kronoberg",
        "kv-nte-stockholm",
        LODGING,
        "kv-nte-stockholm",
        "kv-hakte-goteborg",
    ]


async def test_refused_journey_changes_are_typed_problems(cast: Cast) -> None:
    created = await cast.police.create(transfer())
    # Planning comes after acceptance.
    with pytest.raises(ConflictError) as early:
        await cast.planner.change_journey(created.id, lodging())
    assert early.value.refusal == Refusal.ILLEGAL_TRANSITION
    assert early.value.current_state == State.REQUESTED
    await cast.planner.accept(created.id)
    # Before pickup the destination is amended, not redirected: the 409 says so.
    change = Redirect(to_unit="kv-hakte-goteborg", reason=RedirectReason.COURT_DECISION)
    with pytest.raises(ConflictError) as refused:
        await cast.planner.change_journey(created.id, change)
    assert refused.value.status == 409
    assert refused.value.refusal == Refusal.ILLEGAL_TRANSITION
    assert refused.value.detail is not None
    assert "amendments" in refused.value.detail
    # The requesting unit does not plan lodgings; a prison is no lodging.
    with pytest.raises(ForbiddenError):
        await cast.police.change_journey(created.id, lodging())
    with pytest.raises(InvalidRequestError) as invalid:
        await cast.planner.change_journey(created.id, lodging("kv-anstalt-kumla"))
    assert [e.field for e in invalid.value.errors] == ["$.unit"]
    assert [e.type for e in await cast.police.events(created.id)] == ["requested", "accepted"]


async def test_an_amendment_and_a_correction_through_the_client(cast: Cast) -> None:
    created = await cast.police.create(transfer())
    amended = await cast.police.amend(
        created.id, DestinationAmendment(to_unit="kv-hakte-goteborg", reason=REASON), if_match=True
    )
    assert (amended.to_unit, amended.executing_unit) == ("kv-hakte-goteborg",) * 2
    assert cast.police.etag(created.id) == f'"{amended.version}"'
    with pytest.raises(PreconditionFailedError):
        await cast.police.amend(
            created.id,
            RelativesAmendment(relatives_notified=True, reason="His sister was called."),
            if_match='"1"',
        )
    log = await cast.police.events(created.id)
    assert log[-1].type == "amended"
    assert log[-1].data is not None
    assert log[-1].data["new"] == {
        "to_unit": "kv-hakte-goteborg",
        "executing_unit": "kv-hakte-goteborg",
    }

    # The escort's device ran a minute fast: the reception time is corrected.
    await cast.police.assess(created.id, ASSESSMENT)
    await cast.planner.accept(created.id)
    await cast.planner.schedule(created.id, schedule())
    released = await cast.police.release(created.id, release("kv-nte-stockholm"))
    assert released.pending_release is not None
    released_at = released.pending_release.occurred_at
    fast = replace(receive(), occurred_at=now() + timedelta(seconds=60))
    await cast.escort.receive(created.id, fast)
    received = (await cast.escort.events(created.id))[-1]
    assert received.type == "received"
    really = released_at + timedelta(seconds=20)
    body = CorrectionBody(occurred_at=really, reason="The escort's device ran a minute fast.")
    with pytest.raises(ForbiddenError):
        await cast.police.correct(created.id, received.seq, body)
    corrected = await cast.escort.correct(created.id, received.seq, body)
    assert corrected.custody_chain[1].since == really
    log = await cast.escort.events(created.id)
    assert log[-1].type == "corrected"
    assert log[received.seq - 1].corrected_by == [log[-1].seq]


async def test_relatives_and_placement_through_the_client(cast: Cast) -> None:
    made = fresh()
    made["decision"]["kind"] = "sentence_enforcement"
    created = await cast.police.create(typed(made, TransferCreate))
    told = RelativesBody(
        notified=True,
        relative="Mother, Maria Tolvansson",
        notified_at=now() - timedelta(minutes=5),
        method=NoticeMethod.PHONE,
    )
    notice = await cast.police.record_relatives(created.id, told, if_match=True)
    assert isinstance(notice, RelativesNotice)
    assert (notice.number, notice.notified, notice.method) == (1, True, NoticeMethod.PHONE)
    assert notice.recorded_by.unit == "pa-kronoberg"
    assert cast.police.etag(created.id) == '"2"'
    assert (await cast.police.get(created.id)).relatives_notified is True

    await cast.police.assess(created.id, ASSESSMENT)
    await cast.planner.accept(created.id)
    await cast.planner.schedule(created.id, schedule())
    await hand(cast.police, "kv-nte-stockholm", cast.escort, created.id)
    done = await hand(cast.escort, "kv-hakte-kronoberg", cast.hakte, created.id)
    assert done.state == State.COMPLETED
    body = PlacedBody(prison_unit="kv-anstalt-kumla", occurred_at=now(), decision="KV 2026-4711")
    with pytest.raises(ForbiddenError):
        await cast.escort.placed(created.id, body)
    placed = await cast.hakte.placed(created.id, body)
    assert placed.state == State.COMPLETED
    assert placed.placement is not None
    assert placed.placement.prison_unit == "kv-anstalt-kumla"
    with pytest.raises(ConflictError) as again:
        await cast.hakte.placed(created.id, body)
    assert again.value.refusal == Refusal.NOT_AWAITING_PLACEMENT


async def test_free_places_are_published_and_read(cast: Cast) -> None:
    unit = "kv-hakte-varberg"
    varberg = cast.make(Org.KRIMINALVARDEN, unit, Role.RECEPTION_OFFICER)
    body = CapacityBody(
        categories=(
            CategoryPlaces(category=CapacityCategory.REMAND_MEN, free=3),
            CategoryPlaces(category=CapacityCategory.REMAND_ISOLATION, free=1),
        ),
        as_of=now(),
    )
    async with varberg:
        published = await varberg.put_capacity(unit, body)
        assert isinstance(published, UnitCapacity)
        assert (published.unit, published.region) == (unit, "Väst")
        assert {c.category: c.free for c in published.categories} == {
            CapacityCategory.REMAND_MEN: 3,
            CapacityCategory.REMAND_ISOLATION: 1,
        }
        # The same publication again changes nothing and is no conflict (a retried PUT).
        assert (await varberg.put_capacity(unit, body)).as_of == published.as_of
        older = replace(body, as_of=body.as_of - timedelta(days=1))
        with pytest.raises(ConflictError):
            await varberg.put_capacity(unit, older)
        with pytest.raises(ForbiddenError):
            await varberg.put_capacity("kv-hakte-boras", body)
    west = await cast.coordinator.capacity(region="Väst")
    assert all(u.region == "Väst" for u in west)
    mine = next(u for u in west if u.unit == unit)
    assert mine.categories == published.categories
    assert unit in {u.unit for u in await cast.planner.capacity()}
    with pytest.raises(ForbiddenError):
        await cast.police.capacity()
