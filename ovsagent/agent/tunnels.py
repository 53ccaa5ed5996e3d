"""Tunnel ports on br-tun: created on demand, removed when nothing uses them.

Names follow the reference (``vxlan-c6120002``: type + the remote IP in hex),
so ports a previous agent (ours or the reference) created are reused.
"""

from __future__ import annotations

import ipaddress
import logging
from typing import Any

from ovsagent.agent.settings import AgentSettings
from ovsagent.ovs import ovsdb
from ovsagent.ovs.ovsdb.db import parse_ofport
from ovsagent.pipeline.compute import FLOODING_ENTRY
from ovsagent.pipeline.state import TUNNEL_TYPES, HostState, TunnelPort

LOG = logging.getLogger(__name__)


class TunnelManager:
    """Keeps ``state.tunnels`` and the br-tun tunnel ports in step."""

    def __init__(self, settings: AgentSettings, client: ovsdb.OvsdbClient,
                 state: HostState) -> None:
        self.s = settings
        self.client = client
        self.state = state
        self._hw_offload: bool | None = None

    def wanted(self, tunnel_type: str, remote_ip: str) -> bool:
        """Whether a tunnel to ``remote_ip`` makes sense on this host."""
        if tunnel_type not in self.s.tunnel_types or not self.s.local_ip:
            return False
        if remote_ip == self.s.local_ip:
            return False
        try:
            remote = ipaddress.ip_address(remote_ip)
        except ValueError:
            LOG.warning("ignoring tunnel endpoint %r: not an IP address", remote_ip)
            return False
        return remote.version == ipaddress.ip_address(self.s.local_ip).version

    def ensure(self, tunnel_type: str, remote_ip: str) -> TunnelPort | None:
        """The tunnel port to ``remote_ip``, creating it if needed (None if unwanted)."""
        key = (tunnel_type, remote_ip)
        if key in self.state.tunnels:
            return self.state.tunnels[key]
        if not self.wanted(tunnel_type, remote_ip):
            return None
        assert self.s.local_ip is not None
        name = ovsdb.tunnel_port_name(tunnel_type, remote_ip)
        ovsdb.add_tunnel_port(
            self.client, self.s.tunnel_bridge, name, tunnel_type, self.s.local_ip, remote_ip,
            dst_port=self.s.vxlan_udp_port if tunnel_type == "vxlan" else None,
            csum=self.s.tunnel_csum, df_default=self.s.dont_fragment,
            clear_pkt_mark=not self.hw_offload())
        ofport = ovsdb.get_ofport(self.client, name, timeout=self.s.ovsdb_timeout)
        if ofport <= 0:
            LOG.error("tunnel port %s to %s got no valid ofport (%s)", name, remote_ip, ofport)
            return None
        tunnel = TunnelPort(tunnel_type, remote_ip, ofport)
        self.state.tunnels[key] = tunnel
        LOG.info("tunnel port %s (ofport %d) to %s created", name, ofport, remote_ip)
        return tunnel

    def restore(self) -> list[TunnelPort]:
        """Adopt the tunnel ports already on br-tun (ours or the reference's, same names)."""
        def read(db: Any) -> list[tuple[str, str, str, int | None]]:
            found = []
            bridge = db.lookup("Bridge", self.s.tunnel_bridge)
            for port in bridge.ports if bridge is not None else []:
                for iface in port.interfaces:
                    remote = dict(iface.options).get("remote_ip")
                    if iface.type in TUNNEL_TYPES and remote:
                        found.append((str(iface.type), str(remote), str(iface.name),
                                      parse_ofport(iface.ofport)))
            return found

        restored = []
        for ttype, remote_ip, name, ofport in self.client.read(read):
            if name != ovsdb.tunnel_port_name(ttype, remote_ip):
                continue  # not named by our scheme: leave it alone
            if ofport is None or ofport <= 0:
                ofport = ovsdb.get_ofport(self.client, name, timeout=self.s.ovsdb_timeout)
            if ofport > 0:
                tunnel = TunnelPort(ttype, remote_ip, ofport)
                self.state.tunnels[(ttype, remote_ip)] = tunnel
                restored.append(tunnel)
        if restored:
            LOG.info("adopted %d existing tunnel ports", len(restored))
        return restored

    def by_ofport(self, ofport: int) -> TunnelPort | None:
        return next((t for t in self.state.tunnels.values() if t.ofport == ofport), None)

    def hw_offload(self) -> bool:
        """``Open_vSwitch other_config:hw-offload`` (read once): tunnel ports then
        keep the packet mark, which offloaded datapaths cannot clear."""
        if self._hw_offload is None:
            def read(db: Any) -> bool:
                config = dict(db.open_vswitch().other_config)
                return str(config.get("hw-offload", "")).lower() == "true"
            self._hw_offload = bool(self.client.read(read))
        return self._hw_offload

    def floods_to(self, tunnel_type: str, remote_ip: str) -> bool:
        """Whether a local network of ``tunnel_type`` floods to ``remote_ip``: with
        l2pop, its FDB holds the FLOODING_ENTRY there; without, every tunnel of
        the type is in the flood set of every local network of that type."""
        for net in self.state.networks.values():
            if net.segment.network_type != tunnel_type:
                continue
            if not self.s.l2_population:
                return True
            if FLOODING_ENTRY in self.state.fdb.get(net.network_id, {}).get(remote_ip, ()):
                return True
        return False

    def in_use(self, tunnel_type: str, remote_ip: str) -> bool:
        """With l2pop a tunnel lives while some local network floods to it;
        without, tunnels live until the server deletes them."""
        if not self.s.l2_population:
            return True
        return self.floods_to(tunnel_type, remote_ip)

    def remove_unused(self, only: set[tuple[str, str]] | None = None) -> list[str]:
        """Delete tunnel ports nothing uses any more, in one OVSDB operation."""
        doomed = [key for key in (only if only is not None else set(self.state.tunnels))
                  if key in self.state.tunnels and not self.in_use(*key)]
        names = [ovsdb.tunnel_port_name(t, ip) for t, ip in doomed]
        if names:
            ovsdb.delete_ports(self.client, self.s.tunnel_bridge, names)
            for key in doomed:
                del self.state.tunnels[key]
            LOG.info("tunnel ports removed: %s", ", ".join(names))
        return names

    def remove(self, tunnel_type: str, remote_ip: str) -> bool:
        """Server said the endpoint is gone (``tunnel_delete``): the port goes unless
        a local network still floods to it (reference/03 §3.6)."""
        key = (tunnel_type, remote_ip)
        if key not in self.state.tunnels:
            return False
        if self.floods_to(tunnel_type, remote_ip):
            LOG.info("tunnel_delete for %s %s: kept, a local network floods to it",
                     tunnel_type, remote_ip)
            return False
        ovsdb.delete_ports(self.client, self.s.tunnel_bridge,
                           [ovsdb.tunnel_port_name(tunnel_type, remote_ip)])
        del self.state.tunnels[key]
        return True
