"""A Temporal data converter that encodes payloads with msgspec (nothing official exists)."""

from __future__ import annotations

import dataclasses
from typing import Any

import msgspec
from temporalio.api.common.v1 import Payload
from temporalio.converter import (
    BinaryNullPayloadConverter,
    BinaryPlainPayloadConverter,
    BinaryProtoPayloadConverter,
    CompositePayloadConverter,
    DataConverter,
    EncodingPayloadConverter,
    JSONProtoPayloadConverter,
    PayloadCodec,
)

_ENCODING = b"json/plain"
_encoder = msgspec.json.Encoder()


class MsgspecJSONPayloadConverter(EncodingPayloadConverter):
    """`json/plain` payloads read into the type the workflow or activity declares."""

    @property
    def encoding(self) -> str:
        return _ENCODING.decode()

    def to_payload(self, value: Any) -> Payload | None:
        try:
            data = _encoder.encode(value)
        except TypeError:
            return None
        return Payload(metadata={"encoding": _ENCODING}, data=data)

    def from_payload(self, payload: Payload, type_hint: type | None = None) -> Any:
        if type_hint is None or type_hint is Any:
            return msgspec.json.decode(payload.data)
        return msgspec.json.decode(payload.data, type=type_hint)


class MsgspecPayloadConverter(CompositePayloadConverter):
    """Temporal's default chain with msgspec in place of the JSON converter."""

    def __init__(self) -> None:
        super().__init__(
            BinaryNullPayloadConverter(),
            BinaryPlainPayloadConverter(),
            JSONProtoPayloadConverter(),
            BinaryProtoPayloadConverter(),
            MsgspecJSONPayloadConverter(),
        )


msgspec_data_converter = dataclasses.replace(
    DataConverter.default, payload_converter_class=MsgspecPayloadConverter
)


def data_converter(codec: PayloadCodec | None) -> DataConverter:
    """msgspec payloads, encrypted by `codec` when one is given (always, outside tests)."""
    return dataclasses.replace(msgspec_data_converter, payload_codec=codec)
