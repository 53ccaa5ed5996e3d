"""Native (embedded os-ken) driver against a real Open vSwitch: native-only behaviour.

Contract behaviour shared with the ovs-ofctl driver lives in
test_openflow_drivers.py; here: the listener's namespace, reconnection,
bundle error handling, several bridges and drivers, timeouts and timings.
"""

from __future__ import annotations

import os
import signal
import socket
import threading
import time
from collections.abc import Iterator

import pytest

from ovsagent.ovs.openflow.base import BridgeNotConnected, BundleError, OpenFlowTimeout
from ovsagent.ovs.openflow.native import NativeDriver
from ovsagent.pipeline.flow import (
    OFPP_IN_PORT,
    OFPP_NORMAL,
    AddFlow,
    DeleteFlows,
    Flow,
    FlowFilter,
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
from ovsagent.testbench import SimHost, Testbed

pytestmark = pytest.mark.functional

COOKIE = 0x0A0B_0C0D_0E0F_1011
ALL = 0xFFFF_FFFF_FFFF_FFFF


def vid(n: int) -> int:
    return 0x1000 | n


def datapath_id(host: SimHost, bridge: str, timeout: float = 10.0) -> int:
    deadline = time.monotonic() + timeout
    while True:
        out = host.vsctl("get", "Bridge", bridge, "datapath_id").strip().strip('"')
        if out and out != "[]":
            return int(out, 16)
        if time.monotonic() > deadline:
            raise TimeoutError(f"{bridge} has no datapath_id")
        time.sleep(0.05)


def connect(host: SimHost, driver: NativeDriver, bridge: str, timeout: float = 20.0) -> int:
    host.add_bridge(bridge)
    host.vsctl("set-controller", bridge, f"tcp:127.0.0.1:{driver.listen_port}")
    dpid = datapath_id(host, bridge)
    driver.add_bridge(bridge, dpid, timeout)
    return dpid


def wait_until(predicate: object, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(0.01)
    return False


@pytest.fixture
def native(sim_host: SimHost) -> Iterator[tuple[SimHost, NativeDriver]]:
    driver = NativeDriver(listen_port=0, netns=sim_host.netns, request_timeout=30.0)
    try:
        connect(sim_host, driver, "br-int")
        yield sim_host, driver
    finally:
        driver.close()


def tun_learn() -> Learn:
    return Learn(table=20, priority=1, hard_timeout=300, cookie=COOKIE, specs=(
        LearnMatch("vlan_tci", 12), LearnMatch("eth_dst", 48, src="eth_src"),
        LearnLoad("vlan_tci", 16, value=0), LearnLoad("tunnel_id", 64, src="tunnel_id"),
        LearnOutput("in_port", 32)))


REFERENCE = [
    flow(23, 0), flow(0, 0, goto=58), flow(60, 1, actions=[Output(OFPP_NORMAL)]),
    flow(0, 65535, {"vlan_vid": vid(4095)}),
    flow(0, 3, {"in_port": 7, "vlan_vid": vid(193)}, [SetField("vlan_vid", vid(1))], goto=58),
    flow(0, 3, {"in_port": 7, "vlan_vid": 0}, [PushVlan(), SetField("vlan_vid", vid(2))],
         goto=58),
    flow(25, 2, {"in_port": 5, "eth_src": "fa:16:3e:00:00:05"}, goto=30),
    flow(24, 2, {"in_port": 5, "eth_type": 0x86DD, "ip_proto": 58, "icmpv6_type": 136,
                 "ipv6_nd_target": ip_match("fe80::/64")}, goto=58),
    flow(24, 2, {"in_port": 5, "eth_type": 0x0806, "arp_spa": ip_match("198.19.8.0/22")},
         goto=25),
    flow(2, 0, {"eth_dst": Masked("01:00:00:00:00:00", "01:00:00:00:00:00")}, goto=22),
    flow(10, 1, actions=[tun_learn(), Output(1)]),
    flow(4, 1, {"tunnel_id": 0x653}, [PushVlan(), SetField("vlan_vid", vid(1))], goto=10),
    flow(22, 1, {"vlan_vid": vid(1)},
         [PopVlan(), SetField("tunnel_id", 0x653)] + [Output(p) for p in range(2, 34)]),
    flow(21, 1, {"vlan_vid": vid(1), "eth_type": 0x0806, "arp_tpa": "198.19.0.7"}, [
        SetField("arp_op", 2), Move("arp_sha", "arp_tha", 48), Move("arp_spa", "arp_tpa", 32),
        SetField("arp_sha", "fa:16:3e:6e:f4:4a"), SetField("arp_spa", "198.19.0.7"),
        Move("eth_src", "eth_dst", 48), SetField("eth_src", "fa:16:3e:6e:f4:4a"),
        Output(OFPP_IN_PORT)]),
    flow(61, 12, {"reg6": 3, "eth_dst": "fa:16:3e:00:00:06"}, [Output(5)]),
    Flow(20, 1, Match.of({"vlan_vid": vid(1), "eth_dst": "fa:16:3e:6e:f4:4a"}),
         (Output(2),), idle_timeout=100, hard_timeout=300),
    # shaped like a learned flow: OVS reports the vlan_tci write as NXAST_REG_LOAD
    Flow(20, 1, Match.of({"vlan_vid": Masked(5, 0xFFF), "eth_dst": "fa:16:3e:12:34:56"}),
         (SetField("vlan_tci", 0), SetField("tunnel_id", 0x653), Output(2)), hard_timeout=300),
]


# ---------------------------------------------------------------- namespaces


def listening(host: SimHost | None, port: int) -> bool:
    argv = ["ss", "-ltnH", f"sport = :{port}"]
    if host is None:
        import subprocess
        out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    else:
        out = host.run(argv).stdout
    return bool(out.strip())


def test_listener_is_created_inside_the_host_namespace(
        native: tuple[SimHost, NativeDriver]) -> None:
    host, driver = native
    assert driver.is_connected("br-int")  # OVS inside the namespace reached us ...
    assert listening(host, driver.listen_port)  # ... on the namespace's loopback
    assert not listening(None, driver.listen_port)  # and not on the test process's
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", driver.listen_port), timeout=2).close()


def test_two_hosts_same_port_one_process(testbed: Testbed) -> None:
    """One controller per process, one listener per driver: the same port in two netns."""
    h1, h2 = testbed.add_host("h1"), testbed.add_host("h2")
    d1 = NativeDriver(listen_port=16633, netns=h1.netns)
    d2 = NativeDriver(listen_port=16633, netns=h2.netns)
    try:
        connect(h1, d1, "br-int")
        connect(h2, d2, "br-int")
        d1.apply("br-int", [AddFlow(flow(0, 1, {"in_port": 1}))])
        d2.apply("br-int", [AddFlow(flow(0, 2, {"in_port": 2})),
                            AddFlow(flow(0, 3, {"in_port": 3}))])
        assert len(d1.dump("br-int")) == 1
        assert len(d2.dump("br-int")) == 2
    finally:
        d1.close()
        d2.close()
    assert not listening(h1, 16633) and not listening(h2, 16633)


# ------------------------------------------------------------ round trip


def test_reference_flows_roundtrip_through_ovs(native: tuple[SimHost, NativeDriver]) -> None:
    host, driver = native
    flows = [f.with_cookie(COOKIE) for f in REFERENCE]
    driver.apply("br-int", [AddFlow(f) for f in flows])
    assert sorted(driver.dump("br-int"), key=repr) == sorted(flows, key=repr)
    text = host.ofctl("dump-flows", "br-int")
    assert "learn(table=20,hard_timeout=300,priority=1" in text
    assert "move:NXM_NX_ARP_SHA[]->NXM_NX_ARP_THA[]" in text
    assert "arp_spa=198.19.8.0/22" in text


def test_dump_filters_and_spans_multipart_replies(native: tuple[SimHost, NativeDriver]) -> None:
    _, driver = native
    n = 5000  # ~0.5 MB of flow stats: far more than one 64 kB multipart reply
    mods = [AddFlow(flow(5, 100, {"eth_type": 0x0800, "in_port": i + 1,
                                  "ipv4_src": f"198.18.{i // 250}.{i % 250 + 1}"},
                         [Output(2)], cookie=COOKIE)) for i in range(n)]
    driver.apply("br-int", mods + [AddFlow(flow(6, 1, cookie=7))])
    assert {f for f in driver.dump("br-int", FlowFilter(table=5))} == {m.flow for m in mods}
    assert len(driver.dump("br-int", FlowFilter(cookie=COOKIE, cookie_mask=ALL))) == n
    only = driver.dump("br-int", FlowFilter(table=5, match=Match.of(in_port=17)))
    assert [f.match.get("in_port") for f in only] == [17]
    assert driver.dump("br-int", FlowFilter(cookie=7, cookie_mask=ALL)) == [flow(6, 1, cookie=7)]


def test_modify_and_deletes(native: tuple[SimHost, NativeDriver]) -> None:
    _, driver = native
    a = flow(0, 2, {"in_port": 5}, cookie=COOKIE)
    b = flow(0, 9, {"in_port": 5}, goto=25, cookie=COOKIE)
    c = flow(24, 2, {"in_port": 5, "eth_type": 0x0806, "arp_spa": "198.19.0.5"}, goto=25,
             cookie=1)
    driver.apply("br-int", [AddFlow(a), AddFlow(b), AddFlow(c)])
    driver.apply("br-int", [ModifyFlow(flow(0, 9, {"in_port": 5}, [Output(3)], cookie=99))])
    modified = [f for f in driver.dump("br-int", FlowFilter(table=0)) if f.priority == 9]
    assert modified == [flow(0, 9, {"in_port": 5}, [Output(3)], cookie=COOKIE)]
    # strict: only the exact priority+match
    driver.delete("br-int", FlowFilter(table=0, priority=2, match=Match.of(in_port=5)),
                  strict=True)
    assert {f.priority for f in driver.dump("br-int", FlowFilter(table=0))} == {9}
    # non-strict by cookie over all tables leaves the other cookie alone
    driver.delete_by_cookie("br-int", COOKIE)
    assert driver.dump("br-int") == [c]


# ------------------------------------------------------------------ bundles


def test_bundle_decode_error_discards_everything(native: tuple[SimHost, NativeDriver]) -> None:
    _, driver = native
    before = [flow(0, 1, {"in_port": 1})]
    driver.apply("br-int", [AddFlow(f) for f in before])
    bad = AddFlow(flow(24, 2, {"arp_spa": "198.19.0.1"}))  # no eth_type=arp: BAD_PREREQ
    mods = [DeleteFlows(FlowFilter()), AddFlow(flow(0, 5, {"in_port": 5})), bad,
            AddFlow(flow(0, 6, {"in_port": 6}))]
    with pytest.raises(BundleError) as err:
        driver.apply("br-int", mods)
    assert err.value.mod == bad
    assert "#2" in str(err.value) and "BAD_PREREQ" in str(err.value)
    assert driver.dump("br-int") == before  # nothing applied, not even the delete
    backwards = AddFlow(flow(30, 1, goto=10))  # goto a lower table: BAD_TABLE_ID
    with pytest.raises(BundleError) as err:
        driver.apply("br-int", [AddFlow(flow(0, 5)), backwards])
    assert err.value.mod == backwards
    assert driver.dump("br-int") == before
    driver.apply("br-int", mods[:2])  # the connection is still fine
    assert driver.dump("br-int") == [flow(0, 5, {"in_port": 5})]


def test_bundle_commit_error_discards_everything(native: tuple[SimHost, NativeDriver]) -> None:
    host, driver = native
    host.vsctl("--", "--id=@ft", "create", "Flow_Table", "flow_limit=2",
               "overflow_policy=refuse", "--", "set", "Bridge", "br-int", "flow_tables:7=@ft")
    mods = [AddFlow(flow(0, 1)), *(AddFlow(flow(7, p, {"in_port": p})) for p in (1, 2, 3))]
    with pytest.raises(BundleError) as err:  # the table fills up only at commit time
        driver.apply("br-int", mods)
    assert err.value.mod == mods[3]
    assert "TABLE_FULL" in str(err.value)
    assert driver.dump("br-int") == []
    driver.apply("br-int", mods[:3])
    assert len(driver.dump("br-int")) == 3


def test_empty_apply_is_a_noop(native: tuple[SimHost, NativeDriver]) -> None:
    _, driver = native
    driver.apply("br-int", [])
    driver.barrier("br-int")


# --------------------------------------------------------- connection life


def test_vswitchd_restart_disconnects_and_reconnects(
        native: tuple[SimHost, NativeDriver]) -> None:
    host, driver = native
    driver.apply("br-int", [AddFlow(flow(0, 1))])
    baseline = threading.active_count()

    host.stop_daemon("ovs-vswitchd")
    assert wait_until(lambda: not driver.is_connected("br-int"), 10)
    with pytest.raises(BridgeNotConnected):
        driver.apply("br-int", [AddFlow(flow(0, 2))])
    with pytest.raises(BridgeNotConnected):
        driver.barrier("br-int")
    host.start_vswitchd()
    assert driver.wait_connected("br-int", 30)
    assert driver.is_connected("br-int")
    assert driver.dump("br-int") == []  # a restarted vswitchd has no flows
    driver.apply("br-int", [AddFlow(flow(0, 3))])
    assert driver.dump("br-int") == [flow(0, 3)]

    for kill in (False, True, False):
        host.restart_vswitchd(kill=kill)
        assert wait_until(lambda: driver.is_connected("br-int")
                          and not driver.dump("br-int"), 30)
        driver.apply("br-int", [AddFlow(flow(0, 4))])
        assert driver.dump("br-int") == [flow(0, 4)]
    # each dead connection took its threads with it
    assert wait_until(lambda: threading.active_count() <= baseline, 10), (
        [t.name for t in threading.enumerate()])


def test_several_bridges_on_one_controller(native: tuple[SimHost, NativeDriver]) -> None:
    host, driver = native
    dpids = {"br-int": datapath_id(host, "br-int")}
    for br in ("br-tun", "br-phys1"):
        dpids[br] = connect(host, driver, br)
    assert len(set(dpids.values())) == 3
    for i, br in enumerate(dpids):
        driver.apply(br, [AddFlow(flow(0, i + 1))])
    for i, br in enumerate(dpids):
        assert driver.dump(br) == [flow(0, i + 1)]
        assert driver.is_connected(br)
    host.vsctl("del-controller", "br-tun")
    assert wait_until(lambda: not driver.is_connected("br-tun"), 10)
    assert driver.is_connected("br-int") and driver.is_connected("br-phys1")
    host.vsctl("set-controller", "br-tun", f"tcp:127.0.0.1:{driver.listen_port}")
    assert driver.wait_connected("br-tun", 20)


def test_add_bridge_times_out_for_an_unknown_datapath(
        native: tuple[SimHost, NativeDriver]) -> None:
    _, driver = native
    t0 = time.monotonic()
    with pytest.raises(OpenFlowTimeout):
        driver.add_bridge("br-nope", 0x1234, timeout=0.3)
    assert time.monotonic() - t0 < 5
    assert not driver.is_connected("br-nope")
    with pytest.raises(BridgeNotConnected):
        driver.dump("br-nope")
    with pytest.raises(BridgeNotConnected):
        driver.barrier("never-added")


def test_request_timeout_when_the_switch_stalls(native: tuple[SimHost, NativeDriver]) -> None:
    host, driver = native
    driver.request_timeout = 0.5
    pid = host.pid("ovs-vswitchd")
    assert pid is not None
    os.kill(pid, signal.SIGSTOP)
    try:
        with pytest.raises(OpenFlowTimeout):
            driver.barrier("br-int")
        with pytest.raises(OpenFlowTimeout):
            driver.apply("br-int", [AddFlow(flow(0, 1))])
    finally:
        os.kill(pid, signal.SIGCONT)
    driver.request_timeout = 30.0
    driver.barrier("br-int")
    assert driver.dump("br-int") == []  # the timed-out bundle was discarded


def test_close_releases_listener_and_threads(sim_host: SimHost) -> None:
    baseline = threading.active_count()
    driver = NativeDriver(listen_port=0, netns=sim_host.netns)
    connect(sim_host, driver, "br-int")
    port = driver.listen_port
    driver.close()
    assert not driver.is_connected("br-int")
    assert not listening(sim_host, port)
    assert wait_until(lambda: threading.active_count() <= baseline, 10), (
        [t.name for t in threading.enumerate()])
    driver.close()  # idempotent


# ------------------------------------------------------------------ timings


def test_timings(native: tuple[SimHost, NativeDriver], capsys: pytest.CaptureFixture[str]
                 ) -> None:
    _, driver = native
    mods = [AddFlow(flow(5, 100, {"eth_type": 0x0800, "in_port": i + 1,
                                  "ipv4_src": f"198.18.{i // 250}.{i % 250 + 1}"},
                         [Output(2)], cookie=COOKIE)) for i in range(5000)]
    t0 = time.perf_counter()
    driver.apply("br-int", mods)
    bundle = time.perf_counter() - t0
    t0 = time.perf_counter()
    dumped = driver.dump("br-int")
    dump = time.perf_counter() - t0
    assert len(dumped) == 5000
    singles = []
    for i in range(200):
        t0 = time.perf_counter()
        driver.apply("br-int", [AddFlow(flow(6, 1, {"in_port": i + 1}))])
        driver.barrier("br-int")
        singles.append(time.perf_counter() - t0)
    singles.sort()
    with capsys.disabled():
        print(f"\nnative: 5000-flow bundle {bundle:.3f} s, dump of 5000 {dump:.3f} s, "
              f"one flow-mod bundle + barrier median {singles[100] * 1e3:.2f} ms "
              f"(p90 {singles[180] * 1e3:.2f} ms)")
    assert bundle < 20 and singles[100] < 0.5


def test_concurrent_callers_share_a_connection(native: tuple[SimHost, NativeDriver]) -> None:
    _, driver = native
    errors: list[BaseException] = []

    def work(table: int) -> None:
        try:
            mods = [AddFlow(flow(table, 10, {"in_port": i + 1}, [Output(2)]))
                    for i in range(2000)]
            driver.apply("br-int", mods)
            for _ in range(3):
                driver.dump("br-int", FlowFilter(table=table))
                driver.barrier("br-int")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(t,)) for t in (11, 12, 13, 14)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    for table in (11, 12, 13, 14):
        assert len(driver.dump("br-int", FlowFilter(table=table))) == 2000


def test_idle_connection_survives_inactivity_probes(
        native: tuple[SimHost, NativeDriver]) -> None:
    host, driver = native
    host.vsctl("set", "Controller", "br-int", "inactivity_probe=1000")
    dpid = datapath_id(host, "br-int")
    dp = driver._listener.get(dpid)
    time.sleep(4)  # several echo request/reply rounds from OVS
    assert driver._listener.get(dpid) is dp
    driver.barrier("br-int")


def test_switch_that_stops_reading_is_dropped_and_comes_back(
        native: tuple[SimHost, NativeDriver]) -> None:
    """A stalled switch fills the socket; the send loop gives up and the link is reset."""
    host, driver = native
    driver.request_timeout = 20.0
    mods = [AddFlow(flow(5, 100, {"eth_type": 0x0800, "in_port": i + 1,
                                  "ipv4_src": f"198.18.{i // 250}.{i % 250 + 1}"},
                         [Output(2)])) for i in range(40000)]
    pid = host.pid("ovs-vswitchd")
    assert pid is not None
    os.kill(pid, signal.SIGSTOP)
    try:
        t0 = time.monotonic()
        with pytest.raises(BridgeNotConnected):  # socket_timeout (5 s), not request_timeout
            driver.apply("br-int", mods)
        assert time.monotonic() - t0 < 15
        assert wait_until(lambda: not driver.is_connected("br-int"), 10)
    finally:
        os.kill(pid, signal.SIGCONT)
    assert driver.wait_connected("br-int", 30)
    driver.apply("br-int", [AddFlow(flow(0, 1)), AddFlow(flow(0, 2))])
    assert set(driver.dump("br-int")) == {flow(0, 1), flow(0, 2)}  # nothing of the stalled one
