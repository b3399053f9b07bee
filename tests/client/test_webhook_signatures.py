"""A receiver checks each delivery with the client's wrapper over `contracts.webhooks.verify`."""

from __future__ import annotations

import time

import msgspec
import pytest

from contracts.webhooks import EVENT_ID_HEADER, SIGNATURE_HEADER, Delivery, new_secret, sign
from services.handover.client import (
    InvalidDelivery,
    InvalidSignature,
    verify_delivery,
    verify_signature,
)

SECRET = new_secret()
BODY = msgspec.json.encode(
    {
        "subscription_id": "0b6f3c1e-8d2a-4f5b-9c7e-1a2b3c4d5e6f",
        "event_id": "3f2a9c0d-7b8e-4a1f-9c7e-1a2b3c4d5e6f:2",
        "handover_id": "3f2a9c0d-7b8e-4a1f-9c7e-1a2b3c4d5e6f",
        "reference": "HO-2026-000123",
        "seq": 2,
        "type": "accepted",
        "occurred_at": "2026-12-01T08:15:00.000000Z",
        "recorded_at": "2026-12-01T08:15:00.123000Z",
        "data": {"note": "Planned."},
    }
)


def headers(secret: str, body: bytes, at: int | None = None) -> dict[str, str]:
    stamp = int(time.time()) if at is None else at
    # Header names in any case, as a server framework may hand them over.
    return {SIGNATURE_HEADER.lower(): sign(secret, stamp, body), EVENT_ID_HEADER: "x:2"}


def test_a_good_signature_gives_the_delivery() -> None:
    delivery = verify_delivery(SECRET, headers(SECRET, BODY), BODY)
    assert isinstance(delivery, Delivery)
    assert (delivery.seq, delivery.type, delivery.data) == (2, "accepted", {"note": "Planned."})
    # While a secret rotates, either of two secrets may have signed.
    verify_signature([new_secret(), SECRET], headers(SECRET, BODY), BODY)


def test_another_secret_is_refused() -> None:
    with pytest.raises(InvalidSignature, match="does not match"):
        verify_delivery(new_secret(), headers(SECRET, BODY), BODY)


def test_a_tampered_body_is_refused() -> None:
    tampered = BODY.replace(b'"accepted"', b'"rejected"')
    assert tampered != BODY
    with pytest.raises(InvalidSignature, match="does not match"):
        verify_delivery(SECRET, headers(SECRET, BODY), tampered)


def test_an_old_timestamp_is_refused_even_when_correctly_signed() -> None:
    old = int(time.time()) - 301
    with pytest.raises(InvalidSignature, match="timestamp"):
        verify_delivery(SECRET, headers(SECRET, BODY, at=old), BODY)
    # Within the tolerance it holds; a receiver may narrow the tolerance.
    recent = int(time.time()) - 200
    verify_delivery(SECRET, headers(SECRET, BODY, at=recent), BODY)
    with pytest.raises(InvalidSignature):
        verify_delivery(SECRET, headers(SECRET, BODY, at=recent), BODY, tolerance=60)


def test_missing_or_malformed_signatures_and_bodies() -> None:
    with pytest.raises(InvalidSignature, match="no Handover-Signature"):
        verify_delivery(SECRET, {}, BODY)
    with pytest.raises(InvalidSignature, match="no timestamp"):
        verify_delivery(SECRET, {SIGNATURE_HEADER: "v1=00"}, BODY)
    garbage = b"not json"
    with pytest.raises(InvalidDelivery):
        verify_delivery(SECRET, headers(SECRET, garbage), garbage)
