"""The ``/metrics`` HTTP endpoint (``[agent] metrics_listen = ADDRESS:PORT``)."""

from __future__ import annotations

import logging
import threading
from typing import Any

from prometheus_client import CollectorRegistry, start_http_server

from ovsagent.config.listen import parse_listen

LOG = logging.getLogger(__name__)


class MetricsServer:
    """A threaded HTTP server exposing one registry; :meth:`stop` closes it."""

    def __init__(self, registry: CollectorRegistry, listen: str) -> None:
        self.registry = registry
        self.address, self.port = parse_listen(listen)
        self._server: Any = None
        self._thread: threading.Thread | None = None

    def start(self) -> MetricsServer:
        self._server, self._thread = start_http_server(self.port, self.address,
                                                       registry=self.registry)
        self.port = int(self._server.server_port)  # the real one when 0 was asked for
        LOG.info("metrics on http://%s:%d/metrics", self.address, self.port)
        return self

    @property
    def url(self) -> str:
        host = f"[{self.address}]" if ":" in self.address else self.address
        return f"http://{host}:{self.port}/metrics"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
