"""Reconciliation: what the request workflow shows of itself, and what a run repaired.

The read model (PostgreSQL) is written only by the request workflow's projection. A
scheduled reconciliation workflow compares every open request workflow with its row and
events there and, where PostgreSQL lags (a restored backup, a lost write), re-projects from
the workflow's own state (`workflows/reconcile.py`).
"""

from __future__ import annotations

from datetime import datetime

import msgspec

from contracts.api import HandoverRecord
from contracts.workflow import Event

# The request workflow's query: its record, every event of its run, whether a change is
# being applied (then its own projection is under way and reconciliation leaves it alone).
QUERY_SNAPSHOT = "snapshot"
WORKFLOW_RECONCILE = "Reconcile"
ACTIVITY_RECONCILE = "reconcile_read_model"
# The Temporal Schedule that every worker creates (or updates) when it starts.
SCHEDULE_ID = "handover-reconcile"


class Snapshot(msgspec.Struct, frozen=True, kw_only=True):
    """A request as its workflow holds it: the row and the full event log it projects."""

    record: HandoverRecord
    events: list[Event]
    busy: bool = False


class ReconcileRun(msgspec.Struct, frozen=True, kw_only=True):
    """The reconciliation workflow's argument: who started it (`schedule` or `manual`)."""

    trigger: str = "schedule"


class Repair(msgspec.Struct, frozen=True, kw_only=True):
    """One request whose read model lagged its workflow, and what was written for it.

    `read_version` is the row's version before the repair (None: there was no row);
    `events_written` the events that were missing from `handover_events`.
    """

    handover_id: str
    workflow_version: int
    read_version: int | None
    events_written: int
    row_moved: bool


class Reconciliation(msgspec.Struct, frozen=True, kw_only=True):
    """One run: how many open requests it checked and what it repaired.

    `skipped`: running workflows with nothing to project (retention runs, which hold no
    personal data, and starts whose create never came); `busy`: a change was being applied,
    its own projection writes it; `failed`: requests it could not query or write (logged).
    """

    trigger: str
    started_at: datetime
    finished_at: datetime
    checked: int
    skipped: int
    busy: int
    repairs: list[Repair]
    failed: list[str]

    @property
    def repaired(self) -> int:
        return len(self.repairs)

    @property
    def events_written(self) -> int:
        return sum(r.events_written for r in self.repairs)
