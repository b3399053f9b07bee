"""How a record looks to one caller: what they may see and what they may do next."""

from __future__ import annotations

import msgspec

from contracts.api import Handover, HandoverRecord
from contracts.common import Actor, Org, UnitKind
from contracts.lifecycle import OVERVIEW, allowed, parties
from services.handover.errors import FieldError, InvalidInput

OVERVIEW_ROLES = tuple(OVERVIEW)


def may_see(actor: Actor, record: HandoverRecord, unit_kind: UnitKind | None) -> bool:
    """Overview roles, the units named in the request, and anyone the policy makes a party."""
    return (
        actor.has_any(*OVERVIEW_ROLES)
        or actor.unit in record.parties()
        or bool(parties(record.situation(), actor, unit_kind))
    )


def plans_for_agency(actor: Actor, unit_kind: UnitKind | None) -> bool:
    """Kriminalvården's transport units see every request their agency executes."""
    return actor.org == Org.KRIMINALVARDEN and unit_kind == UnitKind.TRANSPORT


def representation(record: HandoverRecord, actor: Actor, unit_kind: UnitKind | None) -> Handover:
    actions = allowed(record.situation(), actor, unit_kind)
    return Handover(**msgspec.structs.asdict(record), allowed_actions=actions)


def etag(version: int) -> str:
    return f'"{version}"'


def parse_if_match(value: str | None) -> int | None:
    """`"3"`, `W/"3"` or `3` name version 3; `*` or nothing means any version."""
    if value is None or value.strip() == "*":
        return None
    text = value.strip().removeprefix("W/").strip('"')
    if not text.isdigit():
        raise InvalidInput(
            'If-Match must be an ETag this API returned, like "3"',
            errors=[FieldError("If-Match", "not an ETag of this API")],
        )
    return int(text)
