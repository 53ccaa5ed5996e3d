"""Selecting the flows that belong to one port from a host's computed flows."""

from __future__ import annotations

from ovsagent.ctl.portflows import PortKey, select
from ovsagent.pipeline.compute import FLOODING_ENTRY, compute_flows
from ovsagent.pipeline.state import (
    HostState,
    LocalNetwork,
    PhysnetBridge,
    PortSecurity,
    Segment,
    Topology,
    TunnelPort,
    WiredPort,
)

A, B, REMOTE = "fa:16:3e:00:00:0a", "fa:16:3e:00:00:0b", "fa:16:3e:00:00:99"
KINDS = {"br-int": "br-int", "br-tun": "br-tun", "br-phys1": "br-phys"}


def _flows() -> dict[str, list]:  # type: ignore[type-arg]
    s = HostState()
    s.networks["vx"] = LocalNetwork("vx", Segment("vxlan", None, 1000), 1)
    # VLAN segment 1 == the vxlan network's local VLAN: translation flows must not mix them up
    s.networks["vl"] = LocalNetwork("vl", Segment("vlan", "physnet1", 1), 2)
    s.ports["pa"] = WiredPort("pa", 7, A, "vx", 1, PortSecurity(fixed_ips=("198.19.0.7",)))
    s.ports["pb"] = WiredPort("pb", 8, B, "vl", 2, PortSecurity(fixed_ips=("198.19.1.8",)))
    s.dead_ports["dead"] = 9
    s.tunnels[("vxlan", "198.18.0.2")] = TunnelPort("vxlan", "198.18.0.2", 5)
    s.fdb["vx"] = {"198.18.0.2": {FLOODING_ENTRY, (REMOTE, "198.19.0.9")}}
    topo = Topology(0x1, (PhysnetBridge("physnet1", "br-phys1", 3, 2),), patch_int_ofport=1,
                    arp_responder=True, l2_population=True)
    return compute_flows(s, topo)


def _tables(found: list) -> set[tuple[str, int, str]]:  # type: ignore[type-arg]
    return {(pf.bridge, pf.flow.table, pf.reason) for pf in found}


def test_tunnelled_port() -> None:
    found = select(_flows(), PortKey(7, A, 1), KINDS)
    assert _tables(found) == {
        ("br-int", 0, "port"), ("br-int", 24, "port"), ("br-int", 25, "port"),
        ("br-tun", 4, "network"), ("br-tun", 20, "network"), ("br-tun", 21, "network"),
        ("br-tun", 22, "network")}
    assert all(pf.flow.match.get("in_port") == 7 or pf.reason == "network"
               for pf in found if pf.bridge == "br-int")
    ordered = [(pf.bridge, pf.flow.table, -pf.flow.priority) for pf in found]
    assert ordered == sorted(ordered, key=lambda t: (["br-int", "br-tun"].index(t[0]), t[1], t[2]))


def test_vlan_port_gets_its_translation_flows_only() -> None:
    found = select(_flows(), PortKey(8, B, 2), KINDS)
    tables = _tables(found)
    assert ("br-phys1", 0, "network") in tables and ("br-int", 0, "network") in tables
    assert not any(pf.bridge == "br-tun" for pf in found)
    phys = [pf.flow for pf in found if pf.bridge == "br-phys1"]
    assert [f.match.get("vlan_vid") for f in phys] == [0x1002]  # out: local VLAN 2 -> VID 1


def test_dead_port_has_only_its_drop_flow() -> None:
    found = select(_flows(), PortKey(9, "fa:16:3e:00:00:0d", None), KINDS)
    assert [(pf.bridge, pf.flow.table, pf.reason) for pf in found] == [("br-int", 0, "port")]
    assert found[0].flow.actions == () and found[0].flow.goto is None
