"""Amendments and corrections: what may change on a request after it was made, and how.

Nothing recorded is rewritten. An amendment changes a fact of the request (the destination
before pickup, an identity established later, the decision's details, restrictions, whether
relatives were notified) and is logged as an `amended` event with the old and the new value and
a reason. A correction marks an earlier event as recorded in error with a reason and the
corrected time, as a new `corrected` event; the record shows the corrected view, the log keeps
both. The bodies are strict (`Input`); the workflow checks them against its own state.
"""

from __future__ import annotations

import enum
from typing import Annotated

import msgspec
from msgspec import Meta

from contracts.common import AwareDatetime, Input, LongText, ShortText, UnitId, UnitKind
from contracts.lifecycle import ASSESSING, REPORTING
from contracts.person import PersonnummerIdentity, Restrictions, SamordningsnummerIdentity
from contracts.places import Place

# Who amends: the requesting unit's staff, in the roles that keep its security assessment (those
# that make requests). Coordinators watch and follow up; they do not hold the decision, the
# identity papers or the call to the relatives, and move clocks by `extend` instead.
AMENDERS = ASSESSING
# Who corrects an event: the unit that recorded it, in a role that records what happens.
CORRECTORS = REPORTING

Reason = Annotated[
    LongText,
    Meta(
        description="Why the request changes: the decision, document or call it rests on.",
        examples=["The court's decision names Göteborg remand prison (B 12345-26)."],
    ),
]


class AmendedField(enum.StrEnum):
    """What an amendment changes (the body's `field`)."""

    DESTINATION = "destination"
    IDENTITY = "identity"
    DECISION = "decision"
    RESTRICTIONS = "restrictions"
    RELATIVES_NOTIFIED = "relatives_notified"
    UNDER_18 = "under_18"


class _Amendment(Input, frozen=True, kw_only=True, tag_field="field"):
    reason: Reason


class DestinationAmendment(_Amendment, frozen=True, kw_only=True, tag="destination"):
    """A new destination before pickup: `to_unit` for a transfer (a remand prison or prison,
    which then executes), `destination` for enforcement assistance."""

    to_unit: Annotated[UnitId | None, Meta(examples=["kv-hakte-goteborg"])] = None
    destination: Place | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if (self.to_unit is None) == (self.destination is None):
            raise ValueError("give `to_unit` (a transfer) or `destination` (assistance)")


class IdentityAmendment(_Amendment, frozen=True, kw_only=True, tag="identity"):
    """The identity established later: an unknown identity replaced by a number."""

    identity: Annotated[
        PersonnummerIdentity | SamordningsnummerIdentity,
        Meta(description="Tagged by `type`: personnummer or samordningsnummer."),
    ]
    given_name: ShortText | None = None
    family_name: ShortText | None = None


class DecisionAmendment(_Amendment, frozen=True, kw_only=True, tag="decision"):
    """Corrected details of the decision (its kind stays); at least one of them. A new
    `decided_at` recomputes the clocks that run from the decision."""

    authority: ShortText | None = None
    case_number: Annotated[ShortText | None, Meta(examples=["B 12354-26"])] = None
    decided_at: AwareDatetime | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.authority is None and self.case_number is None and self.decided_at is None:
            raise ValueError("give `authority`, `case_number` or `decided_at`")


class RestrictionsAmendment(_Amendment, frozen=True, kw_only=True, tag="restrictions"):
    """The restrictions as they now stand (the whole of them)."""

    restrictions: Restrictions


class RelativesAmendment(_Amendment, frozen=True, kw_only=True, tag="relatives_notified"):
    """Whether close relatives were notified."""

    relatives_notified: bool


class ChildAmendment(_Amendment, frozen=True, kw_only=True, tag="under_18"):
    """Whether the person is a child, established later, where the identity does not show it
    (an unknown identity); the clocks with a child's rule are recomputed."""

    under_18: bool


Amendment = (
    DestinationAmendment
    | IdentityAmendment
    | DecisionAmendment
    | RestrictionsAmendment
    | RelativesAmendment
    | ChildAmendment
)


class AmendCommand(msgspec.Struct, frozen=True, kw_only=True):
    """What the API sends the workflow: the amendment and, for a new destination unit, its
    kind from the reference data (the workflow looks nothing up)."""

    amendment: Amendment
    destination_kind: UnitKind | None = None


class CorrectionBody(Input, frozen=True, kw_only=True):
    """Mark an earlier event as recorded in error, with the time it really happened."""

    reason: Reason
    occurred_at: Annotated[
        AwareDatetime,
        Meta(description="The corrected time of the event (a release, reception, delivery)."),
    ]
