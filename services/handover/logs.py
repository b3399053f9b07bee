"""structlog: JSON lines (console on a TTY); stdlib and Temporal records go the same way."""

from __future__ import annotations

import logging
import sys
from typing import Any

import structlog
import temporalio.activity
import temporalio.workflow
from structlog.typing import EventDict, WrappedLogger

from services.handover.settings import Settings

_FORBIDDEN = frozenset({"person", "identity", "number", "given_name", "family_name", "name"})


def _drop_personal_data(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    """Last line of defence: a person's identity or name never reaches a log line."""
    for key in _FORBIDDEN & event_dict.keys():
        event_dict[key] = "[redacted]"
    return event_dict


def _flatten_temporal(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    """Lift the ids Temporal attaches to workflow and activity records to the top level."""
    for key in ("temporal_workflow", "temporal_activity"):
        info = event_dict.pop(key, None)
        if isinstance(info, dict):
            for field in ("workflow_id", "run_id", "activity_type", "workflow_type", "update_name"):
                if field in info:
                    event_dict.setdefault(field, info[field])
    return event_dict


def configure_logging(settings: Settings) -> None:
    """Configure structlog and route the stdlib root logger through the same renderer."""
    json_output = settings.log_format == "json" or (
        settings.log_format == "auto" and not sys.stderr.isatty()
    )
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _flatten_temporal,
        _drop_personal_data,
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if json_output
        # Plain tracebacks: a rich one would print local variables, which may hold a person.
        else structlog.dev.ConsoleRenderer(exception_formatter=structlog.dev.plain_traceback)
    )
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[structlog.stdlib.ExtraAdder(), *shared],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            renderer,
        ],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(settings.log_level)
    # Temporal appends its context to the message text by default; we want it as fields instead.
    temporalio.workflow.logger.workflow_info_on_message = False
    temporalio.workflow.logger.workflow_info_on_extra = True
    temporalio.activity.logger.activity_info_on_message = False
    for noisy in ("uvicorn.access", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
