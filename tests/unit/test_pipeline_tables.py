"""The declarative table map and the flow checker."""

from __future__ import annotations

import pytest

from ovsagent.pipeline import tables
from ovsagent.pipeline.checker import FlowCheckError, check_flow
from ovsagent.pipeline.flow import (
    ETH_TYPE_ARP,
    ETH_TYPE_IPV6,
    OFPP_NORMAL,
    Masked,
    Output,
    PopVlan,
    PushVlan,
    SetField,
    flow,
)


def test_reference_table_numbers() -> None:
    assert tables.CANARY_TABLE == 23
    assert (tables.ARP_SPOOF_TABLE, tables.MAC_SPOOF_TABLE) == (24, 25)
    assert (tables.PACKET_RATE_LIMIT, tables.BANDWIDTH_RATE_LIMIT, tables.TRANSIENT_TABLE) == (
        58, 59, 60)
    assert tables.TUN_TABLE == {"gre": 3, "vxlan": 4, "geneve": 6}
    assert (tables.LEARN_FROM_TUN, tables.UCAST_TO_TUN, tables.ARP_RESPONDER,
            tables.FLOOD_TO_TUN) == (10, 20, 21, 22)


def test_cleanup_lists_match_reference() -> None:
    assert tables.BR_INT.cleanup_tables == (
        0, 1, 2, 23, 24, 25, 30, 31, 58, 59, 60, 61, 62, 71, 72, 73, 77, 78, 81, 82, 91, 92, 93)
    assert tables.BR_TUN.cleanup_tables == (0, 1, 2, 3, 4, 6, 9, 10, 20, 21, 22)


def test_valid_reference_flows_pass() -> None:
    check_flow(tables.BR_INT, flow(0, 3, {"in_port": 5, "vlan_vid": 0x1000 | 101},
                                   [SetField("vlan_vid", 0x1000 | 1)], goto=58))
    check_flow(tables.BR_INT, flow(0, 3, {"in_port": 5, "vlan_vid": 0},
                                   [PushVlan(), SetField("vlan_vid", 0x1002)], goto=58))
    check_flow(tables.BR_INT, flow(24, 2, {"in_port": 7, "eth_type": ETH_TYPE_ARP,
                                           "arp_spa": Masked("198.19.0.0", "255.255.255.0")},
                                   goto=25))
    check_flow(tables.BR_INT, flow(24, 2, {"in_port": 7, "eth_type": ETH_TYPE_IPV6,
                                           "ip_proto": 58, "icmpv6_type": 136,
                                           "ipv6_nd_target": "fd00::5"}, goto=58))
    check_flow(tables.BR_TUN, flow(22, 1, {"vlan_vid": 0x1001},
                                   [PopVlan(), SetField("tunnel_id", 0x653), Output(2)]))
    check_flow(tables.BR_PHYS, flow(0, 0, actions=[Output(OFPP_NORMAL)]))


@pytest.mark.parametrize("bad, reason", [
    (flow(5, 1), "no such table"),
    (flow(25, 2, {"in_port": 1, "arp_spa": "198.19.0.1"}, goto=30), "arp_spa"),
    (flow(25, 2, {"in_port": 1, "eth_src": "fa:16:3e:00:00:01"}, goto=24), "forward"),
    (flow(25, 2, {"in_port": 1, "eth_src": "fa:16:3e:00:00:01"}, goto=58), "goto 58"),
    (flow(23, 0, {"in_port": 1}), "in_port"),
    (flow(22, 1, {"vlan_vid": 0x1001}, [SetField("eth_src", "fa:16:3e:00:00:01")]), "eth_src"),
    (flow(24, 2, {"in_port": 1, "eth_type": ETH_TYPE_IPV6, "icmpv6_type": 136}, goto=58),
     "ip_proto"),
])
def test_checker_rejects(bad: object, reason: str) -> None:
    with pytest.raises(FlowCheckError, match=reason):
        check_flow(tables.BR_INT if bad.table in (23, 24, 25, 5) else tables.BR_TUN,  # type: ignore[attr-defined]
                   bad)  # type: ignore[arg-type]
