"""The ctl wire format: one JSON object per line, one request per connection.

Request ``{"command": "flows", "args": {"port": "..."}}``; reply
``{"ok": true, "result": ...}`` or ``{"ok": false, "error": "..."}``.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

DEFAULT_SOCKET = "/var/run/ovsagent/ovsagent.sock"
MAX_LINE = 1 << 16  # requests are small
MAX_REPLY = 64 << 20


class CtlError(RuntimeError):
    """The agent could not be reached, or it answered with an error."""


def encode(message: dict[str, Any]) -> bytes:
    return json.dumps(message, separators=(",", ":"), default=str).encode() + b"\n"


def decode(line: bytes) -> dict[str, Any]:
    try:
        message = json.loads(line)
    except ValueError as exc:
        raise CtlError(f"not a JSON line: {exc}") from exc
    if not isinstance(message, dict):
        raise CtlError("not a JSON object")
    return message


def read_line(sock: socket.socket, limit: int) -> bytes:
    """Bytes up to the first newline (or EOF); CtlError past ``limit``."""
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
        if b"\n" in chunk:
            break
        if size > limit:
            raise CtlError(f"message longer than {limit} bytes")
    return b"".join(chunks).split(b"\n", 1)[0]


def request(path: str | Path, command: str, args: dict[str, Any] | None = None,
            timeout: float = 60.0) -> Any:
    """Send one command to the agent at ``path``; its result, or CtlError."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        try:
            sock.connect(str(path))
        except OSError as exc:
            raise CtlError(f"cannot reach the agent at {path}: {exc.strerror or exc} "
                           "(is ovsagent running? see [agent] ctl_socket)") from exc
        try:
            sock.sendall(encode({"command": command, "args": args or {}}))
            reply = decode(read_line(sock, MAX_REPLY))
        except TimeoutError as exc:
            raise CtlError(f"no reply from the agent within {timeout:g} s") from exc
        except OSError as exc:
            raise CtlError(f"talking to the agent at {path}: {exc}") from exc
    if not reply.get("ok"):
        raise CtlError(str(reply.get("error", "the agent refused the request")))
    return reply.get("result")
