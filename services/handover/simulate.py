"""`handover simulate`: Kriminalvården's side of the work, played against a running service.

It reads the event feed as a transport unit and, for every request Kriminalvården executes
(at the units it plays), does what Kriminalvården would do next, through the Python client:

- a new request is accepted, or sometimes deferred with a reason and accepted later;
- an accepted request is scheduled once its security assessment is complete (the police
  record the assessment; the simulator does nothing for the police);
- a release to the transport unit is received by an escort officer, who after the journey
  releases the person at the destination (or completes the delivery outside both agencies),
  and the remand prison's or prison's reception officer confirms the reception.

Each step reads the request as the party about to act and takes the step only when it is in
that party's `allowed_actions`, with `If-Match` on the version it read: a request someone
else moved in between is simply read again.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import shlex
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx
import msgspec

from contracts.actions import (
    AcceptBody,
    CompleteBody,
    DeferBody,
    DeferralReason,
    ReceiveBody,
    ReleaseBody,
    ScheduleBody,
)
from contracts.api import Handover
from contracts.common import FINAL_STATES, Org, Role, State
from contracts.lifecycle import Action
from services.handover.client import (
    ConflictError,
    HandoverClient,
    MemoryCursor,
    PreconditionFailedError,
    ProblemError,
    RetryPolicy,
    TokenSource,
)

TokenFactory = Callable[[str, Role], TokenSource]
"""The token of a member of `unit` with `role`: how the simulator signs in as each party."""

DEFER_TEXTS = {
    DeferralReason.NO_CAPACITY: "No place before the next intake round.",
    DeferralReason.NO_TRANSPORT_AVAILABLE: "Every vehicle is out; the next one is free soon.",
}


def dev_tokens(secret: str, *, hours: float = 8.0) -> TokenFactory:
    """Development tokens signed HS256 with `secret`, made anew as they near expiry."""
    import jwt

    def factory(unit: str, role: Role) -> TokenSource:
        cache: list[tuple[float, str]] = []

        def token() -> str:
            now = time.time()
            if not cache or cache[0][0] - now < 300:
                claims = {
                    "sub": f"simulator-{unit}-{role}",
                    "org": Org.KRIMINALVARDEN.value,
                    "unit": unit,
                    "roles": [role.value],
                    "iat": int(now),
                    "exp": int(now + hours * 3600),
                }
                cache[:] = [(now + hours * 3600, jwt.encode(claims, secret, algorithm="HS256"))]
            return cache[0][1]

        return token

    return factory


def command_tokens(template: str, *, refresh_seconds: float = 1800.0) -> TokenFactory:
    """Tokens printed by a command; `{unit}` and `{role}` in `template` are filled in.

    E.g. `handover token --org kriminalvarden --unit {unit} --role {role}`. The command runs
    without a shell, again after `refresh_seconds`.
    """

    def factory(unit: str, role: Role) -> TokenSource:
        argv = [
            part.replace("{unit}", unit).replace("{role}", role.value)
            for part in shlex.split(template)
        ]
        cache: list[tuple[float, str]] = []

        async def token() -> str:
            now = time.monotonic()
            if not cache or now - cache[0][0] > refresh_seconds:
                process = await asyncio.create_subprocess_exec(
                    *argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE
                )
                out, err = await process.communicate()
                if process.returncode != 0 or not out.strip():
                    raise RuntimeError(
                        f"token command for {unit}/{role} failed: {err.decode(errors='replace')}"
                    )
                cache[:] = [(now, out.decode().strip())]
            return cache[0][1]

        return token

    return factory


@dataclass(kw_only=True)
class SimulationConfig:
    base_url: str
    tokens: TokenFactory
    seed: int | None = None
    duration: float | None = None
    """Seconds to run; None runs until stopped."""
    transport_unit: str = "kv-nte-stockholm"
    units: frozenset[str] | None = None
    """The executing units played (and the prisons that receive); None: all of Kriminalvården."""
    defer_probability: float = 0.3
    pace: float = 3.0
    """Seconds a deferral, a pick-up and a journey take (each drawn between 1x and 2x)."""
    poll_interval: float = 1.0
    from_start: bool = False
    """Read the feed from its beginning (also older open requests); else from now."""
    after: str | None = None
    """Read the feed after this cursor (e.g. one printed by an earlier run)."""


@dataclass
class Summary:
    """What the simulator did: each step as `(reference, action)`, in order."""

    steps: list[tuple[str, str]] = field(default_factory=list)
    errors: int = 0
    cursor: str | None = None
    """The feed position reached: `--after` for a run that resumes here."""

    @property
    def counts(self) -> Counter[str]:
        return Counter(action for _, action in self.steps)


class Simulator:
    def __init__(
        self,
        config: SimulationConfig,
        *,
        http: httpx.AsyncClient | None = None,
        say: Callable[[str], None] | None = None,
    ) -> None:
        self.config = config
        self.rng = random.Random(config.seed)  # noqa: S311 - a demo's dice, not a secret
        self._http = http or httpx.AsyncClient(timeout=30.0)
        self._owns_http = http is None
        self._clients: dict[tuple[str, Role], HandoverClient] = {}
        self._due: dict[str, float] = {}  # request id -> when to look at it again
        self._not_before: dict[str, float] = {}  # the next step waits for a timer
        self._deferred: set[str] = set()
        self._defer_first: dict[str, bool] = {}
        self._stop = asyncio.Event()
        self.started = asyncio.Event()
        """Set once the feed position is known: what is written from then on is played."""
        self._say = say or (lambda line: print(line, file=sys.stderr, flush=True))
        self.summary = Summary()

    def client(self, unit: str, role: Role) -> HandoverClient:
        key = (unit, role)
        if key not in self._clients:
            self._clients[key] = HandoverClient(
                self.config.base_url,
                self.config.tokens(unit, role),
                http=self._http,
                retry=RetryPolicy(attempts=4, cap=10.0),
                purpose="case_handling",
            )
        return self._clients[key]

    @property
    def planner(self) -> HandoverClient:
        return self.client(self.config.transport_unit, Role.TRANSPORT_PLANNER)

    @property
    def escort(self) -> HandoverClient:
        return self.client(self.config.transport_unit, Role.ESCORT_OFFICER)

    def stop(self) -> None:
        self._stop.set()

    async def run(self) -> Summary:
        """Play until `duration` has passed or `stop()` is called; what was done."""
        loop = asyncio.get_running_loop()
        end = None if self.config.duration is None else loop.time() + self.config.duration
        after = self.config.after
        if after is None and not self.config.from_start:
            after = await self.planner.feed_head()
        self.started.set()
        self._say(f"simulate: Kriminalvården at {self.config.base_url}, feed after {after}")
        feed = asyncio.create_task(self._read_feed(after))
        try:
            while not self._stop.is_set() and (end is None or loop.time() < end):
                if feed.done():
                    feed.result()  # the feed failed for good (e.g. a token refused): stop
                now = loop.time()
                for handover_id in [h for h, at in self._due.items() if at <= now]:
                    self._due.pop(handover_id, None)
                    await self._step(handover_id)
                wait = min(self._due.values(), default=now + 0.2) - loop.time()
                wait = max(0.02, min(wait, 0.2))
                if end is not None:
                    wait = min(wait, max(0.0, end - loop.time()))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), timeout=wait)
        finally:
            feed.cancel()
            await asyncio.gather(feed, return_exceptions=True)
            if self._owns_http:
                await self._http.aclose()
        done = ", ".join(f"{n} {a}" for a, n in sorted(self.summary.counts.items()))
        self._say(f"simulate: done, {done or 'nothing'}; resume with --after {self.summary.cursor}")
        return self.summary

    async def _read_feed(self, after: str | None) -> None:
        loop = asyncio.get_running_loop()
        position = MemoryCursor(after)
        self.summary.cursor = after
        feed = self.planner.feed(after, cursor=position, poll_interval=self.config.poll_interval)
        async for event in feed:
            self._due.setdefault(event.handover_id, loop.time())
            self.summary.cursor = position.cursor

    def _later(self, handover_id: str, seconds: float) -> None:
        loop = asyncio.get_running_loop()
        self._due[handover_id] = loop.time() + seconds

    def _pace(self) -> float:
        return self.config.pace * (1 + self.rng.random())

    def _defers(self, handover_id: str) -> bool:
        """Whether to defer this new request first: drawn once per request, then kept."""
        if handover_id not in self._defer_first:
            draw = self.rng.random() < self.config.defer_probability
            self._defer_first[handover_id] = draw
        return self._defer_first[handover_id] and handover_id not in self._deferred

    def _plays(self, unit: str | None) -> bool:
        units = self.config.units
        return unit is not None and (units is None or unit in units)

    async def _step(self, handover_id: str) -> None:
        try:
            await self._advance(handover_id)
        except (ConflictError, PreconditionFailedError):
            self._later(handover_id, 0.2)  # someone moved it in between: read it again
        except ProblemError as exc:
            self.summary.errors += 1
            self._say(f"simulate: {handover_id}: {exc}")
        except Exception as exc:  # noqa: BLE001 - one request's trouble must not stop the play
            self.summary.errors += 1
            self._say(f"simulate: {handover_id}: {type(exc).__name__}: {exc}")
            self._later(handover_id, max(1.0, self.config.pace))

    async def _advance(self, handover_id: str) -> None:
        seen = await self.planner.get(handover_id)
        if seen.executing_org != Org.KRIMINALVARDEN or not self._plays(seen.executor):
            return
        if seen.state in FINAL_STATES:
            return
        loop = asyncio.get_running_loop()
        waiting = self._not_before.get(handover_id, 0.0) - loop.time()
        if waiting > 0:
            self._later(handover_id, waiting)
            return
        match seen.state:
            case State.REQUESTED if self._defers(handover_id):
                reason = self.rng.choice(list(DEFER_TEXTS))
                delay = self._pace()
                expected = datetime.now(UTC) + timedelta(seconds=delay)
                body = DeferBody(reason=reason, text=DEFER_TEXTS[reason], expected_at=expected)
                if await self._act(self.planner, seen, Action.DEFER, body) is not None:
                    self._deferred.add(handover_id)
                    self._not_before[handover_id] = loop.time() + delay
                    self._later(handover_id, delay)
            case State.REQUESTED | State.DEFERRED:
                note = AcceptBody(note="Accepted by the simulator.")
                await self._act(self.planner, seen, Action.ACCEPT, note)
                self._later(handover_id, 0)
            case State.ACCEPTED if seen.assessment is not None and seen.assessment.complete:
                pickup = datetime.now(UTC) + timedelta(seconds=self._pace())
                plan = ScheduleBody(
                    pickup_at=pickup,
                    transport_unit=self.config.transport_unit,
                    note="Planned by the simulator.",
                )
                await self._act(self.planner, seen, Action.SCHEDULE, plan)
                self._later(handover_id, 0)
            case State.SCHEDULED | State.IN_TRANSIT:
                await self._hand_over(seen)

    async def _hand_over(self, seen: Handover) -> None:
        """Receive what was released to us; release at the destination after the journey."""
        loop = asyncio.get_running_loop()
        pending = seen.pending_release
        transport = self.config.transport_unit
        now = datetime.now(UTC)
        if pending is not None:
            if pending.to_unit == transport:
                receiver = self.escort
            elif self._plays(pending.to_unit):
                receiver = self.client(pending.to_unit, Role.RECEPTION_OFFICER)
            else:
                return  # released to a unit we do not play: its reception is theirs
            body = ReceiveBody(
                occurred_at=now, identity_confirmed=True, remarks="Identity checked."
            )
            done = await self._act(receiver, seen, Action.RECEIVE, body)
            if done is not None and done.state not in FINAL_STATES:
                self._not_before[seen.id] = loop.time() + self._pace()  # the journey
                self._later(seen.id, 0)
            return
        holder = seen.responsible.unit if seen.responsible else None
        if holder is None and seen.assistance is not None:
            # Nobody in either agency holds the person: the transport picks them up.
            origin = seen.assistance.origin
            body = ReceiveBody(
                occurred_at=now,
                identity_confirmed=True,
                received_from=origin.description if origin.unit is None else None,
            )
            if await self._act(self.escort, seen, Action.RECEIVE, body) is not None:
                self._not_before[seen.id] = loop.time() + self._pace()
                self._later(seen.id, 0)
            return
        if holder != transport:
            return  # the police hold the person: their release comes through the feed
        goal = self._goal(seen)
        if goal:
            release = ReleaseBody(
                to_unit=goal[0], occurred_at=now, identity_checked=True, remarks="Arrived."
            )
            await self._act(self.escort, seen, Action.RELEASE, release)
            self._later(seen.id, 0)
        elif seen.assistance is not None and seen.assistance.destination.description:
            delivery = CompleteBody(
                occurred_at=now, delivered_to=seen.assistance.destination.description
            )
            await self._act(self.escort, seen, Action.COMPLETE, delivery)

    @staticmethod
    def _goal(seen: Handover) -> tuple[str, ...]:
        if seen.to_unit:
            return (seen.to_unit,)
        if seen.assistance is not None and seen.assistance.destination.unit:
            return (seen.assistance.destination.unit,)
        return ()

    async def _act(
        self, actor: HandoverClient, seen: Handover, action: Action, body: msgspec.Struct
    ) -> Handover | None:
        """Take `action` as `actor` if its own view allows it now, on the version it read."""
        mine = await actor.get(seen.id)
        if action not in mine.allowed_actions:
            return None
        after = await actor.act(seen.id, action, body, if_match=True)
        self.summary.steps.append((after.reference, str(action)))
        self._say(f"simulate: {after.reference} {action} -> {after.state}")
        return after


def add_arguments(parser: argparse.ArgumentParser, *, settings_hint: str) -> None:
    """The options of `handover simulate`."""
    parser.add_argument(
        "--base-url", default=None, help=f"the running service (default: {settings_hint})"
    )
    sign_in = parser.add_mutually_exclusive_group()
    sign_in.add_argument(
        "--jwt-secret",
        default=None,
        help="sign development tokens with this secret (default: HANDOVER_JWT_SECRET)",
    )
    sign_in.add_argument(
        "--token-command",
        default=None,
        help="a command printing a token, with {unit} and {role} filled in, e.g. "
        "'handover token --org kriminalvarden --unit {unit} --role {role}'",
    )
    parser.add_argument("--seed", type=int, default=None, help="seed of the dice (defer or not)")
    parser.add_argument(
        "--duration", type=float, default=None, help="seconds to run (default: until Ctrl-C)"
    )
    parser.add_argument("--transport-unit", default="kv-nte-stockholm")
    parser.add_argument(
        "--unit",
        action="append",
        default=None,
        help="an executing or receiving unit to play (repeat; default: all of Kriminalvården)",
    )
    parser.add_argument("--defer-probability", type=float, default=0.3)
    parser.add_argument(
        "--pace", type=float, default=3.0, help="seconds a deferral, pick-up or journey takes"
    )
    parser.add_argument("--poll-interval", type=float, default=1.0)
    start = parser.add_mutually_exclusive_group()
    start.add_argument(
        "--from-start", action="store_true", help="also move requests older than this run"
    )
    start.add_argument("--after", default=None, help="read the feed after this cursor")


def config_from_args(
    args: argparse.Namespace, *, base_url: str, jwt_secret: str
) -> SimulationConfig:
    tokens = (
        command_tokens(args.token_command)
        if args.token_command
        else dev_tokens(args.jwt_secret or jwt_secret)
    )
    return SimulationConfig(
        base_url=args.base_url or base_url,
        tokens=tokens,
        seed=args.seed,
        duration=args.duration,
        transport_unit=args.transport_unit,
        units=frozenset(args.unit) if args.unit else None,
        defer_probability=args.defer_probability,
        pace=args.pace,
        poll_interval=args.poll_interval,
        from_start=args.from_start,
        after=args.after,
    )


async def simulate(config: SimulationConfig) -> Summary:
    """Run the simulator; Ctrl-C (a cancellation) stops it like the end of `duration`."""
    simulator = Simulator(config)
    return await simulator.run()
