"""br-int flows as pure functions of state (reference/03 §2)."""

from __future__ import annotations

from ovsagent.pipeline.flow import (
    OFPP_NORMAL,
    OFPVID_PRESENT,
    Flow,
    Output,
    PushVlan,
    SetField,
    flow,
)
from ovsagent.pipeline.tables import (
    ARP_SPOOF_TABLE,
    BANDWIDTH_RATE_LIMIT,
    CANARY_TABLE,
    LOCAL_EGRESS_TABLE,
    LOCAL_IP_TABLE,
    LOCAL_SWITCHING,
    PACKET_RATE_LIMIT,
    TRANSIENT_EGRESS_TABLE,
    TRANSIENT_TABLE,
)

DEAD_VLAN = 4095


def vid(vlan: int) -> int:
    """OXM vlan_vid value for a tagged frame with VID ``vlan``."""
    return OFPVID_PRESENT | vlan


def default_flows() -> list[Flow]:
    """Installed at start and after an OVS restart, in the reference's order."""
    return [
        flow(CANARY_TABLE, 0),
        flow(LOCAL_SWITCHING, 0, goto=PACKET_RATE_LIMIT),
        flow(PACKET_RATE_LIMIT, 0, goto=BANDWIDTH_RATE_LIMIT),
        flow(BANDWIDTH_RATE_LIMIT, 0, goto=TRANSIENT_TABLE),
        flow(TRANSIENT_TABLE, 1, actions=[Output(OFPP_NORMAL)]),
        flow(ARP_SPOOF_TABLE, 0),
        flow(LOCAL_SWITCHING, 65535, {"vlan_vid": vid(DEAD_VLAN)}),
        flow(TRANSIENT_EGRESS_TABLE, 3, actions=[Output(OFPP_NORMAL)]),
        flow(LOCAL_EGRESS_TABLE, 0, goto=PACKET_RATE_LIMIT),
        flow(LOCAL_IP_TABLE, 0, goto=PACKET_RATE_LIMIT),
    ]


def physnet_patch_drop(int_patch_ofport: int) -> Flow:
    """Nothing from a physical bridge passes until a local VLAN is provisioned."""
    return flow(LOCAL_SWITCHING, 2, {"in_port": int_patch_ofport})


def physnet_vlan_in(int_patch_ofport: int, segmentation_id: int, lvid: int) -> Flow:
    """VLAN network: segment VID from the physnet becomes the local VLAN."""
    return flow(LOCAL_SWITCHING, 3, {"in_port": int_patch_ofport, "vlan_vid": vid(segmentation_id)},
                [SetField("vlan_vid", vid(lvid))], goto=PACKET_RATE_LIMIT)


def physnet_flat_in(int_patch_ofport: int, lvid: int) -> Flow:
    """Flat network: untagged frames from the physnet get the local VLAN pushed."""
    return flow(LOCAL_SWITCHING, 3, {"in_port": int_patch_ofport, "vlan_vid": 0},
                [PushVlan(), SetField("vlan_vid", vid(lvid))], goto=PACKET_RATE_LIMIT)


def dead_port_drop(ofport: int) -> Flow:
    """A port on the dead VLAN: everything it sends is dropped."""
    return flow(LOCAL_SWITCHING, 2, {"in_port": ofport})
