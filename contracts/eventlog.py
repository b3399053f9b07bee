"""The hash chain of a request's event log, so an exported case can be checked by anyone."""

from __future__ import annotations

import hashlib

import msgspec

from contracts.workflow import Event

GENESIS_HASH = "0" * 64


def event_hash(event: Event) -> str:
    """SHA-256 over the canonical JSON of the event without its own hash."""
    canonical = msgspec.json.encode(msgspec.structs.replace(event, hash=""), order="sorted")
    return hashlib.sha256(canonical).hexdigest()


def sealed(event: Event) -> Event:
    """The event with its hash filled in."""
    return msgspec.structs.replace(event, hash=event_hash(event))


def verify_chain(events: list[Event]) -> int | None:
    """Return the seq of the first broken or missing entry, or None when the chain holds."""
    prev = GENESIS_HASH
    for expected_seq, event in enumerate(events, start=1):
        if event.seq != expected_seq or event.prev_hash != prev or event.hash != event_hash(event):
            return expected_seq
        prev = event.hash
    return None
