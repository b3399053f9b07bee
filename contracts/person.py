"""Who is moved: validated identity, name, and the decision the deprivation of liberty rests on."""

from __future__ import annotations

import enum
import hashlib
import hmac
import re
from datetime import date
from typing import Annotated

import msgspec
from msgspec import Meta
from personnummer import personnummer

from contracts.common import AwareDatetime, Input, LongText, ShortText

_NUMBER = Annotated[
    str,
    Meta(
        pattern=r"^([0-9]{2})?[0-9]{6}[-+]?[0-9]{4}$",
        description="10 or 12 digits, optionally with '-' or '+' before the last four.",
    ),
]


def _normalise(number: str, *, coordination: bool) -> str:
    """Return YYYYMMDD-NNNN, or raise ValueError naming what is wrong."""
    try:
        parsed = personnummer.parse(number)
    except personnummer.PersonnummerException as exc:
        raise ValueError("not a valid Swedish identity number (check digit or date)") from exc
    if parsed.is_coordination_number() != coordination:
        expected = "samordningsnummer" if coordination else "personnummer"
        raise ValueError(f"not a {expected}")
    digits = str(parsed.format(True))
    return f"{digits[:8]}-{digits[8:]}"


class PersonnummerIdentity(Input, frozen=True, kw_only=True, tag="personnummer"):
    """A Swedish personal identity number."""

    number: Annotated[_NUMBER, Meta(examples=["19121212-1212"])]

    def __post_init__(self) -> None:
        super().__post_init__()
        msgspec.structs.force_setattr(self, "number", _normalise(self.number, coordination=False))


class SamordningsnummerIdentity(Input, frozen=True, kw_only=True, tag="samordningsnummer"):
    """A coordination number (day of birth + 60) for people not registered in Sweden."""

    number: Annotated[_NUMBER, Meta(examples=["19121272-1219"])]

    def __post_init__(self) -> None:
        super().__post_init__()
        msgspec.structs.force_setattr(self, "number", _normalise(self.number, coordination=True))


class UnknownIdentity(Input, frozen=True, kw_only=True, tag="unknown"):
    """Identity not established; a description stands in for it."""

    description: LongText


Identity = PersonnummerIdentity | SamordningsnummerIdentity | UnknownIdentity


class Person(Input, frozen=True, kw_only=True):
    """The person the request is about."""

    identity: Annotated[
        Identity, Meta(description="Tagged by `type`: personnummer, samordningsnummer, unknown.")
    ]
    given_name: ShortText | None = None
    family_name: ShortText | None = None
    under_18: Annotated[
        bool | None,
        Meta(
            description=(
                "The person is a child (under 18 at the request), where the identity does not "
                "show it: an unknown identity, or an age established otherwise. A child gets "
                "the stricter clocks. With a personnummer or samordningsnummer its date of "
                "birth decides, and a flag that contradicts it is refused."
            )
        ),
    ] = None


class DecisionKind(enum.StrEnum):
    """The decision a deprivation of liberty (or the assistance) rests on."""

    REMAND_DECISION = "remand_decision"
    SENTENCE_ENFORCEMENT = "sentence_enforcement"
    CARE_DECISION = "care_decision"
    INTAKE_DECISION = "intake_decision"
    DETENTION_DECISION = "detention_decision"
    POLICE_DECISION = "police_decision"


TRANSFER_DECISIONS = frozenset({DecisionKind.REMAND_DECISION, DecisionKind.SENTENCE_ENFORCEMENT})


class Decision(Input, frozen=True, kw_only=True):
    """A decision by a court or authority, with the time it was taken."""

    kind: DecisionKind
    authority: Annotated[ShortText, Meta(examples=["Stockholms tingsrätt"])]
    case_number: Annotated[ShortText, Meta(examples=["B 12345-26"])]
    decided_at: AwareDatetime


class Restrictions(Input, frozen=True, kw_only=True):
    """Restrictions (restriktioner) the prosecutor has imposed."""

    applies: bool = False
    kinds: Annotated[tuple[ShortText, ...], Meta(max_length=20)] = ()


def birth_date(identity: Identity) -> date | None:
    """The date of birth an identity number carries (a samordningsnummer's day less 60)."""
    match identity:
        case PersonnummerIdentity(number=number) | SamordningsnummerIdentity(number=number):
            parsed_date: date = personnummer.parse(number).get_date()
            return parsed_date
        case UnknownIdentity():
            return None


def masked_identity(identity: Identity) -> str:
    """Identity as lists show it: date of birth only."""
    match identity:
        case PersonnummerIdentity(number=number) | SamordningsnummerIdentity(number=number):
            return number[:8] + "-****"
        case UnknownIdentity():
            return "unknown"


def person_key(identity: Identity, key: bytes) -> str | None:
    """A keyed pseudonym of an identity number (HMAC-SHA256), for "who read this person".

    The key lives outside the database (`HANDOVER_AUDIT_KEY`), so the log never holds a
    number in clear and nobody with the database alone can test guesses against it.
    """
    match identity:
        case PersonnummerIdentity(number=number) | SamordningsnummerIdentity(number=number):
            return number_key(number, key)
        case UnknownIdentity():
            return None


def number_key(number: str, key: bytes) -> str:
    """The pseudonym of a normalised number (YYYYMMDD-NNNN)."""
    return hmac.new(key, number.replace("-", "").encode(), hashlib.sha256).hexdigest()


def normalised_number(text: str) -> str:
    """YYYYMMDD-NNNN of a personnummer or samordningsnummer in any accepted form."""
    if not re.fullmatch(r"([0-9]{2})?[0-9]{6}[-+]?[0-9]{4}", text):
        raise ValueError("not an identity number")
    try:
        parsed = personnummer.parse(text)
    except personnummer.PersonnummerException as exc:
        raise ValueError("not a valid Swedish identity number (check digit or date)") from exc
    digits = str(parsed.format(True))
    return f"{digits[:8]}-{digits[8:]}"
