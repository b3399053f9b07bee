"""The API and worker as separate processes (`handover api`, `handover worker`), as deployed."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from services.handover.embedded import free_port
from services.handover.settings import Settings

HANDOVER = str(Path(sys.executable).with_name("handover"))


@pytest.fixture(scope="session")
def api_process(settings: Settings, scratch: Path) -> Iterator[str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HANDOVER_")}
    env |= {
        "DATABASE_URL": settings.database_url or "",
        "TEMPORAL_ADDRESS": settings.temporal_address or "",
        "HANDOVER_API_PORT": str(port),
        "HANDOVER_TASK_QUEUE": f"contract-{uuid.uuid4().hex[:8]}",
        "HANDOVER_LOG_FORMAT": "json",
        "HANDOVER_PAYLOAD_KEY": settings.payload_key or "",
        "HANDOVER_JWT_SECRET": settings.jwt_secret,
    }
    logs = {name: open(scratch / f"{name}.log", "wb") for name in ("api", "worker")}  # noqa: SIM115
    processes = [
        subprocess.Popen([HANDOVER, name], env=env, stdout=log, stderr=subprocess.STDOUT)
        for name, log in logs.items()
    ]
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base_url}/health/ready", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or any(p.poll() is not None for p in processes):
                raise RuntimeError((scratch / "api.log").read_text()[-2000:])
            time.sleep(0.2)
        yield base_url
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        for log in logs.values():
            log.close()
