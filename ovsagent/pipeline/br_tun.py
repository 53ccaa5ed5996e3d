"""br-tun flows as pure functions of state (reference/03 §3)."""

from __future__ import annotations

from collections.abc import Iterable

from ovsagent.pipeline.br_int import vid
from ovsagent.pipeline.flow import (
    ETH_TYPE_ARP,
    ETH_TYPE_IPV6,
    IP_PROTO_ICMPV6,
    OFPP_IN_PORT,
    Action,
    Flow,
    Learn,
    LearnLoad,
    LearnMatch,
    LearnOutput,
    Masked,
    Move,
    Output,
    PopVlan,
    PushVlan,
    SetField,
    flow,
)
from ovsagent.pipeline.tables import (
    ARP_RESPONDER,
    FLOOD_TO_TUN,
    LEARN_FROM_TUN,
    LOCAL_SWITCHING,
    PATCH_LV_TO_TUN,
    TUN_TABLE,
    UCAST_TO_TUN,
)

BROADCAST = "ff:ff:ff:ff:ff:ff"
MULTICAST_BIT = "01:00:00:00:00:00"
LEARNED_HARD_TIMEOUT = 300


def learn_action(cookie: int) -> Learn:
    """Learn the sender's MAC into UCAST_TO_TUN: match VID + dst MAC, output to the tunnel."""
    return Learn(
        table=UCAST_TO_TUN, priority=1, hard_timeout=LEARNED_HARD_TIMEOUT, cookie=cookie,
        specs=(
            LearnMatch("vlan_tci", 12),
            LearnMatch("eth_dst", 48, src="eth_src"),
            LearnLoad("vlan_tci", 16, value=0),
            LearnLoad("tunnel_id", 64, src="tunnel_id"),
            LearnOutput("in_port", 32),
        ))


def default_flows(patch_int_ofport: int, cookie: int, arp_responder: bool) -> list[Flow]:
    """br-tun base flows (non-DVR), in the reference's order."""
    learn: list[Action] = [learn_action(cookie), Output(patch_int_ofport)]
    flows = [
        flow(LOCAL_SWITCHING, 1, {"in_port": patch_int_ofport}, goto=PATCH_LV_TO_TUN),
        flow(LOCAL_SWITCHING, 0),
    ]
    if arp_responder:
        flows.append(flow(PATCH_LV_TO_TUN, 1, {"eth_type": ETH_TYPE_ARP, "eth_dst": BROADCAST},
                          goto=ARP_RESPONDER))
    flows += [
        flow(PATCH_LV_TO_TUN, 0, {"eth_dst": Masked("00:00:00:00:00:00", MULTICAST_BIT)},
             goto=UCAST_TO_TUN),
        flow(PATCH_LV_TO_TUN, 0, {"eth_dst": Masked(MULTICAST_BIT, MULTICAST_BIT)},
             goto=FLOOD_TO_TUN),
    ]
    flows += [flow(table, 0) for table in sorted(TUN_TABLE.values())]
    flows += [
        flow(LEARN_FROM_TUN, 2, {"eth_type": ETH_TYPE_ARP, "arp_tha": BROADCAST}, learn),
        flow(LEARN_FROM_TUN, 2, {"eth_type": ETH_TYPE_IPV6, "ip_proto": IP_PROTO_ICMPV6,
                                 "icmpv6_type": 134}, learn),
        flow(LEARN_FROM_TUN, 2, {"eth_type": ETH_TYPE_IPV6, "ip_proto": IP_PROTO_ICMPV6,
                                 "icmpv6_type": 136}, learn),
        flow(LEARN_FROM_TUN, 1, actions=learn),
        flow(UCAST_TO_TUN, 0, goto=FLOOD_TO_TUN),
    ]
    if arp_responder:
        flows.append(flow(ARP_RESPONDER, 0, goto=FLOOD_TO_TUN))
    flows.append(flow(FLOOD_TO_TUN, 0))
    return flows


def tunnel_in(tunnel_ofport: int, tunnel_type: str) -> Flow:
    """Traffic arriving on a tunnel port goes to its type's TUN_TO_LV table."""
    return flow(LOCAL_SWITCHING, 1, {"in_port": tunnel_ofport}, goto=TUN_TABLE[tunnel_type])


def tunnel_to_local_vlan(tunnel_type: str, segmentation_id: int, lvid: int) -> Flow:
    return flow(TUN_TABLE[tunnel_type], 1, {"tunnel_id": segmentation_id},
                [PushVlan(), SetField("vlan_vid", vid(lvid))], goto=LEARN_FROM_TUN)


def flood(lvid: int, segmentation_id: int, tunnel_ofports: Iterable[int]) -> Flow:
    """Broadcast/unknown unicast of a local VLAN to every tunnel in its flood set."""
    outputs = [Output(p) for p in sorted(set(tunnel_ofports))]
    return flow(FLOOD_TO_TUN, 1, {"vlan_vid": vid(lvid)},
                [PopVlan(), SetField("tunnel_id", segmentation_id), *outputs])


def unicast_to_tunnel(lvid: int, mac: str, segmentation_id: int, tunnel_ofport: int) -> Flow:
    """l2pop: a remote MAC's unicast straight to its host's tunnel."""
    return flow(UCAST_TO_TUN, 2, {"vlan_vid": vid(lvid), "eth_dst": mac},
                [PopVlan(), SetField("tunnel_id", segmentation_id), Output(tunnel_ofport)])


def arp_responder(lvid: int, ip: str, mac: str) -> Flow:
    """Answer ARP requests for ``ip`` with ``mac`` locally, back out of the patch port."""
    match = {"vlan_vid": vid(lvid), "eth_type": ETH_TYPE_ARP, "arp_tpa": ip}
    return flow(ARP_RESPONDER, 1, match,
                [SetField("arp_op", 2),
                 Move("arp_sha", "arp_tha", 48),
                 Move("arp_spa", "arp_tpa", 32),
                 SetField("arp_sha", mac),
                 SetField("arp_spa", ip),
                 Move("eth_src", "eth_dst", 48),
                 SetField("eth_src", mac),
                 Output(OFPP_IN_PORT)])
