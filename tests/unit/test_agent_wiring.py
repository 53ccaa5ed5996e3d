"""Port wiring decisions and their effect on host state."""

from __future__ import annotations

from ovsagent.agent.settings import AgentSettings
from ovsagent.agent.vlans import LocalVlanAllocator, NetworkKey
from ovsagent.agent.wiring import DeviceDetails, PortWiring, Vif
from ovsagent.pipeline.state import HostState, Segment

SETTINGS = AgentSettings(host="h1", tunnel_types=("vxlan",),
                         bridge_mappings=(("physnet1", "br-phys1"),))
VX = Segment("vxlan", None, 1000)
VL = Segment("vlan", "physnet1", 101)


def _vif(n: int) -> Vif:
    return Vif(f"p{n}", f"tap{n}", 10 + n, f"fa:16:3e:00:00:{n:02x}")


def _wiring() -> PortWiring:
    return PortWiring(SETTINGS, HostState(), LocalVlanAllocator())


def test_bound_ports_share_their_networks_vlan() -> None:
    w = _wiring()
    vifs = {v.port_id: v for v in map(_vif, (1, 2, 3))}
    r = w.process(vifs, {"p1": DeviceDetails("p1", "netA", VX),
                         "p2": DeviceDetails("p2", "netA", VX),
                         "p3": DeviceDetails("p3", "netB", VL)})
    assert r.up == ["p1", "p2", "p3"] and not r.down
    assert {n: net.lvid for n, net in w.state.networks.items()} == {"netA": 1, "netB": 2}
    assert r.writes["tap1"].tag == 1 and r.writes["tap3"].tag == 2
    assert dict(r.writes["tap3"].other_config) == {
        "net_uuid": "netB", "network_type": "vlan", "physical_network": "physnet1",
        "tag": "2", "segmentation_id": "101"}
    assert r.writes["tap1"].other_config["physical_network"] == "None"


def test_unbound_unknown_and_unmapped_ports_go_dead() -> None:
    w = _wiring()
    vifs = {v.port_id: v for v in map(_vif, (1, 2, 3, 4, 5))}
    r = w.process(vifs, {
        "p1": DeviceDetails("p1"),  # server does not know it / not bound
        "p2": DeviceDetails("p2", "n", Segment("gre", None, 5)),  # gre not enabled
        "p3": DeviceDetails("p3", "n", Segment("vlan", "physnet9", 5)),  # unmapped physnet
        "p4": DeviceDetails("p4", "n", Segment("vlan", "physnet1", 4095)),  # bad VID
        "p5": DeviceDetails("p5", "n", Segment("weird", None, None)),
    })
    assert r.up == [] and set(w.state.dead_ports) == {"p1", "p2", "p3", "p4", "p5"}
    assert all(wr.tag == 4095 for wr in r.writes.values())
    assert w.state.networks == {}


def test_admin_down_goes_dead_and_is_reported_down_then_back() -> None:
    w = _wiring()
    vifs = {"p1": _vif(1)}
    r = w.process(vifs, {"p1": DeviceDetails("p1", "netA", VX, admin_state_up=False)})
    assert r.down == ["p1"] and w.state.dead_ports == {"p1": 11}
    r = w.process(vifs, {"p1": DeviceDetails("p1", "netA", VX)})
    assert r.up == ["p1"] and w.state.dead_ports == {} and w.state.ports["p1"].lvid == 1


def test_last_port_leaving_reclaims_the_vlan() -> None:
    w = _wiring()
    vifs = {v.port_id: v for v in map(_vif, (1, 2))}
    w.process(vifs, {"p1": DeviceDetails("p1", "netA", VX), "p2": DeviceDetails("p2", "netA", VX)})
    w.state.fdb["netA"] = {"198.18.0.2": {("fa:16:3e:00:00:99", "198.19.0.9")}}
    r = w.process({}, {}, removed=["p1"])
    assert r.down == ["p1"] and r.reclaimed == [] and "netA" in w.state.networks
    r = w.process({}, {}, removed=["p2", "never-seen"])
    assert r.down == ["p2"] and r.reclaimed == ["netA"]
    assert w.state.networks == {} and w.state.fdb == {} and w.vlans.in_use() == {}


def test_failed_skipped_and_migrating() -> None:
    w = _wiring()
    vifs = {v.port_id: v for v in map(_vif, (1, 2, 3))}
    r = w.process(vifs, {"p1": None, "p2": DeviceDetails("p2", "n", VX, no_active_binding=True),
                         "p3": DeviceDetails("p3", "n", VX, migrating_to="other-host"),
                         "p9": DeviceDetails("p9", "n", VX)})
    assert r.failed == ["p1"] and r.skipped == ["p2", "p3", "p9"] and r.writes == {}


def test_restored_hint_keeps_vlan_and_segment_change_keeps_it_too() -> None:
    vlans = LocalVlanAllocator()
    vlans.restore_hint(NetworkKey("netA", 101), 7)
    w = PortWiring(SETTINGS, HostState(), vlans)
    vifs = {"p1": _vif(1)}
    w.process(vifs, {"p1": DeviceDetails("p1", "netA", VL)})
    assert w.state.networks["netA"].lvid == 7
    moved = Segment("vlan", "physnet1", 102)
    r = w.process(vifs, {"p1": DeviceDetails("p1", "netA", moved)})
    assert w.state.networks["netA"].segment == moved and w.state.networks["netA"].lvid == 7
    assert r.writes["tap1"].other_config["segmentation_id"] == "102"
