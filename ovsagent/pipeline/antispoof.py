"""ARP / neighbour-advert / MAC anti-spoofing flows of one VIF (reference/03 §2.4), pure.

Case A (port security disabled, or a ``network:*`` port): no flows at all.
Case B: the port may only send from its own MACs (port MAC and the MACs of
its allowed address pairs), claim only its own IPv4 addresses as ARP sender
and only its own IPv6 addresses (plus the EUI-64 link-local address of each
of its MACs) as neighbour-advert target. CIDRs of allowed address pairs
become address/netmask matches. A ``/0`` entry allows every address of its
family, so no check is installed for it; an IPv4 ``/0`` also drops the ND
check (the reference deletes both hooks in that case).

The flows replace the reference's sequence of deletes and adds: the agent
diffs the computed set against what is installed, so flows of addresses a
port no longer has disappear by themselves.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from ovsagent.pipeline.flow import (
    ETH_TYPE_ARP,
    ETH_TYPE_IPV6,
    IP_PROTO_ICMPV6,
    Flow,
    flow,
    ip_match,
    normalize_value,
)
from ovsagent.pipeline.state import PortSecurity
from ovsagent.pipeline.tables import (
    ARP_SPOOF_TABLE,
    LOCAL_EGRESS_TABLE,
    LOCAL_SWITCHING,
    MAC_SPOOF_TABLE,
    PACKET_RATE_LIMIT,
)

NETWORK_OWNER_PREFIX = "network:"
ND_NEIGHBOR_ADVERT = 136

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def is_protected(security: PortSecurity) -> bool:
    """Case B of reference/03 §2.4 (else case A: nothing installed)."""
    return (security.port_security_enabled
            and not security.device_owner.startswith(NETWORK_OWNER_PREFIX))


def allowed_macs(mac: str, security: PortSecurity) -> list[str]:
    """The VIF's MAC and the MACs of its allowed address pairs, normalised."""
    macs = [mac, *(m for m, _ in security.allowed_address_pairs if m)]
    return sorted({m for m in map(_mac, macs) if m is not None})


def allowed_networks(mac: str, security: PortSecurity) -> list[Network]:
    """Fixed IPs, pair IPs/CIDRs and the link-local address of every allowed MAC."""
    texts = [*security.fixed_ips, *(ip for _, ip in security.allowed_address_pairs)]
    nets = {n for n in map(_network, texts) if n is not None}
    nets |= {ipaddress.IPv6Network(link_local(m)) for m in allowed_macs(mac, security)}
    return sorted(nets, key=lambda n: (n.version, int(n.network_address), n.prefixlen))


def link_local(mac: str) -> str:
    """The EUI-64 IPv6 link-local address (fe80::/64) of ``mac``."""
    raw = bytearray.fromhex(str(normalize_value("eth_src", mac)).replace(":", ""))
    eui = bytes([raw[0] ^ 0x02]) + bytes(raw[1:3]) + b"\xff\xfe" + bytes(raw[3:])
    return str(ipaddress.IPv6Address(b"\xfe\x80" + bytes(6) + eui))


def _mac(text: str) -> str | None:
    try:
        return str(normalize_value("eth_src", text))
    except ValueError:
        return None  # a MAC we cannot parse is simply not allowed


def _network(text: str) -> Network | None:
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None  # an address we cannot parse is simply not allowed


def _has_any(nets: Iterable[Network]) -> bool:
    return any(n.prefixlen == 0 for n in nets)


def port_flows(ofport: int, mac: str, security: PortSecurity) -> list[Flow]:
    """Every anti-spoofing flow of the VIF ``ofport``, in the reference's install order."""
    if not is_protected(security):
        return []
    flows = [flow(MAC_SPOOF_TABLE, 2, {"in_port": ofport, "eth_src": m}, goto=LOCAL_EGRESS_TABLE)
             for m in allowed_macs(mac, security)]
    flows.append(flow(LOCAL_SWITCHING, 9, {"in_port": ofport}, goto=MAC_SPOOF_TABLE))
    nets = allowed_networks(mac, security)
    v4 = [n for n in nets if n.version == 4]
    v6 = [n for n in nets if n.version == 6]
    if _has_any(v4):
        return flows  # any IPv4 sender allowed: the reference removes ARP and ND checks
    if not _has_any(v6):
        nd = {"in_port": ofport, "eth_type": ETH_TYPE_IPV6, "ip_proto": IP_PROTO_ICMPV6,
              "icmpv6_type": ND_NEIGHBOR_ADVERT}
        flows.extend(flow(ARP_SPOOF_TABLE, 2, {**nd, "ipv6_nd_target": ip_match(str(n))},
                          goto=PACKET_RATE_LIMIT) for n in v6)
        flows.append(flow(LOCAL_SWITCHING, 10, nd, goto=ARP_SPOOF_TABLE))
    arp = {"in_port": ofport, "eth_type": ETH_TYPE_ARP}
    flows.extend(flow(ARP_SPOOF_TABLE, 2, {**arp, "arp_spa": ip_match(str(n))},
                      goto=MAC_SPOOF_TABLE) for n in v4)
    flows.append(flow(LOCAL_SWITCHING, 10, arp, goto=ARP_SPOOF_TABLE))
    return flows
