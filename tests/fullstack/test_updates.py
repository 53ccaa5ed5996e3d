"""Server-side updates of plugged ports and networks, for every agent the lab runs
(issue 5 item 5): admin_state_up false cuts a port off and true brings it back; a
fixed IP change moves the port's ARP anti-spoofing rule; a vlan network's new
segmentation id re-provisions the physnet translation and traffic keeps flowing."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from ovsagent.lab import Lab, Workspace
from ovsagent.lab.confgen import VLAN_RANGE
from ovsagent.testbench import SimHost
from ovsagent.testbench.frames import Capture, arp, received, send_frames

pytestmark = pytest.mark.fullstack


def _wait(what: str, predicate: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def _tag(host: SimHost, ifname: str) -> str:
    return host.vsctl("--if-exists", "get", "Port", ifname, "tag")


def _dump(host: SimHost, bridge: str, table: int | None = None) -> str:
    args = ["dump-flows", bridge, "--no-names"] + ([f"table={table}"] if table is not None else [])
    return host.ofctl(*args)


def test_admin_down_cuts_the_port_off_and_back(lab: Lab, workspace: Workspace) -> None:
    net = workspace.network("vxlan")
    a, b = workspace.vm(net, "h1"), workspace.vm(net, "h2")
    a.vm.wait_ping(b.ip, timeout=30)
    h1, client = lab.host("h1"), workspace.client

    client.update_port(a.port["id"], admin_state_up=False)
    _wait("admin-down port on VLAN 4095", lambda: _tag(h1, a.vm.ifname) == "4095")
    client.wait_port_status(a.port["id"], "DOWN", timeout=30)
    assert not a.vm.ping(b.ip, count=3, interval=0.2).received
    assert not b.vm.ping(a.ip, count=3, interval=0.2).received

    client.update_port(a.port["id"], admin_state_up=True)
    client.wait_port_status(a.port["id"], "ACTIVE", timeout=30)
    _wait("port back on a live VLAN", lambda: _tag(h1, a.vm.ifname) not in ("4095", "[]", ""))
    a.vm.wait_ping(b.ip, timeout=30)
    assert b.vm.ping(a.ip, count=3, interval=0.2).ok


def test_fixed_ip_change_moves_the_arp_rule(lab: Lab, workspace: Workspace) -> None:
    net = workspace.network("vxlan", port_security=True)
    a, b = workspace.vm(net, "h1"), workspace.vm(net, "h1")
    a.vm.wait_ping(b.ip, timeout=30)
    h1 = lab.host("h1")
    ofport = h1.ofport(a.vm.ifname)
    prefix = a.ip.rsplit(".", 1)[0]
    old, new = a.ip, f"{prefix}.77"
    rule = f"priority=2,arp,in_port={ofport},arp_spa={{}} actions=goto_table:25"
    assert rule.format(old) in _dump(h1, "br-int", 24)
    subnet = a.port["fixed_ips"][0]["subnet_id"]
    workspace.client.update_port(a.port["id"],
                                 fixed_ips=[{"subnet_id": subnet, "ip_address": new}])
    # once (a full test run, reference lab) the reference added the new rule at once
    # but removed the old one only ~30 s later: give it time, as for the VID below
    _wait("ARP rule for the new address", lambda: rule.format(new) in _dump(h1, "br-int", 24),
          timeout=90)
    _wait("ARP rule for the old address gone",
          lambda: rule.format(old) not in _dump(h1, "br-int", 24), timeout=90)

    capture = Capture(b.vm, seconds=2.0)
    frames = [arp(a.vm.mac, old, f"{prefix}.250"), arp(a.vm.mac, new, f"{prefix}.250")]
    send_frames(a.vm, frames)
    seen = capture.frames()
    assert [received(seen, f) for f in frames] == [False, True]
    a.vm.run(["ip", "addr", "del", a.vm.cidr, "dev", "eth0"])  # (would take secondaries along)
    a.vm.run(["ip", "addr", "add", f"{new}/24", "dev", "eth0"])
    a.vm.wait_ping(b.ip, timeout=30)  # the VM on its new address reaches its neighbour


def test_vlan_segmentation_change_reprovisions(lab: Lab, workspace: Workspace) -> None:
    net = workspace.network("vlan", "physnet1")
    a, b = workspace.vm(net, "h1"), workspace.vm(net, "h2")
    a.vm.wait_ping(b.ip, timeout=30)
    h1, client = lab.host("h1"), workspace.client
    old = int(net["provider:segmentation_id"])
    used = {n.get("provider:segmentation_id") for n in client.list_networks()}
    new = next(v for v in range(VLAN_RANGE[1], VLAN_RANGE[0], -1) if v not in used)
    lvid = int(_tag(h1, a.vm.ifname))
    client.request("PUT", f"networks/{net['id']}",
                   {"network": {"provider:segmentation_id": new}})
    assert client.get_network(net["id"])["provider:segmentation_id"] == new

    def reprovisioned() -> bool:
        phys, integ = _dump(h1, "br-phys1", 0), _dump(h1, "br-int", 0)
        return (f"set_field:{4096 + new}->vlan_vid" in phys
                and f"set_field:{4096 + old}->vlan_vid" not in phys
                and f"dl_vlan={new} actions=set_field:{4096 + lvid}->vlan_vid" in integ
                and f"dl_vlan={old} " not in integ)

    # the reference polls every 2 s and asks the server again: give it time on a busy machine
    _wait(f"VID {old} -> {new} on br-phys1 and br-int of h1", reprovisioned, timeout=90)
    assert int(_tag(h1, a.vm.ifname)) == lvid  # the local VLAN stays
    a.vm.wait_ping(b.ip, timeout=30)
