"""The API's way to PostgreSQL: SQL files with `:name` parameters, JSON columns decoded, and
PostgreSQL being away told from a bug where the call is made."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import asyncpg
import msgspec

from services.handover.errors import DatabaseUnavailable

SQL_DIR = Path(__file__).with_name("sql")

# What asyncpg raises when PostgreSQL is not there for now: no connection could be made or
# kept (refused, reset, unreachable, DNS), none in time (pool or statement timeout), or the
# server turns work away (starting up, shutting down, too many connections, query cancelled).
# Errors of the SQL or its arguments are bugs and stay what they are.
# InternalClientError ("cannot switch to state N; another operation (2) is in progress") is
# what asyncpg raises when the server shuts down in the middle of a statement or of a pooled
# connection's reset (found by the fault suite, tests/faults/, as a 500 at PostgreSQL's stop).
OUTAGES: tuple[type[Exception], ...] = (
    OSError,
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.exceptions.TooManyConnectionsError,
    asyncpg.exceptions.InternalClientError,
)

# `:name` outside comments, string literals, quoted identifiers and `::` casts.
_TOKEN = re.compile(r"""--[^\n]*|'(?:''|[^'])*'|"(?:""|[^"])*"|::|:(?P<name>[A-Za-z_]\w*)""")


class Statement(msgspec.Struct, frozen=True):
    """One SQL file as asyncpg takes it: `$n` placeholders, and the name each one stands for."""

    name: str
    text: str
    parameters: tuple[str, ...]

    def arguments(self, values: Mapping[str, object]) -> list[object]:
        """The values in placeholder order; a missing or unknown name is a bug, said at once."""
        if values.keys() != set(self.parameters):
            expected, given = sorted(self.parameters), sorted(values)
            raise TypeError(f"{self.name}.sql takes {expected}, was given {given}")
        return [values[name] for name in self.parameters]


def named(name: str, sql: str) -> Statement:
    """Rewrite `:name` parameters to asyncpg's `$n`, the same name always to the same number."""
    parameters: list[str] = []

    def placeholder(match: re.Match[str]) -> str:
        parameter = match["name"]
        if parameter is None:
            return match[0]
        if parameter not in parameters:
            parameters.append(parameter)
        return f"${parameters.index(parameter) + 1}"

    return Statement(name, _TOKEN.sub(placeholder, sql), tuple(parameters))


@cache
def statement(name: str) -> Statement:
    """`sql/<name>.sql`, read and rewritten once per process."""
    return named(name, (SQL_DIR / f"{name}.sql").read_text())


@contextmanager
def outage_is_unavailable(pool: asyncpg.Pool) -> Iterator[None]:
    """Within: PostgreSQL being away raises DatabaseUnavailable; any other failure is a bug."""
    try:
        yield
    except OUTAGES as exc:
        raise DatabaseUnavailable() from exc
    except asyncpg.InterfaceError as exc:
        if not pool.is_closing():  # a closing pool is a process shutting down, not a bug
            raise
        raise DatabaseUnavailable() from exc


def _encode_json(value: object) -> str:
    return msgspec.json.encode(value).decode()


async def decode_json(connection: asyncpg.Connection) -> None:
    """A pool's `init`: json and jsonb columns arrive as Python values, ready for convert."""
    for type_name in ("json", "jsonb"):
        await connection.set_type_codec(
            type_name,
            schema="pg_catalog",
            encoder=_encode_json,
            decoder=msgspec.json.decode,
            format="text",
        )
