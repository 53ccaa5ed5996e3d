"""The OpenFlowDriver contract, against a real Open vSwitch, for every driver.

Each case runs once per driver name of driver_factory.DRIVER_NAMES on a
fresh simulated host. Anything driver-specific belongs in that driver's own
test module.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator

import pytest
from driver_factory import DRIVER_NAMES, make_driver

from ovsagent.ovs.openflow.base import BundleError, OpenFlowDriver, OpenFlowError
from ovsagent.pipeline.flow import (
    OFPP_IN_PORT,
    OFPP_LOCAL,
    OFPP_NORMAL,
    Action,
    AddFlow,
    DeleteFlows,
    Flow,
    FlowFilter,
    FlowMod,
    Learn,
    LearnLoad,
    LearnMatch,
    LearnOutput,
    Masked,
    Match,
    ModifyFlow,
    Move,
    Output,
    PopVlan,
    PushVlan,
    SetField,
    flow,
    ip_match,
)
from ovsagent.testbench import SimHost

pytestmark = pytest.mark.functional

BR = "br-drv"
COOKIE = 0x5EED_0000_0000_0001
ALL = 0xFFFF_FFFF_FFFF_FFFF


@pytest.fixture(params=DRIVER_NAMES)
def driver(request: pytest.FixtureRequest, sim_host: SimHost) -> Iterator[OpenFlowDriver]:
    drv = make_driver(request.param, sim_host, BR)
    try:
        yield drv
    finally:
        drv.close()


def vid(n: int) -> int:
    return 0x1000 | n


def installed(driver: OpenFlowDriver, flt: FlowFilter | None = None) -> set[Flow]:
    flows = driver.dump(BR, flt)
    assert len(flows) == len(set(flows)), "dump returned duplicates"
    return set(flows)


def add_all(driver: OpenFlowDriver, flows: Iterable[Flow]) -> list[Flow]:
    flows = list(flows)
    driver.apply(BR, [AddFlow(f) for f in flows])
    return flows


def learn_action(cookie: int) -> Learn:
    """br-tun table 10's learn action (reference/03 §3.1)."""
    return Learn(table=20, priority=1, hard_timeout=300, cookie=cookie, specs=(
        LearnMatch("vlan_tci", 12), LearnMatch("eth_dst", 48, src="eth_src"),
        LearnLoad("vlan_tci", 16, value=0), LearnLoad("tunnel_id", 64, src="tunnel_id"),
        LearnOutput("in_port", 32)))


def reference_flows(cookie: int) -> list[Flow]:
    """br-tun defaults (with learn), tunnel/VLAN translation, flood, ARP responder, plus
    br-int anti-spoofing (in tables br-tun does not use)."""
    patch_int, tun1, tun2 = 1, 2, 3
    learn: list[Action] = [learn_action(cookie), Output(patch_int)]
    mac, ip = "fa:16:3e:6e:f4:4a", "198.19.0.5"
    flows = [
        flow(0, 1, {"in_port": patch_int}, goto=2), flow(0, 1, {"in_port": tun1}, goto=4),
        flow(0, 0),
        flow(2, 1, {"eth_type": 0x0806, "eth_dst": "ff:ff:ff:ff:ff:ff"}, goto=21),
        flow(2, 0, {"eth_dst": Masked("00:00:00:00:00:00", "01:00:00:00:00:00")}, goto=20),
        flow(2, 0, {"eth_dst": Masked("01:00:00:00:00:00", "01:00:00:00:00:00")}, goto=22),
        flow(3, 0), flow(4, 0), flow(6, 0),
        flow(10, 2, {"eth_type": 0x0806, "arp_tha": "ff:ff:ff:ff:ff:ff"}, learn),
        flow(10, 2, {"eth_type": 0x86DD, "ip_proto": 58, "icmpv6_type": 134}, learn),
        flow(10, 2, {"eth_type": 0x86DD, "ip_proto": 58, "icmpv6_type": 136}, learn),
        flow(10, 1, {}, learn),
        flow(20, 0, goto=22), flow(21, 0, goto=22), flow(22, 0),
        flow(4, 1, {"tunnel_id": 0x653}, [PushVlan(), SetField("vlan_vid", vid(1))], goto=10),
        flow(22, 1, {"vlan_vid": vid(1)},
             [PopVlan(), SetField("tunnel_id", 0x653), *(Output(p) for p in range(2, 50))]),
        flow(20, 2, {"vlan_vid": vid(1), "eth_dst": mac},
             [PopVlan(), SetField("tunnel_id", 0x653), Output(tun2)]),
        flow(21, 1, {"vlan_vid": vid(1), "eth_type": 0x0806, "arp_tpa": ip}, [
            SetField("arp_op", 2), Move("arp_sha", "arp_tha", 48),
            Move("arp_spa", "arp_tpa", 32), SetField("arp_sha", mac), SetField("arp_spa", ip),
            Move("eth_src", "eth_dst", 48), SetField("eth_src", mac), Output(OFPP_IN_PORT)]),
        # br-int: canary, VLAN translation (vlan + flat), anti-spoofing
        flow(23, 0),
        flow(0, 3, {"in_port": 7, "vlan_vid": vid(193)}, [SetField("vlan_vid", vid(2))],
             goto=58),
        flow(0, 3, {"in_port": 7, "vlan_vid": 0}, [PushVlan(), SetField("vlan_vid", vid(3))],
             goto=58),
        flow(0, 65535, {"vlan_vid": vid(4095)}),
        flow(0, 10, {"in_port": 9, "eth_type": 0x0806}, goto=24),
        flow(0, 10, {"in_port": 9, "eth_type": 0x86DD, "ip_proto": 58, "icmpv6_type": 136},
             goto=24),
        flow(0, 9, {"in_port": 9}, goto=25),
        flow(24, 2, {"in_port": 9, "eth_type": 0x0806, "arp_spa": ip_match("198.19.4.0/22")},
             goto=25),
        flow(24, 2, {"in_port": 9, "eth_type": 0x0806, "arp_spa": "198.19.0.9"}, goto=25),
        flow(24, 2, {"in_port": 9, "eth_type": 0x86DD, "ip_proto": 58, "icmpv6_type": 136,
                     "ipv6_nd_target": ip_match("fd00:0:0:1::/64")}, goto=58),
        flow(24, 2, {"in_port": 9, "eth_type": 0x86DD, "ip_proto": 58, "icmpv6_type": 136,
                     "ipv6_nd_target": "fe80::f816:3eff:fe6e:f44a"}, goto=58),
        flow(25, 2, {"in_port": 9, "eth_src": mac}, goto=30),
        flow(30, 0, goto=58), flow(58, 0, goto=59), flow(59, 0, goto=60),
        flow(60, 1, {}, [Output(OFPP_NORMAL)]),
        Flow(61, 1, Match.of(vlan_vid=vid(1), eth_dst=mac), (Output(2),), None, 0, 100, 300),
    ]
    return [f.with_cookie(cookie) for f in flows]


def bulk_flows(n: int, cookie: int) -> list[Flow]:
    """``n`` distinct flows over 10 tables with a mix of matches and actions."""
    out: list[Flow] = []
    for i in range(n):
        table, prio = i % 10, 100 + i // 10
        match: dict[str, object] = {"in_port": i % 900 + 1, "vlan_vid": vid(i % 4000 + 1)}
        actions: list[Action]
        if i % 4 == 0:
            actions = [PopVlan(), SetField("tunnel_id", 0x1000 + i), Output(i % 50 + 2)]
        elif i % 4 == 1:
            match = {"in_port": i % 900 + 1, "eth_type": 0x0806,
                     "arp_spa": f"198.19.{i // 250 % 256}.{i % 250 + 1}"}
            actions = [Output(OFPP_NORMAL)]
        elif i % 4 == 2:
            match["eth_dst"] = f"fa:16:3e:00:{i >> 8 & 0xFF:02x}:{i & 0xFF:02x}"
            actions = [SetField("vlan_vid", vid(i % 4000 + 2)), Output(3)]
        else:
            actions = [learn_action(cookie), Output(1)]
        out.append(Flow(table, prio, Match.of(match), tuple(actions),
                        table + 10 if i % 3 == 0 else None, cookie))
    return out


# ------------------------------------------------------------------ cases


def test_empty_bridge_and_empty_batch(driver: OpenFlowDriver) -> None:
    assert driver.is_connected(BR)
    assert installed(driver) == set()
    # OVS's internal table 254 (cookie 0) shows up in cookie-filtered dumps: never return it
    assert installed(driver, FlowFilter(cookie=0, cookie_mask=ALL)) == set()
    driver.apply(BR, [])
    driver.barrier(BR)
    assert installed(driver) == set()


def test_reference_flows_install_and_dump_back_equal(driver: OpenFlowDriver) -> None:
    flows = add_all(driver, reference_flows(COOKIE))
    assert installed(driver) == set(flows)
    assert installed(driver, FlowFilter(table=10)) == {f for f in flows if f.table == 10}


def test_5000_flow_bundle_dumps_back_identical(driver: OpenFlowDriver) -> None:
    flows = bulk_flows(5000, COOKIE)
    t0 = time.perf_counter()
    driver.apply(BR, [AddFlow(f) for f in flows])
    t1 = time.perf_counter()
    got = installed(driver)
    t2 = time.perf_counter()
    print(f"\n[{driver.name}] 5000-flow bundle: apply {t1 - t0:.3f} s, dump+parse {t2 - t1:.3f} s")
    assert len(got) == 5000
    assert got == set(flows)


BAD_FLOWS = {
    "goto-lower-table": flow(30, 5, {"in_port": 4}, goto=3),
    "readonly-table-254": flow(254, 5, {"in_port": 4}, [Output(2)]),
    "set-vlan-without-tag": flow(30, 6, {"in_port": 4}, [SetField("vlan_vid", vid(5)), Output(2)]),
}


@pytest.mark.parametrize("kind", sorted(BAD_FLOWS))
def test_bad_flow_rejects_whole_bundle_and_is_named(driver: OpenFlowDriver, kind: str) -> None:
    before = add_all(driver, reference_flows(COOKIE))
    bad = AddFlow(BAD_FLOWS[kind].with_cookie(COOKIE))
    good = [AddFlow(flow(40, p, {"in_port": p}, [Output(1)], cookie=COOKIE)) for p in range(1, 30)]
    mods: list[FlowMod] = [*good[:10], DeleteFlows(FlowFilter(table=0)), bad, *good[10:]]
    with pytest.raises(BundleError) as info:
        driver.apply(BR, mods)
    assert info.value.mod == bad, str(info.value)
    assert installed(driver) == set(before)  # nothing of the batch applied, deletes included


def test_add_same_key_overwrites_actions_and_cookie(driver: OpenFlowDriver) -> None:
    add_all(driver, [flow(0, 3, {"in_port": 7}, [Output(2)], cookie=1)])
    new = flow(0, 3, {"in_port": 7}, [Output(5)], goto=58, cookie=2)
    add_all(driver, [new])
    assert installed(driver) == {new}


def test_batch_is_applied_in_order(driver: OpenFlowDriver) -> None:
    a = flow(5, 1, {"in_port": 1}, [Output(2)], cookie=COOKIE)
    b = flow(5, 1, {"in_port": 2}, [Output(3)], cookie=COOKIE)
    driver.apply(BR, [AddFlow(a), DeleteFlows(FlowFilter(table=5)), AddFlow(b)])
    assert installed(driver) == {b}


def test_delete_by_cookie_and_mask(driver: OpenFlowDriver) -> None:
    old = [flow(t, 1, {"in_port": t + 1}, cookie=0x1111_0000_0000_0001) for t in range(3)]
    old2 = [flow(t, 2, {"in_port": t + 1}, cookie=0x1111_0000_0000_0002) for t in range(3)]
    new = [flow(t, 3, {"in_port": t + 1}, cookie=0x2222_0000_0000_0001) for t in range(3)]
    add_all(driver, old + old2 + new)
    driver.delete_by_cookie(BR, 0x1111_0000_0000_0002)  # exact cookie
    assert installed(driver) == set(old + new)
    driver.delete_by_cookie(BR, 0x1111_0000_0000_0000, 0xFFFF_0000_0000_0000)  # masked
    assert installed(driver) == set(new)


def test_delete_table(driver: OpenFlowDriver) -> None:
    flows = add_all(driver, reference_flows(COOKIE))
    driver.delete_table(BR, 24)
    assert installed(driver) == {f for f in flows if f.table != 24}
    assert installed(driver, FlowFilter(table=24)) == set()


def test_dump_filters(driver: OpenFlowDriver) -> None:
    ours = add_all(driver, reference_flows(COOKIE))
    other = add_all(driver, [flow(40, 1, {"in_port": 9}, cookie=0x77),
                             flow(24, 3, {"in_port": 9}, goto=25, cookie=0x77)])
    assert installed(driver, FlowFilter(cookie=COOKIE, cookie_mask=ALL)) == set(ours)
    assert installed(driver, FlowFilter(cookie=0x77, cookie_mask=ALL)) == set(other)
    assert installed(driver, FlowFilter(table=24, cookie=0x77, cookie_mask=ALL)) == {other[1]}
    # a match filter is non-strict: every flow at least as specific
    in9 = installed(driver, FlowFilter(table=24, match=Match.of(in_port=9)))
    assert in9 == {f for f in ours + other if f.table == 24 and f.match.get("in_port") == 9}
    arp = installed(driver, FlowFilter(match=Match.of(in_port=9, eth_type=0x0806)))
    assert arp == {f for f in ours if f.match.get("in_port") == 9
                   and f.match.get("eth_type") == 0x0806}
    assert installed(driver, FlowFilter(table=99)) == set()


def test_strict_and_non_strict_delete(driver: OpenFlowDriver) -> None:
    p2 = flow(0, 2, {"in_port": 7}, cookie=COOKIE)
    p9 = flow(0, 9, {"in_port": 7}, goto=25, cookie=COOKIE)
    arp = flow(0, 10, {"in_port": 7, "eth_type": 0x0806}, goto=24, cookie=COOKIE)
    t25 = flow(25, 2, {"in_port": 7, "eth_src": "fa:16:3e:00:00:07"}, goto=30, cookie=COOKIE)
    t25b = flow(25, 2, {"in_port": 7}, cookie=COOKIE)
    other = flow(0, 2, {"in_port": 8}, cookie=COOKIE)
    add_all(driver, [p2, p9, arp, t25, t25b, other])
    # strict: exact match and priority only
    driver.delete(BR, FlowFilter(table=0, priority=2, match=Match.of(in_port=7)), strict=True)
    assert installed(driver) == {p9, arp, t25, t25b, other}
    driver.delete(BR, FlowFilter(table=25, priority=2, match=Match.of(in_port=7)), strict=True)
    assert installed(driver) == {p9, arp, t25, other}
    # strict with a cookie that does not match: nothing
    driver.delete(BR, FlowFilter(table=0, priority=9, match=Match.of(in_port=7), cookie=0x99,
                                 cookie_mask=ALL), strict=True)
    assert p9 in installed(driver)
    # non-strict: every flow whose match includes in_port=7, all tables, any priority
    driver.delete(BR, FlowFilter(match=Match.of(in_port=7), cookie=COOKIE, cookie_mask=ALL))
    assert installed(driver) == {other}


def test_delete_by_out_port(driver: OpenFlowDriver) -> None:
    to2 = flow(20, 2, {"vlan_vid": vid(1)}, [PopVlan(), Output(2)], cookie=COOKIE)
    to3 = flow(20, 2, {"vlan_vid": vid(2)}, [PopVlan(), Output(3)], cookie=COOKIE)
    add_all(driver, [to2, to3])
    driver.delete(BR, FlowFilter(out_port=2, cookie=COOKIE, cookie_mask=ALL))
    assert installed(driver) == {to3}


def test_modify_strict_replaces_actions_only(driver: OpenFlowDriver) -> None:
    f = flow(22, 1, {"vlan_vid": vid(1)}, [PopVlan(), SetField("tunnel_id", 5), Output(2)],
             cookie=COOKIE)
    lower = flow(22, 0, {"vlan_vid": vid(1)}, [Output(9)], cookie=COOKIE)
    add_all(driver, [f, lower])
    new = flow(22, 1, {"vlan_vid": vid(1)},
               [PopVlan(), SetField("tunnel_id", 5), Output(2), Output(3)], cookie=COOKIE)
    missing = flow(22, 1, {"vlan_vid": vid(7)}, [Output(4)], cookie=COOKIE)
    driver.apply(BR, [ModifyFlow(new), ModifyFlow(missing)])
    assert installed(driver) == {new, lower}  # modify never adds a flow


def test_barrier_and_unknown_bridge(driver: OpenFlowDriver) -> None:
    add_all(driver, reference_flows(COOKIE))
    driver.barrier(BR)
    assert len(installed(driver)) == len(reference_flows(COOKIE))
    assert not driver.is_connected("br-nope")
    with pytest.raises(OpenFlowError):
        driver.barrier("br-nope")
    with pytest.raises(OpenFlowError):
        driver.apply("br-nope", [AddFlow(flow(0, 1))])


def test_learned_flows_dump_back(driver: OpenFlowDriver, sim_host: SimHost) -> None:
    """br-tun's learn action creates table-20 flows with the agent's cookie: dumpable too."""
    sim_host.vsctl("add-port", BR, "tunsim", "--", "set", "Interface", "tunsim", "type=internal")
    port = sim_host.ofport("tunsim")
    add_all(driver, [flow(0, 1, {"in_port": port}, goto=10, cookie=COOKIE),
                     flow(10, 1, {}, [learn_action(COOKIE), Output(OFPP_LOCAL)], cookie=COOKIE)])
    mac = "fa:16:3e:12:34:56"
    sim_host.appctl("ofproto/trace", BR, f"in_port={port},tun_id=0x653,dl_vlan=5,dl_src={mac},"
                    "dl_dst=ff:ff:ff:ff:ff:ff", "-generate")
    learned = Flow(20, 1, Match.of(vlan_vid=(5, 0xFFF), eth_dst=mac),
                   (SetField("vlan_tci", 0), SetField("tunnel_id", 0x653), Output(port)),
                   None, COOKIE, 0, 300)
    assert installed(driver, FlowFilter(table=20)) == {learned}
    assert learned in installed(driver, FlowFilter(cookie=COOKIE, cookie_mask=ALL))
