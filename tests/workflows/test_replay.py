"""Committed histories of earlier workflow code must replay on the current code.

A failure here means a change would break running requests: put it behind
`workflow.patched`. Record new histories with `python -m tests.workflows.record_histories`.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from workflows.codec import EncryptionCodec, new_key, parse_key
from workflows.converter import data_converter
from workflows.handover import PATCH_DEADLINES, PATCH_POLICY_V2, PATCH_POLICY_V3, HandoverWorkflow
from workflows.worker import PASSTHROUGH

HISTORIES = sorted(Path(__file__).with_name("histories").glob("*.json"))


def test_there_are_histories() -> None:
    assert HISTORIES


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_history_replays(path: Path) -> None:
    replayer = Replayer(
        workflows=[HandoverWorkflow],
        # Histories recorded before encryption pass through the codec unchanged.
        data_converter=data_converter(EncryptionCodec(parse_key(new_key()))),
        workflow_runner=SandboxedWorkflowRunner(
            restrictions=SandboxRestrictions.default.with_passthrough_modules(*PASSTHROUGH)
        ),
    )
    history = WorkflowHistory.from_json(path.stem, path.read_text())
    await replayer.replay_workflow(history)


def patches(path: Path) -> set[str]:
    """The `workflow.patched` markers a committed history recorded."""
    found = set()
    for event in json.loads(path.read_text())["events"]:
        marker = event.get("markerRecordedEventAttributes")
        if marker is not None and marker.get("markerName") == "core_patch":
            data = marker["details"]["patch-data"]["payloads"][0]["data"]
            found.add(json.loads(base64.b64decode(data))["id"])
    return found


def test_histories_span_every_deadline_policy_version() -> None:
    """Requests keep the policy version they started with: histories of requests under
    version 1 (deadlines, no policy marker), version 2 and version 3 all replay above; the
    journey history exists under versions 2 (no lodging clock) and 3 (with it)."""
    marked = {path.stem: patches(path) for path in HISTORIES}
    versioned = {PATCH_POLICY_V2, PATCH_POLICY_V3}
    version_1 = [n for n, p in marked.items() if PATCH_DEADLINES in p and not versioned & p]
    version_2 = [n for n, p in marked.items() if PATCH_POLICY_V2 in p]
    version_3 = [n for n, p in marked.items() if PATCH_POLICY_V3 in p]
    assert version_1
    assert {"assistance-deferred-v4", "journey-v5"} <= set(version_2)
    assert "journey-v6" in version_3
