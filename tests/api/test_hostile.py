"""Hostile input against every endpoint, on the real servers (issue 7).

Two kinds of test, over the same values (tests/hostile_strategies.py):

- `test_named_*` send every listed value of the classes issue 7 names (controls, surrogates,
  invalid UTF-8, other digits, birth dates in the future, the ends of the calendar, int64
  overflow, nesting, odd headers, tokens, cursors, ids) to every field of every write body at
  any depth, every header, query parameter and path segment, on every run;
- `test_hostile_*` are property-based: each example draws a hostile value for every field (or a
  header, parameter or segment), from the lists and from hypothesis' own text, numbers and
  instants.

Each hostile call goes, one field at a time, to a request where the valid call would be taken,
and must hold:

- never a 5xx, and every refusal is an RFC 9457 problem (`application/problem+json` with a
  `type` and a `title`);
- a refused call leaves the request as it was (state, version, number of events);
- a value the service cannot hold (`Hostile.refuse`) is refused; a harmless one may be taken,
  and then the request must still be readable and take the next valid action;
- afterwards the request still takes the valid call (nothing is wedged), and the read model,
  the workflow and the event log agree (tests/api/invariants.py).

Bounded and derandomised by default; `HANDOVER_FUZZ_EXAMPLES` sets the number of examples per
property test and `HANDOVER_FUZZ_RANDOM=1` draws new ones each run (`make fuzz`). With
`HANDOVER_FUZZ_LOG=<file>` every call is appended to the file as a line of JSON (for triage).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import asyncpg
import httpx
import jwt
import pytest
from hypothesis import HealthCheck, Phase, given, note
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from temporalio.client import Client

from contracts.common import Org, Role, State
from services.handover.api import examples
from services.handover.settings import Settings
from tests.api.invariants import FINAL, PROBLEM_JSON, checked
from tests.flow import Flow, Parties, auth, body, fresh, now
from tests.hostile_strategies import (
    Hostile,
    authorization_values,
    content_type_values,
    encode,
    extra_fields,
    feed_cursor_values,
    feed_cursors,
    for_field,
    idempotency_key_values,
    if_match_values,
    if_matches,
    known_values,
    list_cursor_values,
    list_cursors,
    nodes,
    path_id_values,
    path_name_values,
    path_number_values,
    position_cursor_values,
    position_cursors,
    query_bool_values,
    query_bools,
    query_instant_values,
    query_instants,
    query_int_values,
    query_ints,
    query_text_values,
    query_texts,
    raw_bodies,
    replaced,
    request_id_values,
    where,
)

EXAMPLES = int(os.environ.get("HANDOVER_FUZZ_EXAMPLES", "3"))
RANDOM = os.environ.get("HANDOVER_FUZZ_RANDOM") == "1"
LOG = os.environ.get("HANDOVER_FUZZ_LOG")

fuzz = hypothesis_settings(
    max_examples=EXAMPLES,
    derandomize=not RANDOM,
    deadline=None,
    database=None,
    # Every example talks to real servers and reports every finding itself: no shrinking.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.function_scoped_fixture,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)

JSON = {"Content-Type": "application/json"}
SLOW = 5.0  # seconds: a call that takes longer ran into a timeout (a wedge, most likely)


@dataclass
class Target:
    """A request where an endpoint's valid call would be taken, and what that call needs."""

    id: str = ""
    due_at: str = ""  # extend: the current due time of the deadline
    escalation: str = ""  # acknowledge: an open escalation of the request
    incident: int = 0  # report: a serious incident of the request
    seen: tuple[str, int, int] | None = None  # state, version, number of events


@dataclass(frozen=True)
class Endpoint:
    """A write endpoint: who calls it, on what, with which valid body."""

    name: str
    actor: str  # an attribute of tests.flow.Parties
    prepare: Callable[[Cast], Awaitable[Target]]
    path: Callable[[Target], str]
    body: Callable[[Target], dict[str, Any]]
    status: int = 200


@dataclass
class Findings:
    """What went wrong in one example; all of it is reported at the end of the example."""

    test: str
    items: list[str] = field(default_factory=list)

    def add(
        self, where: str, hostile: Hostile | None, response: httpx.Response | None, what: str
    ) -> None:
        status = f" -> {response.status_code}" if response is not None else ""
        text = (
            f" {response.text[:300]!r}" if response is not None and not response.is_success else ""
        )
        line = f"{self.test} {where} {hostile!r}{status}: {what}{text}"
        with contextlib.suppress(InvalidArgument):  # outside @given there is nothing to note
            note(line)
        self.items.append(line)
        log(
            {
                "test": self.test,
                "where": where,
                "hostile": repr(hostile),
                "finding": what,
                "status": response.status_code if response is not None else None,
                "text": response.text[:300] if response is not None else "",
            }
        )

    def check(self) -> None:
        assert not self.items, "\n".join(self.items)


def log(entry: dict[str, Any]) -> None:
    if LOG:
        with open(LOG, "a", encoding="utf-8") as out:
            out.write(json.dumps(entry, ensure_ascii=False) + "\n")


def problem_faults(response: httpx.Response) -> list[str]:
    """What is wrong with a response to any input: a 5xx, or a refusal that is no problem."""
    faults = []
    if response.status_code >= 500:
        faults.append("5xx")
    if response.status_code >= 400:
        content_type = response.headers.get("content-type", "")
        if not content_type.startswith(PROBLEM_JSON):
            faults.append(f"refusal is {content_type or 'no content type'}, not problem+json")
        else:
            try:
                problem = response.json()
            except ValueError:
                problem = None
            if not isinstance(problem, dict) or not problem.get("type") or not problem.get("title"):
                faults.append("problem without type or title")
            elif problem.get("status") != response.status_code:
                faults.append(f"problem status {problem.get('status')} differs")
        if "Traceback" in response.text:
            faults.append("traceback in the response")
    return faults


class Cast:
    """The parties, the servers, and the checks every hostile call is followed by."""

    def __init__(
        self, api: httpx.AsyncClient, settings: Settings, temporal: Client, pool: asyncpg.Pool
    ) -> None:
        self.api = api
        self.settings = settings
        self.temporal = temporal
        self.pool = pool
        self.p = Parties(settings)
        self.auditor = auth(
            settings, org=Org.KRIMINALVARDEN, unit="kv-samordning-nationell", roles=[Role.AUDITOR]
        )

    def headers(self, actor: str) -> dict[str, str]:
        if actor == "auditor":
            return dict(self.auditor)
        headers: dict[str, str] = getattr(self.p, actor)
        return dict(headers)

    def sign(self, payload: bytes) -> str:
        """A token over a JSON payload as it is, signed as the service's own tokens are."""
        return jwt.api_jws.encode(
            payload, self.settings.jwt_secret, algorithm=self.settings.jwt_algorithm
        )

    async def call(self, method: str, url: str, **kwargs: Any) -> httpx.Response | str:
        """The response, or what kept it from coming (a wedged request times out)."""
        started = time.monotonic()
        try:
            return await self.api.request(method, url, **kwargs)
        except httpx.TransportError as exc:
            elapsed = time.monotonic() - started
            return f"no response ({type(exc).__name__} after {elapsed:.1f} s)"

    async def seen(self, handover_id: str) -> tuple[str, int, int] | str:
        """State, version and number of events, as the requesting unit reads them."""
        path = f"/v1/handovers/{handover_id}"
        got, events = await asyncio.gather(
            self.call("GET", path, headers=self.p.police),
            self.call("GET", f"{path}/events", headers=self.p.police),
        )
        if isinstance(got, str) or isinstance(events, str):
            return f"unreadable: {got if isinstance(got, str) else events}"
        if got.status_code != 200 or events.status_code != 200:
            return (
                f"unreadable: GET {got.status_code}, events {events.status_code} {got.text[:200]}"
            )
        record = got.json()
        return record["state"], record["version"], len(events.json())

    async def target(self, endpoint: Endpoint) -> Target:
        target = await endpoint.prepare(self)
        if target.id:
            seen = await self.seen(target.id)
            assert not isinstance(seen, str), seen
            target.seen = seen
        return target

    async def attempt(
        self,
        findings: Findings,
        endpoint: Endpoint,
        target: Target,
        where: str,
        hostile: Hostile,
        content: bytes,
        headers: dict[str, Any] | None = None,
        *,
        path: str | None = None,
    ) -> Target:
        """One hostile call and every check after it; the target to use next."""
        if headers is None:
            headers = self.headers(endpoint.actor) | JSON
        started = time.monotonic()
        response = await self.call(
            "POST", path or endpoint.path(target), content=content, headers=headers
        )
        elapsed = time.monotonic() - started
        log(
            {
                "test": findings.test,
                "where": where,
                "hostile": repr(hostile),
                "status": response if isinstance(response, str) else response.status_code,
                "seconds": round(elapsed, 2),
                "text": "" if isinstance(response, str) else response.text[:200],
            }
        )
        if isinstance(response, str):
            findings.add(where, hostile, None, response)
        else:
            for fault in problem_faults(response):
                findings.add(where, hostile, response, fault)
            if elapsed > SLOW:
                findings.add(where, hostile, response, f"took {elapsed:.1f} s")
            if response.is_success:
                if hostile.refuse:
                    findings.add(where, hostile, response, "took a value it must refuse")
                await self.still_usable(findings, endpoint, target, where, hostile, response)
                return await self.target(endpoint)
        if not target.id:  # a create: nothing to compare
            if isinstance(response, str) or response.status_code >= 500:
                await self.finish(findings, endpoint, target, where, hostile)
            return target
        after = await self.seen(target.id)
        if after != target.seen:
            findings.add(
                where, hostile, None, f"refused, but the request went {target.seen} -> {after}"
            )
        if after != target.seen or isinstance(response, str) or response.status_code >= 500:
            # Is it stuck? A valid call tells; then go on with a fresh request.
            await self.finish(findings, endpoint, target, where, hostile)
            return await self.target(endpoint)
        return target

    async def still_usable(
        self,
        findings: Findings,
        endpoint: Endpoint,
        target: Target,
        where: str,
        hostile: Hostile,
        response: httpx.Response,
    ) -> None:
        """After a hostile value was taken: the request reads well and takes a valid action."""
        handover_id = target.id or response.json().get("id", "")
        seen = await self.seen(handover_id)
        if isinstance(seen, str):
            findings.add(where, hostile, response, f"taken, then {seen}")
            return
        state, version, events = seen
        # Read-your-writes: what was answered is there (deadlines may have added events since).
        etag = response.headers.get("etag", "")
        answered = re.fullmatch(r'"([0-9]+)"', etag)
        if answered is None or version < int(answered[1]) or events != version:
            findings.add(
                where,
                hostile,
                response,
                f"taken with ETag {etag!r}, then read at version {version} with {events} events",
            )
        path = f"/v1/handovers/{handover_id}"
        if endpoint.status == 201 and not target.id:
            probe = await self.call(
                "POST", f"{path}/accept", json=examples.ACCEPT, headers=self.p.planner
            )
        elif state in FINAL:
            return
        else:
            probe = await self.call(
                "POST", f"{path}/incidents", json=body(examples.INCIDENT), headers=self.p.police
            )
        if isinstance(probe, str) or not probe.is_success:
            findings.add(
                where,
                hostile,
                None if isinstance(probe, str) else probe,
                f"taken, then the request refuses a valid action: {probe}",
            )
        await self.consistent(findings, handover_id, where, hostile)

    async def consistent(
        self, findings: Findings, handover_id: str, where: str, hostile: Hostile | None
    ) -> None:
        """Workflow, read model and event log agree (tests/api/invariants.py)."""
        try:
            await checked(self.api, self.temporal, self.pool, handover_id, self.p.police)
        except Exception as exc:  # an assertion, or the workflow not answering its query
            findings.add(where, hostile, None, f"invariants: {type(exc).__name__} {exc}"[:400])

    async def finish(
        self,
        findings: Findings,
        endpoint: Endpoint,
        target: Target,
        where: str = "valid call after the hostile ones",
        hostile: Hostile | None = None,
    ) -> None:
        """The valid call is still taken (nothing is wedged), and every invariant holds."""
        response = await self.call(
            "POST",
            endpoint.path(target),
            json=endpoint.body(target),
            headers=self.headers(endpoint.actor),
        )
        if isinstance(response, str) or response.status_code != endpoint.status:
            findings.add(
                where,
                hostile,
                None if isinstance(response, str) else response,
                f"afterwards a valid {endpoint.name} is not taken: {response}",
            )
            return
        handover_id = target.id or response.json()["id"]
        if not target.id:
            accepted = await self.call(
                "POST",
                f"/v1/handovers/{handover_id}/accept",
                json=examples.ACCEPT,
                headers=self.p.planner,
            )
            if isinstance(accepted, str) or accepted.status_code != 200:
                findings.add(
                    where,
                    hostile,
                    None if isinstance(accepted, str) else accepted,
                    f"afterwards a new request cannot be accepted: {accepted}",
                )
        await self.consistent(findings, handover_id, where, hostile)


# --- Where each endpoint's valid call is taken ---------------------------------------------------


async def nothing(cast: Cast) -> Target:
    return Target()


async def requested(cast: Cast) -> Target:
    return Target(id=(await Flow(cast.api, cast.p).create(fresh(examples.TRANSFER_CREATE))).id)


async def assessed(cast: Cast) -> Target:
    journey = await Flow(cast.api, cast.p).create(fresh(examples.TRANSFER_CREATE))
    return Target(id=(await journey.ready_to_schedule()).id)


async def scheduled(cast: Cast) -> Target:
    return Target(
        id=(
            await (await Flow(cast.api, cast.p).create(fresh(examples.TRANSFER_CREATE))).to(
                State.SCHEDULED
            )
        ).id
    )


async def released(cast: Cast) -> Target:
    journey = await Flow(cast.api, cast.p).create(fresh(examples.TRANSFER_CREATE))
    return Target(id=(await journey.released_to_transport()).id)


async def in_transit_outside(cast: Cast) -> Target:
    """Enforcement assistance to a place outside both agencies, on its way there."""
    journey = await Flow(cast.api, cast.p).create(fresh(examples.ASSISTANCE_CREATE))
    return Target(id=(await journey.to(State.IN_TRANSIT)).id)


async def with_incident(cast: Cast) -> Target:
    journey = await Flow(cast.api, cast.p).create(fresh(examples.TRANSFER_CREATE))
    await journey.post("incidents", body(examples.INCIDENT, occurred_at=now(-60)), cast.p.police)
    return Target(id=journey.id, incident=1)


async def with_deadline(cast: Cast) -> Target:
    journey = await Flow(cast.api, cast.p).create(fresh(examples.TRANSFER_CREATE))
    got = await cast.api.get(journey.path, headers=cast.p.police)
    remand = next(d for d in got.json()["deadlines"] if d["name"] == "remand_to_remand_prison")
    return Target(id=journey.id, due_at=remand["due_at"])


async def with_escalation(cast: Cast) -> Target:
    journey = await Flow(cast.api, cast.p).create(fresh(examples.TRANSFER_CREATE))
    await journey.post("defer", body(examples.DEFER), cast.p.planner)
    page = await cast.api.get(
        "/v1/escalations",
        params={"acknowledged": "false", "level": "deferral"},
        headers=cast.p.coordinator,
    )
    assert page.status_code == 200, page.text
    found = [e["id"] for e in page.json()["items"] if e["handover_id"] == journey.id]
    assert found, page.text
    return Target(id=journey.id, escalation=found[0])


async def accepted(cast: Cast) -> Target:
    journey = await Flow(cast.api, cast.p).create(fresh(examples.TRANSFER_CREATE))
    return Target(id=(await journey.to(State.ACCEPTED)).id)


async def lodging_planned(cast: Cast) -> Target:
    journey = await Flow(cast.api, cast.p).create(fresh(examples.TRANSFER_CREATE))
    await journey.to(State.ACCEPTED)
    await journey.post("journey", lodging(Target()), cast.p.planner)
    return Target(id=journey.id)


async def picked_up(cast: Cast) -> Target:
    journey = await Flow(cast.api, cast.p).create(fresh(examples.TRANSFER_CREATE))
    return Target(id=(await journey.to(State.IN_TRANSIT)).id)


def lodging(target: Target) -> dict[str, Any]:
    return {
        "change": "lodging",
        "unit": "kv-hakte-sundsvall",
        "arrive_at": now(3600),
        "depart_at": now(14 * 3600),
        "note": "Luleå–Stockholm in two days; night at Sundsvall.",
    }


def action(name: str) -> Callable[[Target], str]:
    return lambda t: f"/v1/handovers/{t.id}/{name}"


def extension(target: Target) -> dict[str, Any]:
    due = datetime.fromisoformat(target.due_at) + timedelta(days=1)
    return {
        "reason": "court_decision",
        "decision": "Stockholms tingsrätt B 12345-26, beslut 2026-11-28",
        "new_due_at": due.isoformat(),
        "text": "The court allowed the transfer to wait for the interpreter.",
    }


ENDPOINTS = {
    e.name: e
    for e in [
        Endpoint(
            "create transfer",
            "police",
            nothing,
            lambda t: "/v1/handovers",
            lambda t: fresh(examples.TRANSFER_CREATE),
            201,
        ),
        Endpoint(
            "create enforcement_assistance",
            "police",
            nothing,
            lambda t: "/v1/handovers",
            lambda t: fresh(examples.ASSISTANCE_CREATE),
            201,
        ),
        Endpoint("accept", "planner", requested, action("accept"), lambda t: dict(examples.ACCEPT)),
        Endpoint("defer", "planner", requested, action("defer"), lambda t: body(examples.DEFER)),
        Endpoint("reject", "planner", requested, action("reject"), lambda t: dict(examples.REJECT)),
        Endpoint("cancel", "police", requested, action("cancel"), lambda t: dict(examples.CANCEL)),
        Endpoint(
            "schedule", "planner", assessed, action("schedule"), lambda t: body(examples.SCHEDULE)
        ),
        Endpoint(
            "release", "police", scheduled, action("release"), lambda t: body(examples.RELEASE)
        ),
        Endpoint(
            "receive", "escort", released, action("receive"), lambda t: body(examples.RECEIVE)
        ),
        Endpoint(
            "complete",
            "escort",
            in_transit_outside,
            action("complete"),
            lambda t: body(examples.COMPLETE),
        ),
        Endpoint(
            "not-executed",
            "planner",
            scheduled,
            action("not-executed"),
            lambda t: body(examples.NOT_EXECUTED),
        ),
        Endpoint(
            "security-assessment",
            "police",
            requested,
            action("security-assessment"),
            lambda t: body(examples.ASSESSMENT),
            201,
        ),
        Endpoint(
            "incidents",
            "police",
            requested,
            action("incidents"),
            lambda t: body(examples.INCIDENT),
            201,
        ),
        Endpoint(
            "report",
            "police",
            with_incident,
            lambda t: f"/v1/handovers/{t.id}/incidents/{t.incident}/report",
            lambda t: {"reported_at": now(), "reference": "AV 2026/045123"},
        ),
        Endpoint(
            "extend",
            "police_supervisor",
            with_deadline,
            lambda t: f"/v1/handovers/{t.id}/deadlines/remand_to_remand_prison/extend",
            extension,
        ),
        Endpoint("journey lodging", "planner", accepted, action("journey"), lodging),
        Endpoint(
            "journey lodging answer",
            "lodging",
            lodging_planned,
            action("journey"),
            lambda t: {
                "change": "lodging_answer",
                "stop": 1,
                "accepted": False,
                "reason": "other",
                "text": "Fullt i natt; fråga Umeå.",
            },
        ),
        Endpoint(
            "journey redirect",
            "planner",
            picked_up,
            action("journey"),
            lambda t: {
                "change": "redirect",
                "to_unit": "kv-hakte-goteborg",
                "reason": "placement_decision",
                "text": "Placeringsenheten: Göteborg.",
            },
        ),
        Endpoint(
            "amendments",
            "police",
            requested,
            action("amendments"),
            lambda t: {
                "field": "decision",
                "case_number": "B 12354-26",
                "reason": "Mistyped; the court's decision says B 12354-26.",
            },
        ),
        Endpoint(
            "relatives",
            "police",
            requested,
            action("relatives"),
            lambda t: body(examples.RELATIVES, notified_at=now(-60)),
            201,
        ),
        Endpoint(
            "acknowledge",
            "coordinator",
            with_escalation,
            lambda t: f"/v1/escalations/{t.escalation}/acknowledge",
            lambda t: {"note": "Called NTE Stockholm; transport leaves 14:00."},
        ),
    ]
}
CHANGES = sorted(name for name in ENDPOINTS if not name.startswith("create"))


# --- Bodies --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(ENDPOINTS))
async def test_named_classes_in_every_field(
    name: str, api: httpx.AsyncClient, settings: Settings, temporal: Client, pool: asyncpg.Pool
) -> None:
    """Every class issue 7 names, in every field of the body at any depth, one at a time."""
    cast = Cast(api, settings, temporal, pool)
    endpoint = ENDPOINTS[name]
    findings = Findings(f"POST {name}")
    target = await cast.target(endpoint)
    for path, value in nodes(endpoint.body(target)):
        for hostile in known_values(path, value):
            content = encode(replaced(endpoint.body(target), path, hostile.value))
            target = await cast.attempt(findings, endpoint, target, where(path), hostile, content)
    await cast.finish(findings, endpoint, target)
    findings.check()


@fuzz
@given(data=st.data())
@pytest.mark.parametrize("name", sorted(ENDPOINTS))
async def test_hostile_body_fields(
    name: str,
    api: httpx.AsyncClient,
    settings: Settings,
    temporal: Client,
    pool: asyncpg.Pool,
    data: st.DataObject,
) -> None:
    """Every field of the body, at any depth, replaced by a drawn hostile value, one at a time."""
    cast = Cast(api, settings, temporal, pool)
    endpoint = ENDPOINTS[name]
    findings = Findings(f"POST {name}")
    target = await cast.target(endpoint)
    for path, value in nodes(endpoint.body(target)):
        hostile = data.draw(for_field(path, value), label=where(path))
        content = encode(replaced(endpoint.body(target), path, hostile.value))
        target = await cast.attempt(findings, endpoint, target, where(path), hostile, content)
    unknown = data.draw(extra_fields(), label="unknown field")
    content = encode(endpoint.body(target) | {unknown.value: "x"})
    target = await cast.attempt(findings, endpoint, target, "$ (unknown field)", unknown, content)
    await cast.finish(findings, endpoint, target)
    findings.check()


@pytest.mark.parametrize("name", sorted(ENDPOINTS))
async def test_malformed_bodies(
    name: str, api: httpx.AsyncClient, settings: Settings, temporal: Client, pool: asyncpg.Pool
) -> None:
    """Bodies that are no JSON object of the right shape: encodings, nesting, size, syntax."""
    cast = Cast(api, settings, temporal, pool)
    endpoint = ENDPOINTS[name]
    findings = Findings(f"POST {name}")
    target = await cast.target(endpoint)
    for hostile in raw_bodies(encode(endpoint.body(target))):
        target = await cast.attempt(findings, endpoint, target, "body", hostile, hostile.value)
    await cast.finish(findings, endpoint, target)
    findings.check()


# --- Headers -------------------------------------------------------------------------------------


HEADERS = ["Authorization", "Content-Type", "Idempotency-Key", "If-Match", "X-Request-Id"]


def header_values(cast: Cast, endpoint: Endpoint, target: Target, header: str) -> list[Hostile]:
    match header:
        case "Authorization":
            token = cast.headers(endpoint.actor)["Authorization"].removeprefix("Bearer ")
            return authorization_values(token, cast.sign)
        case "Content-Type":
            return content_type_values()
        case "Idempotency-Key":
            return idempotency_key_values(uuid.uuid4().hex)
        case "If-Match":
            return if_match_values(target.seen[1] if target.seen else 1)
    return request_id_values()


async def with_header(
    cast: Cast, findings: Findings, endpoint: Endpoint, target: Target, hostile: Hostile, name: str
) -> Target:
    """A valid call with one hostile header (None: without the header)."""
    headers: dict[str, Any] = cast.headers(endpoint.actor) | JSON
    if hostile.value is None:
        del headers[name]
    else:
        headers[name] = hostile.value
    content = encode(endpoint.body(target))
    return await cast.attempt(findings, endpoint, target, name, hostile, content, headers)


# Every header on an action; those a create takes also on a create.
HEADER_CASES = [(h, "accept") for h in HEADERS] + [
    (h, "create transfer") for h in HEADERS if h != "If-Match"
]


@pytest.mark.parametrize(("header", "name"), HEADER_CASES)
async def test_named_header_values(
    header: str,
    name: str,
    api: httpx.AsyncClient,
    settings: Settings,
    temporal: Client,
    pool: asyncpg.Pool,
) -> None:
    """Every listed hostile value of a header, each on an otherwise valid call."""
    cast = Cast(api, settings, temporal, pool)
    endpoint = ENDPOINTS[name]
    findings = Findings(f"POST {name} {header}")
    target = await cast.target(endpoint)
    count = len(header_values(cast, endpoint, target, header))
    for index in range(count):
        hostile = header_values(cast, endpoint, target, header)[index]  # for the current version
        target = await with_header(cast, findings, endpoint, target, hostile, header)
    await cast.finish(findings, endpoint, target)
    findings.check()


@fuzz
@given(data=st.data())
@pytest.mark.parametrize("header", HEADERS)
async def test_hostile_headers(
    header: str,
    api: httpx.AsyncClient,
    settings: Settings,
    temporal: Client,
    pool: asyncpg.Pool,
    data: st.DataObject,
) -> None:
    """A valid call with one drawn hostile header, on any write endpoint."""
    cast = Cast(api, settings, temporal, pool)
    names = CHANGES if header == "If-Match" else sorted(ENDPOINTS)  # no If-Match on a create
    endpoint = ENDPOINTS[data.draw(st.sampled_from(names), label="endpoint")]
    findings = Findings(f"POST {endpoint.name} {header}")
    target = await cast.target(endpoint)
    if header == "If-Match":
        strategy = if_matches(target.seen[1] if target.seen else 1)
    else:
        strategy = st.sampled_from(header_values(cast, endpoint, target, header))
    hostile = data.draw(strategy, label=header)
    target = await with_header(cast, findings, endpoint, target, hostile, header)
    await cast.finish(findings, endpoint, target)
    findings.check()


# --- Query parameters ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Param:
    """A query parameter: its listed hostile values, and a strategy for drawn ones."""

    values: Callable[[], list[Hostile]]
    strategy: Callable[[], st.SearchStrategy[Hostile]]


def closed(valid: str) -> Param:
    """An enumeration or a unit id: only the exact value is that value."""
    return Param(lambda: query_text_values(valid), lambda: query_texts(valid))


def unit_id(valid: str) -> Param:
    """A unit id: any well-formed one is a unit id (one that names no unit finds nothing)."""
    return Param(lambda: query_text_values(valid, name=True), lambda: query_texts(valid, name=True))


def free(valid: str) -> Param:
    """A free-text filter: only what no layer can hold must be refused."""
    return Param(lambda: query_text_values(valid, True), lambda: query_texts(valid, True))


LIMIT = Param(lambda: query_int_values(1, 200), lambda: query_ints(1, 200))
BOOL = Param(query_bool_values, query_bools)


SOME_ID = "0b6f8f0e-6f0c-4f57-9d43-7b7f0e0e7f00"


@dataclass(frozen=True)
class Read:
    path: str
    actor: str
    params: dict[str, Param]


READS = {
    "handovers": Read(
        "/v1/handovers",
        "police",
        {
            "state": closed("requested"),
            "kind": closed("transfer"),
            "unit": unit_id("pa-kronoberg"),
            "sort": closed("next_due"),
            "cursor": Param(lambda: list_cursor_values("created"), lambda: list_cursors("created")),
            "sort=next_due&cursor": Param(
                lambda: list_cursor_values("next_due"), lambda: list_cursors("next_due")
            ),
            "limit": LIMIT,
            "due_before": Param(query_instant_values, query_instants),
            "breached": BOOL,
            "stat": closed("requested"),  # no such parameter
        },
    ),
    "events": Read(
        "/v1/events", "hakte", {"after": Param(feed_cursor_values, feed_cursors), "limit": LIMIT}
    ),
    "escalations": Read(
        "/v1/escalations",
        "coordinator",
        {
            "unit": unit_id("kv-nte-stockholm"),
            "kind": closed("transfer"),
            "level": closed("deferral"),
            "acknowledged": BOOL,
            "cursor": Param(
                lambda: list_cursor_values("escalations"), lambda: list_cursors("escalations")
            ),
            "limit": LIMIT,
        },
    ),
    "audit": Read(
        "/v1/audit/access",
        "auditor",
        {
            "handover_id": Param(
                lambda: path_id_values(SOME_ID), lambda: st.sampled_from(path_id_values(SOME_ID))
            ),
            "sub": free("test-pa-kronoberg"),
            "unit": unit_id("pa-kronoberg"),
            "outside_own_cases": BOOL,
            "cursor": Param(position_cursor_values, position_cursors),
            "limit": LIMIT,
        },
    ),
    "units": Read(
        "/v1/units", "police", {"org": closed("polisen"), "kind": closed("police_custody")}
    ),
}


async def read_with(
    cast: Cast, findings: Findings, read: Read, param: str, hostile: Hostile
) -> None:
    response = await cast.call(
        "GET", f"{read.path}?{param}={hostile.value}", headers=cast.headers(read.actor)
    )
    if isinstance(response, str):
        findings.add(f"?{param}", hostile, None, response)
        return
    log(
        {
            "test": findings.test,
            "where": param,
            "hostile": repr(hostile),
            "status": response.status_code,
            "text": response.text[:200],
        }
    )
    for fault in problem_faults(response):
        findings.add(f"?{param}", hostile, response, fault)
    if response.is_success and hostile.refuse:
        findings.add(f"?{param}", hostile, response, "took a value it must refuse")


async def read_still_works(cast: Cast, findings: Findings, read: Read) -> None:
    valid = await cast.api.get(read.path, headers=cast.headers(read.actor))
    if valid.status_code != 200:
        findings.add("valid read afterwards", None, valid, "refused")


@pytest.mark.parametrize("name", sorted(READS))
async def test_named_query_values(
    name: str, api: httpx.AsyncClient, settings: Settings, temporal: Client, pool: asyncpg.Pool
) -> None:
    """Every listed hostile value of every query parameter of a read, one at a time."""
    cast = Cast(api, settings, temporal, pool)
    read = READS[name]
    findings = Findings(f"GET {read.path}")
    for param, spec in read.params.items():
        for hostile in spec.values():
            await read_with(cast, findings, read, param, hostile)
    await read_still_works(cast, findings, read)
    findings.check()


@fuzz
@given(data=st.data())
@pytest.mark.parametrize("name", sorted(READS))
async def test_hostile_query_parameters(
    name: str,
    api: httpx.AsyncClient,
    settings: Settings,
    temporal: Client,
    pool: asyncpg.Pool,
    data: st.DataObject,
) -> None:
    """Every query parameter of a read, one at a time, with a drawn hostile value."""
    cast = Cast(api, settings, temporal, pool)
    read = READS[name]
    findings = Findings(f"GET {read.path}")
    for param, spec in read.params.items():
        await read_with(cast, findings, read, param, data.draw(spec.strategy(), label=param))
    await read_still_works(cast, findings, read)
    findings.check()


# --- Path segments -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Segment:
    """A path with one hostile segment: the endpoint it belongs to and where the segment goes."""

    endpoint: Endpoint | None  # None: a read (GET) as the requesting unit
    prepare: Callable[[Cast], Awaitable[Target]]
    path: Callable[[Target, str], str]
    values: Callable[[Target], list[Hostile]]


SEGMENTS = {
    "GET handover id": Segment(
        None, requested, lambda t, s: f"/v1/handovers/{s}", lambda t: path_id_values(t.id)
    ),
    "GET events id": Segment(
        None,
        requested,
        lambda t, s: f"/v1/handovers/{s}/events",
        lambda t: path_id_values(t.id),
    ),
    "GET incident number": Segment(
        None,
        with_incident,
        lambda t, s: f"/v1/handovers/{t.id}/incidents/{s}",
        lambda t: path_number_values(),
    ),
    "POST accept id": Segment(
        ENDPOINTS["accept"],
        requested,
        lambda t, s: f"/v1/handovers/{s}/accept",
        lambda t: path_id_values(t.id),
    ),
    "POST report number": Segment(
        ENDPOINTS["report"],
        with_incident,
        lambda t, s: f"/v1/handovers/{t.id}/incidents/{s}/report",
        lambda t: path_number_values(),
    ),
    "POST extend deadline": Segment(
        ENDPOINTS["extend"],
        with_deadline,
        lambda t, s: f"/v1/handovers/{t.id}/deadlines/{s}/extend",
        lambda t: path_name_values("remand_to_remand_prison"),
    ),
    "POST acknowledge id": Segment(
        ENDPOINTS["acknowledge"],
        with_escalation,
        lambda t, s: f"/v1/escalations/{s}/acknowledge",
        lambda t: path_id_values(t.escalation),
    ),
}


async def with_segment(
    cast: Cast, findings: Findings, segment: Segment, target: Target, hostile: Hostile
) -> Target:
    path = segment.path(target, hostile.value)
    if segment.endpoint is None:
        response = await cast.call("GET", path, headers=cast.p.police)
        if isinstance(response, str):
            findings.add("path", hostile, None, response)
            return target
        log(
            {
                "test": findings.test,
                "where": path[:100],
                "hostile": repr(hostile),
                "status": response.status_code,
                "text": response.text[:200],
            }
        )
        for fault in problem_faults(response):
            findings.add("path", hostile, response, fault)
        if response.is_success and hostile.refuse:
            findings.add("path", hostile, response, "took a value it must refuse")
        return target
    endpoint = segment.endpoint
    content = encode(endpoint.body(target))
    return await cast.attempt(findings, endpoint, target, "path", hostile, content, path=path)


async def segment_target(cast: Cast, segment: Segment) -> Target:
    if segment.endpoint is not None:
        return await cast.target(segment.endpoint)
    return await segment.prepare(cast)


@pytest.mark.parametrize("name", sorted(SEGMENTS))
async def test_named_path_values(
    name: str, api: httpx.AsyncClient, settings: Settings, temporal: Client, pool: asyncpg.Pool
) -> None:
    """Ids, numbers and names in paths that are not what they look like (every listed one)."""
    cast = Cast(api, settings, temporal, pool)
    segment = SEGMENTS[name]
    findings = Findings(name)
    target = await segment_target(cast, segment)
    for index in range(len(segment.values(target))):
        hostile = segment.values(target)[index]  # for the current target
        target = await with_segment(cast, findings, segment, target, hostile)
    if segment.endpoint is not None:
        await cast.finish(findings, segment.endpoint, target)
    findings.check()


@fuzz
@given(data=st.data())
@pytest.mark.parametrize("name", sorted(SEGMENTS))
async def test_hostile_path_segments(
    name: str,
    api: httpx.AsyncClient,
    settings: Settings,
    temporal: Client,
    pool: asyncpg.Pool,
    data: st.DataObject,
) -> None:
    """A drawn hostile id, number or name in a path."""
    cast = Cast(api, settings, temporal, pool)
    segment = SEGMENTS[name]
    findings = Findings(name)
    target = await segment_target(cast, segment)
    hostile = data.draw(st.sampled_from(segment.values(target)), label="segment")
    target = await with_segment(cast, findings, segment, target, hostile)
    if segment.endpoint is not None:
        await cast.finish(findings, segment.endpoint, target)
    findings.check()
