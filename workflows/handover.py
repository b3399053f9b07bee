"""The request workflow: the only writer of a request's state, its event log and its projection."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    import msgspec

    from contracts import events
    from contracts.actions import (
        AcceptBody,
        AcknowledgeBody,
        CancelBody,
        CompleteBody,
        DeferBody,
        ExtendBody,
        NotExecutedBody,
        PlacedBody,
        ReceiveBody,
        RejectBody,
        ReleaseBody,
        ReportBody,
        ScheduleBody,
    )
    from contracts.amendments import AmendCommand, CorrectionBody
    from contracts.api import (
        Assistance,
        AssistanceCreate,
        CustodySegment,
        HandoverRecord,
        Responsibility,
        TransferCreate,
        regime_for,
    )
    from contracts.assessment import AssessmentBody, IncidentBody
    from contracts.common import FINAL_STATES, SERVICE, Kind, Org, State
    from contracts.deadline_policy import Deadline, DeadlineName, EscalationLevel
    from contracts.eventlog import GENESIS_HASH, HASH_V1, HASH_V2, sealed
    from contracts.journey import JourneyCommand
    from contracts.lifecycle import Action
    from contracts.reconcile import QUERY_SNAPSHOT, Snapshot
    from contracts.refusals import Refusal
    from contracts.relatives import RelativesBody
    from contracts.workflow import (
        ACTIVITY_ERASE,
        ACTIVITY_PROJECT,
        PROJECTION_REFUSED,
        QUERY_RECORD,
        UPDATE_ACKNOWLEDGE,
        UPDATE_AMEND,
        UPDATE_ASSESS,
        UPDATE_CORRECT,
        UPDATE_CREATE,
        UPDATE_EXTEND,
        UPDATE_INCIDENT,
        UPDATE_JOURNEY,
        UPDATE_RELATIVES,
        UPDATE_REPORT,
        WORKFLOW_NAME,
        Archive,
        Command,
        CommandMeta,
        CreateHandover,
        Erasure,
        Event,
        EventType,
        HandoverStart,
        Outcome,
        Projection,
    )
    from workflows import amendments, deadline_engine, journey, moves, rules, transitions
    from workflows.transitions import Change, NewEvent, error

# Runs started before deadlines existed keep the old shape of history (replay tests).
PATCH_DEADLINES = "deadlines-v1"
# Events are hashed with the canonical, documented encoding (contracts/eventlog.py) and carry
# a salted digest of their data, so erasing the data leaves a chain that still verifies.
PATCH_CANONICAL_HASH = "canonical-hash-v2"
# A closed request continues as new into a retention run without personal data once its
# follow-up window ends, so the history holding the person's data closes then.
PATCH_RETENTION_RUN = "retention-run-v1"
# Requests created from here on run under deadline policy version 2 (a clock for every legal
# basis, the deferral reminder, children's clocks); earlier ones keep version 1.
PATCH_POLICY_V2 = "deadline-policy-v2"
# From here on, policy version 3 (the lodging clock); earlier requests keep theirs.
PATCH_POLICY_V3 = "deadline-policy-v3"
# A move that completes without a record of whether relatives were told raises a reminder
# (an escalation); runs that completed before it do not.
PATCH_RELATIVES_REMINDER = "relatives-reminder-v1"
# A start whose create update never arrived (the API validates before it calls) ends itself.
CREATE_GRACE = timedelta(hours=1)
# After a request closes, incidents can still be recorded for follow-up.
FOLLOW_UP = timedelta(days=30)
# The projection retries until PostgreSQL is back: an accepted change is never dropped.
# At most 5 s apart, so a change is written within seconds of PostgreSQL's return.
PROJECTION_RETRY = RetryPolicy(
    initial_interval=timedelta(milliseconds=200),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=5),
)
# The projection heartbeats every second (workflows/activities.py): when its worker dies,
# another worker retries it after this long instead of after start_to_close (15 s).
PROJECTION_HEARTBEAT = timedelta(seconds=2)
# The events a field time may not precede; assessments, incidents, deadline warnings and
# acknowledgements happen beside the lifecycle and do not move that clock.
LIFECYCLE_EVENTS = frozenset(
    {
        EventType.REQUESTED,
        EventType.ACCEPTED,
        EventType.DEFERRED,
        EventType.REJECTED,
        EventType.SCHEDULED,
        EventType.RESCHEDULED,
        EventType.RELEASED,
        EventType.RECEIVED,
        EventType.COMPLETED,
        EventType.CANCELLED,
        EventType.NOT_EXECUTED,
    }
)


class ChangeRefused(Exception):
    """The read model refused a change for its data; the workflow kept its state before it."""


def _refused(exc: ActivityError) -> bool:
    cause = exc.cause
    return isinstance(cause, ApplicationError) and cause.type == PROJECTION_REFUSED


def _erasure(record: HandoverRecord) -> Deadline | None:
    return next((d for d in record.deadlines if d.name == DeadlineName.ERASURE and d.open), None)


@workflow.defn(name=WORKFLOW_NAME)
class HandoverWorkflow:
    """One request from creation to a final state, and a follow-up window after it."""

    @workflow.init
    def __init__(self, start: HandoverStart) -> None:
        self._id = start.handover_id
        self._record: HandoverRecord | None = None
        self._fingerprint: str | None = None
        self._events: list[Event] = []
        self._keys: dict[str, str] = {}
        self._lock = asyncio.Lock()
        self._wake = False
        self._archive = start.archive

    @workflow.run
    async def run(self, start: HandoverStart) -> Outcome:
        if start.archive is not None:
            return await self._retain(start.archive)
        try:
            await workflow.wait_condition(lambda: self._record is not None, timeout=CREATE_GRACE)
        except TimeoutError:
            workflow.logger.warning("handover.abandoned", extra={"handover_id": self._id})
            return Outcome(handover_id=self._id, state="abandoned", version=0)
        if self._current().policy_version is not None:
            # Deadlines run until the follow-up window after closure ends (then a retention
            # run without personal data takes over) or the person's data is erased.
            archive = await self._keep_time()
            if archive is not None:
                await workflow.wait_condition(workflow.all_handlers_finished)
                workflow.continue_as_new(HandoverStart(handover_id=self._id, archive=archive()))
        else:
            await workflow.wait_condition(
                lambda: self._record is not None and self._record.state in FINAL_STATES
            )
            # Late incidents may still arrive; any update in flight finishes before the end.
            await workflow.sleep(FOLLOW_UP)
        await workflow.wait_condition(workflow.all_handlers_finished)
        record = self._current()
        return Outcome(handover_id=self._id, state=record.state, version=record.version)

    @workflow.query(name=QUERY_RECORD)
    def record(self) -> HandoverRecord | None:
        return self._record

    @workflow.query(name=QUERY_SNAPSHOT)
    def snapshot(self) -> Snapshot | None:
        """What reconciliation re-projects from (workflows/reconcile.py): the record and every
        event of this run; `busy` while a change holds the lock (its projection is under way).
        None in a retention run and before the create update."""
        if self._record is None:
            return None
        return Snapshot(record=self._record, events=list(self._events), busy=self._lock.locked())

    # -- creation -----------------------------------------------------------------------

    @workflow.update(name=UPDATE_CREATE)
    async def create(self, cmd: CreateHandover) -> HandoverRecord:
        async with self._lock:
            if self._record is not None:
                # A retry with the same body whose first attempt already applied.
                self._check_same_request(cmd)
                return self._record
            now = workflow.now()
            try:
                record = self._new_record(cmd, now)
                if workflow.patched(PATCH_DEADLINES):
                    if workflow.patched(PATCH_POLICY_V3):
                        version = 3
                    else:
                        version = 2 if workflow.patched(PATCH_POLICY_V2) else 1
                    record = deadline_engine.start(record, cmd.clocks, now, version)
            except Exception as exc:
                raise self._fault(Refusal.INTERNAL_ERROR, UPDATE_CREATE, cmd.meta, exc) from exc
            self._fingerprint = cmd.fingerprint
            data = events.Requested(
                kind=record.kind,
                requesting_unit=record.requester,
                executing_unit=record.executor,
                from_unit=record.from_unit,
                to_unit=record.to_unit,
                decision=record.decision,
                regime=record.regime,
                assistance=record.assistance,
                deadlines={d.id: d.due_at.isoformat() for d in record.deadlines} or None,
                policy_version=record.policy_version if record.deadlines else None,
            )
            try:
                await self._commit(Change(record, [NewEvent(now, data)]), cmd.meta)
            except ChangeRefused as exc:
                self._fingerprint = None  # the request was not made; a retry starts afresh
                raise self._fault(Refusal.CHANGE_NOT_STORED, UPDATE_CREATE, cmd.meta, exc) from exc
            workflow.logger.info(
                "handover.requested",
                extra={
                    "handover_id": self._id,
                    "reference": cmd.reference,
                    "request_id": cmd.meta.request_id,
                    "unit": cmd.meta.actor.unit,
                },
            )
            return self._current()

    @create.validator
    def validate_create(self, cmd: CreateHandover) -> None:
        self._check_not_archived()
        if self._record is not None:
            self._check_same_request(cmd)

    def _check_same_request(self, cmd: CreateHandover) -> None:
        if cmd.fingerprint != self._fingerprint:
            raise error(
                Refusal.IDEMPOTENCY_KEY_REUSED,
                "This Idempotency-Key was used for a different request body.",
            )

    def _new_record(self, cmd: CreateHandover, now: datetime) -> HandoverRecord:
        body = cmd.body
        actor = cmd.meta.actor
        assistance: Assistance | None = None
        origin: str | None
        destination: str | None
        match body:
            case TransferCreate():
                kind, requesting, executing = Kind.TRANSFER, body.from_unit, body.to_unit
                requesting_org, executing_org = Org.POLISEN, Org.KRIMINALVARDEN
                origin, destination = body.from_unit, body.to_unit
                origin_org: Org | None = Org.POLISEN
                basis = None
                apprehended_at, arrested_at, placed_at = (
                    body.apprehended_at,
                    body.arrested_at,
                    None,
                )
            case AssistanceCreate():
                kind, requesting, executing = (
                    Kind.ENFORCEMENT_ASSISTANCE,
                    body.requesting_unit,
                    body.executing_unit,
                )
                requesting_org = actor.org
                executing_org = Org.KRIMINALVARDEN if actor.org == Org.POLISEN else Org.POLISEN
                origin, destination = body.origin.unit, body.destination.unit
                origin_org = cmd.origin_org
                basis = body.legal_basis
                apprehended_at, arrested_at, placed_at = None, None, body.placed_at
                assistance = Assistance(
                    legal_basis=body.legal_basis,
                    order_type=body.order_type,
                    origin=body.origin,
                    destination=body.destination,
                    lpt_intake_decision=body.lpt_intake_decision,
                    guarding=body.guarding,
                )
        # The origin unit, when there is one, holds the person from the start; a person
        # fetched from outside both agencies has no responsible unit until picked up.
        responsible = None
        chain: list[CustodySegment] = []
        if origin is not None and origin_org is not None:
            responsible = Responsibility(unit=origin, org=origin_org, since=now)
            chain = [CustodySegment(unit=origin, org=origin_org, since=now)]
        return HandoverRecord(
            id=self._id,
            reference=cmd.reference,
            kind=kind,
            state=State.REQUESTED,
            version=0,
            person=body.person,
            from_unit=origin,
            to_unit=destination,
            decision=body.decision,
            restrictions=body.restrictions,
            relatives_notified=body.relatives_notified,
            notes=body.notes,
            responsible=responsible,
            custody_chain=chain,
            created_by=actor.ref(),
            created_at=now,
            updated_at=now,
            requesting_unit=requesting,
            requesting_org=requesting_org,
            executing_unit=executing,
            executing_org=executing_org,
            regime=regime_for(kind, basis),
            assistance=assistance,
            destination_kind=cmd.destination_kind,
            apprehended_at=apprehended_at,
            arrested_at=arrested_at,
            placed_at=placed_at,
        )

    # -- lifecycle actions ----------------------------------------------------------------

    @workflow.update(name=Action.ACCEPT)
    async def accept(self, cmd: Command[AcceptBody]) -> HandoverRecord:
        return await self._act(Action.ACCEPT, cmd)

    @accept.validator
    def validate_accept(self, cmd: Command[AcceptBody]) -> None:
        self._check(Action.ACCEPT, cmd)

    @workflow.update(name=Action.DEFER)
    async def defer(self, cmd: Command[DeferBody]) -> HandoverRecord:
        if cmd.capacity is None:  # as before capacity data existed
            return await self._act(Action.DEFER, cmd)
        return await self._run_locked(
            cmd,
            lambda r: transitions.check_action(
                r, Action.DEFER, cmd, now=workflow.now(), previous=self._previous_time()
            ),
            lambda r, now: moves.flag_deferral(
                transitions.apply(r, Action.DEFER, cmd.meta, cmd.body, now),
                cmd.body,
                cmd.capacity,
            ),
        )

    @defer.validator
    def validate_defer(self, cmd: Command[DeferBody]) -> None:
        self._check(Action.DEFER, cmd)

    @workflow.update(name=Action.REJECT)
    async def reject(self, cmd: Command[RejectBody]) -> HandoverRecord:
        return await self._act(Action.REJECT, cmd)

    @reject.validator
    def validate_reject(self, cmd: Command[RejectBody]) -> None:
        self._check(Action.REJECT, cmd)

    @workflow.update(name=Action.SCHEDULE)
    async def schedule(self, cmd: Command[ScheduleBody]) -> HandoverRecord:
        return await self._act(Action.SCHEDULE, cmd)

    @schedule.validator
    def validate_schedule(self, cmd: Command[ScheduleBody]) -> None:
        self._check(Action.SCHEDULE, cmd)

    @workflow.update(name=Action.RELEASE)
    async def release(self, cmd: Command[ReleaseBody]) -> HandoverRecord:
        return await self._act(Action.RELEASE, cmd)

    @release.validator
    def validate_release(self, cmd: Command[ReleaseBody]) -> None:
        self._check(Action.RELEASE, cmd)

    @workflow.update(name=Action.RECEIVE)
    async def receive(self, cmd: Command[ReceiveBody]) -> HandoverRecord:
        return await self._act(Action.RECEIVE, cmd)

    @receive.validator
    def validate_receive(self, cmd: Command[ReceiveBody]) -> None:
        self._check(Action.RECEIVE, cmd)

    @workflow.update(name=Action.CANCEL)
    async def cancel(self, cmd: Command[CancelBody]) -> HandoverRecord:
        return await self._act(Action.CANCEL, cmd)

    @cancel.validator
    def validate_cancel(self, cmd: Command[CancelBody]) -> None:
        self._check(Action.CANCEL, cmd)

    @workflow.update(name=Action.COMPLETE)
    async def complete(self, cmd: Command[CompleteBody]) -> HandoverRecord:
        return await self._act(Action.COMPLETE, cmd)

    @complete.validator
    def validate_complete(self, cmd: Command[CompleteBody]) -> None:
        self._check(Action.COMPLETE, cmd)

    @workflow.update(name=Action.NOT_EXECUTED)
    async def not_executed(self, cmd: Command[NotExecutedBody]) -> HandoverRecord:
        return await self._act(Action.NOT_EXECUTED, cmd)

    @not_executed.validator
    def validate_not_executed(self, cmd: Command[NotExecutedBody]) -> None:
        self._check(Action.NOT_EXECUTED, cmd)

    @workflow.update(name=Action.PLACED)
    async def placed(self, cmd: Command[PlacedBody]) -> HandoverRecord:
        return await self._act(Action.PLACED, cmd)

    @placed.validator
    def validate_placed(self, cmd: Command[PlacedBody]) -> None:
        self._check(Action.PLACED, cmd)

    @workflow.update(name=UPDATE_RELATIVES)
    async def record_relatives(self, cmd: Command[RelativesBody]) -> HandoverRecord:
        return await self._run_locked(
            cmd,
            lambda r: moves.check_relatives(r, cmd, now=workflow.now()),
            lambda r, now: moves.apply_relatives(r, cmd.meta, cmd.body, now),
        )

    @record_relatives.validator
    def validate_record_relatives(self, cmd: Command[RelativesBody]) -> None:
        self._precheck(cmd, lambda r: moves.check_relatives(r, cmd, now=workflow.now()))

    # -- security assessment and incidents -------------------------------------------

    @workflow.update(name=UPDATE_ASSESS)
    async def assess(self, cmd: Command[AssessmentBody]) -> HandoverRecord:
        return await self._run_locked(
            cmd,
            lambda r: transitions.check_assessment(r, cmd),
            lambda r, now: transitions.apply_assessment(r, cmd.meta, cmd.body, now),
        )

    @assess.validator
    def validate_assess(self, cmd: Command[AssessmentBody]) -> None:
        self._precheck(cmd, lambda r: transitions.check_assessment(r, cmd))

    @workflow.update(name=UPDATE_INCIDENT)
    async def record_incident(self, cmd: Command[IncidentBody]) -> HandoverRecord:
        return await self._run_locked(
            cmd,
            lambda r: transitions.check_incident(r, cmd, now=workflow.now()),
            lambda r, now: transitions.apply_incident(r, cmd.meta, cmd.body, now),
        )

    @record_incident.validator
    def validate_record_incident(self, cmd: Command[IncidentBody]) -> None:
        self._precheck(cmd, lambda r: transitions.check_incident(r, cmd, now=workflow.now()))

    # -- deadlines and escalations ----------------------------------------------------

    @workflow.update(name=UPDATE_EXTEND)
    async def extend_deadline(self, cmd: Command[ExtendBody]) -> HandoverRecord:
        return await self._run_locked(
            cmd,
            lambda r: rules.check_extend(r, cmd, now=workflow.now()),
            lambda r, now: deadline_engine.extend(
                r, cmd.target or "", cmd.body, cmd.meta.actor.ref(), now
            ),
        )

    @extend_deadline.validator
    def validate_extend_deadline(self, cmd: Command[ExtendBody]) -> None:
        self._precheck(cmd, lambda r: rules.check_extend(r, cmd, now=workflow.now()))

    @workflow.update(name=UPDATE_ACKNOWLEDGE)
    async def acknowledge_escalation(self, cmd: Command[AcknowledgeBody]) -> HandoverRecord:
        return await self._run_locked(
            cmd,
            lambda r: rules.check_acknowledge(r, cmd),
            lambda r, now: rules.acknowledge(r, cmd, now),
        )

    @acknowledge_escalation.validator
    def validate_acknowledge_escalation(self, cmd: Command[AcknowledgeBody]) -> None:
        self._precheck(cmd, lambda r: rules.check_acknowledge(r, cmd))

    @workflow.update(name=UPDATE_REPORT)
    async def report_incident(self, cmd: Command[ReportBody]) -> HandoverRecord:
        return await self._run_locked(
            cmd,
            lambda r: rules.check_report(r, cmd, now=workflow.now()),
            lambda r, now: rules.report(r, cmd, now),
        )

    @report_incident.validator
    def validate_report_incident(self, cmd: Command[ReportBody]) -> None:
        self._precheck(cmd, lambda r: rules.check_report(r, cmd, now=workflow.now()))

    # -- amendments and corrections (new updates: new history, no patch) ----------------

    @workflow.update(name=UPDATE_AMEND)
    async def amend(self, cmd: Command[AmendCommand]) -> HandoverRecord:
        return await self._run_locked(
            cmd,
            lambda r: amendments.check_amend(r, cmd, now=workflow.now()),
            lambda r, now: amendments.apply_amend(r, cmd, now),
        )

    @amend.validator
    def validate_amend(self, cmd: Command[AmendCommand]) -> None:
        self._precheck(cmd, lambda r: amendments.check_amend(r, cmd, now=workflow.now()))

    @workflow.update(name=UPDATE_CORRECT)
    async def correct_event(self, cmd: Command[CorrectionBody]) -> HandoverRecord:
        return await self._run_locked(
            cmd,
            lambda r: self._check_correct(r, cmd),
            lambda r, now: amendments.apply_correct(r, cmd.meta, cmd, self._events, now),
        )

    @correct_event.validator
    def validate_correct_event(self, cmd: Command[CorrectionBody]) -> None:
        self._precheck(cmd, lambda r: self._check_correct(r, cmd))

    # -- journeys with stops (a new update: new history, no patch) ----------------------

    @workflow.update(name=UPDATE_JOURNEY)
    async def change_journey(self, cmd: Command[JourneyCommand]) -> HandoverRecord:
        return await self._run_locked(
            cmd,
            lambda r: self._check_journey(r, cmd),
            lambda r, now: journey.apply(r, cmd, now, self._previous_time()),
        )

    @change_journey.validator
    def validate_change_journey(self, cmd: Command[JourneyCommand]) -> None:
        self._precheck(cmd, lambda r: self._check_journey(r, cmd))

    def _check_journey(self, record: HandoverRecord, cmd: Command[JourneyCommand]) -> None:
        journey.check(record, cmd, now=workflow.now(), previous=self._previous_time())

    def _check_correct(self, record: HandoverRecord, cmd: Command[CorrectionBody]) -> None:
        amendments.check_correct(
            record, cmd, self._events, lifecycle=LIFECYCLE_EVENTS, now=workflow.now()
        )

    async def _keep_time(self) -> Callable[[], Archive] | None:
        """Fire warnings and breaches when their instant comes; sleep until the next one.

        Returns how to archive the request once its follow-up window has ended, or None
        when its data was erased first.
        """
        while self._current().erased_at is None:
            archive_at = self._archive_at()
            if archive_at is not None and workflow.now() >= archive_at:
                return self._archived
            try:
                if await self._fire_due():
                    continue
                moment = deadline_engine.next_moment(self._current())
                if archive_at is not None:
                    moment = archive_at if moment is None else min(moment, archive_at)
            except Exception as exc:  # noqa: BLE001 - a fault here must not stop the clocks
                # Logged for operators; wait for the next change instead of failing the same
                # way in a loop (a workflow task that raises is retried for ever, unseen).
                workflow.logger.error(
                    "deadline.engine_failed",
                    extra={"handover_id": self._id, "error": type(exc).__name__},
                )
                self._wake = False
                await workflow.wait_condition(lambda: self._wake)
                continue
            self._wake = False
            if moment is None:
                await workflow.wait_condition(lambda: self._wake)
                continue
            delay = moment - workflow.now()
            if delay <= timedelta(0):
                continue  # wait_condition(timeout=0) would raise at once
            with contextlib.suppress(TimeoutError):
                await workflow.wait_condition(lambda: self._wake, timeout=delay)
        return None

    def _archive_at(self) -> datetime | None:
        """When a closed request hands over to its retention run: the follow-up window has
        ended and no clock but erasure still runs (the prison-place clocks outlive closure).
        None while that is not in sight, and in runs started before retention runs."""
        record = self._current()
        if record.state not in FINAL_STATES or not workflow.patched(PATCH_RETENTION_RUN):
            return None
        if any(d.open and d.name != DeadlineName.ERASURE for d in record.deadlines):
            return None
        closed = record.closure.at if record.closure is not None else record.updated_at
        erasure = _erasure(record)
        # A retention time shorter than the window: the retention run erases at once.
        return min(closed + FOLLOW_UP, erasure.due_at) if erasure else closed + FOLLOW_UP

    def _archived(self) -> Archive:
        record = self._current()
        erasure = _erasure(record)
        seq, head = self._head()
        return Archive(
            reference=record.reference,
            state=record.state,
            version=record.version,
            last_seq=seq,
            last_hash=head,
            erase_at=erasure.due_at if erasure is not None else None,
            erasure_deadline=erasure.id if erasure is not None else None,
        )

    async def _retain(self, archive: Archive) -> Outcome:
        """The retention run: no personal data in its history; it waits, then erases."""
        outcome = Outcome(handover_id=self._id, state=archive.state, version=archive.version)
        if archive.erase_at is None:
            return outcome
        while True:
            delay = archive.erase_at - workflow.now()
            if delay > timedelta(0):
                await workflow.sleep(delay)
            now = workflow.now()
            data = events.logged(events.PersonalDataErased(policy="retention"))
            event = self._sealed_event(
                seq=archive.last_seq + 1,
                prev=archive.last_hash,
                event_type=EventType.PERSONAL_DATA_ERASED,
                actor=SERVICE,
                occurred_at=now,
                data=data,
                request_id=f"retention:{self._id}",
            )
            try:
                await workflow.execute_activity(
                    ACTIVITY_ERASE,
                    Erasure(
                        handover_id=self._id,
                        event=event,
                        erasure_deadline=archive.erasure_deadline,
                    ),
                    start_to_close_timeout=timedelta(seconds=15),
                    heartbeat_timeout=PROJECTION_HEARTBEAT,
                    retry_policy=PROJECTION_RETRY,
                )
            except ActivityError as exc:
                if not _refused(exc):
                    raise
                # Cannot happen with the service's own data; try again tomorrow, visibly.
                workflow.logger.error("handover.erasure_refused", extra={"handover_id": self._id})
                archive = msgspec.structs.replace(archive, erase_at=now + timedelta(days=1))
                continue
            workflow.logger.info("handover.erased", extra={"handover_id": self._id})
            return msgspec.structs.replace(outcome, version=event.seq)

    async def _fire_due(self) -> bool:
        """Warn and breach every deadline whose instant has come; whether any was due."""
        if not self._due():
            return False
        async with self._lock:
            for deadline, what in self._due():
                change = deadline_engine.fire(self._current(), deadline, what, workflow.now())
                await self._commit(change, None)
                workflow.logger.info(
                    "deadline." + ("warned" if what == "warn" else "breached"),
                    extra={"handover_id": self._id, "deadline": deadline.id},
                )
        return True

    def _due(self) -> list[tuple[Deadline, str]]:
        """What is due now; in runs that archive, the retention run does the erasure."""
        found = deadline_engine.due(self._current(), workflow.now())
        if self._archive_at() is None:
            return found
        return [
            (d, what) for d, what in found if (d.name, what) != (DeadlineName.ERASURE, "breach")
        ]

    # -- machinery --------------------------------------------------------------------

    def _check(self, action: Action, cmd: Command[Any]) -> None:
        self._precheck(
            cmd,
            lambda r: transitions.check_action(
                r, action, cmd, now=workflow.now(), previous=self._previous_time()
            ),
        )

    def _check_not_archived(self) -> None:
        if self._archive is not None:
            raise error(
                Refusal.ARCHIVED,
                "The request closed and its follow-up window has ended; it takes no changes.",
            )

    def _precheck(self, cmd: Command[Any], rule: Callable[[HandoverRecord], None]) -> None:
        """Validators judge against the workflow's own state, never the read model."""
        self._check_not_archived()
        if self._record is None:
            raise error(Refusal.NOT_FOUND, f"No handover request {self._id}.")
        if cmd.idempotency_key is not None:
            seen = self._keys.get(cmd.idempotency_key)
            if seen is not None and seen != cmd.fingerprint:
                raise error(
                    Refusal.IDEMPOTENCY_KEY_REUSED,
                    "This Idempotency-Key was used for a different request body.",
                )
        try:
            rule(self._record)
        except ApplicationError:
            raise
        except Exception as exc:
            workflow.logger.error(
                "handover.rule_failed",
                extra={
                    "handover_id": self._id,
                    "request_id": cmd.meta.request_id,
                    "error": type(exc).__name__,
                },
            )
            raise error(Refusal.INTERNAL_ERROR, "The service failed to check this change.") from exc

    async def _act(self, action: Action, cmd: Command[Any]) -> HandoverRecord:
        return await self._run_locked(
            cmd,
            lambda r: transitions.check_action(
                r, action, cmd, now=workflow.now(), previous=self._previous_time()
            ),
            lambda r, now: transitions.apply(
                r, action, cmd.meta, transitions.settled(cmd.body, self._previous_time()), now
            ),
        )

    async def _run_locked(
        self,
        cmd: Command[Any],
        rule: Callable[[HandoverRecord], None],
        change: Callable[[HandoverRecord, datetime], Change],
    ) -> HandoverRecord:
        async with self._lock:
            # Another update may have passed its validator and applied while this one waited.
            self._precheck(cmd, rule)
            before = self._current()
            now = workflow.now()
            info = workflow.current_update_info()
            name = info.name if info is not None else "update"
            try:
                applied = deadline_engine.follow(
                    before, journey.follow(change(before, now)), cmd.meta.actor.ref(), now
                )
            except ApplicationError:
                raise
            except Exception as exc:
                raise await self._alert(Refusal.INTERNAL_ERROR, name, cmd.meta, exc) from exc
            # Only a completing change asks for the patch, so older histories replay as before.
            if moves.relatives_missing(before, applied.record) and workflow.patched(
                PATCH_RELATIVES_REMINDER
            ):
                applied = moves.remind_relatives(applied, now)
            try:
                await self._commit(applied, cmd.meta)
            except ChangeRefused as exc:
                raise await self._alert(Refusal.CHANGE_NOT_STORED, name, cmd.meta, exc) from exc
            if cmd.idempotency_key is not None:
                self._keys[cmd.idempotency_key] = cmd.fingerprint
            workflow.logger.info(
                "handover.changed",
                extra={
                    "handover_id": self._id,
                    "state": self._current().state,
                    "version": self._current().version,
                    "request_id": cmd.meta.request_id,
                },
            )
            return self._current()

    def _fault(
        self, refusal: Refusal, update: str, meta: CommandMeta, exc: BaseException
    ) -> ApplicationError:
        """Log a change the service could not make (for operators) and refuse it."""
        workflow.logger.error(
            "handover." + refusal,
            extra={
                "handover_id": self._id,
                "update": update,
                "request_id": meta.request_id,
                "error": type(exc.__cause__ or exc).__name__,
            },
        )
        if refusal == Refusal.CHANGE_NOT_STORED:
            text = "The change could not be stored, so it was not applied; operators are alerted."
        else:
            text = "The service failed to apply this change; nothing was applied."
        return error(refusal, text)

    async def _alert(
        self, refusal: Refusal, update: str, meta: CommandMeta, exc: BaseException
    ) -> ApplicationError:
        """As `_fault`, and escalate to coordinators: the request did not move as asked."""
        problem = self._fault(refusal, update, meta, exc)
        now = workflow.now()
        detail = (
            f"A change ({update}) was refused by the service ({refusal}) and not applied; "
            f"the request keeps its state. Request id {meta.request_id}."
        )
        record, escalation = deadline_engine.escalate(
            self._current(), EscalationLevel.OPERATIONS, update, False, detail, now
        )
        data = events.ChangeRefused(update=update, reason=refusal, escalation=escalation.id)
        try:
            await self._commit(Change(record, [NewEvent(now, data)]), None)
        except ChangeRefused:
            workflow.logger.error("handover.alert_not_stored", extra={"handover_id": self._id})
        return problem

    def _head(self) -> tuple[int, str]:
        """The last event's seq and hash (a retention run starts from its archive's)."""
        if self._events:
            return self._events[-1].seq, self._events[-1].hash
        if self._archive is not None:
            return self._archive.last_seq, self._archive.last_hash
        return 0, GENESIS_HASH

    def _sealed_event(
        self,
        *,
        seq: int,
        prev: str,
        event_type: EventType,
        actor: Any,
        occurred_at: datetime,
        data: dict[str, Any],
        request_id: str,
    ) -> Event:
        """The next event of the chain, hashed with the canonical encoding (v2) in new runs."""
        event = Event(
            handover_id=self._id,
            seq=seq,
            type=event_type,
            actor=actor,
            occurred_at=occurred_at,
            recorded_at=workflow.now(),
            data=data,
            request_id=request_id,
            prev_hash=prev,
            hash_alg=HASH_V1,
        )
        if workflow.patched(PATCH_CANONICAL_HASH):
            event = msgspec.structs.replace(
                event,
                occurred_at=occurred_at.astimezone(UTC),
                recorded_at=event.recorded_at.astimezone(UTC),
                hash_alg=HASH_V2,
                salt=workflow.uuid4().hex,
            )
        return sealed(event)

    def _previous_time(self) -> datetime:
        # As corrected: a corrected time stands for the one recorded in error (without
        # corrections, as in every history before them, these are the recorded times).
        effective = amendments.effective_times(self._events)
        times = [effective[e.seq] for e in self._events if e.type in LIFECYCLE_EVENTS]
        return max(times) if times else workflow.now()

    def _current(self) -> HandoverRecord:
        assert self._record is not None
        return self._record

    async def _commit(self, change: Change, meta: CommandMeta | None) -> None:
        """Append the change's events, move the record to the last one's version, project.

        `meta` is None for the service's own events (deadline warnings and breaches).
        """
        actor = meta.actor.ref() if meta is not None else SERVICE
        request_id = meta.request_id if meta is not None else f"deadline:{self._id}"
        new: list[Event] = []
        for item in change.events:
            seq, prev = self._head()
            if new:
                seq, prev = new[-1].seq, new[-1].hash
            new.append(
                self._sealed_event(
                    seq=seq + 1,
                    prev=prev,
                    event_type=item.type,
                    actor=actor,
                    occurred_at=item.occurred_at,
                    data=events.logged(item.data),
                    request_id=request_id,
                )
            )
        now = workflow.now()
        before, count = self._record, len(self._events)
        self._events.extend(new)
        self._record = msgspec.structs.replace(change.record, version=new[-1].seq, updated_at=now)
        self._wake = True  # deadlines may have started, ended or moved
        try:
            await workflow.execute_activity(
                ACTIVITY_PROJECT,
                Projection(record=self._record, events=new, request_id=request_id),
                start_to_close_timeout=timedelta(seconds=15),
                heartbeat_timeout=PROJECTION_HEARTBEAT,
                retry_policy=PROJECTION_RETRY,
            )
        except ActivityError as exc:
            if not _refused(exc):
                raise
            # Nothing of the change stays, so the request moves on from where it was; an
            # outage is never this (the projection retries until PostgreSQL is back).
            del self._events[count:]
            self._record = before
            raise ChangeRefused(self._id) from exc
