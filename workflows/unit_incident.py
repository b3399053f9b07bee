"""One unit incident and its follow-up (`unit-incident-<id>`).

The same discipline as a request's workflow: the workflow holds the incident, every change
is an update whose validator judges against the workflow's own state, and the handler awaits
the projection (retried until PostgreSQL is back; a refusal for the data itself undoes the
change and refuses the update). The workflow is the only writer of the incident's row.

A serious incident starts the employer's reporting clock, computed from the deadline policy's
`incident_report` entry with this deployment's clocks (one source of truth with the requests'
incidents). Closing the investigation starts the retention time; when it ends the incident's
key is erased and the run ends.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    import msgspec

    from contracts.assessment import SERIOUS
    from contracts.deadline_policy import DeadlineName, compute, warning
    from contracts.refusals import Refusal
    from contracts.unit_incidents import (
        ACTIVITY_ERASE_UNIT_INCIDENT,
        ACTIVITY_PROJECT_UNIT_INCIDENT,
        UNIT_INCIDENT_WORKFLOW,
        UPDATE_UNIT_INCIDENT_CLOSE,
        UPDATE_UNIT_INCIDENT_INVESTIGATE,
        UPDATE_UNIT_INCIDENT_RECORD,
        UPDATE_UNIT_INCIDENT_REPORT,
        Investigation,
        InvestigationState,
        ReportClock,
        UnitIncident,
        UnitIncidentCommand,
        UnitIncidentErasure,
        UnitIncidentProjection,
        UnitIncidentStart,
    )
    from contracts.workflow import PROJECTION_REFUSED
    from workflows.deadline_engine import _entry as configured_entry

PROJECTION_RETRY = RetryPolicy(
    initial_interval=timedelta(milliseconds=200),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=5),
)
# A start whose record update never arrived ends itself.
CREATE_GRACE = timedelta(hours=1)


def _refuse(refusal: Refusal, message: str, state: str | None = None) -> ApplicationError:
    return ApplicationError(
        message, {"current_state": state, "allowed_actions": []}, type=str(refusal)
    )


@workflow.defn(name=UNIT_INCIDENT_WORKFLOW)
class UnitIncidentWorkflow:
    @workflow.init
    def __init__(self, start: UnitIncidentStart) -> None:
        # The start argument here: update-with-start runs the `record` handler first.
        self._incident: UnitIncident | None = None
        self._region = ""
        self._lock = asyncio.Lock()
        self._start = start

    @workflow.run
    async def run(self, start: UnitIncidentStart) -> None:
        try:
            await workflow.wait_condition(lambda: self._incident is not None, timeout=CREATE_GRACE)
        except TimeoutError:
            return
        await workflow.wait_condition(self._closed)
        await workflow.wait_condition(workflow.all_handlers_finished)
        await workflow.sleep(timedelta(days=start.clocks.retention_days))
        await workflow.execute_activity(
            ACTIVITY_ERASE_UNIT_INCIDENT,
            UnitIncidentErasure(incident_id=start.incident_id, erased_at=workflow.now()),
            start_to_close_timeout=timedelta(seconds=15),
            retry_policy=PROJECTION_RETRY,
        )

    def _closed(self) -> bool:
        incident = self._incident
        if incident is None or incident.investigation.state != InvestigationState.CLOSED:
            return False
        return incident.report is None or incident.report.met_at is not None

    def _state(self) -> str:
        return str(self._incident.investigation.state) if self._incident else "none"

    # --- validators -------------------------------------------------------------------------

    def _validate(self, cmd: UnitIncidentCommand, *, creating: bool = False) -> None:
        if creating:
            if cmd.record is None:
                raise _refuse(Refusal.INVALID_INPUT, "The record command needs its body.")
            return
        if self._incident is None:
            raise _refuse(Refusal.NOT_FOUND, "No such incident.")
        if self._closed():
            raise _refuse(Refusal.ILLEGAL_TRANSITION, "The incident is closed.", self._state())

    @workflow.update(name=UPDATE_UNIT_INCIDENT_RECORD)
    async def record(self, cmd: UnitIncidentCommand) -> UnitIncident:
        async with self._lock:
            if self._incident is not None:  # a retry of the same record: the one result
                return self._incident
            assert cmd.record is not None
            body = cmd.record
            now = workflow.now()
            report = None
            if body.severity in SERIOUS:
                entry = configured_entry(DeadlineName.INCIDENT_REPORT, self._start.clocks)
                due_at = compute(entry.due, body.occurred_at)
                report = ReportClock(
                    name=str(entry.name),
                    legal=entry.legal,
                    basis=entry.basis,
                    starts_at=body.occurred_at,
                    warn_at=warning(entry, body.occurred_at, due_at),
                    due_at=due_at,
                )
            incident = UnitIncident(
                id=self._start.incident_id,
                version=1,
                unit=cmd.actor.unit,
                org=cmd.unit_org,
                kind=body.kind,
                severity=body.severity,
                setting=body.setting,
                staff_injured=body.staff_injured,
                occurred_at=body.occurred_at,
                place=body.place,
                description=body.description,
                actions_taken=body.actions_taken,
                recorded_by=cmd.actor,
                recorded_at=now,
                investigation=Investigation(state=InvestigationState.NONE),
                report=report,
                updated_at=now,
            )
            self._region = cmd.unit_region
            await self._project(None, incident)
            return incident

    @record.validator
    def _validate_record(self, cmd: UnitIncidentCommand) -> None:
        self._validate(cmd, creating=True)

    @workflow.update(name=UPDATE_UNIT_INCIDENT_INVESTIGATE)
    async def investigate(self, cmd: UnitIncidentCommand) -> UnitIncident:
        async with self._lock:
            self._validate(cmd)
            assert self._incident is not None
            assert cmd.investigate is not None
            current = self._incident.investigation
            if current.state == InvestigationState.CLOSED:
                raise _refuse(
                    Refusal.ILLEGAL_TRANSITION, "The investigation is closed.", self._state()
                )
            now = workflow.now()
            investigation = msgspec.structs.replace(
                current,
                state=InvestigationState.OPEN,
                responsible=cmd.investigate.responsible,
                measures=cmd.investigate.measures,
                opened_at=current.opened_at or now,
                opened_by=current.opened_by or cmd.actor,
            )
            return await self._change(investigation=investigation)

    @investigate.validator
    def _validate_investigate(self, cmd: UnitIncidentCommand) -> None:
        self._validate(cmd)
        if cmd.investigate is None:
            raise _refuse(Refusal.INVALID_INPUT, "The investigate command needs its body.")
        if self._state() == InvestigationState.CLOSED:
            raise _refuse(Refusal.ILLEGAL_TRANSITION, "The investigation is closed.", "closed")

    @workflow.update(name=UPDATE_UNIT_INCIDENT_CLOSE)
    async def close(self, cmd: UnitIncidentCommand) -> UnitIncident:
        async with self._lock:
            self._validate(cmd)
            assert self._incident is not None
            assert cmd.close is not None
            current = self._incident.investigation
            if current.state != InvestigationState.OPEN:
                raise _refuse(
                    Refusal.ILLEGAL_TRANSITION,
                    "Only an open investigation can be closed.",
                    self._state(),
                )
            investigation = msgspec.structs.replace(
                current,
                state=InvestigationState.CLOSED,
                decision=cmd.close.decision,
                decided_at=cmd.close.decided_at,
                closed_by=cmd.actor,
            )
            return await self._change(investigation=investigation)

    @close.validator
    def _validate_close(self, cmd: UnitIncidentCommand) -> None:
        self._validate(cmd)
        if cmd.close is None:
            raise _refuse(Refusal.INVALID_INPUT, "The close command needs its body.")
        if self._state() != InvestigationState.OPEN:
            raise _refuse(
                Refusal.ILLEGAL_TRANSITION,
                "Only an open investigation can be closed.",
                self._state(),
            )

    @workflow.update(name=UPDATE_UNIT_INCIDENT_REPORT)
    async def report(self, cmd: UnitIncidentCommand) -> UnitIncident:
        async with self._lock:
            self._validate(cmd)
            assert self._incident is not None
            assert cmd.report is not None
            clock = self._incident.report
            if clock is None or clock.met_at is not None:
                raise _refuse(
                    Refusal.ALREADY_REPORTED,
                    "This incident has no open reporting clock.",
                    self._state(),
                )
            met = msgspec.structs.replace(
                clock, met_at=cmd.report.reported_at, report_reference=cmd.report.reference
            )
            return await self._change(report=met)

    @report.validator
    def _validate_report(self, cmd: UnitIncidentCommand) -> None:
        self._validate(cmd)
        if cmd.report is None:
            raise _refuse(Refusal.INVALID_INPUT, "The report command needs its body.")
        clock = self._incident.report if self._incident else None
        if clock is None or clock.met_at is not None:
            raise _refuse(
                Refusal.ALREADY_REPORTED,
                "This incident has no open reporting clock (not serious, or reported).",
                self._state(),
            )

    # --- projection -------------------------------------------------------------------------

    async def _change(self, **changes: object) -> UnitIncident:
        before = self._incident
        assert before is not None
        after = msgspec.structs.replace(
            before, version=before.version + 1, updated_at=workflow.now(), **changes
        )
        await self._project(before, after)
        return after

    async def _project(self, before: UnitIncident | None, after: UnitIncident) -> None:
        self._incident = after
        try:
            await workflow.execute_activity(
                ACTIVITY_PROJECT_UNIT_INCIDENT,
                UnitIncidentProjection(incident=after, region=self._region),
                start_to_close_timeout=timedelta(seconds=15),
                heartbeat_timeout=timedelta(seconds=2),
                retry_policy=PROJECTION_RETRY,
            )
        except ActivityError as exc:
            cause = exc.cause
            if not (isinstance(cause, ApplicationError) and cause.type == PROJECTION_REFUSED):
                raise
            self._incident = before  # nothing of the change stays
            raise _refuse(
                Refusal.CHANGE_NOT_STORED, "The change could not be stored.", self._state()
            ) from exc
