"""Where the contract documents an operation: the `see` of a 409's `blocked_actions`.

A link is a JSON pointer into the served contract (`/schema/openapi.json`) naming one
operation, the form OpenAPI's own `operationRef` takes. Pure: the API's error mapping and the
documentation both use it.
"""

from __future__ import annotations

from contracts.lifecycle import Action
from contracts.refusals import Refusal

CONTRACT = "/schema/openapi.json"
HANDOVER = "/v1/handovers/{handover_id}"
ASSESSMENT = f"{HANDOVER}/security-assessment"

# The operation that lifts a refusal, when another operation does: where to read on.
REMEDY: dict[Refusal, tuple[str, str]] = {
    Refusal.SECURITY_ASSESSMENT_INCOMPLETE: (ASSESSMENT, "post"),
    Refusal.RELEASE_PENDING: (f"{HANDOVER}/{Action.RECEIVE}", "post"),
    Refusal.DESTINATION_MUST_RECEIVE: (f"{HANDOVER}/{Action.RELEASE}", "post"),
}


def action_path(action: Action) -> str:
    return f"{HANDOVER}/{action}"


def operation_ref(path: str, method: str) -> str:
    """`/schema/openapi.json#/paths/~1v1~1handovers~1{handover_id}~1schedule/post`."""
    pointer = path.replace("~", "~0").replace("/", "~1")
    return f"{CONTRACT}#/paths/{pointer}/{method}"


def see(action: Action, reason: Refusal) -> str:
    """The operation to read about a blocked action: the one that lifts the refusal when
    another operation does (e.g. recording the security assessment), else the action's own,
    whose description lists its states and preconditions."""
    path, method = REMEDY.get(reason, (action_path(action), "post"))
    return operation_ref(path, method)
