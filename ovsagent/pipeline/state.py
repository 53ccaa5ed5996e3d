"""The agent's desired state of one host, as plain data.

OVSDB events and RPC pushes update a :class:`HostState`; the pure function
:func:`ovsagent.pipeline.compute.compute_flows` turns it (plus the bridges'
:class:`Topology`) into the flows every bridge should hold.
"""

from __future__ import annotations

from dataclasses import dataclass, field

TUNNEL_TYPES = ("vxlan", "gre", "geneve")


@dataclass(frozen=True)
class Segment:
    network_type: str
    physical_network: str | None
    segmentation_id: int | None

    @property
    def is_tunnel(self) -> bool:
        return self.network_type in TUNNEL_TYPES


@dataclass(frozen=True)
class LocalNetwork:
    """A (network, segment) with ports on this host and its local VLAN."""

    network_id: str
    segment: Segment
    lvid: int


@dataclass(frozen=True)
class PortSecurity:
    """What anti-spoofing needs of a port besides its VIF MAC (reference/03 §2.4)."""

    fixed_ips: tuple[str, ...] = ()
    allowed_address_pairs: tuple[tuple[str, str], ...] = ()  # (mac or "", ip or CIDR)
    port_security_enabled: bool = True
    device_owner: str = ""


@dataclass(frozen=True)
class WiredPort:
    """A VIF on br-int bound to a local network (tag = its lvid)."""

    port_id: str
    ofport: int
    mac: str  # the VIF's attached-mac
    network_id: str
    lvid: int
    security: PortSecurity = PortSecurity()


@dataclass(frozen=True)
class TunnelPort:
    tunnel_type: str
    remote_ip: str
    ofport: int


@dataclass(frozen=True)
class PhysnetBridge:
    """A ``bridge_mappings`` bridge and its patch ports' ofports."""

    physnet: str
    bridge: str
    int_ofport: int   # int-<bridge> on br-int
    phys_ofport: int  # phy-<bridge> on the physical bridge


@dataclass(frozen=True)
class Topology:
    """What the flows refer to on this host, fixed between bridge setups."""

    cookie: int
    physnets: tuple[PhysnetBridge, ...] = ()
    patch_int_ofport: int | None = None  # patch-int on br-tun (None: no tunnelling)
    arp_responder: bool = False
    l2_population: bool = False

    def physnet(self, name: str | None) -> PhysnetBridge | None:
        for p in self.physnets:
            if p.physnet == name:
                return p
        return None


@dataclass
class HostState:
    """Everything the flows of this host depend on."""

    networks: dict[str, LocalNetwork] = field(default_factory=dict)  # by network_id
    ports: dict[str, WiredPort] = field(default_factory=dict)  # by port_id
    dead_ports: dict[str, int] = field(default_factory=dict)  # port_id -> ofport
    tunnels: dict[tuple[str, str], TunnelPort] = field(default_factory=dict)  # (type, ip)
    # l2pop: network_id -> remote tunnel IP -> {(mac, ip)}, FLOODING_ENTRY included
    fdb: dict[str, dict[str, set[tuple[str, str]]]] = field(default_factory=dict)
