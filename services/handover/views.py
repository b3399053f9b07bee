"""How a record looks to one caller: what they may see and what they may do next."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import msgspec

from contracts.api import DeadlineView, Handover, HandoverRecord
from contracts.common import Actor, Org, UnitKind
from contracts.lifecycle import allowed, parties
from services.handover.errors import FieldError, InvalidInput


def may_see(actor: Actor, record: HandoverRecord, unit_kind: UnitKind | None) -> bool:
    """The units named in the request, and anyone the policy makes a party to it."""
    return actor.unit in record.parties() or bool(parties(record.situation(), actor, unit_kind))


def plans_for_agency(actor: Actor, unit_kind: UnitKind | None) -> bool:
    """Kriminalvården's transport units see every request their agency executes."""
    return actor.org == Org.KRIMINALVARDEN and unit_kind == UnitKind.TRANSPORT


def representation(
    record: HandoverRecord, actor: Actor, unit_kind: UnitKind | None, now: datetime | None = None
) -> Handover:
    """The record for this caller: allowed actions, and each deadline's time left.

    The answer to a change gives the time left as of that change (`record.updated_at`), so a
    replay with the same Idempotency-Key is the original response, byte for byte; reads give
    it as of now.
    """
    now = now or datetime.now(UTC)
    actions = allowed(record.situation(), actor, unit_kind)
    fields = msgspec.structs.asdict(record)
    fields["deadlines"] = tuple(
        DeadlineView(
            **msgspec.structs.asdict(d),
            remaining_seconds=round((d.due_at - now).total_seconds(), 1) if d.open else None,
        )
        for d in record.deadlines
    )
    return Handover(**fields, allowed_actions=actions)


# ASCII digits only (`str.isdigit` also takes '²' and Arabic-Indic digits), within int64.
_VERSION = re.compile(r"[0-9]{1,18}")


def etag(version: int) -> str:
    return f'"{version}"'


def parse_if_match(value: str | None) -> int | None:
    """`"3"`, `W/"3"` or `3` name version 3; `*` or nothing means any version."""
    if value is None or value.strip() == "*":
        return None
    text = value.strip().removeprefix("W/").strip('"')
    if not _VERSION.fullmatch(text):
        raise InvalidInput(
            'If-Match must be an ETag this API returned, like "3"',
            errors=[FieldError("If-Match", "not an ETag of this API")],
        )
    return int(text)
