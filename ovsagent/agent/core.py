"""One host's agent, assembled: bridges, state, loop, OVSDB events.

:class:`AgentCore` is what the daemon runs and what functional tests drive
directly with a fake server. RPC consumers call its ``on_*`` methods from
their own threads; every state change is handed to the loop thread.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Iterable

from ovsagent.agent.bridges import BridgeSetup
from ovsagent.agent.flowsync import FlowSync
from ovsagent.agent.loop import RpcLoop, ServerApi
from ovsagent.agent.settings import AgentSettings
from ovsagent.agent.tunnels import TunnelManager
from ovsagent.agent.vlans import LocalVlanAllocator, NetworkKey
from ovsagent.agent.wiring import PortWiring
from ovsagent.ovs import ovsdb
from ovsagent.ovs.openflow.base import OpenFlowDriver
from ovsagent.pipeline.state import HostState

LOG = logging.getLogger(__name__)


class AgentCore:
    def __init__(self, settings: AgentSettings, server: ServerApi, driver: OpenFlowDriver,
                 client: ovsdb.OvsdbClient) -> None:
        self.s = settings
        self.server = server
        self.driver = driver
        self.client = client
        self.cookie = secrets.randbits(64)
        self.state = HostState()
        self.vlans = LocalVlanAllocator()
        self.flows = FlowSync(driver)
        self.bridges = BridgeSetup(settings, client, driver)
        self.tunnels = TunnelManager(settings, client, self.state)
        self.loop: RpcLoop | None = None
        self._monitor: ovsdb.InterfaceMonitor | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------ lifecycle
    def setup(self) -> RpcLoop:
        """Bridges, restored VLANs, base flows; returns the (not yet running) loop."""
        topology = self.bridges.setup(self.cookie)
        self._restore_vlans()
        wiring = PortWiring(self.s, self.state, self.vlans)
        self.loop = RpcLoop(self.s, self.client, self.flows, self.server, self.state, wiring,
                            self.tunnels, topology)
        self.loop.sync_flows()  # base flows (additive: existing port flows stay)
        self.bridges.connect_physnet_patches(topology)
        return self.loop

    def start(self) -> None:
        loop = self.setup()
        self._monitor = ovsdb.InterfaceMonitor(self.client, self._on_interface, initial=False)
        self._monitor.start()
        self._thread = threading.Thread(target=loop.run, name="rpc_loop", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._monitor is not None:
            self._monitor.stop()
        if self.loop is not None:
            self.loop.stop()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def _restore_vlans(self) -> None:
        for port in ovsdb.list_ports(self.client, self.s.integration_bridge):
            net = port.other_config.get("net_uuid")
            if not net or port.tag is None:
                continue
            segid = port.other_config.get("segmentation_id")
            self.vlans.restore_hint(NetworkKey(net, int(segid) if segid else None), port.tag)

    # ------------------------------------------------------ event inputs
    def _on_interface(self, event: ovsdb.InterfaceEvent) -> None:
        iface = event.interface
        port_id = iface.iface_id or (event.old.iface_id if event.old else None)
        if not port_id:
            return
        if event.kind is ovsdb.EventKind.DELETE:
            assert self.loop is not None
            self.loop.port_removed(port_id)
        elif iface.attached_mac:
            assert self.loop is not None
            self.loop.port_changed(port_id)

    def on_port_update(self, port_id: str) -> None:
        """The server changed a port (push cache): re-process it if plugged here."""
        if self.loop is not None:
            self.loop.port_changed(port_id)

    def on_tunnel_update(self, tunnel_type: str, remote_ip: str) -> None:
        """A new endpoint (ignored with l2pop: FDB entries create tunnels then)."""
        if self.loop is not None and not self.s.l2_population:
            self.loop.call_soon(lambda: self.tunnels.ensure(tunnel_type, remote_ip))

    def on_tunnel_delete(self, tunnel_type: str, remote_ip: str) -> None:
        if self.loop is not None:
            self.loop.call_soon(lambda: self.tunnels.remove(tunnel_type, remote_ip))

    def on_fdb_add(self, network_id: str, tunnel_type: str, remote_ip: str,
                   entries: Iterable[tuple[str, str]]) -> None:
        """l2pop: (mac, ip) entries (FLOODING_ENTRY included) now live behind ``remote_ip``."""
        items = {(mac.lower(), ip) for mac, ip in entries}

        def apply() -> None:
            if network_id not in self.state.networks:
                return  # no local port on that network
            if self.tunnels.ensure(tunnel_type, remote_ip) is None:
                return
            self.state.fdb.setdefault(network_id, {}).setdefault(remote_ip, set()).update(items)

        if self.loop is not None:
            self.loop.call_soon(apply)

    def on_fdb_remove(self, network_id: str, tunnel_type: str, remote_ip: str,
                      entries: Iterable[tuple[str, str]]) -> None:
        items = {(mac.lower(), ip) for mac, ip in entries}

        def apply() -> None:
            remotes = self.state.fdb.get(network_id, {})
            remotes.get(remote_ip, set()).difference_update(items)
            if remote_ip in remotes and not remotes[remote_ip]:
                del remotes[remote_ip]
            self.tunnels.remove_unused({(tunnel_type, remote_ip)})

        if self.loop is not None:
            self.loop.call_soon(apply)
