"""Drive request workflows directly through a Temporal client (time-skipping tests, recorder)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, TypeVar

import msgspec
from temporalio.client import Client, WithStartWorkflowOperation, WorkflowHandle
from temporalio.common import WorkflowIDConflictPolicy
from temporalio.testing import WorkflowEnvironment

from contracts import actions
from contracts.api import AssistanceCreate, HandoverCreate, HandoverRecord, TransferCreate
from contracts.assessment import AssessmentBody
from contracts.common import Actor, Org, Role, UnitKind
from contracts.deadline_policy import Clocks, Deadline
from contracts.workflow import (
    QUERY_RECORD,
    UPDATE_ASSESS,
    UPDATE_CREATE,
    WORKFLOW_NAME,
    Command,
    CommandMeta,
    CreateHandover,
    HandoverStart,
    Outcome,
    workflow_id,
)
from services.handover.api import examples

OFFICER = Actor(
    sub="officer-1", org=Org.POLISEN, unit="pa-kronoberg", roles=(Role.CUSTODY_OFFICER,)
)
PLANNER = Actor(
    sub="planner-1",
    org=Org.KRIMINALVARDEN,
    unit="kv-nte-stockholm",
    roles=(Role.TRANSPORT_PLANNER, Role.ESCORT_OFFICER),
)
HAKTE = Actor(
    sub="reception-1",
    org=Org.KRIMINALVARDEN,
    unit="kv-hakte-kronoberg",
    roles=(Role.RECEPTION_OFFICER,),
)
LODGING = Actor(
    sub="reception-2",
    org=Org.KRIMINALVARDEN,
    unit="kv-hakte-sundsvall",
    roles=(Role.RECEPTION_OFFICER,),
)
GOTEBORG = Actor(
    sub="reception-3",
    org=Org.KRIMINALVARDEN,
    unit="kv-hakte-goteborg",
    roles=(Role.RECEPTION_OFFICER,),
)
COORDINATOR = Actor(
    sub="coordinator-1",
    org=Org.KRIMINALVARDEN,
    unit="kv-samordning-nationell",
    roles=(Role.COORDINATOR,),
)
KINDS = {
    OFFICER: UnitKind.POLICE_CUSTODY,
    PLANNER: UnitKind.TRANSPORT,
    HAKTE: UnitKind.REMAND_PRISON,
    LODGING: UnitKind.REMAND_PRISON,
    GOTEBORG: UnitKind.REMAND_PRISON,
    COORDINATOR: UnitKind.COORDINATION,
}


T = TypeVar("T")


def _decided(example: dict[str, Any], as_type: type[T], at: datetime, changes: dict[str, Any]) -> T:
    body = dict(example)
    body["decision"] = dict(body["decision"], decided_at=at.isoformat())
    body.update(changes)
    return msgspec.convert(body, as_type)


def transfer(decided_at: datetime, **changes: Any) -> TransferCreate:
    """The documented transfer, decided at `decided_at`, with top-level fields replaced."""
    return _decided(examples.TRANSFER_CREATE, TransferCreate, decided_at, changes)


def assistance(decided_at: datetime, **changes: Any) -> AssistanceCreate:
    """The documented enforcement assistance, decided at `decided_at`."""
    return _decided(examples.ASSISTANCE_CREATE, AssistanceCreate, decided_at, changes)


async def create(
    client: Client,
    task_queue: str,
    body: HandoverCreate,
    *,
    clocks: Clocks | None = None,
    destination_kind: UnitKind | None = UnitKind.REMAND_PRISON,
) -> tuple[WorkflowHandle[Any, Outcome], HandoverRecord]:
    handover_id = str(uuid.uuid4())
    start: WithStartWorkflowOperation[Any, Outcome] = WithStartWorkflowOperation(
        WORKFLOW_NAME,
        HandoverStart(handover_id=handover_id),
        id=workflow_id(handover_id),
        task_queue=task_queue,
        id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
        result_type=Outcome,
    )
    record: HandoverRecord = await client.execute_update_with_start_workflow(
        UPDATE_CREATE,
        CreateHandover(
            meta=CommandMeta(actor=OFFICER, request_id="test", actor_unit_kind=KINDS[OFFICER]),
            reference=f"HO-TEST-{handover_id[:6]}",
            fingerprint=handover_id,
            body=body,
            origin_org=Org.POLISEN,
            destination_kind=destination_kind,
            clocks=clocks or Clocks(),
        ),
        start_workflow_operation=start,
        result_type=HandoverRecord,
    )
    return await start.workflow_handle(), record


async def step(
    handle: WorkflowHandle[Any, Any],
    name: str,
    actor: Actor,
    body: msgspec.Struct,
    *,
    target: str | None = None,
) -> HandoverRecord:
    command: Command[msgspec.Struct] = Command(
        meta=CommandMeta(actor=actor, request_id="test", actor_unit_kind=KINDS[actor]),
        body=body,
        target=target,
    )
    record: HandoverRecord = await handle.execute_update(name, command, result_type=HandoverRecord)
    return record


async def schedule(handle: WorkflowHandle[Any, Any], pickup_at: datetime) -> HandoverRecord:
    """Accept, assess and schedule a new request: what a release needs."""
    await step(handle, "accept", PLANNER, actions.AcceptBody())
    await step(handle, UPDATE_ASSESS, OFFICER, msgspec.convert(examples.ASSESSMENT, AssessmentBody))
    pickup = examples.SCHEDULE | {"pickup_at": pickup_at.isoformat()}
    return await step(handle, "schedule", PLANNER, msgspec.convert(pickup, actions.ScheduleBody))


async def record_of(handle: WorkflowHandle[Any, Any]) -> HandoverRecord:
    """The request as its workflow holds it now (its first run's, which holds the record even
    after a closed request has moved on to its retention run)."""
    run = handle.first_execution_run_id or handle.run_id
    if run is not None:
        handle = handle._client.get_workflow_handle(handle.id, run_id=run)
    record: HandoverRecord | None = await handle.query(QUERY_RECORD, result_type=HandoverRecord)
    assert record is not None
    return record


def deadline(record: HandoverRecord, deadline_id: str) -> Deadline:
    return next(d for d in record.deadlines if d.id == deadline_id)


async def skip_to(env: WorkflowEnvironment, moment: datetime) -> None:
    """Let the time-skipping server's clock run to `moment` (if it is not there yet)."""
    now = await env.get_current_time()
    if moment > now:
        await env.sleep(moment - now)
