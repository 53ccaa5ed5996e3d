"""The options the agent's components use, as one immutable value.

Components take an :class:`AgentSettings` rather than the oslo.config
object, so functional tests can build one directly.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class AgentSettings:
    host: str = field(default_factory=socket.gethostname)
    integration_bridge: str = "br-int"
    tunnel_bridge: str = "br-tun"
    int_peer_patch_port: str = "patch-tun"
    tun_peer_patch_port: str = "patch-int"
    local_ip: str | None = None
    tunnel_types: tuple[str, ...] = ()
    bridge_mappings: tuple[tuple[str, str], ...] = ()  # (physnet, bridge)
    datapath_type: str = "system"
    of_interface: str = "native"
    of_listen_address: str = "127.0.0.1"
    of_listen_port: int = 6633
    of_connect_timeout: int = 300
    of_request_timeout: int = 300
    of_inactivity_probe: int = 10
    ovsdb_connection: str = "tcp:127.0.0.1:6640"
    ovsdb_timeout: int = 10
    bridge_mac_table_size: int = 50000
    l2_population: bool = False
    arp_responder: bool = False
    vxlan_udp_port: int = 4789
    dont_fragment: bool = True
    tunnel_csum: bool = False
    drop_flows_on_start: bool = False
    polling_interval: int = 2
    report_interval: float = 30.0
    igmp_flood: bool = False
    igmp_flood_reports: bool = True
    igmp_snooping_enable: bool = False
    igmp_flood_unregistered: bool = False
    metrics_listen: str = ""  # ADDRESS:PORT; empty: no metrics endpoint
    ctl_socket: str = ""  # unix socket of ovsagent-ctl; empty: none
    state_path: str = ""  # where the port list is saved for the next start; empty: not saved

    @property
    def tunnelling(self) -> bool:
        return bool(self.tunnel_types)

    @property
    def controller_target(self) -> str | None:
        """``tcp:<addr>:<port>`` for the native driver, ``None`` for ovs-ofctl."""
        if self.of_interface != "native":
            return None
        addr = self.of_listen_address
        return f"tcp:[{addr}]:{self.of_listen_port}" if ":" in addr else \
            f"tcp:{addr}:{self.of_listen_port}"

    @classmethod
    def from_conf(cls, conf: Any) -> AgentSettings:
        """Read the reference's option names from an oslo.config object."""
        ovs, agent = conf.ovs, conf.agent
        mappings = []
        for item in ovs.bridge_mappings:
            physnet, _, bridge = item.partition(":")
            mappings.append((physnet.strip(), bridge.strip()))
        return cls(
            host=conf.host, integration_bridge=ovs.integration_bridge,
            tunnel_bridge=ovs.tunnel_bridge, int_peer_patch_port=ovs.int_peer_patch_port,
            tun_peer_patch_port=ovs.tun_peer_patch_port, local_ip=ovs.local_ip,
            tunnel_types=tuple(agent.tunnel_types), bridge_mappings=tuple(mappings),
            datapath_type=ovs.datapath_type, of_interface=ovs.of_interface,
            of_listen_address=ovs.of_listen_address, of_listen_port=ovs.of_listen_port,
            of_connect_timeout=ovs.of_connect_timeout,
            of_request_timeout=ovs.of_request_timeout,
            of_inactivity_probe=ovs.of_inactivity_probe, ovsdb_connection=ovs.ovsdb_connection,
            ovsdb_timeout=ovs.ovsdb_timeout, bridge_mac_table_size=ovs.bridge_mac_table_size,
            l2_population=agent.l2_population, arp_responder=agent.arp_responder,
            vxlan_udp_port=agent.vxlan_udp_port, dont_fragment=agent.dont_fragment,
            tunnel_csum=agent.tunnel_csum, drop_flows_on_start=agent.drop_flows_on_start,
            polling_interval=agent.polling_interval, report_interval=agent.report_interval,
            igmp_flood=ovs.igmp_flood, igmp_flood_reports=ovs.igmp_flood_reports,
            igmp_snooping_enable=ovs.igmp_snooping_enable,
            igmp_flood_unregistered=ovs.igmp_flood_unregistered,
            metrics_listen=agent.metrics_listen or "", ctl_socket=agent.ctl_socket or "",
            state_path=conf.state_path or "",
        )
