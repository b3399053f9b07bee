"""Small helpers shared by the API tests."""

from __future__ import annotations

import copy
from typing import Any

from contracts.common import Org, Role
from services.handover.api.examples import TRANSFER_CREATE
from services.handover.auth import issue_token
from services.handover.settings import Settings


def auth(settings: Settings, *, org: Org, unit: str, roles: list[Role]) -> dict[str, str]:
    token = issue_token(settings, sub=f"test-{unit}", org=org, unit=unit, roles=roles)
    return {"Authorization": f"Bearer {token}"}


def custody(settings: Settings, unit: str = "pa-kronoberg") -> dict[str, str]:
    return auth(settings, org=Org.POLISEN, unit=unit, roles=[Role.CUSTODY_OFFICER])


def transfer(**changes: Any) -> dict[str, Any]:
    """The documented example body with top-level fields replaced."""
    body = copy.deepcopy(TRANSFER_CREATE)
    body.update(changes)
    return body
