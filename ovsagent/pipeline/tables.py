"""The pipeline as data: every table of every bridge the agent programs.

Numbers and constant names are the reference agent's (neutron-lib
``ovs_constants``), so flows and dumps line up with it. Each declaration
also says which match fields its flows may use, which fields they may set
and where they may jump; :mod:`ovsagent.pipeline.checker` verifies every
computed flow against it. ``cleanup`` marks the tables that the reference
scans for stale cookies after a restart.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Table:
    number: int
    name: str
    purpose: str
    matches: frozenset[str] = frozenset()
    sets: frozenset[str] = frozenset()
    gotos: frozenset[int] = frozenset()
    miss: str = "drop"
    core: bool = True
    cleanup: bool = True


def _t(number: int, name: str, purpose: str, matches: str = "", sets: str = "",
       gotos: tuple[int, ...] = (), miss: str = "drop", core: bool = True,
       cleanup: bool = True) -> Table:
    return Table(number, name, purpose, frozenset(matches.split()), frozenset(sets.split()),
                 frozenset(gotos), miss, core, cleanup)


@dataclass(frozen=True)
class BridgePipeline:
    """The ordered tables of one kind of bridge."""

    kind: str
    tables: tuple[Table, ...]

    def __post_init__(self) -> None:
        numbers = [t.number for t in self.tables]
        assert numbers == sorted(set(numbers)), f"{self.kind}: table numbers unsorted/duplicated"

    def table(self, number: int) -> Table:
        for t in self.tables:
            if t.number == number:
                return t
        raise KeyError(f"{self.kind} has no table {number}")

    def by_name(self, name: str) -> Table:
        for t in self.tables:
            if t.name == name:
                return t
        raise KeyError(f"{self.kind} has no table {name}")

    @property
    def cleanup_tables(self) -> tuple[int, ...]:
        return tuple(t.number for t in self.tables if t.cleanup)


_SPOOF_L3 = "in_port eth_type ip_proto arp_spa icmpv6_type ipv6_nd_target"

BR_INT = BridgePipeline("br-int", (
    _t(0, "LOCAL_SWITCHING", "Entry: dead-VLAN drop, physnet VLAN translation, "
       "anti-spoofing hooks, then on to the rate-limit tables",
       matches="in_port vlan_vid eth_type ip_proto icmpv6_type", sets="vlan_vid",
       gotos=(24, 25, 58), miss="drop (default flow goes to 58)"),
    _t(1, "DVR_TO_SRC_MAC", "DVR (not used by ovsagent)", core=False),
    _t(2, "DVR_TO_SRC_MAC_PHYSICAL", "DVR (not used by ovsagent)", core=False),
    _t(3, "ARP_DVR_MAC_TO_DST_MAC", "DVR (not used by ovsagent)", core=False, cleanup=False),
    _t(4, "ARP_DVR_MAC_TO_DST_MAC_PHYSICAL", "DVR (not used by ovsagent)", core=False,
       cleanup=False),
    _t(23, "CANARY_TABLE", "One drop flow whose absence reveals an OVS restart"),
    _t(24, "ARP_SPOOF_TABLE", "Allowed sender IPs in ARP and targets in neighbour adverts",
       matches=_SPOOF_L3, gotos=(25, 58)),
    _t(25, "MAC_SPOOF_TABLE", "Allowed source MACs per VIF", matches="in_port eth_src",
       gotos=(30,), miss="drop (table miss)"),
    _t(30, "LOCAL_EGRESS_TABLE", "Hook for local egress (default: continue)", gotos=(31, 58)),
    _t(31, "LOCAL_IP_TABLE", "Hook for local IPs (default: continue)", gotos=(58,)),
    _t(58, "PACKET_RATE_LIMIT", "QoS packet-rate hook (default: continue)", gotos=(59,)),
    _t(59, "BANDWIDTH_RATE_LIMIT", "QoS meter hook (default: continue)", gotos=(60,)),
    _t(60, "TRANSIENT_TABLE", "NORMAL switching on the local VLAN",
       matches="in_port eth_src eth_dst vlan_vid", gotos=(61,)),
    _t(61, "LOCAL_MAC_DIRECT", "explicitly_egress_direct (not used by ovsagent)",
       matches="vlan_vid eth_dst reg6", core=False, gotos=(62,)),
    _t(62, "TRANSIENT_EGRESS_TABLE", "Egress NORMAL", matches="in_port eth_src eth_dst"),
    _t(71, "BASE_EGRESS", "OVS firewall (not used by ovsagent)", core=False),
    _t(72, "RULES_EGRESS", "OVS firewall (not used by ovsagent)", core=False),
    _t(73, "ACCEPT_OR_INGRESS", "OVS firewall (not used by ovsagent)", core=False),
    _t(77, "DHCP_IPV4_TABLE", "DHCP extension (not used by ovsagent)", core=False),
    _t(78, "DHCP_IPV6_TABLE", "DHCP extension (not used by ovsagent)", core=False),
    _t(81, "BASE_INGRESS", "OVS firewall (not used by ovsagent)", core=False),
    _t(82, "RULES_INGRESS", "OVS firewall (not used by ovsagent)", core=False),
    _t(91, "ACCEPTED_EGRESS_TRAFFIC", "OVS firewall logging (not used)", core=False),
    _t(92, "ACCEPTED_INGRESS_TRAFFIC", "OVS firewall logging (not used)", core=False),
    _t(93, "DROPPED_TRAFFIC", "OVS firewall logging (not used)", core=False),
    _t(94, "ACCEPTED_EGRESS_TRAFFIC_NORMAL", "OVS firewall (not used)", core=False,
       cleanup=False),
))

_TUN_TO_LV = dict(matches="tunnel_id", sets="vlan_vid", gotos=(10,))

BR_TUN = BridgePipeline("br-tun", (
    _t(0, "LOCAL_SWITCHING", "Classify: from br-int to 2, from tunnels to their type's table",
       matches="in_port", gotos=(1, 2, 3, 4, 6)),
    _t(1, "DVR_PROCESS", "DVR (not used by ovsagent)", core=False),
    _t(2, "PATCH_LV_TO_TUN", "From br-int: unicast to 20, broadcast ARP to 21, multicast to 22",
       matches="eth_type eth_dst", gotos=(20, 21, 22)),
    _t(3, "GRE_TUN_TO_LV", "GRE key -> local VLAN", **_TUN_TO_LV),  # type: ignore[arg-type]
    _t(4, "VXLAN_TUN_TO_LV", "VXLAN VNI -> local VLAN", **_TUN_TO_LV),  # type: ignore[arg-type]
    _t(6, "GENEVE_TUN_TO_LV", "Geneve VNI -> local VLAN", **_TUN_TO_LV),  # type: ignore[arg-type]
    _t(9, "DVR_NOT_LEARN", "DVR (not used by ovsagent)", core=False),
    _t(10, "LEARN_FROM_TUN", "Learn remote MACs into 20, then to br-int",
       matches="eth_type arp_tha ip_proto icmpv6_type"),
    _t(20, "UCAST_TO_TUN", "Known unicast (l2pop or learned) to its tunnel",
       matches="vlan_vid eth_dst", sets="tunnel_id", gotos=(22,)),
    _t(21, "ARP_RESPONDER", "Answer ARP for remote VMs locally (l2pop)",
       matches="vlan_vid eth_type arp_tpa",
       sets="arp_op arp_sha arp_spa eth_src", gotos=(22,)),
    _t(22, "FLOOD_TO_TUN", "Broadcast/unknown to the network's tunnels",
       matches="vlan_vid", sets="tunnel_id"),
))

BR_PHYS = BridgePipeline("br-phys", (
    _t(0, "LOCAL_SWITCHING", "Local VLAN -> segment (vlan) or untagged (flat), else NORMAL",
       matches="in_port vlan_vid", sets="vlan_vid", miss="drop (default flow NORMAL)"),
    _t(1, "DVR_PROCESS_PHYSICAL", "DVR (not used by ovsagent)", core=False),
    _t(2, "LOCAL_VLAN_TRANSLATION", "DVR (not used by ovsagent)", core=False),
    _t(3, "DVR_NOT_LEARN_PHYSICAL", "DVR (not used by ovsagent)", core=False),
))

PIPELINES: dict[str, BridgePipeline] = {p.kind: p for p in (BR_INT, BR_TUN, BR_PHYS)}

# Convenience constants, named as in the reference.
LOCAL_SWITCHING = 0
CANARY_TABLE = BR_INT.by_name("CANARY_TABLE").number
ARP_SPOOF_TABLE = BR_INT.by_name("ARP_SPOOF_TABLE").number
MAC_SPOOF_TABLE = BR_INT.by_name("MAC_SPOOF_TABLE").number
LOCAL_EGRESS_TABLE = BR_INT.by_name("LOCAL_EGRESS_TABLE").number
LOCAL_IP_TABLE = BR_INT.by_name("LOCAL_IP_TABLE").number
PACKET_RATE_LIMIT = BR_INT.by_name("PACKET_RATE_LIMIT").number
BANDWIDTH_RATE_LIMIT = BR_INT.by_name("BANDWIDTH_RATE_LIMIT").number
TRANSIENT_TABLE = BR_INT.by_name("TRANSIENT_TABLE").number
TRANSIENT_EGRESS_TABLE = BR_INT.by_name("TRANSIENT_EGRESS_TABLE").number
PATCH_LV_TO_TUN = BR_TUN.by_name("PATCH_LV_TO_TUN").number
GRE_TUN_TO_LV = BR_TUN.by_name("GRE_TUN_TO_LV").number
VXLAN_TUN_TO_LV = BR_TUN.by_name("VXLAN_TUN_TO_LV").number
GENEVE_TUN_TO_LV = BR_TUN.by_name("GENEVE_TUN_TO_LV").number
LEARN_FROM_TUN = BR_TUN.by_name("LEARN_FROM_TUN").number
UCAST_TO_TUN = BR_TUN.by_name("UCAST_TO_TUN").number
ARP_RESPONDER = BR_TUN.by_name("ARP_RESPONDER").number
FLOOD_TO_TUN = BR_TUN.by_name("FLOOD_TO_TUN").number
TUN_TABLE = {"gre": GRE_TUN_TO_LV, "vxlan": VXLAN_TUN_TO_LV, "geneve": GENEVE_TUN_TO_LV}
