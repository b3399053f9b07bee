"""`handover simulate`: Kriminalvården's side of the work, played against a running service.

It reads the event feed as a transport unit and, for every request Kriminalvården executes
(at the units it plays), does what Kriminalvården would do next, through the Python client:

- a new request is accepted, or sometimes deferred with a reason and accepted later;
- an accepted request is scheduled once its security assessment is complete (the police
  record the assessment; the simulator does nothing for the police);
- a release to the transport unit is received by an escort officer, who after the journey
  releases the person at the destination (or completes the delivery outside both agencies),
  and the remand prison's or prison's reception officer confirms the reception;
- a long transfer (between region Nord and a region further south) gets a night's lodging
  at the remand prison of `WAYPOINTS` nearest halfway, planned once it is scheduled; that
  remand prison's reception accepts, receives the person from the escort and hands them back
  for the next leg;
- now and then (`redirect_probability`) a transfer is redirected after pickup to another
  remand prison of the destination's region, whose reception then completes it.

Each step reads the request as the party about to act and takes the step only when it is in
that party's `allowed_actions` (journey changes, which it does not list, when the journey
calls for them), with `If-Match` on the version it read: a request someone else moved in
between is simply read again.
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
from contracts.api import Handover, Unit
from contracts.common import FINAL_STATES, Kind, Org, Role, State, UnitKind
from contracts.journey import (
    AnswerLodging,
    JourneyChange,
    PlanLodging,
    Redirect,
    RedirectReason,
    Stop,
    StopKind,
    StopStatus,
)
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

# Rough latitude of each region (both agencies' names): enough to tell a day's journey from
# one that needs a night on the way.
REGION_LATITUDE = {
    "Nord": 64.5,
    "Mitt": 60.0,
    "Bergslagen": 59.6,
    "Stockholm": 59.3,
    "Öst": 58.2,
    "Väst": 57.8,
    "Syd": 56.0,
}
LONG_JOURNEY = 4.5
"""Degrees of latitude between the ends (some 500 km) from which a transfer stays a night."""
# Remand prisons along the road north to south where a long transport stays the night.
WAYPOINTS = (
    ("kv-hakte-umea", 63.8),
    ("kv-hakte-sundsvall", 62.4),
    ("kv-hakte-gavle", 60.7),
    ("kv-hakte-orebro", 59.3),
    ("kv-hakte-jonkoping", 57.8),
)
WAYPOINT_UNITS = frozenset(unit for unit, _ in WAYPOINTS)
# Remand prisons reached by ferry or plane: no transport on the road is turned towards them.
ISLANDS = frozenset({"kv-hakte-visby"})


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
    lodgings: bool = True
    """Long transfers plan a night's lodging at a remand prison on the way (`WAYPOINTS`)."""
    redirect_probability: float = 0.1
    """How often a transfer is redirected after pickup to another remand prison."""
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

    @property
    def lodgings(self) -> int:
        """Nights' lodgings planned on the way."""
        return self.counts["lodging"]

    @property
    def redirects(self) -> int:
        return self.counts["redirect"]


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
        self._units: dict[str, Unit] = {}  # the reference data: regions and kinds
        self._lodging_tried: set[str] = set()
        self._redirect_first: dict[str, bool] = {}
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
        if self.config.lodgings or self.config.redirect_probability > 0:
            self._units = {unit.id: unit for unit in await self.planner.units()}
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
        stop = self._unanswered(seen)
        if stop is not None and stop.unit is not None:
            # The lodging's reception takes the person for the night.
            reception = self.client(stop.unit, Role.RECEPTION_OFFICER)
            await self._change(reception, seen, AnswerLodging(stop=stop.number, accepted=True))
            self._later(handover_id, 0)
            return
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
            case State.SCHEDULED | State.IN_TRANSIT if self._plans_lodging(seen):
                await self._plan_lodging(seen)
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
            if holder is not None and self._lodged_at(seen, holder) and self._plays(holder):
                # The morning after: the lodging hands the person back for the next leg.
                release = ReleaseBody(
                    to_unit=transport,
                    occurred_at=now,
                    identity_checked=True,
                    remarks="Collected for the next leg.",
                )
                await self._act(
                    self.client(holder, Role.RECEPTION_OFFICER), seen, Action.RELEASE, release
                )
                self._later(seen.id, 0)
            return  # the police hold the person: their release comes through the feed
        stop = self._next_stop(seen)
        if stop is not None and stop.status == StopStatus.PLANNED:
            return  # the lodging has not answered yet: its answer comes through the feed
        if stop is None and self._redirects(seen):
            if await self._redirect(seen):
                self._not_before[seen.id] = loop.time() + self._pace()  # the detour
            self._later(seen.id, 0)
            return
        goal = (stop.unit,) if stop is not None and stop.unit else self._goal(seen)
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

    # -- journeys ----------------------------------------------------------------------------

    def _latitude(self, unit: str | None) -> float | None:
        found = self._units.get(unit) if unit else None
        return REGION_LATITUDE.get(found.region) if found else None

    def _lodging_for(self, seen: Handover) -> str | None:
        """The remand prison closest to halfway of a long transfer that we play, or None."""
        start, end = self._latitude(seen.from_unit), self._latitude(seen.to_unit)
        if start is None or end is None:
            return None
        north, south = max(start, end), min(start, end)
        if north - south < LONG_JOURNEY:
            return None
        halfway = (north + south) / 2
        on_the_way = [
            (abs(latitude - halfway), unit)
            for unit, latitude in WAYPOINTS
            if south < latitude < north
            and unit not in (seen.from_unit, seen.to_unit)
            and self._plays(unit)
        ]
        return min(on_the_way)[1] if on_the_way else None

    def _plans_lodging(self, seen: Handover) -> bool:
        """A long transfer, scheduled, not yet past its pickup, with no stop: plan one night."""
        return (
            self.config.lodgings
            and seen.kind == Kind.TRANSFER
            and seen.id not in self._lodging_tried
            and len(seen.handovers) <= 1
            and not (seen.journey and seen.journey.stops)
            and self._lodging_for(seen) is not None
        )

    async def _plan_lodging(self, seen: Handover) -> None:
        unit = self._lodging_for(seen)
        assert unit is not None
        self._lodging_tried.add(seen.id)
        start = datetime.now(UTC)
        if seen.schedule is not None:
            start = max(start, seen.schedule.pickup_at)
        leg = timedelta(seconds=max(1.0, 2 * self.config.pace))  # a day's drive, compressed
        name = self._units[unit].name
        plan = PlanLodging(
            unit=unit,
            arrive_at=start + leg,
            depart_at=start + 2 * leg,
            note=f"A night at {name} on the way.",
        )
        try:
            await self._change(self.planner, seen, plan)
        except PreconditionFailedError:
            self._lodging_tried.discard(seen.id)  # changed meanwhile: read it again, try again
            raise
        except ConflictError as exc:  # moved on meanwhile: the transport goes without it
            self._say(f"simulate: {seen.reference}: no lodging at {unit}: {exc}")
        except ProblemError as exc:
            self.summary.errors += 1
            self._say(f"simulate: {seen.reference}: no lodging at {unit}: {exc}")

    def _unanswered(self, seen: Handover) -> Stop | None:
        """A lodging planned at a unit we play, waiting for that unit's answer."""
        for stop in seen.journey.stops if seen.journey else ():
            if (
                stop.kind == StopKind.LODGING
                and stop.status == StopStatus.PLANNED
                and self._plays(stop.unit)
            ):
                return stop
        return None

    @staticmethod
    def _next_stop(seen: Handover) -> Stop | None:
        """The first lodging still ahead (planned or accepted)."""
        for stop in seen.journey.stops if seen.journey else ():
            if stop.kind == StopKind.LODGING and stop.status in (
                StopStatus.PLANNED,
                StopStatus.ACCEPTED,
            ):
                return stop
        return None

    @staticmethod
    def _lodged_at(seen: Handover, unit: str) -> bool:
        stops = seen.journey.stops if seen.journey else ()
        return any(s.unit == unit and s.status == StopStatus.REACHED for s in stops)

    def _redirect_targets(self, seen: Handover) -> list[str]:
        """Other remand prisons of the destination's region that we play, not yet on the way."""
        here = self._units.get(seen.to_unit or "")
        if here is None:
            return []
        return sorted(
            unit.id
            for unit in self._units.values()
            if unit.kind == UnitKind.REMAND_PRISON
            and unit.region == here.region
            and unit.id != here.id
            and unit.id not in ISLANDS
            and unit.id not in (seen.journey.units() if seen.journey else ())
            and self._plays(unit.id)
        )

    def _redirects(self, seen: Handover) -> bool:
        """Whether to redirect this transfer on the way: drawn once per request, then kept."""
        if seen.kind != Kind.TRANSFER or (seen.journey and seen.journey.redirects):
            return False
        if seen.id not in self._redirect_first:
            draw = self.rng.random() < self.config.redirect_probability
            self._redirect_first[seen.id] = draw and bool(self._redirect_targets(seen))
        return self._redirect_first[seen.id]

    async def _redirect(self, seen: Handover) -> bool:
        """Send the transfer to another remand prison; False when refused (it goes on)."""
        target = self.rng.choice(self._redirect_targets(seen))
        old, new = self._units[seen.to_unit or ""].name, self._units[target].name
        change = Redirect(
            to_unit=target,
            reason=RedirectReason.NO_CAPACITY,
            text=f"Placeringsenheten: no place left at {old}; {new} takes the person.",
        )
        try:
            await self._change(self.planner, seen, change)
        except PreconditionFailedError:
            raise  # changed meanwhile: read it again, try again
        except ConflictError as exc:
            self._say(f"simulate: {seen.reference}: not redirected: {exc}")
        except ProblemError as exc:
            self.summary.errors += 1
            self._say(f"simulate: {seen.reference}: not redirected: {exc}")
        else:
            return True
        self._redirect_first[seen.id] = False
        return False

    async def _change(self, actor: HandoverClient, seen: Handover, change: JourneyChange) -> None:
        """Change the journey as `actor`, on the version it reads now."""
        await actor.get(seen.id)
        after = await actor.change_journey(seen.id, change, if_match=True)
        name = str(type(change).__struct_config__.tag)  # lodging, lodging_answer, redirect
        self.summary.steps.append((after.reference, name))
        self._say(f"simulate: {after.reference} {name} -> {after.state}")

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
        "--redirect-probability",
        type=float,
        default=0.1,
        help="how often a transfer is redirected to another remand prison after pickup",
    )
    parser.add_argument(
        "--no-lodgings",
        dest="lodgings",
        action="store_false",
        help="long transfers go without a night's lodging on the way",
    )
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
        lodgings=args.lodgings,
        redirect_probability=args.redirect_probability,
        pace=args.pace,
        poll_interval=args.poll_interval,
        from_start=args.from_start,
        after=args.after,
    )


async def simulate(config: SimulationConfig) -> Summary:
    """Run the simulator; Ctrl-C (a cancellation) stops it like the end of `duration`."""
    simulator = Simulator(config)
    return await simulator.run()
