"""The request id follows a call into the workflow and activity logs; personal data never does."""

from __future__ import annotations

import logging

import pytest
from httpx import AsyncClient

from services.handover.api import examples
from services.handover.settings import Settings
from tests.flow import custody


def _fields(record: logging.LogRecord) -> dict[str, object]:
    if isinstance(record.msg, dict):  # structlog's event dict
        return dict(record.msg)
    return {"event": record.getMessage(), **record.__dict__}


async def test_request_id_reaches_workflow_and_activity_logs(
    api: AsyncClient, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    response = await api.post(
        "/v1/handovers",
        json=examples.TRANSFER_CREATE,
        headers=custody(settings) | {"X-Request-ID": "trace-me-12345"},
    )
    assert response.status_code == 201
    assert response.headers["x-request-id"] == "trace-me-12345"
    traced = {
        str(_fields(r).get("event"))
        for r in caplog.records
        if _fields(r).get("request_id") == "trace-me-12345"
    }
    assert {
        "handover.requested",
        "handover.projected",
        "handover.created",
        "http.request",
    } <= traced
    text = "\n".join(str(_fields(r)) for r in caplog.records)
    assert "19121212" not in text
    assert "Tolvan" not in text
