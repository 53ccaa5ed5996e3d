"""Gauges computed at scrape time from the agent's published state."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily, InfoMetricFamily, Metric
from prometheus_client.registry import Collector

from ovsagent import __version__
from ovsagent.agent.health import OvsStatus
from ovsagent.agent.view import AgentView

PREFIX = "ovsagent"


def _gauge(name: str, doc: str, value: float | None = None,
           labels: list[str] | None = None) -> GaugeMetricFamily:
    return GaugeMetricFamily(f"{PREFIX}_{name}", doc, value=value, labels=labels)


class StateCollector(Collector):
    """Ports, VLANs, tunnels, flows, heartbeat and loop state of one agent."""

    def __init__(self, view: AgentView) -> None:
        self.view = view

    def collect(self) -> Iterator[Metric]:
        v = self.view
        snap = v.loop()
        s = v.settings
        info = InfoMetricFamily(f"{PREFIX}_agent", "The agent process", labels=[
            "host", "of_interface", "generation", "version"])
        info.add_metric([s.host, s.of_interface, str(v.core.generation), __version__], {})
        yield info
        ports = _gauge("ports", "VIFs on the integration bridge, by state", labels=["state"])
        for state, n in snap.port_counts().items():
            ports.add_metric([state], n)
        yield ports
        vlans = _gauge("local_vlans", "Local VLANs in use, by network type",
                       labels=["network_type"])
        for ntype, n in sorted(Counter(net.segment.network_type
                                       for net in snap.networks.values()).items()):
            vlans.add_metric([ntype], n)
        yield vlans
        tunnels = _gauge("tunnel_ports", "Tunnel ports on the tunnel bridge, by type",
                         labels=["tunnel_type"])
        by_type = Counter(t.tunnel_type for t in snap.tunnels)
        for ttype in s.tunnel_types:
            tunnels.add_metric([ttype], by_type.get(ttype, 0))
        yield tunnels
        yield self._flows()
        age = v.heartbeat_age()
        yield _gauge("heartbeat_age_seconds", "Seconds since the last successful state "
                     "report (NaN: none yet)", math.nan if age is None else age)
        hb = v.heartbeat
        yield _gauge("heartbeat_failures", "State reports failed in a row",
                     hb.failures if hb is not None else 0)
        yield _gauge("synced", "1 once every port was processed and tunnels synced",
                     1 if snap.synced else 0)
        status = _gauge("ovs_status", "Open vSwitch as the canary flow shows it",
                        labels=["status"])
        for st in OvsStatus:
            status.add_metric([st.value], 1 if snap.ovs_status == st.value else 0)
        yield status
        yield _gauge("rpc_loop_iteration", "Number of the next rpc_loop pass", snap.iteration)
        yield _gauge("rpc_loop_last_iteration_timestamp_seconds",
                     "Unix time the last rpc_loop pass ended (NaN: none yet)",
                     math.nan if snap.last_at is None else snap.last_at)
        if v.broker is not None:
            yield _gauge("rpc_consumers_connected", "1 while the RPC consumers are running",
                         1 if v.broker.started else 0)

    def _flows(self) -> GaugeMetricFamily:
        flows = _gauge("flows", "Flows installed by the agent, by bridge and table",
                       labels=["bridge", "table", "table_name"])
        for bridge, installed in sorted(self.view.installed().items()):
            for table, n in sorted(Counter(f.table for f in installed).items()):
                flows.add_metric([bridge, str(table), self.view.table_name(bridge, table)], n)
        return flows
