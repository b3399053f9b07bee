"""ASGI middleware: a request id on every call, bound to every log line and echoed back."""

from __future__ import annotations

import re
import time
import uuid

import structlog
from litestar.enums import ScopeType
from litestar.types import ASGIApp, HTTPScope, Message, Receive, Scope, Send

log = structlog.get_logger("http")
_VALID_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
HEADER = b"x-request-id"
# Every answer: not to be sniffed, framed or cached (it may hold personal data), no referrer.
SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"strict-transport-security", b"max-age=31536000"),
]
API_HEADERS = [
    (b"cache-control", b"no-store"),
    (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'"),
]


def request_context(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await app(scope, receive, send)
            return
        http: HTTPScope = scope
        incoming = dict(scope["headers"]).get(HEADER, b"").decode("latin-1")
        request_id = incoming if _VALID_ID.match(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        with structlog.contextvars.bound_contextvars(request_id=request_id):
            try:
                await app(scope, receive, send_with_id)
            finally:
                log.info(
                    "http.request",
                    method=http["method"],
                    path=scope["path"],
                    status=status,
                    duration_ms=round((time.perf_counter() - started) * 1000, 1),
                )

    return middleware


async def response_headers(message: Message, scope: Scope) -> None:
    """before_send hook: the request id and the security headers on every answer, errors
    raised in middleware (a 401, a 429) included, which pass no middleware on their way out."""
    if message["type"] != "http.response.start":
        return
    request_id = scope.get("state", {}).get("request_id")
    # The docs pages load their own scripts; everything else is data.
    extra = SECURITY_HEADERS + ([] if scope["path"].startswith("/schema") else API_HEADERS)
    if isinstance(request_id, str):
        extra = [(HEADER, request_id.encode()), *extra]
    present = {name.lower() for name, _ in message.get("headers", [])}
    message["headers"] = [
        *message.get("headers", []),
        *((name, value) for name, value in extra if name not in present),
    ]
