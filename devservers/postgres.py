"""PostgreSQL 15 on a local data directory, for `handover dev` and the tests.

Runs with ``trust`` authentication: development only. When running as root, PostgreSQL
refuses to run as root, so ``initdb``, ``pg_ctl`` and ``psql`` are run as the ``postgres``
system user through ``runuser``; the data directory is then owned by ``postgres`` and every
parent directory must be enterable by that user. No maintained library does that, so it is
done here.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import pwd
import shlex
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Self
from urllib.parse import quote

import structlog

from devservers._common import EmbeddedServerError, with_tail

log = structlog.get_logger(__name__)

_DEBIAN_PG_BIN = Path("/usr/lib/postgresql/15/bin")
_PG_USER = "postgres"
# sun_path is 108 bytes; PostgreSQL appends "/.s.PGSQL.<port>" (+ ".lock") to the directory.
_MAX_SOCKET_DIR_LEN = 100
# Environment variables that would make psql/pg_ctl talk to something other than our server.
_PG_ENV_VARS = (
    "PGDATA",
    "PGHOST",
    "PGHOSTADDR",
    "PGPORT",
    "PGUSER",
    "PGDATABASE",
    "PGPASSWORD",
    "PGPASSFILE",
    "PGSERVICE",
    "PGSERVICEFILE",
    "PGOPTIONS",
    "PGSSLMODE",
    "PGTZ",
)
# No personal data in the server log: a failing statement's text and parameters, and the
# DETAIL/CONTEXT lines that quote row data ("Failing row contains (...)", the key of a unique
# violation, the JSON text of a bad jsonb value) are never written; the error itself still is.
# Given as -c on start (they win over the config files) and stored with ALTER SYSTEM (a server
# already running, or started by hand on the data dir, gets them too). infra/RUNBOOK.md has
# the same list for production.
_PRIVATE_LOG_SETTINGS = {
    "log_error_verbosity": "terse",
    "log_min_error_statement": "panic",
    "log_statement": "none",
    "log_min_duration_statement": "-1",
    "log_parameter_max_length": "0",
    "log_parameter_max_length_on_error": "0",
}


def find_pg_bin() -> Path:
    """Locate the PostgreSQL server binaries (the directory holding ``initdb`` and ``pg_ctl``)."""
    env_bin = os.environ.get("PG_BIN")
    if env_bin:
        candidate = Path(env_bin)
        if (candidate / "initdb").is_file():
            return candidate
        raise EmbeddedServerError(
            f"PG_BIN={env_bin} does not contain initdb; point PG_BIN at the PostgreSQL 15 "
            "bin directory (e.g. /usr/lib/postgresql/15/bin) or unset it."
        )
    if (_DEBIAN_PG_BIN / "initdb").is_file():
        return _DEBIAN_PG_BIN
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            out = subprocess.run(  # noqa: S603 - fixed arguments
                [pg_config, "--bindir"], capture_output=True, text=True, check=True, timeout=10
            ).stdout.strip()
            if out and (Path(out) / "initdb").is_file():
                return Path(out)
    raise EmbeddedServerError(
        "PostgreSQL 15 server binaries (initdb, pg_ctl) not found. Run infra/bootstrap.sh, "
        "or install them with `sudo apt-get install postgresql-15`, or set PG_BIN to their "
        "directory. Alternatively set DATABASE_URL to use an external server."
    )


def _system_tool(name: str) -> str:
    """Absolute path of a system command (runuser, useradd, ...)."""
    for directory in ("/usr/sbin", "/usr/bin", "/sbin", "/bin"):
        candidate = Path(directory) / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    found = shutil.which(name)
    if found is None:
        raise EmbeddedServerError(f"required system command {name!r} not found")
    return found


def _is_root() -> bool:
    return os.geteuid() == 0


def _clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _PG_ENV_VARS}
    env.setdefault("LC_MESSAGES", "C")
    return env


def _ensure_postgres_user() -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(_PG_USER)
    except KeyError:
        pass
    log.info("embedded.postgres.creating_system_user", user=_PG_USER)
    try:
        subprocess.run(  # noqa: S603 - fixed arguments
            [
                _system_tool("useradd"),
                "--system",
                "--home",
                "/var/lib/postgresql",
                "--shell",
                "/bin/bash",
                _PG_USER,
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError) as exc:
        detail = getattr(exc, "stderr", "") or str(exc)
        raise EmbeddedServerError(
            f"Running as root, PostgreSQL must run as user {_PG_USER!r}, which does not exist "
            f"and could not be created with useradd: {detail.strip()}"
        ) from exc
    return pwd.getpwnam(_PG_USER)


def _chown_tree(path: Path, uid: int, gid: int) -> None:
    os.chown(path, uid, gid)
    for root, dirs, files in os.walk(path):
        for name in [*dirs, *files]:
            os.lchown(os.path.join(root, name), uid, gid)


class EmbeddedPostgres:
    """A PostgreSQL server on a local data directory, started with ``pg_ctl``.

    ``start()`` is idempotent across processes: if a server is already running on
    ``data_dir`` it is reused (on the port it is actually listening on).
    """

    def __init__(
        self,
        data_dir: Path,
        port: int,
        *,
        database: str = "handover",
        user: str = "handover",
        bin_dir: Path | None = None,
    ) -> None:
        self.data_dir = Path(data_dir).absolute()
        self.port = port
        self.database = database
        self.user = user
        self._bin_dir = bin_dir
        self._socket_dir: Path | None = None
        self._owned_short_socket_dir: Path | None = None

    # ----------------------------------------------------------------------------- public

    @property
    def url(self) -> str:
        user, database = quote(self.user, safe=""), quote(self.database, safe="")
        return f"postgresql://{user}@127.0.0.1:{self.port}/{database}"

    @property
    def log_file(self) -> Path:
        return self.data_dir / "server.log"

    @property
    def bin_dir(self) -> Path:
        if self._bin_dir is None:
            self._bin_dir = find_pg_bin()
        return self._bin_dir

    def start(self) -> None:
        bin_dir = self.bin_dir
        if _is_root():
            self._prepare_data_dir_as_root()
        else:
            self.data_dir.parent.mkdir(parents=True, exist_ok=True)

        if not (self.data_dir / "PG_VERSION").is_file():
            self._initdb()

        reused = self._is_running()
        if reused:
            self._adopt_running()
        else:
            self._pg_ctl_start()
        log.info(
            "embedded.postgres.reused" if reused else "embedded.postgres.started",
            port=self.port,
            data_dir=str(self.data_dir),
            socket_dir=str(self._socket_dir),
            bin_dir=str(bin_dir),
        )
        self._ensure_role_and_database()

    def stop(self) -> None:
        if not (self.data_dir / "PG_VERSION").is_file():
            return
        if self._is_running():
            result = self._run(
                [str(self.bin_dir / "pg_ctl"), "stop", "-D", str(self.data_dir), "-m", "fast", "-w"]
            )
            if result.returncode != 0 and self._is_running():
                raise EmbeddedServerError(
                    with_tail(
                        f"pg_ctl stop failed for {self.data_dir}: {result.stdout.strip()}",
                        self.log_file,
                    )
                )
            log.info("embedded.postgres.stopped", port=self.port, data_dir=str(self.data_dir))
        if self._owned_short_socket_dir is not None:
            shutil.rmtree(self._owned_short_socket_dir, ignore_errors=True)
            self._owned_short_socket_dir = None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    async def __aenter__(self) -> Self:
        await asyncio.to_thread(self.start)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await asyncio.to_thread(self.stop)

    # ---------------------------------------------------------------------------- helpers

    def _run(
        self, args: Sequence[str], *, input_text: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run a PostgreSQL client tool, as ``postgres`` when we are root."""
        cmd = list(args)
        if _is_root():
            cmd = [_system_tool("runuser"), "-u", _PG_USER, "--", *cmd]
        try:
            return subprocess.run(  # noqa: S603 - our own arguments, no shell
                cmd,
                input=input_text,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                cwd="/",
                env=_clean_env(),
                check=False,
            )
        except OSError as exc:
            raise EmbeddedServerError(f"could not run {cmd[0]}: {exc}") from exc

    def _prepare_data_dir_as_root(self) -> None:
        pw = _ensure_postgres_user()
        parent = self.data_dir.parent
        # Check the nearest existing ancestor first so that nothing is created on failure.
        existing = next(p for p in (parent, *parent.parents) if p.exists())
        self._check_postgres_can_enter(existing)
        parent.mkdir(parents=True, exist_ok=True)
        self._check_postgres_can_enter(parent)
        if not self.data_dir.exists():
            self.data_dir.mkdir(mode=0o700)
        st = self.data_dir.stat()
        if st.st_uid != pw.pw_uid:
            _chown_tree(self.data_dir, pw.pw_uid, pw.pw_gid)
        os.chmod(self.data_dir, 0o700)

    @staticmethod
    def _check_postgres_can_enter(directory: Path) -> None:
        runuser, test = _system_tool("runuser"), _system_tool("test")
        check = subprocess.run(  # noqa: S603 - our own arguments, no shell
            [runuser, "-u", _PG_USER, "--", test, "-x", str(directory)],
            cwd="/",
            capture_output=True,
            check=False,
        )
        if check.returncode != 0:
            raise EmbeddedServerError(
                f"Running as root, PostgreSQL runs as user {_PG_USER!r}, which cannot enter "
                f"{directory} (it or a parent directory lacks o+x, e.g. /root). Use a data "
                "directory that user can reach (e.g. under /var/tmp or /tmp), or run as a "
                "normal user."
            )

    def _initdb(self) -> None:
        if self.data_dir.exists() and any(self.data_dir.iterdir()):
            raise EmbeddedServerError(
                f"{self.data_dir} is not empty but has no PG_VERSION, so it is not a PostgreSQL "
                "data directory. Remove it (e.g. `make clean`) or choose another directory."
            )
        base = [
            str(self.bin_dir / "initdb"),
            "-D",
            str(self.data_dir),
            "-A",
            "trust",
            "-U",
            "postgres",
            "--encoding",
            "UTF8",
            "--no-instructions",
        ]
        result = self._run([*base, "--locale", "C.UTF-8"])
        if result.returncode != 0 and "locale" in result.stdout.lower():
            # C.UTF-8 is not available on this system: plain C works with any encoding.
            result = self._run([*base, "--locale", "C"])
        if result.returncode != 0:
            raise EmbeddedServerError(
                f"initdb failed for {self.data_dir} (exit {result.returncode}):\n"
                f"{result.stdout.strip()}"
            )
        log.info("embedded.postgres.initialized", data_dir=str(self.data_dir))

    def _is_running(self) -> bool:
        result = self._run([str(self.bin_dir / "pg_ctl"), "status", "-D", str(self.data_dir)])
        return result.returncode == 0

    def _adopt_running(self) -> None:
        """Take port and socket directory from postmaster.pid of a server already running."""
        try:
            lines = (self.data_dir / "postmaster.pid").read_text().splitlines()
        except OSError as exc:
            raise EmbeddedServerError(
                f"a server is running on {self.data_dir} but its postmaster.pid is unreadable: "
                f"{exc}"
            ) from exc
        if len(lines) >= 5 and lines[3].strip().isdigit():
            running_port = int(lines[3].strip())
            if running_port != self.port:
                log.warning(
                    "embedded.postgres.port_differs",
                    requested=self.port,
                    running=running_port,
                    data_dir=str(self.data_dir),
                )
                self.port = running_port
            if lines[4].strip():
                self._socket_dir = Path(lines[4].strip())

    def _choose_socket_dir(self) -> Path:
        preferred = self.data_dir / "sockets"
        if len(str(preferred)) <= _MAX_SOCKET_DIR_LEN:
            preferred.mkdir(mode=0o700, exist_ok=True)
            if _is_root():
                pw = pwd.getpwnam(_PG_USER)
                os.chown(preferred, pw.pw_uid, pw.pw_gid)
            return preferred
        # The data dir path is too long for a unix socket; use a short private temp dir.
        digest = hashlib.sha256(str(self.data_dir).encode()).hexdigest()[:8]
        short = Path(tempfile.mkdtemp(prefix=f"hpg-{digest}-"))
        if _is_root():
            pw = pwd.getpwnam(_PG_USER)
            os.chown(short, pw.pw_uid, pw.pw_gid)
        self._owned_short_socket_dir = short
        return short

    def _pg_ctl_start(self) -> None:
        self._socket_dir = self._choose_socket_dir()
        options = f"-p {self.port} -k {shlex.quote(str(self._socket_dir))} -h 127.0.0.1"
        options += "".join(f" -c {k}={v}" for k, v in _PRIVATE_LOG_SETTINGS.items())
        result = self._run(
            [
                str(self.bin_dir / "pg_ctl"),
                "start",
                "-w",
                "-t",
                "60",
                "-D",
                str(self.data_dir),
                "-l",
                str(self.log_file),
                "-o",
                options,
            ]
        )
        if result.returncode != 0:
            raise EmbeddedServerError(
                with_tail(
                    f"PostgreSQL failed to start on 127.0.0.1:{self.port} with data dir "
                    f"{self.data_dir} (pg_ctl exit {result.returncode}): "
                    f"{result.stdout.strip()}",
                    self.log_file,
                )
            )

    def _psql_base(self) -> list[str]:
        host = str(self._socket_dir) if self._socket_dir is not None else "127.0.0.1"
        return [
            str(self.bin_dir / "psql"),
            "-X",
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            host,
            "-p",
            str(self.port),
            "-U",
            "postgres",
            "-d",
            "postgres",
        ]

    def _ensure_role_and_database(self) -> None:
        script = (
            "SELECT format('CREATE ROLE %I LOGIN SUPERUSER', :'role_name') "
            "WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'role_name')\n"
            "\\gexec\n"
            "SELECT format('CREATE DATABASE %I OWNER %I', :'db_name', :'role_name') "
            "WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'db_name')\n"
            "\\gexec\n"
        )
        script += "".join(
            f"ALTER SYSTEM SET {k} = '{v}';\n" for k, v in _PRIVATE_LOG_SETTINGS.items()
        )
        script += "SELECT pg_reload_conf() \\g /dev/null\n"
        result = self._run(
            [
                *self._psql_base(),
                "-v",
                f"role_name={self.user}",
                "-v",
                f"db_name={self.database}",
            ],
            input_text=script,
        )
        if result.returncode != 0:
            raise EmbeddedServerError(
                with_tail(
                    f"could not create role {self.user!r} / database {self.database!r}: "
                    f"{result.stdout.strip()}",
                    self.log_file,
                )
            )
