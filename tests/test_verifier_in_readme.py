"""The README's standalone verifier (hashlib and json only) checks the logs the API serves.

The code is taken from the README itself, so the documentation cannot drift from the
service: a served log verifies, any changed byte is found, an erased log still verifies,
and `handover verify` agrees on a saved export.
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import json
import re
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx

from contracts.eventlog import canonical, verify_served
from services.handover.api import examples
from services.handover.settings import Settings
from tests.flow import Flow, Parties, body

README = Path(__file__).parents[1] / "README.md"
CET = timezone(timedelta(hours=1))


async def _verify(path: Path) -> subprocess.CompletedProcess[str]:
    """`handover verify FILE`, as a user runs it."""
    command = [sys.executable, "-m", "services.handover.cli", "verify", str(path)]
    return await asyncio.to_thread(
        subprocess.run, command, capture_output=True, text=True, check=False
    )


def readme_verifier() -> SimpleNamespace:
    text = README.read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)
    code = next(b for b in blocks if "def verify(events)" in b)
    assert "import msgspec" not in code
    assert len(code.splitlines()) <= 40
    namespace: dict[str, Any] = {"__name__": "readme_verifier"}
    exec(compile(code, "README.md", "exec"), namespace)
    return SimpleNamespace(**namespace)


def test_the_worked_example_is_right() -> None:
    text = README.read_text(encoding="utf-8")
    lines = re.findall(r"```\n(\{.*?\})\n```", text)
    digest_input, envelope = (line.encode() for line in lines[:2])
    digest = hashlib.sha256(digest_input).hexdigest()
    assert f"`data_digest` is `{digest}`" in text.replace("\n", " ")
    assert json.loads(envelope)["data_digest"] == digest
    assert canonical(json.loads(envelope)) == envelope  # it is canonical
    assert f"hashes to `{hashlib.sha256(envelope).hexdigest()}`" in text


async def _served(api: httpx.AsyncClient, parties: Parties) -> tuple[Flow, list[dict[str, Any]]]:
    flow = await Flow(api, parties).create()
    # A local offset in a field time (the contract's own examples use them) must verify.
    await flow.post("defer", examples.DEFER | {"expected_at": None}, parties.planner)
    await flow.post("accept", examples.ACCEPT, parties.planner)
    await flow.assess()
    await flow.post("schedule", body(examples.SCHEDULE), parties.planner)
    release = body(examples.RELEASE)
    local = datetime.fromisoformat(release["occurred_at"]).astimezone(CET)
    release["occurred_at"] = local.isoformat(timespec="milliseconds")
    await flow.post("release", release, parties.police)
    events = (await api.get(f"{flow.path}/events", headers=parties.police)).json()
    return flow, events


async def test_served_logs_verify_and_every_change_is_found(
    api: httpx.AsyncClient, settings: Settings
) -> None:
    verifier = readme_verifier()
    _, events = await _served(api, Parties(settings))
    assert len(events) >= 5
    assert verifier.verify(events) is None
    assert verify_served(events) is None
    for seq, field, value in [
        (2, "data", {"reason": "no_capacity"}),
        (3, "occurred_at", "2026-12-01T00:00:00.000000Z"),
        (4, "actor", {"sub": "someone-else", "org": "polisen", "unit": "pa-kronoberg"}),
        (1, "salt", "0" * 32),
        (5, "prev_hash", "0" * 64),
    ]:
        tampered = copy.deepcopy(events)
        tampered[seq - 1][field] = value
        assert verifier.verify(tampered) == seq, field
        assert verify_served(tampered) == seq, field
    dropped = events[:2] + events[3:]
    assert verifier.verify(dropped) == 3
    erased = [dict(e, data=None, salt=None) for e in events]
    assert verifier.verify(erased) is None


async def test_an_export_is_one_verifiable_document(
    api: httpx.AsyncClient, settings: Settings, tmp_path: Path
) -> None:
    parties = Parties(settings)
    flow, events = await _served(api, parties)
    response = await api.get(f"{flow.path}/export", headers=parties.police)
    assert response.status_code == 200, response.text
    export = response.json()
    assert export["chain_verified"] is True
    assert export["head_hash"] == events[-1]["hash"] == export["events"][-1]["hash"]
    assert export["handover"]["custody_chain"]
    assert export["handover"]["security_assessments"]
    assert readme_verifier().verify(export["events"]) is None
    stranger = await api.get(f"{flow.path}/export", headers=parties.stranger)
    assert stranger.status_code == 404

    saved = tmp_path / "export.json"
    saved.write_text(response.text, encoding="utf-8")
    ok = await _verify(saved)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert ok.stdout.startswith(f"ok: {len(export['events'])} events")
    export["events"][1]["data"]["text"] = "changed"
    saved.write_text(json.dumps(export), encoding="utf-8")
    broken = await _verify(saved)
    assert broken.returncode == 1
    assert "seq 2" in broken.stdout
    saved.write_text("{not json", encoding="utf-8")
    garbage = await _verify(saved)
    assert garbage.returncode == 2
