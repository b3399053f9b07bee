"""Crypto-shredding: a request's personal data is sealed with a key of its own.

Every request gets a random AES-256-GCM key in PostgreSQL's `request_keys` table. Its
personal data (the whole record, the data of each event, the identity shown in lists) is
stored only sealed with that key; the read model keeps the non-personal facts beside it in
clear. Erasure overwrites the key, and everything sealed with it, in the read model, in the
event log and in any export, becomes unreadable at once, without touching the append-only
log or the hash chain (which covers a digest of each event's data, not the data).
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_BYTES = 32
NONCE_BYTES = 12


def new_request_key() -> bytes:
    return os.urandom(KEY_BYTES)


def seal(key: bytes, plaintext: bytes, context: str) -> bytes:
    """Nonce then ciphertext; `context` (which request, which row) is authenticated, so a
    sealed value copied to another row does not open there."""
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, context.encode())


def unseal(key: bytes, sealed: bytes, context: str) -> bytes:
    """The plaintext; a wrong key, context or a changed byte raises `Unreadable`."""
    try:
        return AESGCM(key).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], context.encode())
    except (InvalidTag, ValueError) as exc:
        raise Unreadable(context) from exc


class Unreadable(Exception):
    """A sealed value that does not open with the request's key (tampered or misplaced)."""


def record_context(handover_id: str) -> str:
    return f"record:{handover_id}"


def identity_context(handover_id: str) -> str:
    return f"identity:{handover_id}"


def event_context(handover_id: str, seq: int) -> str:
    return f"event:{handover_id}:{seq}"
