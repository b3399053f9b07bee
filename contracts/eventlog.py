"""The hash chain of a request's event log, so an exported case can be checked by anyone.

Two encodings exist; each event names its own in `hash_alg`, so a chain may hold both.

`canonical-json-v2` (every event written since December 2026) is documented in the README
("Verifying an event log") with a verifier that needs only `hashlib` and `json`:

- `data_digest` = SHA-256 of the canonical JSON of `{"data": <data>, "salt": <salt>}`. The
  salt is random per event and is erased with the data, so a digest left after erasure
  cannot be tested against guesses (identity numbers are few enough to try them all).
- `hash` = SHA-256 of the canonical JSON of the envelope: `actor`, `data_digest`,
  `handover_id`, `hash_alg`, `occurred_at`, `prev_hash`, `recorded_at`, `request_id`, `seq`,
  `type`. Instants are UTC, `YYYY-MM-DDTHH:MM:SS.ffffffZ`, exactly as the API serves them.
- Canonical JSON: keys sorted, no whitespace (`","` and `":"`), non-ASCII written as UTF-8
  (not `\\u` escapes), then UTF-8 bytes: Python's
  `json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)`.

Erasing a request's data leaves the envelope and the digest, so the chain still verifies.

`msgspec-sorted-v1` (older events) hashed msgspec's sorted encoding of the whole event; it is
checked with msgspec (`handover verify`), not by the standalone verifier.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

import msgspec

from contracts.workflow import Event

GENESIS_HASH = "0" * 64
HASH_V1 = "msgspec-sorted-v1"
HASH_V2 = "canonical-json-v2"
INSTANT_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
ENVELOPE = (
    "actor",
    "data_digest",
    "handover_id",
    "hash_alg",
    "occurred_at",
    "prev_hash",
    "recorded_at",
    "request_id",
    "seq",
    "type",
)


def canonical(value: Any) -> bytes:
    """The canonical JSON bytes of a JSON-shaped value."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def instant(moment: datetime) -> str:
    """An instant as the log hashes and serves it: UTC, microseconds, `Z`."""
    return moment.astimezone(UTC).strftime(INSTANT_FORMAT)


def data_digest(data: dict[str, Any] | None, salt: str) -> str:
    return hashlib.sha256(canonical({"data": data, "salt": salt})).hexdigest()


def envelope(event: Event) -> dict[str, Any]:
    """The v2 fields the hash covers, as the API serves them."""
    return {
        "actor": msgspec.to_builtins(event.actor),
        "data_digest": event.data_digest,
        "handover_id": event.handover_id,
        "hash_alg": event.hash_alg,
        "occurred_at": instant(event.occurred_at),
        "prev_hash": event.prev_hash,
        "recorded_at": instant(event.recorded_at),
        "request_id": event.request_id,
        "seq": event.seq,
        "type": str(event.type),
    }


def _v1(event: Event) -> str:
    legacy = {
        "actor": event.actor,
        "data": event.data,
        "handover_id": event.handover_id,
        "hash": "",
        "occurred_at": event.occurred_at,
        "prev_hash": event.prev_hash,
        "recorded_at": event.recorded_at,
        "request_id": event.request_id,
        "seq": event.seq,
        "type": event.type,
    }
    return hashlib.sha256(msgspec.json.encode(legacy, order="sorted")).hexdigest()


def event_hash(event: Event) -> str:
    """The hash the event's own `hash_alg` gives it."""
    if event.hash_alg == HASH_V1:
        return _v1(event)
    return hashlib.sha256(canonical(envelope(event))).hexdigest()


def sealed(event: Event) -> Event:
    """The event with its digest (v2) and hash filled in."""
    if event.hash_alg == HASH_V2:
        event = msgspec.structs.replace(event, data_digest=data_digest(event.data, event.salt))
    return msgspec.structs.replace(event, hash=event_hash(event))


def verify_chain(events: list[Event]) -> int | None:
    """Return the seq of the first broken or missing entry, or None when the chain holds."""
    prev = GENESIS_HASH
    for expected_seq, event in enumerate(events, start=1):
        if event.seq != expected_seq or event.prev_hash != prev or event.hash != event_hash(event):
            return expected_seq
        if event.hash_alg == HASH_V2 and event.data_digest != data_digest(event.data, event.salt):
            return expected_seq
        prev = event.hash
    return None


def verify_served(events: list[dict[str, Any]]) -> int | None:
    """As `verify_chain`, over events as the API serves and exports them (JSON objects).

    An event whose data was erased (`data` and `salt` null) is checked by its envelope
    only. Events written with `msgspec-sorted-v1` are checked by re-encoding them.
    """
    prev = GENESIS_HASH
    for expected_seq, served in enumerate(events, start=1):
        if served.get("seq") != expected_seq or served.get("prev_hash") != prev:
            return expected_seq
        if served.get("hash_alg") == HASH_V2:
            head = {name: served.get(name) for name in ENVELOPE}
            if hashlib.sha256(canonical(head)).hexdigest() != served.get("hash"):
                return expected_seq
            salt = served.get("salt")
            if salt is not None and data_digest(served.get("data"), salt) != head["data_digest"]:
                return expected_seq
        else:
            try:
                event = msgspec.convert(served, Event)
            except msgspec.ValidationError:
                return expected_seq
            if _v1(event) != served.get("hash"):
                return expected_seq
        prev = served["hash"]
    return None
