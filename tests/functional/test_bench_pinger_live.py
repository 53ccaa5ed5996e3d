"""bench.pinger through a real OVS bridge, read the way the benchmarks read it."""

from __future__ import annotations

import time

from bench.watch import TimedPing
from bench.workload import BenchVM
from ovsagent.testbench import SimHost, Testbed
from ovsagent.testbench.vm import SimVM


def _bench_vm(vm: SimVM, peer_ip: str) -> BenchVM:
    return BenchVM(netns=vm.netns, tap=vm.ifname, ip=vm.ip, mac=vm.mac, port_id=vm.iface_id,
                   peer_ip=peer_ip)


def test_pinger_counts_replies_and_losses_on_real_packets(
        normal_vm_pair: tuple[SimHost, SimVM, SimVM]) -> None:
    host, a, b = normal_vm_pair
    ping = TimedPing(_bench_vm(a, b.ip))
    assert ping.sending.wait(10)
    time.sleep(1.0)
    host.ofctl("add-flow", "br-int", "priority=10,icmp,actions=drop")  # a gap of ~0.5 s
    time.sleep(0.5)
    host.ofctl("del-flows", "br-int", "icmp")
    time.sleep(1.0)
    sent, received = ping.stop()

    assert 150 <= sent <= 320, ping.summary  # every 10 ms for ~2.5-2.8 s (slow box: fewer)
    lost, in_flight = ping.losses(sent)
    assert 10 <= lost <= 80, (lost, sent)  # the dropped half second, nothing else
    assert received + lost + in_flight == sent
    assert ping.first is not None and ping.gaps()
    assert max(ping.seen) == sent - in_flight


def test_pinger_without_replies_loses_everything(testbed: Testbed) -> None:
    host = testbed.add_host("h1")
    host.add_bridge("br-int", fail_mode=None)
    host.ofctl("add-flow", "br-int", "priority=0,actions=drop")
    a = testbed.add_vm(host, "vm-a", "fa:16:3e:00:00:01", "198.19.1.1/24", "port-a")
    ping = TimedPing(_bench_vm(a, "198.19.1.9"))
    assert ping.sending.wait(10)
    time.sleep(0.5)
    sent, received = ping.stop()
    assert sent >= 20 and received == 0
    assert ping.losses(sent) == (sent, 0) and ping.first is None
