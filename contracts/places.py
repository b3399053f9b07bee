"""A place a request starts or ends at: a unit of either agency, or a place outside them."""

from __future__ import annotations

from contracts.common import Input, ShortText, UnitId


class Place(Input, frozen=True, kw_only=True):
    """A unit of either agency, or a place outside them (court, care home, address)."""

    unit: UnitId | None = None
    description: ShortText | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.unit is None and self.description is None:
            raise ValueError("a place needs a `unit` or a `description`")
