"""Settings: read once from the environment into a frozen Struct and passed in, never global."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from contracts.deadline_policy import Clocks
from contracts.webhooks import WebhookPolicy
from contracts.workflow import DEFAULT_TASK_QUEUE
from workflows.codec import EncryptionCodec, PayloadKeyError, parse_key
from workflows.webhook_activities import SecretBox, WebhookConfig

DEV_JWT_SECRET = "development-only-secret-change-me-in-production-0123456789"  # noqa: S105
ROOT = Path(__file__).resolve().parents[2]

Port = Annotated[int, Meta(ge=1, le=65535)]


class Settings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Everything configurable; each field is read from HANDOVER_<FIELD> unless noted."""

    database_url: str | None = None  # DATABASE_URL; unset: embedded PostgreSQL in dev
    temporal_address: str | None = None  # TEMPORAL_ADDRESS; unset: embedded dev server
    temporal_namespace: str = "default"
    task_queue: str = DEFAULT_TASK_QUEUE
    api_host: str = "127.0.0.1"
    api_port: Port = 8000
    pg_port: Port = 55432
    temporal_port: Port = 7233
    temporal_ui_port: Port = 8233
    dev_dir: str = str(ROOT / ".dev")
    migrations_dir: str = str(ROOT / "infra" / "migrations")
    # base64 of 32 bytes: encrypts every Temporal payload (personal data). `handover dev`
    # keeps one in .dev/payload.key; `handover api` and `worker` refuse to start without it.
    payload_key: str | None = None
    payload_old_keys: str = ""  # comma-separated keys that still decrypt (rotation)
    # base64 of 32 bytes: keys the pseudonym of each identity number that lets auditors ask
    # "who read this person" (kept outside the database; `handover dev` keeps one in .dev/).
    audit_key: str | None = None
    jwt_secret: Annotated[str, Meta(min_length=32)] = DEV_JWT_SECRET
    jwt_algorithm: Literal["HS256", "HS384", "HS512"] = "HS256"
    jwt_max_lifetime_hours: Annotated[float, Meta(gt=0, le=10)] = 10
    # Production sign-in: RS256/ES256 tokens verified against a JWKS (URL or file). With
    # neither set, tokens are HS256 with `jwt_secret` (development and tests).
    jwks_url: str | None = None
    jwks_file: str | None = None
    jwt_issuer: str | None = None
    jwt_audience: str | None = None
    jwt_leeway_seconds: Annotated[int, Meta(ge=0, le=300)] = 30
    # An unknown `kid` refetches the JWKS (a rotated key), at most once per this interval.
    jwks_refetch_seconds: Annotated[float, Meta(ge=0, le=3600)] = 30.0
    # Requests per minute per client (organisation, unit and token subject), all replicas.
    rate_limit_per_minute: Annotated[int, Meta(ge=1)] = 600
    # Origins a browser may call the API from (comma-separated); none by default.
    cors_origins: str = ""
    # How often each process re-reads the revoked-token list: a revocation takes this long.
    revocation_refresh_seconds: Annotated[float, Meta(gt=0, le=60)] = 2.0
    update_timeout_seconds: Annotated[float, Meta(gt=0)] = 10.0
    db_timeout_seconds: Annotated[float, Meta(gt=0)] = 5.0
    retry_after_seconds: Annotated[int, Meta(ge=1)] = 5
    pg_pool_max: Annotated[int, Meta(ge=1)] = 10
    # Operational clocks (the legal ones are fixed by the deadline policy).
    response_deadline_seconds: Annotated[float, Meta(gt=0)] = 7200
    custody_gap_seconds: Annotated[float, Meta(gt=0)] = 900
    incident_report_days: Annotated[int, Meta(ge=0)] = 0
    retention_days: Annotated[int, Meta(ge=1)] = 730
    # Operational defaults where the law names no hours (deadline policy version 2).
    assistance_execution_hours: Annotated[float, Meta(gt=0)] = 24
    assistance_execution_child_hours: Annotated[float, Meta(gt=0)] = 12
    deferral_reminder_hours: Annotated[float, Meta(gt=0)] = 4
    deferral_reminder_child_hours: Annotated[float, Meta(gt=0)] = 1
    # Deadline policy version 3: a person at a lodging this long past its planned departure.
    lodging_overstay_hours: Annotated[float, Meta(gt=0)] = 2
    # Webhooks. The key (base64 of 32 bytes) seals each subscription's secret in PostgreSQL;
    # unset, the payload key (and its old keys) does. API and worker need the same keys.
    webhook_key: str | None = None
    webhook_old_keys: str = ""  # comma-separated keys that still open secrets (rotation)
    # Plain http to localhost/127.0.0.1 (development and tests); never in production.
    webhook_allow_loopback: bool = False
    webhook_timeout_seconds: Annotated[float, Meta(gt=0, le=30)] = 5.0
    webhook_initial_backoff_seconds: Annotated[float, Meta(gt=0)] = 2.0
    webhook_max_backoff_seconds: Annotated[float, Meta(gt=0)] = 300.0
    # Consecutive failed attempts of one event before the subscription pauses.
    webhook_max_failures: Annotated[int, Meta(ge=1, le=100)] = 8
    # How often an idle subscription looks for new events.
    webhook_poll_seconds: Annotated[float, Meta(gt=0, le=3600)] = 2.0
    # How often the reconciliation schedule compares open requests with the read model and
    # repairs lag (workflows/reconcile.py); every worker creates or updates the schedule at
    # start. 0: workers leave the schedule alone (none is created).
    reconcile_every_seconds: Annotated[float, Meta(ge=0)] = 300.0
    # Bearer token a Prometheus scraper sends to /metrics; unset: only loopback may scrape.
    metrics_token: Annotated[str, Meta(min_length=16)] | None = None
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["auto", "json", "console"] = "auto"

    @property
    def embedded_postgres(self) -> bool:
        return self.database_url is None

    @property
    def embedded_temporal(self) -> bool:
        return self.temporal_address is None

    def payload_codec(self) -> EncryptionCodec | None:
        if self.payload_key is None:
            return None
        old = [parse_key(k.strip()) for k in self.payload_old_keys.split(",") if k.strip()]
        return EncryptionCodec(parse_key(self.payload_key), old)

    def webhook_secrets(self) -> SecretBox | None:
        """What seals and opens subscription secrets: the webhook key, else the payload key."""
        if self.webhook_key is not None:
            key, old_text = self.webhook_key, self.webhook_old_keys
        elif self.payload_key is not None:
            key, old_text = self.payload_key, self.payload_old_keys
        else:
            return None
        old = [parse_key(k.strip()) for k in old_text.split(",") if k.strip()]
        return SecretBox(parse_key(key), old)

    def webhook_policy(self) -> WebhookPolicy:
        return WebhookPolicy(
            initial_backoff_seconds=self.webhook_initial_backoff_seconds,
            max_backoff_seconds=self.webhook_max_backoff_seconds,
            max_failures=self.webhook_max_failures,
            poll_seconds=self.webhook_poll_seconds,
            timeout_seconds=self.webhook_timeout_seconds,
        )

    def webhook_config(self) -> WebhookConfig:
        return WebhookConfig(
            secrets=self.webhook_secrets(), allow_loopback=self.webhook_allow_loopback
        )

    def audit_key_bytes(self) -> bytes | None:
        return None if self.audit_key is None else parse_key(self.audit_key)

    def clocks(self) -> Clocks:
        return Clocks(
            response_seconds=self.response_deadline_seconds,
            custody_gap_seconds=self.custody_gap_seconds,
            incident_report_days=self.incident_report_days,
            retention_days=self.retention_days,
            assistance_execution_hours=self.assistance_execution_hours,
            assistance_execution_child_hours=self.assistance_execution_child_hours,
            deferral_reminder_hours=self.deferral_reminder_hours,
            deferral_reminder_child_hours=self.deferral_reminder_child_hours,
            lodging_overstay_hours=self.lodging_overstay_hours,
        )

    def with_servers(self, *, database_url: str, temporal_address: str) -> Settings:
        return msgspec.structs.replace(
            self, database_url=database_url, temporal_address=temporal_address
        )


_UNPREFIXED = {"database_url": "DATABASE_URL", "temporal_address": "TEMPORAL_ADDRESS"}


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read settings from the environment; a bad value fails at start with its variable named."""
    env = os.environ if environ is None else environ
    raw: dict[str, str] = {}
    for field in msgspec.structs.fields(Settings):
        name = _UNPREFIXED.get(field.name, f"HANDOVER_{field.name.upper()}")
        if (value := env.get(name)) not in (None, ""):
            raw[field.name] = value
    try:
        settings = msgspec.convert(raw, Settings, strict=False)
        settings.payload_codec()  # a bad key fails here, at start, not at the first request
        settings.audit_key_bytes()
        settings.webhook_secrets()
    except (msgspec.ValidationError, PayloadKeyError) as exc:
        raise SystemExit(f"invalid setting: {exc}") from exc
    return settings
