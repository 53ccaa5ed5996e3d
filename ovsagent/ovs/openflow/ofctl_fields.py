"""Name tables shared by the ovs-ofctl renderer and parser (pure data).

Three vocabularies meet here:

* the model's field names (os-ken's OXM names such as ``eth_src``,
  ``tunnel_id``, ``ipv6_nd_target``, plus NXM-only ``vlan_tci``,
  ``in_port_nxm`` and ``regN``);
* the names ``ovs-ofctl`` uses in matches and ``set_field`` (``dl_src``,
  ``tun_id``, ``nd_target``, ``nw_src`` ...);
* the NXM/OXM header names Open vSwitch prints inside ``move`` and
  ``learn`` (``NXM_OF_ETH_SRC``, ``OXM_OF_IN_PORT`` ...), with bit widths.

Everything was checked against ``ovs-ofctl -O OpenFlow13 dump-flows`` of
Open vSwitch 3.1.
"""

from __future__ import annotations

from ovsagent.pipeline.flow import (
    OFPP_ALL,
    OFPP_ANY,
    OFPP_CONTROLLER,
    OFPP_FLOOD,
    OFPP_IN_PORT,
    OFPP_LOCAL,
    OFPP_NORMAL,
    OFPP_TABLE,
)


class OfctlSyntaxError(ValueError):
    """A flow cannot be rendered to, or parsed from, ovs-ofctl text."""


# model match field -> the name rendered in ovs-ofctl match text.
MATCH_RENDER: dict[str, str] = {
    "in_port": "in_port",
    "eth_dst": "dl_dst",
    "eth_src": "dl_src",
    "eth_type": "dl_type",
    "vlan_vid": "vlan_vid",
    "vlan_pcp": "vlan_pcp",
    "ip_proto": "nw_proto",
    "ipv4_src": "nw_src",
    "ipv4_dst": "nw_dst",
    "ipv6_src": "ipv6_src",
    "ipv6_dst": "ipv6_dst",
    "arp_op": "arp_op",
    "arp_spa": "arp_spa",
    "arp_tpa": "arp_tpa",
    "arp_sha": "arp_sha",
    "arp_tha": "arp_tha",
    "icmpv4_type": "icmp_type",
    "icmpv6_type": "icmpv6_type",
    "ipv6_nd_target": "nd_target",
    "tunnel_id": "tun_id",
    "metadata": "metadata",
}

# ovs-ofctl match / set_field name -> model field.  ``icmp_type`` means
# icmpv6_type in an IPv6 flow (resolved by the parser); the VLAN names
# (dl_vlan, dl_vlan_pcp, vlan_tci, vlan_vid, vlan_pcp) are handled apart.
OFCTL_NAMES: dict[str, str] = {
    "in_port": "in_port",
    "dl_dst": "eth_dst", "eth_dst": "eth_dst",
    "dl_src": "eth_src", "eth_src": "eth_src",
    "dl_type": "eth_type", "eth_type": "eth_type",
    "nw_proto": "ip_proto", "ip_proto": "ip_proto",
    "nw_src": "ipv4_src", "ip_src": "ipv4_src",
    "nw_dst": "ipv4_dst", "ip_dst": "ipv4_dst",
    "ipv6_src": "ipv6_src", "ipv6_dst": "ipv6_dst",
    "arp_op": "arp_op", "arp_spa": "arp_spa", "arp_tpa": "arp_tpa",
    "arp_sha": "arp_sha", "arp_tha": "arp_tha",
    "icmp_type": "icmpv4_type", "icmpv6_type": "icmpv6_type",
    "nd_target": "ipv6_nd_target",
    "tun_id": "tunnel_id", "tunnel_id": "tunnel_id",
    "metadata": "metadata",
    "vlan_vid": "vlan_vid", "vlan_pcp": "vlan_pcp", "vlan_tci": "vlan_tci",
}

# model field -> the name used (and printed) in ``set_field:V->NAME``.
SET_FIELD_RENDER: dict[str, str] = {
    "in_port": "in_port", "eth_dst": "eth_dst", "eth_src": "eth_src", "eth_type": "eth_type",
    "vlan_vid": "vlan_vid", "vlan_pcp": "vlan_pcp", "ip_proto": "ip_proto",
    "ipv4_src": "ip_src", "ipv4_dst": "ip_dst", "ipv6_src": "ipv6_src", "ipv6_dst": "ipv6_dst",
    "arp_op": "arp_op", "arp_spa": "arp_spa", "arp_tpa": "arp_tpa", "arp_sha": "arp_sha",
    "arp_tha": "arp_tha", "icmpv4_type": "icmp_type", "icmpv6_type": "icmpv6_type",
    "ipv6_nd_target": "nd_target", "tunnel_id": "tun_id", "metadata": "metadata",
    "vlan_tci": "vlan_tci",
}

# Protocol shorthands of match text: name -> (eth_type, ip_proto or None).
PROTOCOLS: dict[str, tuple[int, int | None]] = {
    "ip": (0x0800, None), "ipv6": (0x86DD, None), "arp": (0x0806, None),
    "rarp": (0x8035, None), "mpls": (0x8847, None), "mplsm": (0x8848, None),
    "icmp": (0x0800, 1), "icmp6": (0x86DD, 58), "tcp": (0x0800, 6), "tcp6": (0x86DD, 6),
    "udp": (0x0800, 17), "udp6": (0x86DD, 17), "sctp": (0x0800, 132), "sctp6": (0x86DD, 132),
}

# Fields of NX actions (move, learn): model name -> (name OVS prints, bits).
# OVS prints a field under one preferred header whichever one was sent
# (OXM_OF_ARP_SHA comes back as NXM_NX_ARP_SHA).
NX_FIELDS: dict[str, tuple[str, int]] = {
    "in_port": ("OXM_OF_IN_PORT", 32),
    "in_port_nxm": ("NXM_OF_IN_PORT", 16),
    "metadata": ("OXM_OF_METADATA", 64),
    "eth_dst": ("NXM_OF_ETH_DST", 48),
    "eth_src": ("NXM_OF_ETH_SRC", 48),
    "eth_type": ("NXM_OF_ETH_TYPE", 16),
    "vlan_tci": ("NXM_OF_VLAN_TCI", 16),
    "vlan_vid": ("OXM_OF_VLAN_VID", 12),
    "vlan_pcp": ("OXM_OF_VLAN_PCP", 3),
    "ip_proto": ("NXM_OF_IP_PROTO", 8),
    "ipv4_src": ("NXM_OF_IP_SRC", 32),
    "ipv4_dst": ("NXM_OF_IP_DST", 32),
    "icmpv4_type": ("NXM_OF_ICMP_TYPE", 8),
    "arp_op": ("NXM_OF_ARP_OP", 16),
    "arp_spa": ("NXM_OF_ARP_SPA", 32),
    "arp_tpa": ("NXM_OF_ARP_TPA", 32),
    "arp_sha": ("NXM_NX_ARP_SHA", 48),
    "arp_tha": ("NXM_NX_ARP_THA", 48),
    "ipv6_src": ("NXM_NX_IPV6_SRC", 128),
    "ipv6_dst": ("NXM_NX_IPV6_DST", 128),
    "icmpv6_type": ("NXM_NX_ICMPV6_TYPE", 8),
    "ipv6_nd_target": ("NXM_NX_ND_TARGET", 128),
    "tunnel_id": ("NXM_NX_TUN_ID", 64),
    **{f"reg{i}": (f"NXM_NX_REG{i}", 32) for i in range(16)},
}

# Other spellings accepted when rendering / parsing NX fields.
_NX_ALIASES: dict[str, str] = {
    "nd_target": "ipv6_nd_target", "tun_id": "tunnel_id",
    "OXM_OF_ETH_DST": "eth_dst", "OXM_OF_ETH_SRC": "eth_src", "OXM_OF_ETH_TYPE": "eth_type",
    "OXM_OF_IP_PROTO": "ip_proto", "OXM_OF_IPV4_SRC": "ipv4_src", "OXM_OF_IPV4_DST": "ipv4_dst",
    "OXM_OF_ICMPV4_TYPE": "icmpv4_type", "OXM_OF_ARP_OP": "arp_op", "OXM_OF_ARP_SPA": "arp_spa",
    "OXM_OF_ARP_TPA": "arp_tpa", "OXM_OF_ARP_SHA": "arp_sha", "OXM_OF_ARP_THA": "arp_tha",
    "OXM_OF_IPV6_SRC": "ipv6_src", "OXM_OF_IPV6_DST": "ipv6_dst",
    "OXM_OF_ICMPV6_TYPE": "icmpv6_type", "OXM_OF_IPV6_ND_TARGET": "ipv6_nd_target",
    "OXM_OF_TUNNEL_ID": "tunnel_id",
}
_NX_BY_HEADER: dict[str, str] = {hdr: name for name, (hdr, _bits) in NX_FIELDS.items()}


def canonical_nx_field(name: str) -> str:
    """Model name of an NX-action field given in any accepted spelling.

    ``eth_src_nxm`` / ``OXM_OF_ETH_SRC`` / ``NXM_OF_ETH_SRC`` -> ``eth_src``;
    ``in_port_nxm`` stays (a distinct 16-bit field in OVS).
    """
    if name in NX_FIELDS:
        return name
    if name in _NX_BY_HEADER:
        return _NX_BY_HEADER[name]
    if name in _NX_ALIASES:
        return _NX_ALIASES[name]
    if name.endswith("_nxm") and name[:-4] in NX_FIELDS:
        return name[:-4]
    raise OfctlSyntaxError(f"unsupported field {name!r} in move/learn")


def nx_field(name: str) -> tuple[str, int]:
    """(header name, width in bits) of an NX-action field, any spelling."""
    return NX_FIELDS[canonical_nx_field(name)]


# Reserved OpenFlow 1.3 port numbers <-> ovs-ofctl names.
PORT_NAMES: dict[int, str] = {
    OFPP_IN_PORT: "IN_PORT", OFPP_TABLE: "TABLE", OFPP_NORMAL: "NORMAL",
    OFPP_FLOOD: "FLOOD", OFPP_ALL: "ALL", OFPP_CONTROLLER: "CONTROLLER",
    OFPP_LOCAL: "LOCAL", OFPP_ANY: "ANY",
}
PORTS_BY_NAME: dict[str, int] = {v: k for k, v in PORT_NAMES.items()} | {"NONE": OFPP_ANY}

# Largest regular port number Open vSwitch accepts (OF1.0 range, 0xfeff).
MAX_PORT = 0xFEFF


def render_port(port: int) -> str:
    if port in PORT_NAMES:
        return PORT_NAMES[port]
    if not 0 < port <= MAX_PORT:
        raise OfctlSyntaxError(f"port {port:#x} is neither a regular nor a reserved port")
    return str(port)


def parse_port(text: str) -> int:
    if text.upper() in PORTS_BY_NAME:
        return PORTS_BY_NAME[text.upper()]
    try:
        port = int(text, 0)
    except ValueError:
        raise OfctlSyntaxError(f"bad port {text!r}") from None
    # OF1.0 spellings of reserved ports (0xfff8..0xffff) -> OF1.3 numbers.
    if 0xFFF8 <= port <= 0xFFFF:
        return port | 0xFFFF0000
    return port
