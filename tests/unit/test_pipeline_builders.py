"""Every flow the pure builders produce fits its table declaration."""

from __future__ import annotations

from ovsagent.pipeline import br_int, br_phys, br_tun, tables
from ovsagent.pipeline.checker import check_flows
from ovsagent.pipeline.flow import OFPP_NORMAL, Masked, Output, PopVlan, SetField


def test_br_int_builders_fit_pipeline() -> None:
    flows = br_int.default_flows() + [
        br_int.physnet_patch_drop(3), br_int.physnet_vlan_in(3, 193, 2),
        br_int.physnet_flat_in(3, 4), br_int.dead_port_drop(9)]
    check_flows(tables.BR_INT, flows)
    assert [f.table for f in br_int.default_flows()] == [23, 0, 58, 59, 60, 24, 0, 62, 30, 31]
    assert len({f.key for f in flows}) == len(flows)


def test_br_tun_builders_fit_pipeline() -> None:
    flows = br_tun.default_flows(1, cookie=0xABC, arp_responder=True) + [
        br_tun.tunnel_in(2, "vxlan"), br_tun.tunnel_to_local_vlan("vxlan", 0x653, 1),
        br_tun.tunnel_to_local_vlan("gre", 7, 2), br_tun.tunnel_to_local_vlan("geneve", 8, 3),
        br_tun.flood(1, 0x653, [5, 2, 2]),
        br_tun.unicast_to_tunnel(1, "FA:16:3E:6E:F4:4A", 0x653, 2),
        br_tun.arp_responder(1, "198.19.0.5", "fa:16:3e:6e:f4:4a")]
    check_flows(tables.BR_TUN, flows)
    without = br_tun.default_flows(1, cookie=0xABC, arp_responder=False)
    assert len(flows) - 7 - len(without) == 2  # table 2 prio 1 and table 21 default


def test_flood_outputs_sorted_and_unique() -> None:
    f = br_tun.flood(1, 0x653, [5, 2, 2])
    assert f.actions == (PopVlan(), SetField("tunnel_id", 0x653), Output(2), Output(5))
    assert f.match.get("vlan_vid") == 0x1001


def test_br_tun_multicast_split() -> None:
    d = {f.goto: f for f in br_tun.default_flows(1, 0, False) if f.table == 2}
    assert d[20].match.get("eth_dst") == Masked("00:00:00:00:00:00", "01:00:00:00:00:00")
    assert d[22].match.get("eth_dst") == Masked("01:00:00:00:00:00", "01:00:00:00:00:00")


def test_br_phys_builders_fit_pipeline() -> None:
    flows = br_phys.default_flows(2) + [br_phys.vlan_out(2, 2, 193), br_phys.flat_out(2, 4)]
    check_flows(tables.BR_PHYS, flows)
    assert br_phys.vlan_out(2, 2, 193).actions == (SetField("vlan_vid", 4289), Output(OFPP_NORMAL))
