"""`handover demo`: a realistic day played against a running service, so the board comes alive.

Through the typed client, as each party would:

- police custody units create transfer requests of remanded people to remand prisons and
  record a complete security assessment for each;
- Kriminalvården answers through the simulator (`handover simulate`): accepts, sometimes
  defers first with a reason, schedules, receives as transport and at the remand prison;
- two of the routes are long (Luleå to Stockholm, Solna to Umeå): the simulator plans a
  night's lodging at Häktet Sundsvall on the way, whose reception accepts it, takes the person
  for the night and hands them back for the next leg; now and then a transfer is redirected
  after pickup to another remand prison of the region (no place left at the first);
- the police release each scheduled person to the transport unit when it comes;
- one request's remand decision is three days old, so `remand_to_remand_prison` (24:00 the
  following day) is already past: it breaches at once, turns red and raises an escalation;
- a serious incident during one transport (the same-day reporting clock, an escalation), and
  an incident in a police cell, a work injury to an officer, with its investigation opened.

Everything is development data: made-up people with valid test identity numbers, HS256
development tokens. `make run` prints how to start it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import jwt
import msgspec

from contracts.actions import ReleaseBody
from contracts.api import Handover, TransferCreate
from contracts.assessment import AssessmentBody, IncidentBody, IncidentKind, Severity
from contracts.common import FINAL_STATES, Org, Role, State
from contracts.lifecycle import Action
from contracts.unit_incidents import InvestigationBody, Measure, Setting, UnitIncidentBody
from services.handover.client import HandoverClient, ProblemError, RetryPolicy, TokenSource
from services.handover.simulate import WAYPOINT_UNITS, SimulationConfig, Simulator

# (police custody unit, remand prison) pairs, each with an end in the Stockholm region (so its
# regional coordinator sees all); two are long, to and from the north, and stay a night on the
# way (the simulator plans the lodging).
ROUTES = (
    ("pa-kronoberg", "kv-hakte-kronoberg"),
    ("pa-lulea", "kv-hakte-kronoberg"),
    ("pa-solna", "kv-hakte-sollentuna"),
    ("pa-flemingsberg", "kv-hakte-huddinge"),
    ("pa-solna", "kv-hakte-umea"),
)
LONG_HAUL = frozenset({ROUTES[1], ROUTES[4]})
# The court that remanded the person, by remand prison (a Stockholm court by default).
COURTS = {"kv-hakte-umea": "Umeå tingsrätt"}
TRANSPORT = "kv-nte-stockholm"
GIVEN = ("Adam", "Bashir", "Cecilia", "David", "Elin", "Farah", "Gustav", "Hanna")
FAMILY = ("Andersson", "Berg", "Carlsson", "Dahl", "Ek", "Falk", "Gran", "Holm")
Say = Callable[[str], None]


def personnummer(rng: random.Random) -> str:
    """A valid (Luhn, date) made-up personnummer of an adult, `YYYYMMDD-NNNC`."""
    born = date(1960, 1, 1) + timedelta(days=rng.randrange(0, 365 * 40))
    serial = f"{rng.randrange(100, 990):03d}"
    digits = born.strftime("%y%m%d") + serial
    total = 0
    for index, char in enumerate(digits):
        value = int(char) * (2 if index % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    check = (10 - total % 10) % 10
    return f"{born:%Y%m%d}-{serial}{check}"


def dev_token(secret: str, org: Org, unit: str, role: Role, hours: float = 8.0) -> TokenSource:
    claims_sub = f"demo-{unit}-{role}"
    cache: list[tuple[float, str]] = []

    def token() -> str:
        now = time.time()
        if not cache or cache[0][0] - now < 300:
            claims = {
                "sub": claims_sub,
                "org": org.value,
                "unit": unit,
                "roles": [role.value],
                "iat": int(now),
                "exp": int(now + hours * 3600),
            }
            cache[:] = [(now + hours * 3600, jwt.encode(claims, secret, algorithm="HS256"))]
        return cache[0][1]

    return token


@dataclass(kw_only=True)
class DemoConfig:
    base_url: str
    jwt_secret: str
    requests: int = 6
    duration: float = 90.0
    """Seconds the day lasts (Kriminalvården keeps answering until then)."""
    pace: float = 2.0
    seed: int | None = None
    defer_probability: float = 0.35
    redirect_probability: float = 0.15


@dataclass
class DemoResult:
    created: list[str] = field(default_factory=list)
    police_unit: dict[str, str] = field(default_factory=dict)
    breached: str | None = None
    incident_request: str | None = None
    unit_incident: str | None = None
    released: set[str] = field(default_factory=set)
    long_haul: list[str] = field(default_factory=list)
    """Requests on a long route: a night's lodging on the way."""
    kriminalvarden_steps: int = 0
    lodgings: int = 0
    redirects: int = 0


def _transfer(rng: random.Random, route: tuple[str, str], decided: datetime) -> TransferCreate:
    police, prison = route
    body = {
        "kind": "transfer",
        "person": {
            "identity": {"type": "personnummer", "number": personnummer(rng)},
            "given_name": rng.choice(GIVEN),
            "family_name": rng.choice(FAMILY),
        },
        "from_unit": police,
        "to_unit": prison,
        "decision": {
            "kind": "remand_decision",
            "authority": COURTS.get(prison, "Stockholms tingsrätt"),
            "case_number": f"B {rng.randrange(1000, 99999)}-26",
            "decided_at": decided.isoformat(),
        },
        "restrictions": {"applies": rng.random() < 0.5, "kinds": ["visits"]},
        "relatives_notified": False,
    }
    return msgspec.convert(body, TransferCreate)


ASSESSMENT = AssessmentBody(flags=(), complete=True)


class Demo:
    def __init__(self, config: DemoConfig, *, say: Say | None = None) -> None:
        self.config = config
        self.rng = random.Random(config.seed)  # noqa: S311 - a demo's dice
        self._say = say or (lambda line: print(line, file=sys.stderr, flush=True))
        self._clients: dict[tuple[str, Role], HandoverClient] = {}
        self.result = DemoResult()

    def client(self, org: Org, unit: str, role: Role) -> HandoverClient:
        key = (unit, role)
        if key not in self._clients:
            self._clients[key] = HandoverClient(
                self.config.base_url,
                dev_token(self.config.jwt_secret, org, unit, role),
                retry=RetryPolicy(attempts=4, cap=5.0),
                purpose="case_handling",
            )
        return self._clients[key]

    def police(self, unit: str) -> HandoverClient:
        return self.client(Org.POLISEN, unit, Role.CUSTODY_OFFICER)

    async def run(self) -> DemoResult:
        config = self.config
        simulator = Simulator(
            SimulationConfig(
                base_url=config.base_url,
                tokens=lambda unit, role: dev_token(
                    config.jwt_secret, Org.KRIMINALVARDEN, unit, role
                ),
                seed=config.seed,
                duration=config.duration,
                transport_unit=TRANSPORT,
                units=frozenset(prison for _, prison in ROUTES) | WAYPOINT_UNITS | {TRANSPORT},
                defer_probability=config.defer_probability,
                redirect_probability=config.redirect_probability,
                pace=config.pace,
                poll_interval=0.5,
            ),
            say=self._say,
        )
        kriminalvarden = asyncio.create_task(simulator.run())
        try:
            await asyncio.wait_for(simulator.started.wait(), timeout=30)
            await self._morning()
            loop = asyncio.get_running_loop()
            end = loop.time() + config.duration
            while loop.time() < end and not kriminalvarden.done():
                await self._release_scheduled()
                if len(self.result.released) == len(self.result.created) and (
                    await self._all_arrived()
                ):
                    break  # everyone has arrived (the long journeys too): the day is done
                await asyncio.sleep(min(1.0, config.pace))
        finally:
            simulator.stop()
            summary = await kriminalvarden
            self.result.kriminalvarden_steps = len(summary.steps)
            self.result.lodgings = summary.lodgings
            self.result.redirects = summary.redirects
            for http_client in self._clients.values():
                await http_client.aclose()
        self._say(
            f"demo: {len(self.result.created)} requests, {len(self.result.released)} released "
            f"by the police, {self.result.kriminalvarden_steps} steps by Kriminalvården "
            f"({self.result.lodgings} overnight lodgings, {self.result.redirects} redirects); "
            "see the board."
        )
        return self.result

    async def _morning(self) -> None:
        """Requests (one of them already breached), their assessments, two incidents."""
        now = datetime.now(UTC)
        for number in range(self.config.requests):
            route = ROUTES[number % len(ROUTES)]
            late = number == 0
            # A remand decision three days old: its clock (24:00 the next day) is past.
            decided = now - (timedelta(days=3) if late else timedelta(minutes=30 + 7 * number))
            police = self.police(route[0])
            created = await police.create(
                _transfer(self.rng, route, decided), idempotency_key=f"demo-{time.time_ns()}"
            )
            self.result.created.append(created.id)
            self.result.police_unit[created.id] = route[0]
            if route in LONG_HAUL:
                self.result.long_haul.append(created.id)
            if late:
                self.result.breached = created.id
            self._say(f"demo: {route[0]} requested {created.reference} to {route[1]}")
            await police.assess(created.id, ASSESSMENT)
        # A serious incident on one request, before the transport: the same-day report clock.
        target = self.result.created[-1]
        await self.police(self.result.police_unit[target]).record_incident(
            target,
            IncidentBody(
                kind=IncidentKind.SELF_HARM,
                severity=Severity.SERIOUS,
                occurred_at=datetime.now(UTC) - timedelta(minutes=5),
                place="Arrest, cell 4",
                description="The person hit his head against the wall.",
                actions_taken="Nurse called; checked every 15 minutes since.",
            ),
        )
        self.result.incident_request = target
        self._say("demo: a serious incident recorded on one request")
        # A work injury in a cell, outside any request, with its investigation opened.
        unit = ROUTES[0][0]
        supervisor = self.client(Org.POLISEN, unit, Role.CUSTODY_SUPERVISOR)
        incident = await supervisor.record_unit_incident(
            UnitIncidentBody(
                kind=IncidentKind.WORK_INJURY,
                severity=Severity.SERIOUS,
                setting=Setting.CELL,
                occurred_at=datetime.now(UTC) - timedelta(minutes=20),
                place="Arrest, cell 12",
                description="An officer was bitten on the hand while escorting a detainee.",
                actions_taken="First aid; the officer went to the emergency ward.",
                staff_injured=True,
            )
        )
        await supervisor.follow_up(
            incident.id,
            InvestigationBody(
                responsible="Kommissarie Demo Berg",
                measures=(Measure(description="Review the escort routine for the cells."),),
            ),
        )
        self.result.unit_incident = incident.id
        self._say(f"demo: a work injury in {unit}, investigation opened")

    async def _all_arrived(self) -> bool:
        """Whether every request has reached its end (as its police custody unit sees it)."""
        for handover_id in self.result.created:
            police = self.police(self.result.police_unit[handover_id])
            try:
                seen = await police.get(handover_id)
            except ProblemError:
                return False
            if seen.state not in FINAL_STATES:
                return False
        return True

    async def _release_scheduled(self) -> None:
        """The police hand each scheduled person to the transport when it comes."""
        for handover_id in self.result.created:
            if handover_id in self.result.released:
                continue
            unit = self.result.police_unit[handover_id]
            police = self.police(unit)
            try:
                seen: Handover = await police.get(handover_id)
            except ProblemError:
                continue
            if seen.state != State.SCHEDULED:
                continue
            if Action.RELEASE not in seen.allowed_actions or seen.pending_release is not None:
                continue
            body = ReleaseBody(
                to_unit=TRANSPORT,
                occurred_at=datetime.now(UTC),
                identity_checked=True,
                remarks="Handed over at the sally port.",
            )
            with contextlib.suppress(ProblemError):
                await police.release(handover_id, body)
                self.result.released.add(handover_id)
                self._say(f"demo: {unit} released {seen.reference} to {TRANSPORT}")


def add_arguments(parser: argparse.ArgumentParser, *, settings_hint: str) -> None:
    parser.add_argument(
        "--base-url", default=None, help=f"the running service (default: {settings_hint})"
    )
    parser.add_argument("--jwt-secret", default=None, help="default: HANDOVER_JWT_SECRET")
    parser.add_argument("--requests", type=int, default=6, help="requests the police create")
    parser.add_argument("--duration", type=float, default=90.0, help="seconds the day lasts")
    parser.add_argument("--pace", type=float, default=2.0, help="seconds each step takes")
    parser.add_argument("--seed", type=int, default=None)


def config_from_args(args: argparse.Namespace, *, base_url: str, jwt_secret: str) -> DemoConfig:
    return DemoConfig(
        base_url=args.base_url or base_url,
        jwt_secret=args.jwt_secret or jwt_secret,
        requests=max(2, args.requests),
        duration=args.duration,
        pace=args.pace,
        seed=args.seed,
    )


async def demo(config: DemoConfig) -> DemoResult:
    return await Demo(config).run()
