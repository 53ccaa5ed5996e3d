"""Flows computed from host state: reference shapes, l2pop, flood sets, checker."""

from __future__ import annotations

import pytest

from ovsagent.ovs.openflow.ofctl_syntax import parse_flow
from ovsagent.pipeline import br_phys, br_tun, tables
from ovsagent.pipeline.checker import check_flows
from ovsagent.pipeline.compute import FLOODING_ENTRY, compute_flows, flood_ofports
from ovsagent.pipeline.state import (
    HostState,
    LocalNetwork,
    PhysnetBridge,
    Segment,
    Topology,
    TunnelPort,
)

COOKIE = 0xC0FFEE
PHYS = PhysnetBridge("physnet1", "br-phys1", int_ofport=3, phys_ofport=2)


def _state() -> HostState:
    s = HostState()
    s.networks["vx"] = LocalNetwork("vx", Segment("vxlan", None, 0x653), 1)
    s.networks["vl"] = LocalNetwork("vl", Segment("vlan", "physnet1", 193), 2)
    s.networks["fl"] = LocalNetwork("fl", Segment("flat", "physnet1", None), 3)
    s.networks["lo"] = LocalNetwork("lo", Segment("local", None, None), 4)
    s.tunnels[("vxlan", "198.18.0.2")] = TunnelPort("vxlan", "198.18.0.2", 5)
    s.tunnels[("vxlan", "198.18.0.3")] = TunnelPort("vxlan", "198.18.0.3", 6)
    s.dead_ports["dead-port"] = 9
    return s


def _topo(l2pop: bool = False, arp: bool = False) -> Topology:
    return Topology(COOKIE, (PHYS,), patch_int_ofport=1, arp_responder=arp, l2_population=l2pop)


@pytest.mark.parametrize("l2pop", [False, True])
def test_every_computed_flow_fits_its_table(l2pop: bool) -> None:
    state = _state()
    state.fdb["vx"] = {"198.18.0.2": {FLOODING_ENTRY, ("fa:16:3e:6e:f4:4a", "198.19.0.5")}}
    flows = compute_flows(state, _topo(l2pop, arp=True))
    assert set(flows) == {"br-int", "br-tun", "br-phys1"}
    check_flows(tables.BR_INT, flows["br-int"])
    check_flows(tables.BR_TUN, flows["br-tun"])
    check_flows(tables.BR_PHYS, flows["br-phys1"])
    for bridge_flows in flows.values():
        assert {f.cookie for f in bridge_flows} == {COOKIE}
        assert len({f.key for f in bridge_flows}) == len(bridge_flows)


def test_flows_equal_reference_dump_lines() -> None:
    """Real 29.0.0 dump lines (reference/03) parse to exactly what we compute."""
    state = HostState()
    state.networks["vx"] = LocalNetwork("vx", Segment("vxlan", None, 0x653), 1)
    state.tunnels[("vxlan", "198.18.0.2")] = TunnelPort("vxlan", "198.18.0.2", 2)
    tun = compute_flows(state, _topo())["br-tun"]
    for line in ("table=4, priority=1,tun_id=0x653 actions=push_vlan:0x8100,"
                 "set_field:4097->vlan_vid,goto_table:10",
                 "table=22, priority=1,dl_vlan=1 actions=pop_vlan,set_field:0x653->tun_id,"
                 "output:2"):
        assert parse_flow(line).with_cookie(COOKIE) in tun
    ref_phys = parse_flow("priority=4,in_port=2,dl_vlan=2 actions=set_field:4289->vlan_vid,NORMAL")
    assert ref_phys == br_phys.vlan_out(2, 2, 193)


def test_physnet_translation_both_directions() -> None:
    flows = compute_flows(_state(), _topo())
    int_matches = {(f.priority, f.match) for f in flows["br-int"] if f.table == 0}
    phys = [f for f in flows["br-phys1"] if f.priority == 4]
    assert len(phys) == 2  # vlan + flat, nothing for the local or vxlan network
    assert any(p == 3 and m.get("vlan_vid") == 0x1000 | 193 for p, m in int_matches)
    assert any(p == 3 and m.get("vlan_vid") == 0 for p, m in int_matches)  # flat: untagged
    assert any(p == 2 and m.get("in_port") == 9 for p, m in int_matches)  # dead port drop


def test_flood_without_l2pop_goes_to_every_tunnel_of_the_type() -> None:
    state, topo = _state(), _topo()
    assert flood_ofports(state, topo, state.networks["vx"]) == [5, 6]


def test_l2pop_flood_and_unicast_follow_fdb() -> None:
    state, topo = _state(), _topo(l2pop=True, arp=True)
    assert flood_ofports(state, topo, state.networks["vx"]) == []
    assert not [f for f in compute_flows(state, topo)["br-tun"] if f.table == 22 and f.priority]
    state.fdb["vx"] = {"198.18.0.3": {FLOODING_ENTRY, ("fa:16:3e:00:00:07", "198.19.0.7"),
                                      ("fa:16:3e:00:00:08", "fd00::8")}}
    tun = compute_flows(state, topo)["br-tun"]
    assert br_tun.flood(1, 0x653, [6]).with_cookie(COOKIE) in tun
    assert br_tun.unicast_to_tunnel(1, "fa:16:3e:00:00:07", 0x653, 6).with_cookie(COOKIE) in tun
    responders = [f for f in tun if f.table == 21 and f.priority == 1]
    assert [f.match.get("arp_tpa") for f in responders] == ["198.19.0.7"]  # IPv4 only


def test_arp_responder_needs_l2pop() -> None:
    tun = compute_flows(_state(), _topo(l2pop=False, arp=True))["br-tun"]
    assert not [f for f in tun if f.table == 21]


def test_no_tunnel_bridge_without_tunnelling() -> None:
    flows = compute_flows(_state(), Topology(COOKIE, (PHYS,)))
    assert set(flows) == {"br-int", "br-phys1"}
