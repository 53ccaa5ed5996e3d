"""Shared pieces for functional tests that run the agent core without neutron."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping

from ovsagent.agent.core import AgentCore
from ovsagent.agent.portlist import PortListWriter
from ovsagent.agent.settings import AgentSettings
from ovsagent.agent.wiring import DeviceDetails
from ovsagent.ovs import ovsdb
from ovsagent.ovs.openflow.base import OpenFlowDriver
from ovsagent.testbench import SimHost


class FakeServer:
    """Device details from a table; records update_device_list."""

    def __init__(self) -> None:
        self.details: dict[str, DeviceDetails] = {}
        self.up: set[str] = set()
        self.down: set[str] = set()
        self.refreshes = 0
        self.failing: set[str] = set()  # ports whose details lookup fails
        self.lock = threading.Lock()

    def get_device_details(self, port_ids: list[str], refresh: bool = False
                           ) -> Mapping[str, DeviceDetails | None]:
        return {p: None if p in self.failing else self.details.get(p, DeviceDetails(p))
                for p in port_ids}

    def update_device_list(self, up: list[str], down: list[str], refresh_tunnels: bool
                           ) -> list[str]:
        with self.lock:
            self.up |= set(up)
            self.up -= set(down)
            self.down |= set(down)
            self.refreshes += int(refresh_tunnels)
        return []

    def wait_up(self, *port_ids: str, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while not set(port_ids) <= self.up:
            assert time.monotonic() < deadline, f"not up: {set(port_ids) - self.up}"
            time.sleep(0.02)


def make_driver(name: str, host: SimHost) -> OpenFlowDriver:
    if name == "ovs-ofctl":
        from ovsagent.ovs.openflow.ofctl import OfctlDriver

        return OfctlDriver(rundir=host.rundir, timeout=30)
    from ovsagent.ovs.openflow.native import NativeDriver

    return NativeDriver(listen_port=6633, netns=host.netns, request_timeout=30)


def start_agent(host: SimHost, local_ip: str, driver_name: str, server: FakeServer,
                port_list: PortListWriter | None = None, **overrides: object) -> AgentCore:
    settings = AgentSettings(**{  # type: ignore[arg-type]
        "host": host.name, "local_ip": local_ip, "tunnel_types": ("vxlan",),
        "bridge_mappings": (("physnet1", "br-phys1"),), "datapath_type": "netdev",
        "of_interface": driver_name, "ovsdb_connection": host.ovsdb_connection,
        "of_connect_timeout": 30, "polling_interval": 1, **overrides})
    client = ovsdb.OvsdbClient(host.ovsdb_connection, timeout=10)
    agent = AgentCore(settings, server, make_driver(driver_name, host), client)
    agent.port_list = port_list
    agent.start()
    return agent


def stop_agent(agent: AgentCore) -> None:
    """What SIGTERM does: stop, leave every flow and port in place."""
    agent.stop()
    agent.driver.close()
    agent.client.close()


def wait_synced(agent: AgentCore, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while agent.loop is None or not agent.loop.synced or agent.loop.has_work():
        assert time.monotonic() < deadline, "agent never synced"
        time.sleep(0.05)
