"""The agent side of ``ovsagent-ctl``: a unix socket answering JSON lines.

Access is the socket file's permissions (0660: the agent's user and group).
A stale socket left by a killed agent is replaced; a live one (another
agent answering) is left alone and this server does not start.
"""

from __future__ import annotations

import logging
import os
import socket
import socketserver
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ovsagent.ctl.protocol import MAX_LINE, CtlError, decode, encode, read_line

LOG = logging.getLogger(__name__)

SOCKET_MODE = 0o660
Handler = Callable[[str, dict[str, Any]], Any]


class UsageError(ValueError):
    """A bad request (unknown command, bad argument): reported, not logged as a failure."""


def _in_use(path: Path) -> bool:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        probe.settimeout(1.0)
        try:
            probe.connect(str(path))
        except OSError:
            return False
    return True


class _Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True
    handle_command: Handler


class _RequestHandler(socketserver.BaseRequestHandler):
    server: _Server

    def handle(self) -> None:
        sock: socket.socket = self.request
        sock.settimeout(30.0)
        try:
            message = decode(read_line(sock, MAX_LINE))
            command, args = message.get("command"), message.get("args") or {}
            if not isinstance(command, str) or not isinstance(args, dict):
                raise UsageError("request needs a 'command' string and an 'args' object")
            reply = {"ok": True, "result": self.server.handle_command(command, args)}
        except (CtlError, UsageError) as exc:
            reply = {"ok": False, "error": str(exc)}
        except Exception as exc:
            LOG.exception("ctl request failed")
            reply = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
        try:
            sock.sendall(encode(reply))
        except OSError as exc:
            LOG.debug("ctl client went away: %s", exc)


class CtlServer:
    """Serves ``handler(command, args)`` on ``path`` until :meth:`stop`."""

    def __init__(self, path: str | Path, handler: Handler) -> None:
        self.path = Path(path)
        self.handler = handler
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> CtlServer:
        """Bind and serve; raises CtlError if another agent owns the socket."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.path.exists() or self.path.is_symlink():
            if _in_use(self.path):
                raise CtlError(f"{self.path} is in use by another process")
            self.path.unlink()
        server = _Server(str(self.path), _RequestHandler)
        server.handle_command = self.handler
        os.chmod(self.path, SOCKET_MODE)
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name="ctl", daemon=True,
                                        kwargs={"poll_interval": 0.5})
        self._thread.start()
        LOG.info("ovsagent-ctl socket: %s", self.path)
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.path.unlink(missing_ok=True)
        self._server = None
