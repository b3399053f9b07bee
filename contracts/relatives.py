"""Whether the person's close relatives were told of a move: who, when and how, or why not.

Recorded per request (each request is one move) with `POST /v1/handovers/{id}/relatives`;
the newest record is what holds. Everything in it is personal data (sealed with the request).
"""

from __future__ import annotations

import enum
from datetime import datetime

import msgspec

from contracts.common import ActorRef, AwareDatetime, Input, LongText, ShortText


class NoticeMethod(enum.StrEnum):
    PHONE = "phone"
    IN_PERSON = "in_person"
    LETTER = "letter"
    TEXT_MESSAGE = "text_message"
    EMAIL = "email"
    OTHER = "other"


class NotNotifiedReason(enum.StrEnum):
    """Why relatives were not told."""

    PERSON_DECLINED = "person_declined"  # the person did not want anyone told
    NO_RELATIVES = "no_relatives"
    NOT_REACHABLE = "not_reachable"
    RESTRICTIONS = "restrictions"  # the prosecutor's restrictions forbid it
    OTHER = "other"


class RelativesBody(Input, frozen=True, kw_only=True):
    """Either `notified: true` with who, when and how, or `notified: false` with why not."""

    notified: bool
    relative: ShortText | None = None  # who was told, e.g. "mother, Anna Andersson"
    notified_at: AwareDatetime | None = None
    method: NoticeMethod | None = None
    reason: NotNotifiedReason | None = None
    text: LongText | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.notified:
            for name in ("relative", "notified_at", "method"):
                if getattr(self, name) is None:
                    raise ValueError(f"`{name}` is required when `notified` is true")
            if self.reason is not None:
                raise ValueError("`reason` is only for `notified: false`")
        else:
            if self.reason is None:
                raise ValueError("`reason` is required when `notified` is false")
            if self.relative is not None or self.method is not None:
                raise ValueError("`relative` and `method` are only for `notified: true`")
        if (self.reason == NotNotifiedReason.OTHER or self.method == NoticeMethod.OTHER) and (
            not self.text
        ):
            raise ValueError("`text` is required with `other`")


class RelativesNotice(msgspec.Struct, frozen=True, kw_only=True):
    """One record of whether relatives were told, with who recorded it."""

    number: int
    notified: bool
    relative: str | None = None
    notified_at: datetime | None = None
    method: NoticeMethod | None = None
    reason: NotNotifiedReason | None = None
    text: str | None = None
    recorded_by: ActorRef
    recorded_at: datetime
