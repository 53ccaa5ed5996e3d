"""Anti-spoofing against the real server, for every agent the lab runs (reference/03
§2.4): with port security a VM's frames from a foreign MAC and its ARP claiming a
foreign IP are dropped; its allowed address pairs (a CIDR included) pass; with
port security disabled everything passes, and enabling it later closes the door."""

from __future__ import annotations

import time

import pytest

from ovsagent.lab import Lab, Workspace
from ovsagent.lab.vms import LabVM
from ovsagent.pipeline.antispoof import link_local
from ovsagent.testbench import SimHost
from ovsagent.testbench.frames import (
    Capture,
    arp,
    marker_frame,
    neighbor_advert,
    received,
    send_frames,
)

pytestmark = pytest.mark.fullstack

FOREIGN_MAC = "fa:16:3e:77:77:77"
PAIR_MAC = "fa:16:3e:99:99:99"


def _dump(host: SimHost, table: int) -> str:
    return host.ofctl("dump-flows", "br-int", f"table={table}", "--no-names")


def _wait_flow(host: SimHost, table: int, text: str, present: bool = True,
               timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while (text in _dump(host, table)) != present:
        assert time.monotonic() < deadline, f"table {table}: {text!r} never {present}"
        time.sleep(0.2)


def _arrives(sender: LabVM, frames: list[bytes], receiver: LabVM) -> list[bool]:
    capture = Capture(receiver.vm, seconds=2.0)
    send_frames(sender.vm, frames)
    seen = capture.frames()
    return [received(seen, f) for f in frames]


def _prefix(lvm: LabVM) -> str:
    return lvm.ip.rsplit(".", 1)[0]


def test_spoofed_mac_and_ip_are_dropped_own_addresses_pass(lab: Lab, workspace: Workspace
                                                            ) -> None:
    net = workspace.network("vxlan", port_security=True)
    a, b = workspace.vm(net, "h1"), workspace.vm(net, "h1")
    far = workspace.vm(net, "h2")
    a.vm.wait_ping(far.ip, timeout=30)
    h1 = lab.host("h1")
    ofport = h1.ofport(a.vm.ifname)
    _wait_flow(h1, 24, f"priority=2,arp,in_port={ofport},arp_spa={a.ip} actions=goto_table:25")
    assert f"priority=9,in_port={ofport} actions=goto_table:25" in _dump(h1, 0)
    unknown = f"{_prefix(a)}.250"  # nobody has it: the ARP responder stays out of the way
    frames = [
        marker_frame(a.vm.mac, b"own-mac"),
        marker_frame(FOREIGN_MAC, b"spoofed-mac"),
        arp(a.vm.mac, a.ip, unknown),
        arp(a.vm.mac, f"{_prefix(a)}.249", unknown),
        arp(a.vm.mac, far.ip, unknown),
        neighbor_advert(a.vm.mac, link_local(a.vm.mac), link_local(a.vm.mac)),
        neighbor_advert(a.vm.mac, link_local(a.vm.mac), "fd00:1::99"),
    ]
    assert _arrives(a, frames, b) == [True, False, True, False, False, True, False]


def test_allowed_address_pairs_pass_including_a_cidr(lab: Lab, workspace: Workspace) -> None:
    net = workspace.network("vxlan", port_security=True)
    a, b = workspace.vm(net, "h1"), workspace.vm(net, "h1")
    prefix = _prefix(a)
    workspace.client.update_port(a.port["id"], allowed_address_pairs=[
        {"ip_address": f"{prefix}.128/25", "mac_address": PAIR_MAC},
        {"ip_address": f"{prefix}.50"}])
    h1 = lab.host("h1")
    ofport = h1.ofport(a.vm.ifname)
    _wait_flow(h1, 24, f"priority=2,arp,in_port={ofport},arp_spa={prefix}.128/25 "
                       "actions=goto_table:25")
    _wait_flow(h1, 25, f"priority=2,in_port={ofport},dl_src={PAIR_MAC} actions=goto_table:30")
    unknown = f"{prefix}.3"
    frames = [
        arp(a.vm.mac, f"{prefix}.200", unknown),   # inside the pair's CIDR
        arp(a.vm.mac, f"{prefix}.50", unknown),    # the pair's address
        arp(a.vm.mac, f"{prefix}.77", unknown),    # neither: dropped
        marker_frame(PAIR_MAC, b"pair-mac"),       # the pair's MAC
        arp(PAIR_MAC, f"{prefix}.129", unknown),   # pair MAC and CIDR together
        marker_frame(FOREIGN_MAC, b"spoofed-mac"),
    ]
    assert _arrives(a, frames, b) == [True, True, False, True, True, False]


def test_port_security_disabled_passes_anything_until_enabled(lab: Lab, workspace: Workspace
                                                              ) -> None:
    net = workspace.network("vxlan")  # the lab's networks default to port security off
    a, b = workspace.vm(net, "h1"), workspace.vm(net, "h1")
    h1 = lab.host("h1")
    ofport = h1.ofport(a.vm.ifname)
    assert workspace.client.get_port(a.port["id"])["port_security_enabled"] is False
    unknown = f"{_prefix(a)}.250"
    spoofs = [marker_frame(FOREIGN_MAC, b"spoofed-mac"),
              arp(a.vm.mac, f"{_prefix(a)}.249", unknown),
              neighbor_advert(a.vm.mac, link_local(a.vm.mac), "fd00:1::99")]
    assert _arrives(a, spoofs, b) == [True, True, True]
    assert f"in_port={ofport}," not in _dump(h1, 24) + _dump(h1, 25)

    workspace.client.update_port(a.port["id"], port_security_enabled=True)
    _wait_flow(h1, 0, f"priority=9,in_port={ofport} actions=goto_table:25")
    _wait_flow(h1, 0, f"priority=10,arp,in_port={ofport} actions=goto_table:24")
    assert _arrives(a, spoofs, b) == [False, False, False]
    a.vm.wait_ping(b.ip, timeout=30)  # its own traffic still flows
