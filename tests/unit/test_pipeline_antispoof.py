"""Anti-spoofing flows (reference/03 §2.4): exact reference flows, case A/B, CIDRs, /0."""

from __future__ import annotations

import pytest

from ovsagent.ovs.openflow.ofctl_syntax import parse_flow, render_flow
from ovsagent.pipeline import tables
from ovsagent.pipeline.antispoof import allowed_macs, link_local, port_flows
from ovsagent.pipeline.checker import check_flows
from ovsagent.pipeline.compute import compute_flows
from ovsagent.pipeline.flow import AddFlow, DeleteFlows, Flow
from ovsagent.pipeline.reconcile import diff_flows
from ovsagent.pipeline.state import (
    HostState,
    LocalNetwork,
    PortSecurity,
    Segment,
    Topology,
    WiredPort,
)

MAC = "fa:16:3e:6e:f4:4a"
LLA = "fe80::f816:3eff:fe6e:f44a"
COOKIE = 0xC0FFEE


def _ref(*lines: str) -> set[Flow]:
    """Reference dump lines (ovs-ofctl -O OpenFlow13 dump-flows notation) as flows."""
    return {parse_flow(line) for line in lines}


def test_link_local_is_eui64_of_the_mac() -> None:
    assert link_local(MAC) == LLA
    assert link_local("00:00:5E:00:53:01") == "fe80::200:5eff:fe00:5301"  # U/L bit flipped on
    assert link_local("02:00:00:00:00:01") == "fe80::ff:fe00:1"  # ... and off


def test_case_b_fixed_ip_only_equals_reference_flows() -> None:
    flows = port_flows(7, MAC, PortSecurity(fixed_ips=("198.19.0.5",)))
    assert set(flows) == _ref(
        f"table=25, priority=2,in_port=7,dl_src={MAC} actions=goto_table:30",
        "table=0, priority=9,in_port=7 actions=goto_table:25",
        f"table=24, priority=2,icmp6,in_port=7,icmp_type=136,nd_target={LLA} "
        "actions=goto_table:58",
        "table=0, priority=10,icmp6,in_port=7,icmp_type=136 actions=goto_table:24",
        "table=24, priority=2,arp,in_port=7,arp_spa=198.19.0.5 actions=goto_table:25",
        "table=0, priority=10,arp,in_port=7 actions=goto_table:24",
    )
    assert len(flows) == 6
    # install order of reference/03 §2.4: MACs, MAC hook, ND rules + hook, ARP rules + hook
    assert [(f.table, f.priority) for f in flows] == [(25, 2), (0, 9), (24, 2), (0, 10),
                                                      (24, 2), (0, 10)]


def test_allowed_address_pairs_with_cidrs_and_own_macs() -> None:
    sec = PortSecurity(
        fixed_ips=("198.19.0.5", "fd00::5"),
        allowed_address_pairs=(("FA:16:3E:00:00:99", "198.19.7.0/24"),
                               (MAC, "198.19.0.77"),
                               ("fa:16:3e:00:00:99", "fd00:1::/64"),
                               ("", "198.19.9.9/32")))
    flows = set(port_flows(7, MAC, sec))
    want = _ref(
        f"table=25, priority=2,in_port=7,dl_src={MAC} actions=goto_table:30",
        "table=25, priority=2,in_port=7,dl_src=fa:16:3e:00:00:99 actions=goto_table:30",
        "table=0, priority=9,in_port=7 actions=goto_table:25",
        "table=0, priority=10,icmp6,in_port=7,icmp_type=136 actions=goto_table:24",
        "table=0, priority=10,arp,in_port=7 actions=goto_table:24",
        "table=24, priority=2,arp,in_port=7,arp_spa=198.19.0.5 actions=goto_table:25",
        "table=24, priority=2,arp,in_port=7,arp_spa=198.19.0.77 actions=goto_table:25",
        "table=24, priority=2,arp,in_port=7,arp_spa=198.19.7.0/24 actions=goto_table:25",
        "table=24, priority=2,arp,in_port=7,arp_spa=198.19.9.9 actions=goto_table:25",
        *(f"table=24, priority=2,icmp6,in_port=7,icmp_type=136,nd_target={t} "
          "actions=goto_table:58"
          for t in ("fd00::5", "fd00:1::/64", LLA, link_local("fa:16:3e:00:00:99"))),
    )
    assert flows == want
    check_flows(tables.BR_INT, flows)


def test_cidr_is_address_and_netmask_on_the_wire() -> None:
    """A pair given as a host inside a CIDR (198.19.7.9/24) is matched as net/netmask."""
    flows = port_flows(3, MAC, PortSecurity(allowed_address_pairs=((MAC, "198.19.7.9/24"),)))
    arp = [f for f in flows if f.table == 24 and f.match.get("arp_spa") is not None]
    assert len(arp) == 1
    text = render_flow(arp[0])
    assert "arp_spa=198.19.7.0/255.255.255.0" in text, text
    assert parse_flow(text) == arp[0]
    assert parse_flow("table=24, priority=2,arp,in_port=3,arp_spa=198.19.7.0/24 "
                      "actions=goto_table:25") == arp[0]


def test_ipv4_any_removes_arp_and_nd_checks_but_keeps_mac_check() -> None:
    sec = PortSecurity(fixed_ips=("198.19.0.5", "fd00::5"),
                       allowed_address_pairs=((MAC, "0.0.0.0/0"),))
    flows = port_flows(7, MAC, sec)
    assert set(flows) == _ref(
        f"table=25, priority=2,in_port=7,dl_src={MAC} actions=goto_table:30",
        "table=0, priority=9,in_port=7 actions=goto_table:25")


def test_ipv6_any_removes_only_the_nd_check() -> None:
    sec = PortSecurity(fixed_ips=("198.19.0.5",), allowed_address_pairs=((MAC, "::/0"),))
    flows = port_flows(7, MAC, sec)
    assert not [f for f in flows if f.match.get("icmpv6_type") == 136]
    assert {(f.table, f.priority) for f in flows} == {(25, 2), (0, 9), (24, 2), (0, 10)}
    assert any(f.match.get("arp_spa") == "198.19.0.5" for f in flows)


def test_no_ip_at_all_still_hooks_arp_so_every_arp_is_dropped() -> None:
    """Reference behaviour: an empty IPv4 set installs the ARP hook and no rule."""
    flows = port_flows(7, MAC, PortSecurity())
    assert flow_keys(flows) >= {(0, 10, "arp")}
    assert not [f for f in flows if f.match.get("arp_spa") is not None]


def flow_keys(flows: list[Flow]) -> set[tuple[int, int, str]]:
    kinds = {0x0806: "arp", 0x86DD: "icmp6"}
    return {(f.table, f.priority, kinds.get(f.match.get("eth_type"), "")  # type: ignore[arg-type]
             ) for f in flows}


@pytest.mark.parametrize("sec", [
    PortSecurity(fixed_ips=("198.19.0.5",), port_security_enabled=False),
    PortSecurity(fixed_ips=("198.19.0.5",), device_owner="network:dhcp"),
    PortSecurity(fixed_ips=("198.19.0.1",), device_owner="network:router_interface"),
])
def test_case_a_installs_nothing(sec: PortSecurity) -> None:
    assert port_flows(7, MAC, sec) == []


def test_compute_owner_port_is_protected() -> None:
    assert port_flows(7, MAC, PortSecurity(device_owner="compute:nova"))


def test_bad_addresses_are_not_allowed_and_do_not_crash() -> None:
    sec = PortSecurity(fixed_ips=("not-an-ip",), allowed_address_pairs=(("zz", "198.19.0.9"),))
    flows = port_flows(7, MAC, sec)
    assert allowed_macs(MAC, sec) == [MAC]
    assert {f.match.get("arp_spa") for f in flows if f.table == 24} - {None} == {"198.19.0.9"}


# ------------------------------------------------------------- through compute


def _state(*ports: WiredPort) -> HostState:
    s = HostState()
    s.networks["vx"] = LocalNetwork("vx", Segment("vxlan", None, 1000), 1)
    for p in ports:
        s.ports[p.port_id] = p
    return s


def _int(state: HostState) -> list[Flow]:
    return compute_flows(state, Topology(COOKIE, patch_int_ofport=1))["br-int"]


def test_compute_emits_flows_per_wired_port_and_they_fit_the_tables() -> None:
    a = WiredPort("a", 5, MAC, "vx", 1, PortSecurity(fixed_ips=("198.19.0.5",)))
    b = WiredPort("b", 6, "fa:16:3e:00:00:06", "vx", 1, PortSecurity(
        allowed_address_pairs=(("fa:16:3e:00:00:07", "198.19.8.0/24"),)))
    off = WiredPort("off", 8, "fa:16:3e:00:00:08", "vx", 1,
                    PortSecurity(port_security_enabled=False))
    invalid = WiredPort("inv", -1, "fa:16:3e:00:00:09", "vx", 1)
    state = _state(a, b, off, invalid)
    state.dead_ports["dead"] = 9
    flows = _int(state)
    check_flows(tables.BR_INT, flows)
    assert len({f.key for f in flows}) == len(flows)
    ports = {f.match.get("in_port") for f in flows if f.table in (24, 25) and f.priority == 2}
    assert ports == {5, 6}
    hooks = {(f.match.get("in_port"), f.priority) for f in flows if f.table == 0}
    assert (9, 2) in hooks and not {(9, 9), (8, 9), (-1, 9)} & hooks


def test_fixed_ip_change_moves_only_the_arp_rule() -> None:
    old = _int(_state(WiredPort("a", 5, MAC, "vx", 1, PortSecurity(fixed_ips=("198.19.0.5",)))))
    new = _int(_state(WiredPort("a", 5, MAC, "vx", 1, PortSecurity(fixed_ips=("198.19.0.6",)))))
    mods = diff_flows(new, old)
    deleted = [m.filter.match.get("arp_spa") for m in mods if isinstance(m, DeleteFlows)]
    added = [m.flow.match.get("arp_spa") for m in mods if isinstance(m, AddFlow)]
    assert deleted == ["198.19.0.5"] and added == ["198.19.0.6"]


def test_port_security_disabled_later_removes_every_flow_of_the_port() -> None:
    on = WiredPort("a", 5, MAC, "vx", 1, PortSecurity(fixed_ips=("198.19.0.5",)))
    off = WiredPort("a", 5, MAC, "vx", 1, PortSecurity(fixed_ips=("198.19.0.5",),
                                                       port_security_enabled=False))
    mods = diff_flows(_int(_state(off)), _int(_state(on)))
    assert all(isinstance(m, DeleteFlows) for m in mods)
    assert {m.filter.match.get("in_port") for m in mods} == {5}  # type: ignore[union-attr]
    assert len(mods) == 6  # MAC rule + hook, ND rule + hook, ARP rule + hook


def test_rendered_flows_round_trip_through_ofctl_text() -> None:
    sec = PortSecurity(fixed_ips=("198.19.0.5", "fd00::5"),
                       allowed_address_pairs=((MAC, "198.19.7.0/24"), (MAC, "fd00:9::/48")))
    for f in port_flows(7, MAC, sec):
        assert parse_flow(render_flow(f)) == f
