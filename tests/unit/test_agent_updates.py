"""Updates through the push cache, as the wiring and the flows see them (issue 5 item 5):
addresses and port security follow the port, admin down kills and back, a network's
new segmentation id wins over the port's stale copy, a deleted network kills its ports."""

from __future__ import annotations

from typing import Any

from ovsagent.agent.details import RpcServerApi, current_segment, device_details
from ovsagent.agent.settings import AgentSettings
from ovsagent.agent.vlans import LocalVlanAllocator
from ovsagent.agent.wiring import DeviceDetails, PortWiring, Vif
from ovsagent.pipeline.compute import compute_flows
from ovsagent.pipeline.flow import Masked
from ovsagent.pipeline.state import HostState, PortSecurity, Segment, Topology
from ovsagent.rpc.cache import ResourceCache
from ovsagent.rpc.ovo import AddressPair, BindingInfo, FixedIp, NetworkInfo, PortInfo, SegmentInfo
from ovsagent.rpc.topics import NETWORK

SETTINGS = AgentSettings(host="h1", tunnel_types=("vxlan",),
                         bridge_mappings=(("physnet1", "br-phys1"),))
VL = Segment("vlan", "physnet1", 101)
VIF = Vif("p1", "tap1", 11, "fa:16:3e:00:00:01")


def _wiring() -> PortWiring:
    return PortWiring(SETTINGS, HostState(), LocalVlanAllocator())


def _arp_rules(state: HostState) -> set[object]:
    flows = compute_flows(state, Topology(1))["br-int"]
    return {f.match.get("arp_spa") for f in flows if f.table == 24 and f.priority == 2} - {None}


def test_wired_port_carries_what_anti_spoofing_needs() -> None:
    w = _wiring()
    det = DeviceDetails("p1", "n", VL, mac_address=VIF.mac, device_owner="compute:nova",
                        fixed_ips=("198.19.0.5", "198.19.0.5"),
                        allowed_address_pairs=(("fa:16:3e:00:00:99", "198.19.7.0/24"),),
                        port_security_enabled=True)
    w.process({"p1": VIF}, {"p1": det})
    port = w.state.ports["p1"]
    assert port.mac == VIF.mac and port.ofport == 11
    assert port.security == PortSecurity(
        fixed_ips=("198.19.0.5",), allowed_address_pairs=(("fa:16:3e:00:00:99", "198.19.7.0/24"),),
        port_security_enabled=True, device_owner="compute:nova")
    assert _arp_rules(w.state) == {"198.19.0.5", Masked("198.19.7.0", "255.255.255.0")}


def test_fixed_ip_change_moves_the_arp_rule_and_keeps_the_vlan() -> None:
    w = _wiring()
    w.process({"p1": VIF}, {"p1": DeviceDetails("p1", "n", VL, fixed_ips=("198.19.0.5",))})
    lvid = w.state.ports["p1"].lvid
    assert _arp_rules(w.state) == {"198.19.0.5"}
    r = w.process({"p1": VIF}, {"p1": DeviceDetails("p1", "n", VL, fixed_ips=("198.19.0.6",))})
    assert r.up == ["p1"] and w.state.ports["p1"].lvid == lvid and not r.reclaimed
    assert _arp_rules(w.state) == {"198.19.0.6"}


def test_port_security_toggle_and_admin_down_remove_all_spoof_flows() -> None:
    w = _wiring()
    w.process({"p1": VIF}, {"p1": DeviceDetails("p1", "n", VL, fixed_ips=("198.19.0.5",))})

    def spoof_flows() -> list[object]:
        flows = compute_flows(w.state, Topology(1))["br-int"]
        return [f for f in flows
                if f.match.get("in_port") == 11 and (f.table, f.priority) != (0, 2)]

    assert len(spoof_flows()) == 6
    w.process({"p1": VIF}, {"p1": DeviceDetails("p1", "n", VL, fixed_ips=("198.19.0.5",),
                                                port_security_enabled=False)})
    assert spoof_flows() == []
    w.process({"p1": VIF}, {"p1": DeviceDetails("p1", "n", VL, fixed_ips=("198.19.0.5",),
                                                admin_state_up=False)})
    flows = compute_flows(w.state, Topology(1))["br-int"]
    mine = [(f.table, f.priority) for f in flows if f.match.get("in_port") == 11]
    assert mine == [(0, 2)]  # only the dead-port drop: nothing outranks it
    r = w.process({"p1": VIF}, {"p1": DeviceDetails("p1", "n", VL, fixed_ips=("198.19.0.5",))})
    assert r.up == ["p1"] and len(spoof_flows()) == 6 and w.state.dead_ports == {}


# ------------------------------------------------------------- details from the cache


def _seg(segid: int, sid: str | None = "seg-1") -> SegmentInfo:
    return SegmentInfo("vlan", "physnet1", segid, sid)


def _port(segid: int = 101, sid: str | None = "seg-1", network_id: str = "net-1") -> PortInfo:
    return PortInfo(
        id="p1", network_id=network_id, mac_address="fa:16:3e:00:00:01", admin_state_up=True,
        status="ACTIVE", device_id="vm", device_owner="compute:nova", revision_number=3,
        fixed_ips=(FixedIp("198.19.0.5", "sub"),),
        allowed_address_pairs=(AddressPair("198.19.7.0/24", None),),
        bindings=(BindingInfo("h1", "ovs", "normal", "ACTIVE", {}, None),),
        segment=_seg(segid, sid), bound_levels=1)


def test_device_details_carry_addresses_and_pair_mac_defaults_to_the_port_mac() -> None:
    det = device_details("p1", _port(), "h1")
    assert det.fixed_ips == ("198.19.0.5",) and det.port_security_enabled
    assert det.allowed_address_pairs == (("fa:16:3e:00:00:01", "198.19.7.0/24"),)
    assert det.device_owner == "compute:nova" and det.segment == VL


def test_network_segment_wins_over_the_ports_stale_copy() -> None:
    net = NetworkInfo("net-1", 5, segments=(_seg(150),))
    assert current_segment(_seg(101), net) == _seg(150)
    assert current_segment(_seg(101), None) == _seg(101)
    other = NetworkInfo("net-1", 5, segments=(_seg(150, "seg-2"),))
    assert current_segment(_seg(101), other) == _seg(101)  # not the port's segment
    assert current_segment(_seg(101, None), NetworkInfo("net-1", 5, segments=(
        _seg(150, None),))) == _seg(150, None)
    det = device_details("p1", _port(), "h1", net)
    assert det.segment == Segment("vlan", "physnet1", 150)


class _Puller:
    def bulk_pull(self, resource_type: str, filter_kwargs: Any) -> list[Any]:
        return []


class _Plugin:
    def update_device_list(self, devices_up: list[str], devices_down: list[str], *,
                           refresh_tunnels: bool = False) -> object:
        return None


def test_server_api_uses_the_cached_network_and_kills_ports_of_a_deleted_one() -> None:
    cache = ResourceCache(_Puller())
    cache.record_update(_port())
    api = RpcServerApi(cache, _Plugin(), "h1")
    det = api.get_device_details(["p1"])["p1"]
    assert det is not None and det.segment == VL
    cache.record_update(NetworkInfo("net-1", 6, segments=(_seg(150),)))  # provider update push
    det = api.get_device_details(["p1"])["p1"]
    assert det is not None and det.segment == Segment("vlan", "physnet1", 150)
    cache.record_delete(NETWORK, "net-1")
    assert api.get_device_details(["p1"])["p1"] == DeviceDetails("p1")  # unbound: dead VLAN


def test_deleted_network_reclaims_its_vlan_through_the_wiring() -> None:
    w = _wiring()
    w.process({"p1": VIF}, {"p1": DeviceDetails("p1", "n", VL, fixed_ips=("198.19.0.5",))})
    r = w.process({"p1": VIF}, {"p1": DeviceDetails("p1")})
    assert r.reclaimed == ["n"] and w.state.dead_ports == {"p1": 11}
    assert w.state.networks == {} and w.vlans.in_use() == {}
