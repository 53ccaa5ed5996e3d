"""Physical bridge flows as pure functions of state (reference/03 §4)."""

from __future__ import annotations

from ovsagent.pipeline.br_int import vid
from ovsagent.pipeline.flow import OFPP_NORMAL, Flow, Output, PopVlan, SetField, flow
from ovsagent.pipeline.tables import LOCAL_SWITCHING


def default_flows(phys_patch_ofport: int) -> list[Flow]:
    """NORMAL switching, but nothing from br-int until a local VLAN is provisioned."""
    return [
        flow(LOCAL_SWITCHING, 0, actions=[Output(OFPP_NORMAL)]),
        flow(LOCAL_SWITCHING, 2, {"in_port": phys_patch_ofport}),
    ]


def vlan_out(phys_patch_ofport: int, lvid: int, segmentation_id: int) -> Flow:
    """VLAN network: the local VLAN leaves with the segment's VID."""
    return flow(LOCAL_SWITCHING, 4, {"in_port": phys_patch_ofport, "vlan_vid": vid(lvid)},
                [SetField("vlan_vid", vid(segmentation_id)), Output(OFPP_NORMAL)])


def flat_out(phys_patch_ofport: int, lvid: int) -> Flow:
    """Flat network: the local VLAN leaves untagged."""
    return flow(LOCAL_SWITCHING, 4, {"in_port": phys_patch_ofport, "vlan_vid": vid(lvid)},
                [PopVlan(), Output(OFPP_NORMAL)])
