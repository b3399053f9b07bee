"""Encrypts every Temporal payload (AES-256-GCM), so personal data is not readable in
Temporal's database, its UI or an exported history without the key.

Payloads written before encryption was switched on (no `binary/encrypted` encoding) pass
through unchanged, so older histories still replay. Old keys stay usable for decryption
while a new key encrypts (rotation).
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Sequence

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.converter import PayloadCodec

ENCODING = b"binary/encrypted"
NONCE_BYTES = 12


class PayloadKeyError(ValueError):
    """A key is not base64 of 32 bytes, or a payload's key is unknown."""


def parse_key(text: str) -> bytes:
    try:
        key = base64.b64decode(text, validate=True)
    except ValueError as exc:
        raise PayloadKeyError("a payload key is base64 of 32 random bytes") from exc
    if len(key) != 32:
        raise PayloadKeyError("a payload key is base64 of 32 random bytes")
    return key


def new_key() -> str:
    """A fresh key, base64 (for `HANDOVER_PAYLOAD_KEY`)."""
    return base64.b64encode(os.urandom(32)).decode()


def key_id(key: bytes) -> bytes:
    return hashlib.sha256(key).hexdigest()[:16].encode()


class EncryptionCodec(PayloadCodec):
    """Encrypt with the current key; decrypt with whichever known key a payload names."""

    def __init__(self, key: bytes, old_keys: Sequence[bytes] = ()) -> None:
        self._current = key_id(key)
        self._keys = {key_id(k): AESGCM(k) for k in (key, *old_keys)}

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        aead = self._keys[self._current]
        encoded = []
        for payload in payloads:
            nonce = os.urandom(NONCE_BYTES)
            sealed = aead.encrypt(nonce, payload.SerializeToString(), self._current)
            encoded.append(
                Payload(
                    metadata={"encoding": ENCODING, "encryption-key-id": self._current},
                    data=nonce + sealed,
                )
            )
        return encoded

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        decoded = []
        for payload in payloads:
            if payload.metadata.get("encoding") != ENCODING:
                decoded.append(payload)
                continue
            kid = payload.metadata.get("encryption-key-id", b"")
            aead = self._keys.get(kid)
            if aead is None:
                raise PayloadKeyError(f"payload encrypted with unknown key {kid.decode()}")
            plain = aead.decrypt(payload.data[:NONCE_BYTES], payload.data[NONCE_BYTES:], kid)
            decoded.append(Payload.FromString(plain))
        return decoded
