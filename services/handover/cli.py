"""The `handover` command: dev, api, worker, migrate, reconcile, token, openapi, simulate, demo."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import msgspec

from contracts.common import Org, Role
from services.handover import demo as demonstration
from services.handover import simulate as simulation
from services.handover.auth import issue_token
from services.handover.logs import configure_logging
from services.handover.settings import DEV_JWT_SECRET, ROOT, Settings, load_settings

OPENAPI_PATH = ROOT / "contracts" / "openapi.json"


def openapi_document(settings: Settings) -> str:
    """The OpenAPI document as committed: stable key order, trailing newline."""
    from services.handover.app import create_app

    schema = msgspec.to_builtins(create_app(settings).openapi_schema.to_schema())
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _announce(settings: Settings) -> None:
    api = f"http://{settings.api_host}:{settings.api_port}"
    lines = [
        "",
        "Handover service is running. Ctrl-C stops everything it started.",
        f"  API            {api}/v1/handovers",
        f"  API docs       {api}/schema  (Swagger UI: {api}/schema/swagger)",
        f"  OpenAPI JSON   {api}/schema/openapi.json",
        f"  Health         {api}/health/ready",
        f"  Board          {api}/board",
    ]
    if not (settings.jwks_url or settings.jwks_file):
        # Development only: a coordinator's token in the fragment, which no server logs.
        token = issue_token(
            settings,
            sub="dev-coordinator",
            org=Org.KRIMINALVARDEN,
            unit="kv-samordning-nationell",
            roles=[Role.COORDINATOR],
        )
        lines.append(f"  Board sign-in  {api}/board/sign-in#token={token}")
    if settings.temporal_address and settings.temporal_address.endswith(
        f":{settings.temporal_port}"
    ):
        lines.append(f"  Temporal UI    http://127.0.0.1:{settings.temporal_ui_port}")
    lines += [
        f"  Temporal       {settings.temporal_address}",
        f"  PostgreSQL     {settings.database_url}",
        "  A token        .venv/bin/handover token --org polisen --unit pa-kronoberg "
        "--role custody_officer",
        "  A demo day     .venv/bin/handover demo  (in another terminal: requests, answers, "
        "deferrals, an incident and a breach appear on the board within a minute)",
        "",
    ]
    print("\n".join(lines), file=sys.stderr, flush=True)


def _require_servers(settings: Settings) -> None:
    missing = [
        name
        for name, value in (
            ("DATABASE_URL", settings.database_url),
            ("TEMPORAL_ADDRESS", settings.temporal_address),
        )
        if value is None
    ]
    if missing:
        raise SystemExit(f"set {' and '.join(missing)} (or use `handover dev`)")
    if settings.payload_key is None:
        raise SystemExit(
            "set HANDOVER_PAYLOAD_KEY (base64 of 32 bytes; `handover keygen` prints one): "
            "it encrypts the personal data Temporal stores"
        )


async def _revoke(database_url: str, args: argparse.Namespace, until: datetime) -> int:
    import asyncpg

    from services.handover.repository import Repository
    from services.handover.revocations import revoke

    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=1)
    try:
        return await revoke(
            Repository(pool, timeout=30),
            jti=args.jti,
            sub=args.sub,
            until=until,
            reason=args.reason,
            revoked_by=args.by,
        )
    finally:
        await pool.close()


async def _reconcile(settings: Settings) -> int:
    """0 when the run could check every open request (repairs are fine), 1 when not."""
    from services.handover.app import connect_temporal
    from services.handover.reconcile import reconcile_now, report

    client = await connect_temporal(settings)
    print(
        f"reconciling on task queue {settings.task_queue!r} (the workers run it)...",
        file=sys.stderr,
        flush=True,
    )
    result = await reconcile_now(client, settings.task_queue)
    print(report(result), flush=True)
    return 1 if result.failed else 0


def _verify(path: Path) -> int:
    """0 when the chain holds (and ends in the export's head hash), 1 when not, 2 unreadable."""
    from contracts.eventlog import GENESIS_HASH, verify_served

    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        events = document["events"] if isinstance(document, dict) else document
        if not isinstance(events, list) or not all(isinstance(e, dict) for e in events):
            raise ValueError("expected a list of events, or an export with `events`")
    except (OSError, ValueError, KeyError) as exc:
        print(f"handover verify: cannot read {path}: {exc}", file=sys.stderr)
        return 2
    broken = verify_served(events)
    head = events[-1].get("hash") if events else GENESIS_HASH
    if broken is not None:
        print(f"broken: the chain does not hold from seq {broken}")
        return 1
    if isinstance(document, dict) and document.get("head_hash", head) != head:
        print("broken: the export's head_hash is not its last event's hash")
        return 1
    erased = sum(1 for e in events if e.get("data") is None)
    print(f"ok: {len(events)} events, head {head}" + (f", {erased} erased" if erased else ""))
    return 0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="handover", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("dev", help="embedded PostgreSQL + Temporal, migrations, worker and API")
    sub.add_parser("api", help="the HTTP API (needs DATABASE_URL and TEMPORAL_ADDRESS)")
    sub.add_parser("worker", help="the Temporal worker (needs DATABASE_URL and TEMPORAL_ADDRESS)")
    migrate_cmd = sub.add_parser("migrate", help="apply database migrations (dbmate)")
    migrate_cmd.add_argument("--status", action="store_true", help="only list applied/pending")
    token = sub.add_parser("token", help="print a development JWT")
    token.add_argument("--org", required=True, choices=[o.value for o in Org])
    token.add_argument("--unit", required=True, help="unit id, see GET /v1/units")
    token.add_argument(
        "--role",
        required=True,
        action="append",
        choices=[r.value for r in Role],
        help="repeat for several roles",
    )
    token.add_argument("--sub", default=None, help="subject (default: dev-<unit>)")
    token.add_argument("--hours", type=float, default=8.0, help="lifetime, at most 10")
    sub.add_parser("keygen", help="print a new HANDOVER_PAYLOAD_KEY")
    revoke = sub.add_parser("revoke", help="refuse a token (--jti) or a subject's tokens (--sub)")
    target = revoke.add_mutually_exclusive_group(required=True)
    target.add_argument("--jti", help="the token's `jti` claim")
    target.add_argument("--sub", help="the subject: all of its tokens, until --until")
    revoke.add_argument(
        "--until",
        type=datetime.fromisoformat,
        default=None,
        help="RFC 3339 with offset (default: 10 hours from now, the longest token lifetime)",
    )
    revoke.add_argument("--reason", required=True, help="why, for the record (e.g. lost phone)")
    revoke.add_argument("--by", required=True, help="who revokes (the administrator)")
    verify = sub.add_parser(
        "verify", help="check the hash chain of an exported case or an event log (JSON file)"
    )
    verify.add_argument("file", type=Path, help="GET .../export or GET .../events saved to a file")
    simulation.add_arguments(
        sub.add_parser("simulate", help="play Kriminalvården's side against a running service"),
        settings_hint="http://HANDOVER_API_HOST:HANDOVER_API_PORT",
    )
    demonstration.add_arguments(
        sub.add_parser("demo", help="play a realistic day against a running service"),
        settings_hint="http://HANDOVER_API_HOST:HANDOVER_API_PORT",
    )
    sub.add_parser(
        "reconcile",
        help="compare open requests with the read model now and repair lag (needs the workers)",
    )
    openapi = sub.add_parser("openapi", help="write contracts/openapi.json")
    openapi.add_argument("--output", type=Path, default=OPENAPI_PATH)
    args = parser.parse_args(argv)
    if args.command == "verify":
        raise SystemExit(_verify(args.file))
    settings = load_settings()

    match args.command:
        case "token":
            if not 0 < args.hours <= settings.jwt_max_lifetime_hours:
                parser.error(f"--hours must be in (0, {settings.jwt_max_lifetime_hours}]")
            print(
                issue_token(
                    settings,
                    sub=args.sub or f"dev-{args.unit}",
                    org=Org(args.org),
                    unit=args.unit,
                    roles=[Role(r) for r in args.role],
                    lifetime=timedelta(hours=args.hours),
                )
            )
        case "revoke":
            until = args.until or datetime.now(UTC) + timedelta(
                hours=settings.jwt_max_lifetime_hours
            )
            if until.tzinfo is None:
                parser.error("--until needs an offset, e.g. 2026-12-02T08:00:00+01:00")
            if settings.database_url is None:
                raise SystemExit("set DATABASE_URL (the service's PostgreSQL)")
            number = asyncio.run(_revoke(settings.database_url, args, until))
            print(f"revocation {number} in force until {until.isoformat()}")
        case "simulate":
            config = simulation.config_from_args(
                args,
                base_url=f"http://{settings.api_host}:{settings.api_port}",
                jwt_secret=settings.jwt_secret,
            )
            with contextlib.suppress(KeyboardInterrupt):
                asyncio.run(simulation.simulate(config))
        case "demo":
            demo_config = demonstration.config_from_args(
                args,
                base_url=f"http://{settings.api_host}:{settings.api_port}",
                jwt_secret=settings.jwt_secret,
            )
            with contextlib.suppress(KeyboardInterrupt):
                asyncio.run(demonstration.demo(demo_config))
        case "reconcile":
            from services.handover import runtime

            configure_logging(settings)
            if settings.temporal_address is None or settings.payload_key is None:
                raise SystemExit("set TEMPORAL_ADDRESS and HANDOVER_PAYLOAD_KEY (as the workers)")
            try:
                code = asyncio.run(_reconcile(settings))
            except Exception as exc:  # noqa: BLE001 - report, then exit non-zero
                print(f"handover reconcile: {exc!r}", file=sys.stderr)
                code = 2
            runtime.exit_now(code)
        case "keygen":
            from workflows.codec import new_key

            print(new_key())
        case "openapi":
            args.output.write_text(openapi_document(settings))
            print(f"wrote {args.output}")
        case "migrate":
            from services.handover.migrate import migrate

            configure_logging(settings)
            if settings.database_url is None:
                raise SystemExit("set DATABASE_URL (`handover dev` migrates its own database)")
            print(
                migrate(
                    settings.database_url,
                    settings.migrations_dir,
                    command="status" if args.status else "up",
                )
            )
        case "dev" | "api" | "worker":
            from services.handover import runtime

            configure_logging(settings)
            try:
                if args.command == "dev":
                    asyncio.run(runtime.run_dev(settings, _announce))
                else:
                    _require_servers(settings)
                    if (
                        args.command == "api"
                        and settings.jwt_secret == DEV_JWT_SECRET
                        and not (settings.jwks_url or settings.jwks_file)
                    ):
                        raise SystemExit(
                            "set HANDOVER_JWT_SECRET (at least 32 characters): the built-in "
                            "development secret is public; anyone could sign tokens with it"
                        )
                    asyncio.run(
                        runtime.run_processes(
                            settings, api=args.command == "api", worker=args.command == "worker"
                        )
                    )
            except KeyboardInterrupt:
                pass
            except Exception as exc:  # noqa: BLE001 - report, then exit non-zero
                print(f"handover {args.command}: {exc}", file=sys.stderr)
                runtime.exit_now(1)
            runtime.exit_now(0)


if __name__ == "__main__":
    main()
