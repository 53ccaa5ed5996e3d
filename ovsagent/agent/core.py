"""One host's agent, assembled: bridges, state, loop, OVSDB events.

:class:`AgentCore` is what the daemon runs and what functional tests drive
directly with a fake server. RPC consumers call its ``on_*`` methods from
their own threads; every state change is handed to the loop thread.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable

from ovsagent.agent.bridges import BridgeSetup
from ovsagent.agent.flowsync import FlowSync
from ovsagent.agent.loop import RpcLoop, ServerApi
from ovsagent.agent.observer import NullObserver, Observer
from ovsagent.agent.portlist import PortListWriter
from ovsagent.agent.settings import AgentSettings
from ovsagent.agent.tunnels import TunnelManager
from ovsagent.agent.vlans import LocalVlanAllocator, NetworkKey
from ovsagent.agent.wiring import PortWiring
from ovsagent.ovs import ovsdb
from ovsagent.ovs.openflow.base import OpenFlowDriver
from ovsagent.pipeline.compute import FLOODING_ENTRY
from ovsagent.pipeline.flow import FlowFilter, Output
from ovsagent.pipeline.reconcile import COOKIE_TAG
from ovsagent.pipeline.state import HostState, Topology
from ovsagent.pipeline.tables import FLOOD_TO_TUN

GENERATION_KEY = "ovsagent-generation"


def generation_cookie(generation: int) -> int:
    """Flows of the agent process number ``generation`` carry this cookie."""
    return COOKIE_TAG | (generation & 0xFFFFFFFFFFFF)

LOG = logging.getLogger(__name__)


class AgentCore:
    def __init__(self, settings: AgentSettings, server: ServerApi, driver: OpenFlowDriver,
                 client: ovsdb.OvsdbClient, observer: Observer | None = None) -> None:
        self.s = settings
        self.observer: Observer = observer or NullObserver()
        self.server = server
        self.driver = driver
        self.client = client
        self.generation = 0
        self.cookie = 0
        self.state = HostState()
        self.vlans = LocalVlanAllocator()
        self.flows = FlowSync(driver, self.observer)
        self.bridges = BridgeSetup(settings, client, driver)
        self.tunnels = TunnelManager(settings, client, self.state)
        self.loop: RpcLoop | None = None
        self._monitor: ovsdb.InterfaceMonitor | None = None
        self._thread: threading.Thread | None = None
        self._restored_flood: dict[str, set[str]] = {}  # network -> remote IPs (l2pop)
        self._port_vlans: dict[str, int] = {}  # VIF name -> VLAN it had at start
        self.ovs_restart_listeners: list[Callable[[], None]] = []
        self.port_list: PortListWriter | None = None  # saves br-int's ports for the next start

    # ------------------------------------------------------------ lifecycle
    def setup(self) -> RpcLoop:
        """Bridges, restored VLANs/tunnels/flood sets, base flows; returns the loop."""
        start = time.monotonic()
        self._next_generation()
        topology = self.bridges.setup(self.cookie)
        bridges_done = time.monotonic()
        # only the next process reads it: no need to wait for ovs-vswitchd to reconfigure
        ovsdb.update_bridge(self.client, self.s.integration_bridge,
                            external_ids={GENERATION_KEY: str(self.generation)},
                            wait_vswitchd=False)
        hints = self._restore_vlans()
        if self.s.tunnelling:
            self.tunnels.restore()
            if self.s.l2_population:
                self._restore_flood_sets(hints)
        wiring = PortWiring(self.s, self.state, self.vlans)
        self.loop = RpcLoop(self.s, self.client, self.flows, self.server, self.state, wiring,
                            self.tunnels, topology, on_ovs_restart=self._resetup,
                            observer=self.observer)
        self.loop.restored_port_vlans = dict(self._port_vlans)
        self.loop.port_list = self.port_list
        restored = time.monotonic()
        self.loop.sync_flows()  # base flows; additive, so existing port flows stay
        self.bridges.connect_physnet_patches(topology)
        end = time.monotonic()
        LOG.info("generation %d, cookie %#x; set up in %.3f s (bridges %.3f, restore %.3f, "
                 "flows %.3f)", self.generation, self.cookie, end - start,
                 bridges_done - start, restored - bridges_done, end - restored)
        return self.loop

    def _next_generation(self) -> None:
        previous = 0
        if ovsdb.bridge_exists(self.client, self.s.integration_bridge):
            text = ovsdb.get_bridge(self.client, self.s.integration_bridge).external_ids.get(
                GENERATION_KEY, "0")
            previous = int(text) if text.isdigit() else 0
        self.generation = previous + 1
        self.cookie = generation_cookie(self.generation)

    def _resetup(self) -> Topology:
        """OVS restarted: bridges, ports and tunnels again (flows are replayed by the loop)."""
        topology = self.bridges.setup(self.cookie)
        self.bridges.connect_physnet_patches(topology)
        if self.s.tunnelling:
            self.state.tunnels.clear()
            self.tunnels.restore()
        for listener in self.ovs_restart_listeners:
            listener()
        return topology

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

    def _restore_vlans(self) -> dict[str, int]:
        """VLAN hints from br-int ports (net_uuid/segmentation_id + tag); network -> VLAN."""
        hints: dict[str, int] = {}
        for port in ovsdb.list_ports(self.client, self.s.integration_bridge):
            net = port.other_config.get("net_uuid")
            if not net or port.tag is None or port.tag == 4095:
                continue
            segid = port.other_config.get("segmentation_id")
            self.vlans.restore_hint(NetworkKey(net, int(segid) if segid else None), port.tag)
            hints[net] = port.tag
            self._port_vlans[port.name] = port.tag
        return hints

    def _restore_flood_sets(self, hints: dict[str, int]) -> None:
        """Keep flooding where it went before the restart until l2pop resends the FDB
        (LP#1978088): each network's table-22 outputs become FLOODING_ENTRYs."""
        by_vlan = {vlan: net for net, vlan in hints.items()}
        for f in self.driver.dump(self.s.tunnel_bridge, FlowFilter(table=FLOOD_TO_TUN)):
            vid = f.match.get("vlan_vid")
            net = by_vlan.get(vid & 0xFFF) if isinstance(vid, int) else None
            if net is None:
                continue
            for action in f.actions:
                tunnel = self.tunnels.by_ofport(action.port) if isinstance(action, Output) \
                    else None
                if tunnel is not None:
                    remotes = self.state.fdb.setdefault(net, {})
                    remotes.setdefault(tunnel.remote_ip, set()).add(FLOODING_ENTRY)
                    self._restored_flood.setdefault(net, set()).add(tunnel.remote_ip)

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
                   entries: Iterable[tuple[str, str]], segment_id: int | None = None) -> None:
        """l2pop: (mac, ip) entries (FLOODING_ENTRY included) now live behind ``remote_ip``.

        Only for a network with a local VLAN here, of that type and (when given)
        segment: the server sends every agent the FDB of every network, and
        sends this host a network's whole FDB when its first port there is up."""
        items = {(mac.lower(), ip) for mac, ip in entries}

        def apply() -> None:
            if not self._fdb_applies(network_id, tunnel_type, segment_id):
                return
            if self.tunnels.ensure(tunnel_type, remote_ip) is None:
                return
            remotes = self.state.fdb.setdefault(network_id, {})
            restored = self._restored_flood.pop(network_id, set())
            for stale_ip in restored - {remote_ip}:
                # restored before the server spoke: kept only if the FDB confirms it
                remotes.get(stale_ip, set()).discard(FLOODING_ENTRY)
                if not remotes.get(stale_ip):
                    remotes.pop(stale_ip, None)
            remotes.setdefault(remote_ip, set()).update(items)

        if self.loop is not None:
            self.loop.call_soon(apply)

    def on_fdb_remove(self, network_id: str, tunnel_type: str, remote_ip: str,
                      entries: Iterable[tuple[str, str]], segment_id: int | None = None) -> None:
        items = {(mac.lower(), ip) for mac, ip in entries}

        def apply() -> None:
            if not self._fdb_applies(network_id, tunnel_type, segment_id):
                return
            remotes = self.state.fdb.get(network_id, {})
            remotes.get(remote_ip, set()).difference_update(items)
            if remote_ip in remotes and not remotes[remote_ip]:
                del remotes[remote_ip]
            self.tunnels.remove_unused({(tunnel_type, remote_ip)})

        if self.loop is not None:
            self.loop.call_soon(apply)

    def on_fdb_ip_change(self, network_id: str, remote_ip: str,
                         before: Iterable[tuple[str, str]],
                         after: Iterable[tuple[str, str]]) -> None:
        """l2pop chg_ip: a remote port's (mac, ip) pairs changed. Only the ARP
        responder entries follow (the MAC, hence the unicast flow, is the same);
        never creates a tunnel (reference/03 §3.4)."""
        old = {(mac.lower(), ip) for mac, ip in before}
        new = {(mac.lower(), ip) for mac, ip in after}

        def apply() -> None:
            entries = self.state.fdb.get(network_id, {}).get(remote_ip)
            if network_id not in self.state.networks or entries is None:
                return  # nothing of it here: the full FDB will carry the new pairs
            entries.difference_update(old - new)
            entries.update(new)

        if self.loop is not None:
            self.loop.call_soon(apply)

    def _fdb_applies(self, network_id: str, tunnel_type: str, segment_id: int | None) -> bool:
        net = self.state.networks.get(network_id)
        if net is None or net.segment.network_type != tunnel_type:
            return False
        return segment_id is None or net.segment.segmentation_id == segment_id
