"""The daemon's optional operator endpoints: ``/metrics`` and the ctl socket.

Both are cheap and read-only (see :mod:`ovsagent.agent.view`). Neither can
stop the agent: a port or socket that cannot be bound is logged and the
agent runs without it. prometheus_client is imported only when
``[agent] metrics_listen`` is set.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from ovsagent.agent.settings import AgentSettings
from ovsagent.agent.view import AgentView
from ovsagent.stopping import stop_in_parallel

if TYPE_CHECKING:
    from ovsagent.ctl.server import CtlServer
    from ovsagent.metrics import AgentMetrics, MetricsServer

LOG = logging.getLogger(__name__)
ENDPOINT_STOP_GRACE = 2.0  # socketserver's shutdown waits for its 0.5 s poll


def make_metrics(settings: AgentSettings) -> AgentMetrics | None:
    """The metrics registry to feed, or None when ``metrics_listen`` is empty."""
    if not settings.metrics_listen:
        return None
    from ovsagent.metrics import AgentMetrics

    return AgentMetrics()


class OpsEndpoints:
    def __init__(self, settings: AgentSettings, view: AgentView,
                 metrics: AgentMetrics | None) -> None:
        self.settings = settings
        self.view = view
        self.metrics = metrics
        self.http: MetricsServer | None = None
        self.ctl: CtlServer | None = None

    def start(self) -> None:
        s = self.settings
        if self.metrics is not None and s.metrics_listen:
            from ovsagent.metrics import MetricsServer

            self.metrics.attach(self.view)
            try:
                self.http = MetricsServer(self.metrics.registry, s.metrics_listen).start()
            except OSError as exc:
                LOG.error("[agent] metrics_listen = %s: cannot listen (%s); running without "
                          "metrics", s.metrics_listen, exc)
        if s.ctl_socket:
            from ovsagent.ctl.commands import Commands
            from ovsagent.ctl.protocol import CtlError
            from ovsagent.ctl.server import CtlServer

            try:
                self.ctl = CtlServer(s.ctl_socket, Commands(self.view)).start()
            except (OSError, CtlError) as exc:
                LOG.error("[agent] ctl_socket = %s: %s; running without ovsagent-ctl",
                          s.ctl_socket, exc)

    def stop(self) -> None:
        """Both side by side: each waits up to half a second for its serving loop."""
        steps = {name: endpoint.stop for name, endpoint in (("ovsagent-ctl", self.ctl),
                                                            ("metrics", self.http))
                 if endpoint is not None}
        stop_in_parallel(steps, grace=ENDPOINT_STOP_GRACE)
        self.ctl = self.http = None
