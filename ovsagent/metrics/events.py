"""Counters and histograms the agent feeds as it works (the Observer side)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.exposition import generate_latest

from ovsagent.agent.observer import RESYNC_CAUSES

if TYPE_CHECKING:
    from ovsagent.agent.loop import IterationStats
    from ovsagent.agent.view import AgentView

PREFIX = "ovsagent"
FAST_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
                30.0)
RPC_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
               120.0)


class AgentMetrics:
    """One agent's metrics in their own registry; thread-safe."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.iterations = Histogram(
            f"{PREFIX}_rpc_loop_iteration_seconds", "Duration of rpc_loop passes that did work",
            buckets=FAST_BUCKETS, registry=r)
        self.ports_processed = Counter(
            f"{PREFIX}_rpc_loop_ports", "Ports processed by rpc_loop passes, by outcome",
            ["change"], registry=r)
        self.apply_seconds = Histogram(
            f"{PREFIX}_flow_apply_seconds", "Duration of one flow bundle (one bridge)",
            ["driver", "bridge"], buckets=FAST_BUCKETS, registry=r)
        self.flow_mods = Counter(
            f"{PREFIX}_flow_mods", "Flow modifications sent, by operation",
            ["driver", "bridge", "op"], registry=r)
        self.flow_errors = Counter(
            f"{PREFIX}_flow_apply_errors", "Flow bundles that failed (nothing applied)",
            ["driver", "bridge", "error"], registry=r)
        self.rpc_seconds = Histogram(
            f"{PREFIX}_rpc_call_seconds", "Duration of RPC calls to neutron-server",
            ["method"], buckets=RPC_BUCKETS, registry=r)
        self.rpc_errors = Counter(
            f"{PREFIX}_rpc_call_errors", "RPC calls that failed, by error",
            ["method", "error"], registry=r)
        self.resyncs = Counter(
            f"{PREFIX}_resyncs", "Full resyncs requested, by cause", ["cause"], registry=r)
        self.ovs_restarts = Counter(
            f"{PREFIX}_ovs_restarts", "ovs-vswitchd restarts detected (canary flow gone)",
            registry=r)
        for cause in RESYNC_CAUSES:  # export zeros, so rate() works from the start
            self.resyncs.labels(cause)
        for change in ("added", "updated", "removed", "failed"):
            self.ports_processed.labels(change)

    def attach(self, view: AgentView) -> None:
        """Add the gauges computed from ``view`` at every scrape."""
        from ovsagent.metrics.state import StateCollector

        self.registry.register(StateCollector(view))

    def render(self) -> bytes:
        """The text exposition format (what a scrape returns)."""
        return generate_latest(self.registry)

    # ------------------------------------------------------- Observer
    def iteration(self, stats: IterationStats) -> None:
        self.iterations.observe(stats.elapsed)
        for change, n in (("added", stats.added), ("updated", stats.updated),
                          ("removed", stats.removed), ("failed", stats.failed)):
            if n:
                self.ports_processed.labels(change).inc(n)

    def flow_apply(self, driver: str, bridge: str, counts: dict[str, int], seconds: float,
                   error: str | None) -> None:
        self.apply_seconds.labels(driver, bridge).observe(seconds)
        if error is not None:
            self.flow_errors.labels(driver, bridge, error).inc()
            return
        for op, n in counts.items():
            if n:
                self.flow_mods.labels(driver, bridge, op).inc(n)

    def resync(self, cause: str) -> None:
        self.resyncs.labels(cause).inc()

    def ovs_restart(self) -> None:
        self.ovs_restarts.inc()

    def rpc_call(self, method: str, seconds: float, error: str | None) -> None:
        self.rpc_seconds.labels(method).observe(seconds)
        if error is not None:
            self.rpc_errors.labels(method, error).inc()
