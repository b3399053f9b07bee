"""Development servers: PostgreSQL and the Temporal dev server on this machine.

For `handover dev` (`make run`), the tests and the benchmark only. The deployed package does
not carry them (pyproject.toml, `[tool.hatch.build.targets.wheel]`), and `services/` imports
them lazily, in `handover dev` alone (ruff TID253).
"""

from devservers._common import EmbeddedServerError, free_port
from devservers.postgres import EmbeddedPostgres, find_pg_bin
from devservers.temporal import EmbeddedTemporal, find_temporal_cli

__all__ = [
    "EmbeddedPostgres",
    "EmbeddedServerError",
    "EmbeddedTemporal",
    "find_pg_bin",
    "find_temporal_cli",
    "free_port",
]
