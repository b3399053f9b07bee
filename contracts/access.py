"""Who may hold which role: the organisations and unit kinds behind each role, written once.

A token's role must fit the unit it names; what each role may then see and do per route is
the lifecycle policy (contracts/lifecycle.py) and the visibility rule, summarised in the
README's authorization matrix.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from contracts.common import Org, Role, UnitKind

ANY_ORG = frozenset(Org)
ANY_KIND = frozenset(UnitKind)


@dataclass(frozen=True)
class Holders:
    """The organisations and unit kinds whose staff (or systems) may hold a role."""

    orgs: frozenset[Org]
    kinds: frozenset[UnitKind]


HOLDERS: dict[Role, Holders] = {
    Role.CUSTODY_OFFICER: Holders(frozenset({Org.POLISEN}), frozenset({UnitKind.POLICE_CUSTODY})),
    Role.CUSTODY_SUPERVISOR: Holders(
        frozenset({Org.POLISEN}), frozenset({UnitKind.POLICE_CUSTODY})
    ),
    Role.TRANSPORT_PLANNER: Holders(
        frozenset({Org.KRIMINALVARDEN}),
        frozenset({UnitKind.TRANSPORT, UnitKind.REMAND_PRISON, UnitKind.PRISON}),
    ),
    Role.RECEPTION_OFFICER: Holders(
        frozenset({Org.KRIMINALVARDEN}), frozenset({UnitKind.REMAND_PRISON, UnitKind.PRISON})
    ),
    Role.ESCORT_OFFICER: Holders(frozenset({Org.KRIMINALVARDEN}), frozenset({UnitKind.TRANSPORT})),
    Role.COORDINATOR: Holders(ANY_ORG, frozenset({UnitKind.COORDINATION})),
    Role.AUDITOR: Holders(ANY_ORG, frozenset({UnitKind.COORDINATION})),
    # An integrated system acts for the unit it names, whatever its kind.
    Role.SYSTEM: Holders(ANY_ORG, ANY_KIND),
}


class Purpose(enum.StrEnum):
    """Why personal data is read (`X-Purpose`); a read outside one's own cases needs one."""

    CASE_HANDLING = "case_handling"
    COORDINATION = "coordination"
    FOLLOW_UP = "follow_up"
    INCIDENT_INVESTIGATION = "incident_investigation"
    SUPERVISION = "supervision"
    """An audit, a data-protection review or a JO inspection."""


def misfit(role: Role, org: Org, kind: UnitKind) -> str | None:
    """Why a role does not fit a unit of this organisation and kind, or None when it does."""
    holders = HOLDERS[role]
    if org not in holders.orgs:
        return f"the role {role} is not held in {org}"
    if kind not in holders.kinds:
        allowed = " or ".join(sorted(holders.kinds))
        return f"the role {role} is held at a {allowed} unit, not at a {kind} unit"
    return None
