"""No server log holds a person's identity number or name: not the API's or the worker's, not
the Temporal dev server's, and not PostgreSQL's, even for statements that fail on that person's
data (issue 7, point 3). Every `*.log` of the session's scratch dir is read, so the logs of the
`handover api`/`worker` processes are too when the contract tests ran in the same session."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from asyncpg.pool import PoolConnectionProxy
from httpx import AsyncClient
from structlog.stdlib import ProcessorFormatter

from devservers import EmbeddedPostgres
from services.handover.api import examples
from services.handover.settings import Settings
from tests.flow import Flow, Parties, fresh

PERSONNUMMER = "19870605-1235"
SAMORDNINGSNUMMER = "19870665-4574"
WRONG_CHECK_DIGIT = "19870605-1236"  # refused by validation: its log lines must not hold it either
GIVEN, FAMILY = "Zacharias", "Loggfri"
OTHER_GIVEN, OTHER_FAMILY = "Ottilia", "Sparlosdotter"

# What the development server must run with (devservers/postgres.py, infra/RUNBOOK.md).
PRIVATE_LOG_SETTINGS = {
    "log_error_verbosity": "terse",
    "log_min_error_statement": "panic",
    "log_statement": "none",
    "log_min_duration_statement": "-1",
    "log_parameter_max_length": "0",
    "log_parameter_max_length_on_error": "0",
}


def _forms(number: str) -> set[str]:
    """A number as it may be written: 12 or 10 digits, with or without the dash."""
    digits = number.replace("-", "")
    return {digits, f"{digits[:8]}-{digits[8:]}", digits[2:], f"{digits[2:8]}-{digits[8:]}"}


SECRETS = sorted(
    {
        *_forms(PERSONNUMMER),
        *_forms(SAMORDNINGSNUMMER),
        *_forms(WRONG_CHECK_DIGIT),
        GIVEN,
        FAMILY,
        OTHER_GIVEN,
        OTHER_FAMILY,
    }
)


def _person(kind: str, number: str, given: str, family: str) -> dict[str, Any]:
    return {
        "identity": {"type": kind, "number": number},
        "given_name": given,
        "family_name": family,
    }


@pytest.fixture
def app_log(settings: Settings, scratch: Path) -> Iterator[Path]:
    """What the in-process API and worker log during the test, rendered as on stderr."""
    root = logging.getLogger()
    formatter = next(
        h.formatter for h in root.handlers if isinstance(h.formatter, ProcessorFormatter)
    )
    path = scratch / "in-process-app.log"
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(formatter)
    root.addHandler(handler)
    try:
        yield path
    finally:
        root.removeHandler(handler)
        handler.close()


async def _fail_on_personal_data(conn: PoolConnectionProxy[asyncpg.Record]) -> list[str]:
    """Run statements that PostgreSQL refuses because of a row holding the person's data (as
    the projection's insert was refused in issue 7); return the errors' primary messages."""
    number, name = PERSONNUMMER, f"{GIVEN} {FAMILY}"
    doc = json.dumps({"number": number, "name": f"{name}\u0000"})  # jsonb refuses \u0000
    await conn.execute(
        "CREATE TEMP TABLE no_pd_probe "
        "(number text UNIQUE, name text NOT NULL CHECK (name <> ''), doc jsonb)"
    )
    await conn.execute("INSERT INTO no_pd_probe VALUES ($1, $2)", number, name)
    failing: list[tuple[str, tuple[str, ...]]] = [
        # DETAIL: Key (number)=(...) already exists.
        ("INSERT INTO no_pd_probe VALUES ($1, $2)", (number, name)),
        # DETAIL: Failing row contains (...).
        ("INSERT INTO no_pd_probe VALUES ($1, NULL)", (f"{number} {name}",)),
        ("INSERT INTO no_pd_probe VALUES ($1, '')", (f"{name} {number}",)),
        # CONTEXT: JSON data, line 1: {"number": ...
        ("INSERT INTO no_pd_probe VALUES ($1, $2, $3::text::jsonb)", (number[2:], name, doc)),
        # A NUL in a text parameter (the wedge of issue 7); CONTEXT names the parameter.
        ("INSERT INTO no_pd_probe VALUES ($1, $2)", (number, f"{name}\x00")),
        # The data in the statement's text: only a STATEMENT line could show it.
        (f"INSERT INTO no_pd_probe VALUES ('{number.replace('-', '')}', NULL)", ()),
    ]
    messages = []
    try:
        for statement, args in failing:
            with pytest.raises(asyncpg.PostgresError) as caught:
                await conn.execute(statement, *args)
            messages.append(str(caught.value.as_dict()["message"]))
    finally:
        await conn.execute("DROP TABLE no_pd_probe")
    return messages


async def test_no_log_holds_identity_numbers_or_names(
    api: AsyncClient,
    settings: Settings,
    pool: asyncpg.Pool,
    scratch: Path,
    app_log: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    p = Parties(settings)
    transfer = await Flow(api, p).create(
        fresh(person=_person("personnummer", PERSONNUMMER, GIVEN, FAMILY))
    )
    await transfer.post("accept", examples.ACCEPT, p.planner)
    read = await transfer.get(p.planner)
    assert read["person"]["family_name"] == FAMILY
    assert read["state"] == "accepted"
    for path in ("/v1/handovers", f"{transfer.path}/events"):
        response = await api.get(path, headers=p.police)
        assert response.status_code == 200, response.text
    assistance = fresh(
        examples.ASSISTANCE_CREATE,
        person=_person("samordningsnummer", SAMORDNINGSNUMMER, OTHER_GIVEN, OTHER_FAMILY),
    )
    await Flow(api, p).create(assistance)
    refused = await api.post(
        "/v1/handovers",
        json=fresh(person=_person("personnummer", WRONG_CHECK_DIGIT, GIVEN, FAMILY)),
        headers=p.police,
    )
    assert refused.status_code == 400, refused.text

    async with pool.acquire() as conn:
        shown = {name: await conn.fetchval(f"SHOW {name}") for name in PRIVATE_LOG_SETTINGS}
        assert shown == PRIVATE_LOG_SETTINGS
        data_dir = Path(await conn.fetchval("SHOW data_directory"))
        errors = await _fail_on_personal_data(conn)

    # The errors are about the person's data, but their primary messages quote none of it
    # (a type input error would: `invalid input syntax for type integer: "<value>"`).
    assert not [e for e in errors if any(s in e for s in SECRETS)], errors
    pg_log = EmbeddedPostgres(data_dir, 0).log_file
    logs = {
        path: path.read_text(encoding="utf-8", errors="replace")
        for path in sorted({*scratch.rglob("*.log"), pg_log, *data_dir.glob("log/*")})
        if path.is_file()
    }
    assert pg_log in logs, f"no PostgreSQL log at {pg_log}"
    assert scratch / "temporal.log" in logs
    assert "handover.created" in logs[app_log], "the in-process app's log was not captured"
    assert logs[pg_log].strip(), "the PostgreSQL log is empty: this test would prove nothing"
    for error in errors:
        assert f"ERROR:  {error}" in logs[pg_log], f"{error!r} was not logged by PostgreSQL"

    found = {
        f"{path}: {secret!r}" for path, text in logs.items() for secret in SECRETS if secret in text
    }
    records = "\n".join(
        str(r.msg) if isinstance(r.msg, dict) else r.getMessage() for r in caplog.records
    )
    found |= {f"log records: {secret!r}" for secret in SECRETS if secret in records}
    assert not found, "personal data in server logs:\n" + "\n".join(sorted(found))
