"""Who may see a request is one rule: `handover_visible` (infra/migrations/
20261201000400_visibility.sql), called by every list, the feed, the escalations and the check of
a single request. No SQL file writes the rule out again; the function stays inlined (so the
indexes serve the lists) and parallel safe; and on real requests it agrees, for callers of every
kind, with the lifecycle policy's parties and the coordinators' regions in the unit directory.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from contracts.api import HandoverRecord
from contracts.common import Actor, Org, Role, State
from contracts.lifecycle import parties
from services.handover.app import create_pool
from services.handover.postgres import SQL_DIR, decode_json, statement
from services.handover.read_use_cases import PARTY_ROLES, HandoverQueries
from services.handover.repository import Repository
from services.handover.settings import Settings
from tests.flow import Flow, Parties, apprehension, auth, fresh

MIGRATIONS = Path(__file__).parents[1] / "infra" / "migrations"
CALL = re.compile(r"\bhandover_visible\s*\(")
# What only the rule's arguments are for, and the rule's own comparisons, written out again.
REPEATS = {
    "a scope parameter outside the call": re.compile(
        r":(visible_units|scope_org|scope_region|executing_org)\b"
    ),
    "the parties overlap": re.compile(r"\bparties\s*&&|&&\s*\w*\.?parties\b"),
    "a test of orgs or regions": re.compile(
        r"ANY\s*\(\s*(\w+\.)?(orgs|regions)\s*\)|\b(orgs|regions)\s*(@>|&&)|(<@|&&)\s*(\w+\.)?(orgs|regions)\b"
    ),
    "the executing organisation": re.compile(r"\bexecuting_org\s*="),
}
# The queries that decide what a caller sees.
CALLERS = ("list_handovers", "list_handovers_by_due", "event_feed", "list_escalations", "can_see")


def _without_comments(sql: str) -> str:
    return re.sub(r"--[^\n]*", "", sql)


def _without_calls(sql: str) -> str:
    """The SQL with every `handover_visible(...)` call (balanced parentheses) cut out."""
    out, at = [], 0
    for match in CALL.finditer(sql):
        if match.start() < at:
            continue
        out.append(sql[at : match.start()])
        depth, i = 1, match.end()
        while depth and i < len(sql):
            depth += {"(": 1, ")": -1}.get(sql[i], 0)
            i += 1
        at = i
    return "".join(out) + sql[at:]


def _without_stored_scope(sql: str) -> str:
    """An INSERT that stores a caller's scope (a webhook subscription keeps the scope of its
    creator, for the delivery's `handover_visible` call) passes the arguments; it decides
    nothing. Its VALUES list is cut, so a WHERE elsewhere in it is still checked."""
    return re.sub(r"\bVALUES\s*\((?:[^()]|\([^()]*\))*\)", "VALUES ()", sql, flags=re.I)


@pytest.mark.parametrize("path", sorted(SQL_DIR.glob("*.sql")), ids=lambda p: p.name)
def test_no_query_writes_the_rule_out_again(path: Path) -> None:
    rest = _without_stored_scope(_without_calls(_without_comments(path.read_text())))
    found = [what for what, pattern in REPEATS.items() if pattern.search(rest)]
    assert not found, f"{path.name} repeats the visibility rule ({found}): call handover_visible"


def test_the_queries_that_decide_visibility_call_the_function() -> None:
    for name in CALLERS:
        assert CALL.search(_without_comments((SQL_DIR / f"{name}.sql").read_text())), name


def test_the_function_is_defined_once() -> None:
    defining = [
        p.name
        for p in MIGRATIONS.glob("*.sql")
        if re.search(r"CREATE\s+(OR\s+REPLACE\s+)?FUNCTION\s+handover_visible\b", p.read_text())
    ]
    assert defining == ["20261201000400_visibility.sql"]


@pytest.fixture
async def repo(settings: Settings) -> AsyncIterator[Repository]:
    pool = await create_pool(settings, init=decode_json)
    yield Repository(pool, timeout=10)
    await pool.close()


@pytest.mark.parametrize(
    "name", ["list_handovers", "list_handovers_by_due", "event_feed", "can_see"]
)
async def test_the_function_is_inlined_and_parallel_safe(pool: asyncpg.Pool, name: str) -> None:
    """Planned as the plain OR (so the GIN and btree indexes serve it), custom plan or generic
    (asyncpg's prepared statements get generic ones), and never a call that would rule parallel
    plans out."""
    query = statement(name)
    arguments = ", ".join("NULL" for _ in query.parameters)
    async with pool.acquire() as conn:
        function = await conn.fetchrow(
            "SELECT provolatile::text, proparallel::text FROM pg_proc"
            " WHERE proname = 'handover_visible'"
        )
        assert function is not None
        assert (function["provolatile"], function["proparallel"]) == ("i", "s")
        await conn.execute(f"PREPARE visibility_rule AS {query.text}")
        try:
            for mode in ("force_custom_plan", "force_generic_plan"):
                await conn.execute(f"SET plan_cache_mode = {mode}")
                rows = await conn.fetch(f"EXPLAIN (VERBOSE) EXECUTE visibility_rule({arguments})")
                plan = "\n".join(row[0] for row in rows)
                assert "handover_visible" not in plan, (mode, plan)
                if mode == "force_generic_plan":
                    assert "parties &&" in plan, plan
        finally:
            await conn.execute("DEALLOCATE visibility_rule")
            await conn.execute("RESET plan_cache_mode")


def _actor(org: Org, unit: str, *roles: Role) -> Actor:
    return Actor(sub=f"visibility-rule-{unit}", org=org, unit=unit, roles=roles)


ACTORS = [
    _actor(Org.POLISEN, "pa-kronoberg", Role.CUSTODY_OFFICER),
    _actor(Org.POLISEN, "pa-malmo", Role.CUSTODY_OFFICER),
    _actor(Org.KRIMINALVARDEN, "kv-nte-stockholm", Role.TRANSPORT_PLANNER),
    _actor(Org.KRIMINALVARDEN, "kv-nte-lulea", Role.ESCORT_OFFICER),
    _actor(Org.KRIMINALVARDEN, "kv-hakte-kronoberg", Role.RECEPTION_OFFICER),
    _actor(Org.KRIMINALVARDEN, "kv-anstalt-kumla", Role.RECEPTION_OFFICER),
    _actor(Org.KRIMINALVARDEN, "kv-samordning-stockholm", Role.COORDINATOR),
    _actor(Org.KRIMINALVARDEN, "kv-samordning-mitt", Role.COORDINATOR),
    _actor(Org.KRIMINALVARDEN, "kv-samordning-syd", Role.COORDINATOR),
    _actor(Org.KRIMINALVARDEN, "kv-samordning-nationell", Role.COORDINATOR),
    _actor(Org.POLISEN, "pol-samordning-stockholm", Role.COORDINATOR),
    _actor(Org.POLISEN, "pol-samordning-syd", Role.COORDINATOR),
    _actor(Org.POLISEN, "pol-ledningscentral-nationell", Role.COORDINATOR),
    _actor(Org.KRIMINALVARDEN, "kv-samordning-syd", Role.AUDITOR),
    _actor(Org.POLISEN, "pa-kronoberg", Role.AUDITOR),
]


async def _by_the_policy(repo: Repository, actor: Actor, record: HandoverRecord) -> bool:
    """The rule as the domain states it: a party by the lifecycle policy (or a unit named in
    the request); coordinators also their agency's region, national units their whole agency;
    auditors nothing."""
    own = await repo.caller_unit(actor)
    if not actor.has_any(Role.COORDINATOR, *PARTY_ROLES):
        return False
    if actor.unit in record.parties() or parties(record.situation(), actor, own.kind):
        return True
    if not actor.has_any(Role.COORDINATOR):
        return False
    national = await repo.is_national(unit=own.id)
    involved = (await repo.get_units(ids=record.parties())).values()
    return any(u.org == actor.org and (national or u.region == own.region) for u in involved)


async def test_sql_and_the_policy_agree_on_real_requests(
    api: httpx.AsyncClient, settings: Settings, repo: Repository
) -> None:
    p = Parties(settings)
    kumla = auth(
        settings, org=Org.KRIMINALVARDEN, unit="kv-anstalt-kumla", roles=[Role.RECEPTION_OFFICER]
    )
    flows = [
        await Flow(api, p).create(),  # Kronoberg police to the remand prison: both agencies
        await Flow(api, p).create(fresh(apprehension()), headers=kumla),  # police execute
        await Flow(api, p).to(State.SCHEDULED),  # a transport unit is now a party
    ]
    queries = HandoverQueries(repo)
    records = [await repo.get_handover(handover_id=f.id) for f in flows]
    seen = 0
    for actor in ACTORS:
        unit = await repo.caller_unit(actor)
        scope = await queries._scope(actor)
        listed = {
            row.id
            for row in await repo.list_handovers(
                visible_units=scope.visible_units,
                executing_org=scope.executing_org,
                scope_org=scope.org,
                scope_region=scope.region,
                state=None,
                kind=None,
                unit="pa-kronoberg",  # a party to all three
                after=None,
                limit=500,
            )
        }
        for record in records:
            expected = await _by_the_policy(repo, actor, record)
            checked = await queries.visible(actor, unit, record)
            assert checked is expected, (actor.unit, actor.roles, record.kind, record.state)
            assert (record.id in listed) is expected, (actor.unit, actor.roles, record.kind)
            seen += expected
    # Both answers occur: the comparison is not vacuous.
    assert 0 < seen < len(ACTORS) * len(records)
