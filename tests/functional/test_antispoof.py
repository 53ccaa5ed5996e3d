"""Anti-spoofing on real OVS (reference/03 §2.4), the agent core with a fake server,
both OpenFlow drivers.

VMs on one vxlan network of one host; the sender puts raw frames on its
wire and receivers capture what arrives: a spoofed source MAC, an ARP
claiming someone else's IP and a neighbour advert for a foreign target are
dropped; the port's own addresses and its allowed address pairs (a CIDR
included) pass; with port security disabled everything passes.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import replace

import pytest
from fakes import FakeServer, start_agent, stop_agent

from ovsagent.agent.core import AgentCore
from ovsagent.agent.wiring import DeviceDetails
from ovsagent.pipeline.antispoof import link_local
from ovsagent.pipeline.state import Segment
from ovsagent.testbench import SimVM, Testbed
from ovsagent.testbench.frames import (
    Capture,
    arp,
    marker_frame,
    neighbor_advert,
    received,
    send_frames,
)

VX = Segment("vxlan", None, 1000)
NET = "198.19.1"
PAIR_MAC = "fa:16:3e:00:00:99"


class Cloud:
    def __init__(self, bed: Testbed, server: FakeServer, agent: AgentCore) -> None:
        self.bed, self.server, self.agent = bed, server, agent
        self.host = bed.hosts["h1"]

    def vm(self, name: str, n: int, **details: object) -> SimVM:
        port_id = f"{name}-0000-0000-0000-{n:012d}"
        mac = f"fa:16:3e:00:01:{n:02x}"
        ip = f"{NET}.{n}"
        fields: dict[str, object] = {"fixed_ips": (ip,), **details}
        self.server.details[port_id] = DeviceDetails(port_id, "netX", VX, mac_address=mac,
                                                     **fields)  # type: ignore[arg-type]
        return self.bed.add_vm(self.host, name, mac, f"{ip}/24", port_id)

    def update(self, vm: SimVM, **changes: object) -> None:
        """The server changed the port (a push): new details, then the port_update."""
        self.server.details[vm.iface_id] = replace(self.server.details[vm.iface_id],
                                                   **changes)  # type: ignore[arg-type]
        self.agent.on_port_update(vm.iface_id)

    def dump(self, table: int) -> str:
        return self.host.ofctl("dump-flows", "br-int", f"table={table}", "--no-names")

    def wait_dump(self, table: int, text: str, present: bool = True, timeout: float = 15) -> None:
        deadline = time.monotonic() + timeout
        while (text in self.dump(table)) != present:
            assert time.monotonic() < deadline, f"table {table}: {text!r} present={not present}"
            time.sleep(0.05)


@pytest.fixture(params=["ovs-ofctl", "native"])
def cloud(request: pytest.FixtureRequest, testbed: Testbed) -> Iterator[Cloud]:
    host = testbed.add_host("h1")
    ips = testbed.add_underlay()
    testbed.add_physnet("br-phys1")
    server = FakeServer()
    agent = start_agent(host, ips["h1"], str(request.param), server)
    try:
        yield Cloud(testbed, server, agent)
    finally:
        stop_agent(agent)


def _arrives(sender: SimVM, frames: list[bytes], receiver: SimVM) -> list[bool]:
    """For each frame: did it reach ``receiver``?"""
    capture = Capture(receiver, seconds=1.5)
    send_frames(sender, frames)
    seen = capture.frames()
    return [received(seen, f) for f in frames]


def test_spoofed_mac_ip_and_nd_target_are_dropped_own_addresses_pass(cloud: Cloud) -> None:
    a = cloud.vm("a", 1, fixed_ips=(f"{NET}.1", "fd00:1::1"))
    b = cloud.vm("b", 2)
    cloud.server.wait_up(a.iface_id, b.iface_id)
    assert a.wait_ping(b.ip, timeout=20) < 20
    ofport = cloud.host.ofport(a.ifname)
    # the reference's notation in the switch (reference/03 §2.4)
    table24 = cloud.dump(24)
    assert f"priority=2,arp,in_port={ofport},arp_spa={NET}.1 actions=goto_table:25" in table24
    assert (f"priority=2,icmp6,in_port={ofport},icmp_type=136,nd_target={link_local(a.mac)} "
            "actions=goto_table:58") in table24
    assert f"priority=2,in_port={ofport},dl_src={a.mac} actions=goto_table:30" in cloud.dump(25)
    table0 = cloud.dump(0)
    assert f"priority=9,in_port={ofport} actions=goto_table:25" in table0
    assert f"priority=10,arp,in_port={ofport} actions=goto_table:24" in table0
    assert f"priority=10,icmp6,in_port={ofport},icmp_type=136 actions=goto_table:24" in table0

    own_lla = link_local(a.mac)
    frames = [
        marker_frame(a.mac, b"own-mac"),                                 # pass
        marker_frame("fa:16:3e:00:77:77", b"spoofed-mac"),               # drop
        arp(a.mac, a.ip, b.ip),                                          # pass
        arp(a.mac, f"{NET}.77", b.ip),                                   # drop: not its IP
        arp("fa:16:3e:00:77:77", a.ip, b.ip),                            # drop: MAC check
        neighbor_advert(a.mac, own_lla, own_lla),                        # pass
        neighbor_advert(a.mac, own_lla, "fd00:1::1"),                    # pass: fixed IPv6
        neighbor_advert(a.mac, own_lla, "fd00:1::99"),                   # drop
        neighbor_advert(a.mac, own_lla, link_local(b.mac)),              # drop: b's LLA
    ]
    assert _arrives(a, frames, b) == [True, False, True, False, False, True, True, False, False]


def test_allowed_address_pairs_pass_including_a_cidr(cloud: Cloud) -> None:
    a = cloud.vm("a", 1, allowed_address_pairs=((PAIR_MAC, f"{NET}.128/25"),
                                                ("fa:16:3e:00:01:01", f"{NET}.50"),
                                                (PAIR_MAC, "fd00:9::/64")))
    b = cloud.vm("b", 2)
    cloud.server.wait_up(a.iface_id, b.iface_id)
    ofport = cloud.host.ofport(a.ifname)
    cloud.wait_dump(24, f"priority=2,arp,in_port={ofport},arp_spa={NET}.128/25 "
                        "actions=goto_table:25")
    cloud.wait_dump(24, "nd_target=fd00:9::/64 actions=goto_table:58")
    frames = [
        arp(a.mac, f"{NET}.200", b.ip),                       # pass: inside the pair's CIDR
        arp(a.mac, f"{NET}.50", b.ip),                        # pass: pair address
        arp(a.mac, f"{NET}.77", b.ip),                        # drop
        marker_frame(PAIR_MAC, b"pair-mac"),                  # pass: the pair's MAC
        arp(PAIR_MAC, f"{NET}.129", b.ip),                    # pass: pair MAC and CIDR
        neighbor_advert(PAIR_MAC, link_local(PAIR_MAC), "fd00:9::5"),           # pass
        neighbor_advert(PAIR_MAC, link_local(PAIR_MAC), link_local(PAIR_MAC)),  # pass
        neighbor_advert(a.mac, link_local(a.mac), "fd00:8::5"),                 # drop
    ]
    assert _arrives(a, frames, b) == [True, True, False, True, True, True, True, False]


def test_port_security_disabled_lets_anything_pass_and_back(cloud: Cloud) -> None:
    a = cloud.vm("a", 1, port_security_enabled=False)
    b = cloud.vm("b", 2)
    cloud.server.wait_up(a.iface_id, b.iface_id)
    ofport = cloud.host.ofport(a.ifname)
    assert a.wait_ping(b.ip, timeout=20) < 20
    assert f"in_port={ofport}" not in cloud.dump(0) + cloud.dump(24) + cloud.dump(25)
    spoofs = [marker_frame("fa:16:3e:00:77:77", b"spoofed-mac"),
              arp(a.mac, f"{NET}.77", b.ip),
              neighbor_advert(a.mac, link_local(a.mac), "fd00:1::99")]
    assert _arrives(a, spoofs, b) == [True, True, True]
    cloud.update(a, port_security_enabled=True)  # switched on: the same frames are dropped
    cloud.wait_dump(0, f"priority=9,in_port={ofport} actions=goto_table:25")
    assert _arrives(a, spoofs, b) == [False, False, False]


def test_fixed_ip_change_moves_the_arp_rule(cloud: Cloud) -> None:
    a = cloud.vm("a", 1)
    b = cloud.vm("b", 2)
    cloud.server.wait_up(a.iface_id, b.iface_id)
    ofport = cloud.host.ofport(a.ifname)
    old, new = f"in_port={ofport},arp_spa={NET}.1 ", f"in_port={ofport},arp_spa={NET}.61 "
    cloud.wait_dump(24, old)
    before = set(_flow_lines(cloud.dump(0) + cloud.dump(25)))
    cloud.update(a, fixed_ips=(f"{NET}.61",))
    cloud.wait_dump(24, new)
    cloud.wait_dump(24, old, present=False)
    assert set(_flow_lines(cloud.dump(0) + cloud.dump(25))) == before
    assert _arrives(a, [arp(a.mac, f"{NET}.1", b.ip), arp(a.mac, f"{NET}.61", b.ip)], b) == [
        False, True]


def _flow_lines(dump: str) -> list[str]:
    """Dump lines without counters (what a flow is, not how much it matched)."""
    return [re.sub(r"(duration|n_packets|n_bytes|idle_age)=[^,]*, ?", "", line).strip()
            for line in dump.splitlines() if "actions=" in line]
