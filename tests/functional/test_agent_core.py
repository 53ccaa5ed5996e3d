"""The agent core on two simulated hosts with an in-process fake server.

Everything but neutron-server is real: OVSDB events, bridge setup, port
wiring, computed flows installed by each OpenFlow driver, tunnels, VMs and
pings. The fake server answers device details from a table and records
``update_device_list``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pytest
from fakes import FakeServer, start_agent, stop_agent

from ovsagent.agent.core import AgentCore
from ovsagent.agent.wiring import DeviceDetails
from ovsagent.pipeline.flow import FlowFilter
from ovsagent.pipeline.state import Segment
from ovsagent.testbench import SimHost, SimVM, Testbed

VX = Segment("vxlan", None, 1000)
VX2 = Segment("vxlan", None, 1001)
VL = Segment("vlan", "physnet1", 101)
FL = Segment("flat", "physnet1", None)


@pytest.fixture(params=["ovs-ofctl", "native"])
def cloud(request: pytest.FixtureRequest, testbed: Testbed
          ) -> Iterator[tuple[Testbed, FakeServer, dict[str, AgentCore]]]:
    hosts = [testbed.add_host("h1"), testbed.add_host("h2")]
    ips = testbed.add_underlay()
    testbed.add_physnet("br-phys1")
    server = FakeServer()
    agents: dict[str, AgentCore] = {}
    try:
        for host in hosts:
            agents[host.name] = start_agent(host, ips[host.name], str(request.param), server)
        for name, agent in agents.items():  # what tunnel_sync would return
            for other, ip in ips.items():
                if other != name:
                    agent.on_tunnel_update("vxlan", ip)
        yield testbed, server, agents
    finally:
        for agent in agents.values():
            stop_agent(agent)


def _vm(bed: Testbed, server: FakeServer, host: str, name: str, ip: str,
        net: str | None, seg: Segment | None) -> SimVM:
    n = len(bed.vms) + 1
    port_id = f"{name}-0000-0000-0000-{n:012d}"
    mac = f"fa:16:3e:00:{n // 256:02x}:{n % 256:02x}"
    if net is not None:
        server.details[port_id] = DeviceDetails(port_id, net, seg, mac_address=mac,
                                                fixed_ips=(ip,))  # anti-spoofing allows ARP
    return bed.add_vm(bed.hosts[host], name, mac, f"{ip}/24", port_id)


def test_ping_across_vxlan_vlan_flat_with_isolation(cloud: tuple) -> None:  # type: ignore[type-arg]
    bed, server, _ = cloud
    pairs = {}
    for net, seg, subnet in (("netX", VX, "198.19.1"), ("netV", VL, "198.19.2"),
                             ("netF", FL, "198.19.3")):
        a = _vm(bed, server, "h1", f"a{net[-1].lower()}", f"{subnet}.1", net, seg)
        b = _vm(bed, server, "h2", f"b{net[-1].lower()}", f"{subnet}.2", net, seg)
        pairs[net] = (a, b)
    other = _vm(bed, server, "h2", "ox", "198.19.1.3", "netY", VX2)  # same subnet, other net
    server.wait_up(*(vm.iface_id for pair in pairs.values() for vm in pair), other.iface_id)
    for net, (a, b) in pairs.items():
        took = a.wait_ping(b.ip, timeout=20)
        print(f"\n{net}: first reply after {took:.2f}s")
        assert a.ping(b.ip, count=5, interval=0.05).ok, net
    assert not pairs["netX"][0].ping(other.ip, count=3, interval=0.1).received
    h1 = bed.hosts["h1"]
    tags = {vm.name: int(h1.vsctl("get", "Port", vm.ifname, "tag"))
            for vm in (pairs["netX"][0], pairs["netV"][0], pairs["netF"][0])}
    assert len(set(tags.values())) == 3 and 4095 not in tags.values()
    config = h1.vsctl("get", "Port", pairs["netV"][0].ifname, "other_config")
    assert 'net_uuid=netV' in config and 'segmentation_id="101"' in config


def test_unbound_port_is_dead_and_removal_reclaims(cloud: tuple) -> None:  # type: ignore[type-arg]
    bed, server, agents = cloud
    a = _vm(bed, server, "h1", "a", "198.19.1.1", "netX", VX)
    b = _vm(bed, server, "h2", "b", "198.19.1.2", "netX", VX)
    dead = _vm(bed, server, "h1", "dead", "198.19.1.9", None, None)
    server.wait_up(a.iface_id, b.iface_id)
    assert a.wait_ping(b.ip, timeout=20) < 20
    h1 = bed.hosts["h1"]
    deadline = time.monotonic() + 10
    while h1.vsctl("get", "Port", dead.ifname, "tag") != "4095":
        assert time.monotonic() < deadline, "unbound port never got the dead VLAN"
        time.sleep(0.05)
    assert dead.iface_id not in server.up
    assert not dead.ping(a.ip, count=3, interval=0.1).received
    drv = agents["h1"].driver
    assert drv.dump("br-tun", FlowFilter(table=4))  # tun_id 1000 -> local VLAN
    bed.remove_vm("a")
    deadline = time.monotonic() + 10
    while a.iface_id not in server.down or [
            f for f in drv.dump("br-tun", FlowFilter(table=4)) if f.priority == 1]:
        assert time.monotonic() < deadline, "port removal not processed / VLAN not reclaimed"
        time.sleep(0.05)
    assert agents["h1"].vlans.in_use() == {}


def _trace(host: SimHost, bridge: str, flow: str) -> str:
    return host.appctl("ofproto/trace", bridge, flow)


def test_trace_each_network_type(cloud: tuple) -> None:  # type: ignore[type-arg]
    """ofproto/trace from a VIF: vxlan leaves with its VNI, vlan with its VID, flat untagged;
    traffic from the physnet is translated to the local VLAN; an unbound VIF is dropped."""
    bed, server, _ = cloud
    vms = {net: _vm(bed, server, "h1", f"t{net[-1].lower()}", ip, net, seg)
           for net, seg, ip in (("netX", VX, "198.19.1.1"), ("netV", VL, "198.19.2.1"),
                                ("netF", FL, "198.19.3.1"))}
    dead = _vm(bed, server, "h1", "tdead", "198.19.4.1", None, None)
    server.wait_up(*(vm.iface_id for vm in vms.values()))
    h1 = bed.hosts["h1"]
    deadline = time.monotonic() + 10
    while h1.vsctl("get", "Port", dead.ifname, "tag") != "4095":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    bcast = "dl_dst=ff:ff:ff:ff:ff:ff,dl_type=0x0806"

    def from_vm(vm: SimVM) -> str:
        return _trace(h1, "br-int",
                      f"in_port={vm.ifname},dl_src={vm.mac},{bcast},arp_spa={vm.ip}")

    vx = from_vm(vms["netX"])
    assert "bridge(\"br-tun\")" in vx and "set_field:0x3e8->tun_id" in vx, vx
    assert "output:" in vx.split('bridge("br-tun")')[1]
    vl = from_vm(vms["netV"])
    assert "bridge(\"br-phys1\")" in vl and "set_field:4197->vlan_vid" in vl, vl  # VID 101
    fl = from_vm(vms["netF"])
    assert "bridge(\"br-phys1\")" in fl and "pop_vlan" in fl.split('bridge("br-phys1")')[1], fl
    lvid_v = int(h1.vsctl("get", "Port", vms["netV"].ifname, "tag"))
    inbound = _trace(h1, "br-phys1", f"in_port=LOCAL,dl_vlan=101,{bcast}")
    assert f"set_field:{4096 + lvid_v}->vlan_vid" in inbound, inbound
    odp = re.search(rf"\b{vms['netV'].ifname} \d+/(\d+)", h1.appctl("dpif/show"))
    assert odp, h1.appctl("dpif/show")
    actions = inbound.split("Datapath actions:")[1]
    assert re.search(rf"pop_vlan,(\d+,)*{odp.group(1)}\b", actions), actions  # VIF, untagged
    dropped = _trace(h1, "br-int", f"in_port={dead.ifname},dl_src={dead.mac},{bcast}")
    assert "Datapath actions: drop" in dropped, dropped
