"""Stateful contract test: schemathesis walks the contract's OpenAPI links from a created
request through its lifecycle (accept, defer, assess, schedule, release, receive, incidents,
events, export...) in generated orders, against the API and worker as separate processes.

Each step is sent as the party who may take it *now*: the request's current holder
releases, the unit a release names receives, Kriminalvården's planner answers and
schedules, the police assess and cancel. The generated bodies are kept, but what the schema
cannot say is put right first: the create body is a valid request (the stateless test fuzzes
creation), times are "now", the units a step names are the ones the request involves.
Every response is checked with every check (but positive_data_acceptance, see
test_schemathesis.py), and after every sequence the request's event log must verify.

Bounded and derandomised in `make test`; `make fuzz` runs it longer and random.
"""

from __future__ import annotations

import json
import re
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.schemas import BaseSchema

from contracts.common import Org, Role
from contracts.eventlog import verify_served
from services.handover.cli import OPENAPI_PATH
from services.handover.settings import Settings
from tests.contract.test_schemathesis import EXAMPLES, EXCLUDED_CHECKS, RANDOM
from tests.flow import Parties, auth, fresh

TRANSPORT, REMAND_PRISON, CUSTODY = "kv-nte-stockholm", "kv-hakte-kronoberg", "pa-kronoberg"
STEPS = 10 if not RANDOM else 40


@pytest.fixture(scope="session")
def stateful_schema(api_process: str) -> BaseSchema:
    document = json.loads(OPENAPI_PATH.read_text())
    config = schemathesis.Config.from_dict(
        {
            "base-url": api_process,
            "generation": {"mode": "positive"},
        }
    )
    schema = schemathesis.openapi.from_dict(document, config=config)
    # The lifecycle: creation and what the links lead to from a request. Lists, the feed and
    # the audit log are fuzzed by test_schemathesis.py; as roots here they would only dilute
    # the walk.
    return schema.include(path_regex=r"^/v1/handovers").exclude(method="GET", path="/v1/handovers")


def _now(seconds: float = 0) -> str:
    return (datetime.now(UTC) + timedelta(seconds=seconds)).isoformat()


class Parties2:
    """Tokens by role and by unit, for the party who may take a step on a request now."""

    def __init__(self, settings: Settings) -> None:
        p = Parties(settings)
        self.police, self.planner, self.coordinator = p.police, p.planner, p.coordinator
        self.auditor = auth(
            settings, org=Org.KRIMINALVARDEN, unit="kv-samordning-nationell", roles=[Role.AUDITOR]
        )
        self.by_unit = {CUSTODY: p.police, TRANSPORT: p.escort, REMAND_PRISON: p.hakte}


def _holder_and_receiver(record: dict[str, Any]) -> tuple[str | None, str | None]:
    holder = (record.get("responsible") or {}).get("unit")
    steps = record.get("handovers") or []
    pending = steps[-1]["release"] if steps and steps[-1]["reception"] is None else None
    return holder, (pending or {}).get("to_unit")


def machine_for(schema: BaseSchema, parties: Parties2, api_process: str) -> Any:
    base = schema.as_state_machine()
    reader = httpx.Client(base_url=api_process, timeout=30)
    seen: set[str] = set()
    succeeded: Counter[str] = Counter()

    class Lifecycle(base):  # type: ignore[misc, valid-type]
        def _record(self, handover_id: str) -> dict[str, Any]:
            found = reader.get(f"/v1/handovers/{handover_id}", headers=parties.police)
            return found.json() if found.status_code == 200 else {}

        def before_call(self, case: Any) -> None:
            op = case.operation.definition.raw.get("operationId", "")
            handover_id = str((case.path_parameters or {}).get("handover_id", ""))
            record = self._record(handover_id) if handover_id else {}
            holder, receiver = _holder_and_receiver(record)
            headers = {
                "acceptHandover": parties.planner,
                "deferHandover": parties.planner,
                "rejectHandover": parties.planner,
                "scheduleHandover": parties.planner,
                "notExecutedHandover": parties.planner,
                "extendDeadline": parties.coordinator,
                "listEscalations": parties.coordinator,
                "acknowledgeEscalation": parties.coordinator,
                "listAccess": parties.auditor,
                "releaseHandover": parties.by_unit.get(holder or "", parties.police),
                "completeHandover": parties.by_unit.get(holder or "", parties.police),
                "receiveHandover": parties.by_unit.get(receiver or "", parties.planner),
            }.get(op, parties.police)
            case.headers = {**(case.headers or {}), **headers}
            key = case.headers.get("Idempotency-Key")
            if isinstance(key, str):
                case.headers["Idempotency-Key"] = f"{key[:100]}-{uuid.uuid4().hex}"
            body = case.body if isinstance(case.body, dict) else None
            if op == "createHandover":
                case.body = fresh()
            elif body is not None:
                for name in ("occurred_at", "reported_at", "pickup_at"):
                    if name in body:
                        body[name] = _now(-1)
                if "expected_at" in body:
                    body["expected_at"] = _now(3600)
                if op == "scheduleHandover":
                    body["transport_unit"] = TRANSPORT
                if op == "releaseHandover":
                    schedule = record.get("schedule") or {}
                    body["to_unit"] = (
                        schedule.get("transport_unit", TRANSPORT)
                        if holder == CUSTODY
                        else record.get("to_unit") or REMAND_PRISON
                    )
            if handover_id:
                seen.add(handover_id)

        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            if response.status_code < 300:
                succeeded[case.operation.definition.raw.get("operationId", "")] += 1
            excluded = list(EXCLUDED_CHECKS)
            if re.search(r"/(incidents|security-assessment)$", case.operation.path):
                excluded.append(schemathesis.checks.allow_header_conformance)  # see there
            case.validate_response(response, excluded_checks=excluded, transport_kwargs=kwargs)

        def teardown(self) -> None:
            for handover_id in sorted(seen):
                log = reader.get(f"/v1/handovers/{handover_id}/events", headers=parties.police)
                if log.status_code == 200:
                    assert verify_served(log.json()) is None, handover_id
            seen.clear()
            super().teardown()

    Lifecycle.succeeded = succeeded
    return Lifecycle


def test_lifecycle_sequences_keep_the_contract(
    stateful_schema: BaseSchema, settings: Settings, api_process: str
) -> None:
    machine = machine_for(stateful_schema, Parties2(settings), api_process)
    machine.run(settings=settings_for_run())
    # The walk went past creation and reads: requests were answered and moved on.
    walked = machine.succeeded
    assert walked["createHandover"] > 0, walked
    answered = walked["acceptHandover"] + walked["deferHandover"] + walked["rejectHandover"]
    assert answered > 0, walked
    assert walked["listHandoverEvents"] + walked["exportHandover"] > 0, walked


def settings_for_run() -> settings:
    return settings(
        max_examples=5 if not RANDOM else EXAMPLES,
        stateful_step_count=STEPS,
        derandomize=not RANDOM,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
