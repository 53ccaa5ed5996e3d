"""Two simulated hosts, VMs on br-int, a VXLAN tunnel between the br-tuns.

The flows are the reference's (built by the pure pipeline builders, not by an
agent) and installed with each OpenFlow driver; VMs must ping across the
tunnel, the learn action must populate table 20, and local VLANs differ per
host to prove the VNI <-> local VLAN translation.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from ovsagent.ovs.openflow.base import OpenFlowDriver
from ovsagent.pipeline import br_int, br_tun
from ovsagent.pipeline.flow import AddFlow, FlowFilter
from ovsagent.testbench import SimHost, Testbed

VNI = 0x653
COOKIE = 0x5EED


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _driver(name: str, host: SimHost, bridges: list[str]) -> OpenFlowDriver:
    if name == "ovs-ofctl":
        from ovsagent.ovs.openflow.ofctl import OfctlDriver

        return OfctlDriver(rundir=host.rundir)
    from ovsagent.ovs.openflow.native import NativeDriver

    port = _free_port()  # in the host's own netns any port is free; this just varies it
    drv = NativeDriver(listen_port=port, netns=host.netns, request_timeout=30.0)
    for br in bridges:
        host.vsctl("set-controller", br, f"tcp:127.0.0.1:{port}")
    for br in bridges:
        dpid = int(host.vsctl("get", "Bridge", br, "datapath_id").strip('"'), 16)
        drv.add_bridge(br, dpid, timeout=30)
    return drv


def _wire_host(host: SimHost, remote_ip: str, local_ip: str) -> dict[str, int]:
    host.add_bridge("br-int")
    host.add_bridge("br-tun")
    host.vsctl("--may-exist", "add-port", "br-int", "patch-tun", "--", "set", "Interface",
               "patch-tun", "type=patch", "options:peer=patch-int")
    host.vsctl("--may-exist", "add-port", "br-tun", "patch-int", "--", "set", "Interface",
               "patch-int", "type=patch", "options:peer=patch-tun")
    host.vsctl("--may-exist", "add-port", "br-tun", "vxlan-peer", "--", "set", "Interface",
               "vxlan-peer", "type=vxlan", f"options:remote_ip={remote_ip}",
               f"options:local_ip={local_ip}", "options:in_key=flow", "options:out_key=flow")
    return {p: host.ofport(p) for p in ("patch-tun", "patch-int", "vxlan-peer")}


@pytest.fixture(params=["ovs-ofctl", "native"])
def driver_name(request: pytest.FixtureRequest) -> Iterator[str]:
    yield str(request.param)


def test_vms_ping_across_vxlan(testbed: Testbed, driver_name: str) -> None:
    h1, h2 = testbed.add_host("h1"), testbed.add_host("h2")
    ips = testbed.add_underlay()
    for h in (h1, h2):
        h.ofctl("add-flow", "br-underlay", "priority=0,actions=NORMAL")
    lvids = {"h1": 1, "h2": 3}
    vms = []
    drivers = []
    try:
        for host, peer in ((h1, h2), (h2, h1)):
            ports = _wire_host(host, ips[peer.name], ips[host.name])
            lvid = lvids[host.name]
            drv = _driver(driver_name, host, ["br-int", "br-tun"])
            drivers.append(drv)
            int_flows = [f.with_cookie(COOKIE) for f in br_int.default_flows()]
            tun_flows = [f.with_cookie(COOKIE) for f in [
                *br_tun.default_flows(ports["patch-int"], COOKIE, arp_responder=False),
                br_tun.tunnel_in(ports["vxlan-peer"], "vxlan"),
                br_tun.tunnel_to_local_vlan("vxlan", VNI, lvid),
                br_tun.flood(lvid, VNI, [ports["vxlan-peer"]]),
            ]]
            drv.apply("br-int", [AddFlow(f) for f in int_flows])
            drv.apply("br-tun", [AddFlow(f) for f in tun_flows])
            index = 1 if host is h1 else 2
            vm = testbed.add_vm(host, f"vm{index}", f"fa:16:3e:00:01:0{index}",
                                f"198.19.10.{index}/24", f"port-{index}")
            host.vsctl("set", "Port", vm.ifname, f"tag={lvid}")
            vms.append(vm)
        took = vms[0].wait_ping(vms[1].ip, timeout=20)
        print(f"\n[{driver_name}] first reply across vxlan after {took:.2f}s")
        result = vms[0].ping(vms[1].ip, count=10, interval=0.05)
        assert result.ok, result.output
        learned = [f for f in drivers[0].dump("br-tun", FlowFilter(table=20))
                   if f.hard_timeout == 300]
        assert any(f.match.get("eth_dst") == "fa:16:3e:00:01:02" for f in learned), learned
        trace = h1.appctl("ofproto/trace", "br-tun",
                          f"in_port={h1.ofport('vxlan-peer')},tun_id={VNI:#x},"
                          "dl_src=fa:16:3e:00:01:02,dl_dst=fa:16:3e:00:01:01")
        assert "mod_vlan_vid:1" in trace or "set_field:4097->vlan_vid" in trace, trace
    finally:
        for drv in drivers:
            drv.close()
