"""Prometheus metrics of one agent process (``[agent] metrics_listen``).

:class:`AgentMetrics` owns a private registry (never the global default, so
several agents can live in one test process): counters and histograms fed
by the agent as it works (it implements
:class:`~ovsagent.agent.observer.Observer`), plus gauges computed from the
agent's published state at every scrape (:mod:`ovsagent.metrics.state`).
"""

from ovsagent.metrics.events import AgentMetrics
from ovsagent.metrics.http import MetricsServer

__all__ = ["AgentMetrics", "MetricsServer"]
