"""contracts/openapi.json is generated from the code; it and its examples must stay true."""

from __future__ import annotations

import json
from typing import Any

import msgspec

from contracts import actions, unit_incidents
from contracts.amendments import Amendment, CorrectionBody
from contracts.api import HandoverCreate
from contracts.assessment import AssessmentBody, IncidentBody
from contracts.capacity import CapacityBody
from contracts.journey import JourneyChange
from contracts.relatives import RelativesBody
from contracts.webhooks import SubscriptionCreate
from services.handover.cli import OPENAPI_PATH, openapi_document
from services.handover.settings import load_settings

# Request bodies (by operationId) and the type their examples must decode into.
BODY_TYPES: dict[str, Any] = {
    "createHandover": HandoverCreate,
    "acceptHandover": actions.AcceptBody,
    "deferHandover": actions.DeferBody,
    "rejectHandover": actions.RejectBody,
    "scheduleHandover": actions.ScheduleBody,
    "releaseHandover": actions.ReleaseBody,
    "receiveHandover": actions.ReceiveBody,
    "cancelHandover": actions.CancelBody,
    "completeHandover": actions.CompleteBody,
    "notExecutedHandover": actions.NotExecutedBody,
    "amendSecurityAssessment": AssessmentBody,
    "recordIncident": IncidentBody,
    "extendDeadline": actions.ExtendBody,
    "reportIncident": actions.ReportBody,
    "acknowledgeEscalation": actions.AcknowledgeBody,
    "createSubscription": SubscriptionCreate,
    "recordUnitIncident": unit_incidents.UnitIncidentBody,
    "investigateUnitIncident": unit_incidents.InvestigationBody,
    "closeUnitIncident": unit_incidents.CloseBody,
    "reportUnitIncident": unit_incidents.IncidentReportBody,
    "placedHandover": actions.PlacedBody,
    "recordRelatives": RelativesBody,
    "putUnitCapacity": CapacityBody,
    "amendHandover": Amendment,
    "correctEvent": CorrectionBody,
    "changeJourney": JourneyChange,
}


def _document() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(OPENAPI_PATH.read_text())
    return document


def test_committed_document_matches_the_code() -> None:
    assert OPENAPI_PATH.read_text() == openapi_document(load_settings({})), (
        "contracts/openapi.json is stale: run `make openapi` and commit it"
    )


def test_every_request_body_has_a_valid_example() -> None:
    bodies = {
        op["operationId"]: op["requestBody"]
        for item in _document()["paths"].values()
        for op in item.values()
        if "requestBody" in op
    }
    assert set(bodies) == set(BODY_TYPES)
    for operation, body in bodies.items():
        schema = body["content"]["application/json"]["schema"]
        examples = schema.get("examples", [])
        assert examples, f"{operation}: no example"
        for example in examples:
            msgspec.convert(example, BODY_TYPES[operation], strict=True)
