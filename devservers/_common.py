"""What both development servers share: their error, free ports, the tail of a log in a message."""

from __future__ import annotations

import socket
from pathlib import Path

_LOG_TAIL_LINES = 30


class EmbeddedServerError(RuntimeError):
    """A development server could not be set up, started or stopped."""


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def with_tail(message: str, path: Path | None) -> str:
    """The message, followed by the last lines of the server's log when there are any."""
    try:
        text = path.read_text(errors="replace") if path is not None else ""
    except OSError:
        text = ""
    tail = "\n".join(text.splitlines()[-_LOG_TAIL_LINES:])
    if not tail:
        return message
    return f"{message}\n--- last lines of {path} ---\n{tail}"
