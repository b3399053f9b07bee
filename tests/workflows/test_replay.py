"""Committed histories of earlier workflow code must replay on the current code.

A failure here means a change would break running requests: put it behind
`workflow.patched`. Record new histories with `python -m tests.workflows.record_histories`.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from workflows.codec import EncryptionCodec, new_key, parse_key
from workflows.converter import data_converter
from workflows.handover import HandoverWorkflow
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
