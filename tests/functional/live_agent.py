"""A live agent core with its operator endpoints, for the metrics and ctl tests.

Everything the daemon wires up except RPC: an :class:`AgentCore` on a
simulated host fed by the fake server, an :class:`AgentMetrics` observer,
the ``/metrics`` HTTP server on 127.0.0.1 (ephemeral port) and the ctl
socket in a temporary directory.
"""

from __future__ import annotations

import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from fakes import FakeServer, make_driver
from prometheus_client.parser import text_string_to_metric_families

from ovsagent.agent.core import AgentCore
from ovsagent.agent.settings import AgentSettings
from ovsagent.agent.view import AgentView
from ovsagent.agent.wiring import DeviceDetails
from ovsagent.ctl.commands import Commands
from ovsagent.ctl.server import CtlServer
from ovsagent.metrics import AgentMetrics, MetricsServer
from ovsagent.ovs import ovsdb
from ovsagent.pipeline.state import Segment
from ovsagent.testbench import SimHost, SimVM, Testbed

REMOTE_IP = "198.18.0.2"  # a tunnel endpoint the agent is told about (l2pop off)


class FakeHeartbeat:
    def __init__(self) -> None:
        self.last_success: float | None = None
        self.failures = 0


@dataclass
class LiveAgent:
    bed: Testbed
    host: SimHost
    server: FakeServer
    core: AgentCore
    metrics: AgentMetrics
    view: AgentView
    http: MetricsServer
    ctl: CtlServer
    heartbeat: FakeHeartbeat

    def scrape(self) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
        """``/metrics`` over HTTP: (sample name, labels) -> value."""
        with urllib.request.urlopen(self.http.url, timeout=10) as reply:
            text = reply.read().decode()
        return {(s.name, frozenset(s.labels.items())): s.value
                for family in text_string_to_metric_families(text) for s in family.samples}

    def value(self, name: str, **labels: str) -> float:
        return self.scrape().get((name, frozenset(labels.items())), 0.0)

    def vm(self, name: str, ip: str, network: str | None, segment: Segment | None) -> SimVM:
        n = len(self.bed.vms) + 1
        port_id = f"{name}-0000-0000-0000-{n:012d}"
        mac = f"fa:16:3e:00:01:{n:02x}"
        if network is not None:
            self.server.details[port_id] = DeviceDetails(
                port_id, network, segment, mac_address=mac, fixed_ips=(ip,))
        return self.bed.add_vm(self.host, name, mac, f"{ip}/24", port_id)


def wait_for(what: str, predicate: Callable[[], object], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


@contextmanager
def live_agent(tmp: Path, driver_name: str = "native") -> Iterator[LiveAgent]:
    bed = Testbed()
    core = http = ctl = None
    try:
        host = bed.add_host("h1")
        ips = bed.add_underlay()
        bed.add_physnet("br-phys1")
        settings = AgentSettings(
            host=host.name, local_ip=ips["h1"], tunnel_types=("vxlan",),
            bridge_mappings=(("physnet1", "br-phys1"),), datapath_type="netdev",
            of_interface=driver_name, ovsdb_connection=host.ovsdb_connection,
            of_connect_timeout=30, polling_interval=1, report_interval=30,
            metrics_listen="127.0.0.1:0", ctl_socket=str(tmp / "ctl.sock"))
        server = FakeServer()
        metrics = AgentMetrics()
        client = ovsdb.OvsdbClient(host.ovsdb_connection, timeout=10)
        core = AgentCore(settings, server, make_driver(driver_name, host), client,
                         observer=metrics)
        core.start()
        view = AgentView(core, rundir=str(host.rundir))
        heartbeat = FakeHeartbeat()
        view.heartbeat = heartbeat
        metrics.attach(view)
        http = MetricsServer(metrics.registry, settings.metrics_listen).start()
        ctl = CtlServer(settings.ctl_socket, Commands(view)).start()
        core.on_tunnel_update("vxlan", REMOTE_IP)
        yield LiveAgent(bed, host, server, core, metrics, view, http, ctl, heartbeat)
    finally:
        for endpoint in (ctl, http):
            if endpoint is not None:
                endpoint.stop()
        if core is not None:
            core.stop()
            core.driver.close()
            core.client.close()
        bed.teardown()
