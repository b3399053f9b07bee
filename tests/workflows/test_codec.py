"""Personal data is encrypted in Temporal: what its database (and UI) holds is unreadable."""

from __future__ import annotations

import pytest
from httpx import AsyncClient
from temporalio.api.common.v1 import Payload
from temporalio.client import Client

from contracts.workflow import workflow_id
from services.handover.settings import Settings
from tests.flow import Flow, Parties
from workflows.codec import EncryptionCodec, PayloadKeyError, new_key, parse_key


async def test_round_trip_rotation_and_plain_payloads() -> None:
    old, new = parse_key(new_key()), parse_key(new_key())
    plain = Payload(metadata={"encoding": b"json/plain"}, data=b'{"given_name":"Tolvan"}')
    before = await EncryptionCodec(old).encode([plain])
    assert b"Tolvan" not in before[0].SerializeToString()
    rotated = EncryptionCodec(new, old_keys=[old])
    assert await rotated.decode(before) == [plain]  # old data still readable after rotation
    assert await rotated.decode([plain]) == [plain]  # unencrypted (older) payloads pass
    with pytest.raises(PayloadKeyError):
        await EncryptionCodec(new).decode(before)  # the old key is gone: refuse, do not guess


def test_bad_keys_are_refused() -> None:
    for bad in ("", "not base64!", "c2hvcnQ="):
        with pytest.raises(PayloadKeyError):
            parse_key(bad)


async def test_temporal_stores_no_readable_personal_data(
    api: AsyncClient, settings: Settings, temporal: Client
) -> None:
    flow = await Flow(api, Parties(settings)).create()
    raw = Client(temporal.service_client, namespace=temporal.namespace)  # no codec
    history = await raw.get_workflow_handle(workflow_id(flow.id)).fetch_history()
    stored = history.to_json()
    assert "Tolvan" not in stored
    assert "19121212" not in stored
    assert "YmluYXJ5L2VuY3J5cHRlZA" in stored  # base64 of the binary/encrypted encoding
