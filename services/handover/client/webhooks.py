"""Receiving signed webhooks: check a delivery before trusting a byte of it.

A thin wrapper over `contracts.webhooks.verify` (HMAC-SHA256 over `<t>.<raw body>`,
compared in constant time, timestamps within `TOLERANCE_SECONDS` of the receiver's clock).
Pass the raw body as received, before any JSON parsing. Deliveries are at least once: keep
the `event_id` of what you processed and drop a repeat.

```python
delivery = verify_delivery(secret, request.headers, await request.body())
```
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence

import msgspec

from contracts.webhooks import SIGNATURE_HEADER, TOLERANCE_SECONDS, Delivery, verify
from services.handover.client.errors import HandoverClientError


class WebhookError(HandoverClientError):
    """A delivery that must not be processed (answer it with 400)."""


class InvalidSignature(WebhookError):
    """No signature, a signature by another secret, a changed body, or a stale timestamp."""


class InvalidDelivery(WebhookError):
    """Correctly signed, but the body is not a `Delivery` this client understands."""


def _header(headers: Mapping[str, str], name: str) -> str | None:
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return None


def verify_signature(
    secrets: str | Sequence[str],
    headers: Mapping[str, str],
    body: bytes,
    *,
    now: float | None = None,
    tolerance: int = TOLERANCE_SECONDS,
) -> None:
    """Raise `InvalidSignature` unless one of `secrets` signed `body` within `tolerance`.

    Several secrets let a receiver accept the old and the new one while a secret rotates.
    """
    header = _header(headers, SIGNATURE_HEADER)
    if not header:
        raise InvalidSignature(f"no {SIGNATURE_HEADER} header")
    keys = [secrets] if isinstance(secrets, str) else list(secrets)
    at = time.time() if now is None else now
    if any(verify(key, header, body, now=at, tolerance=tolerance) for key in keys):
        return
    stamp = next(
        (p.partition("=")[2] for p in header.split(",") if p.strip().startswith("t=")), ""
    ).strip()
    if not (stamp.isascii() and stamp.isdigit()):
        raise InvalidSignature("the signature has no timestamp")
    if abs(at - int(stamp)) > tolerance:
        raise InvalidSignature(f"the timestamp is more than {tolerance} s from now (a replay?)")
    raise InvalidSignature("the signature does not match the body with this secret")


def verify_delivery(
    secrets: str | Sequence[str],
    headers: Mapping[str, str],
    body: bytes,
    *,
    now: float | None = None,
    tolerance: int = TOLERANCE_SECONDS,
) -> Delivery:
    """The verified delivery; `InvalidSignature` or `InvalidDelivery` when it is not one."""
    verify_signature(secrets, headers, body, now=now, tolerance=tolerance)
    try:
        return msgspec.json.decode(body, type=Delivery)
    except msgspec.DecodeError as exc:
        raise InvalidDelivery(str(exc)) from exc
