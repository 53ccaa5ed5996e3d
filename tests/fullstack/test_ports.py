"""Port lifecycle against the real server, for every agent the lab runs:
a port deleted on the server while plugged goes dead, unplugging it removes
its flows and reclaims the network; an unbound port sits on VLAN 4095."""

from __future__ import annotations

import time

import pytest

from ovsagent.lab import Lab, Workspace
from ovsagent.testbench import SimHost, plug_vm, unplug_vm

pytestmark = pytest.mark.fullstack


def _wait(what: str, predicate: object, timeout: float = 30.0) -> None:
    assert callable(predicate)
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def _tag(host: SimHost, ifname: str) -> str:
    return host.vsctl("--if-exists", "get", "Port", ifname, "tag")


def test_server_delete_kills_port_and_unplug_reclaims(lab: Lab, workspace: Workspace) -> None:
    net = workspace.network("vxlan")
    vm1, vm2 = workspace.vm(net, "h1"), workspace.vm(net, "h2")
    vm1.vm.wait_ping(vm2.ip, timeout=30)
    h1 = lab.host("h1")
    ofport = h1.ofport(vm1.vm.ifname)
    segment = int(net["provider:segmentation_id"])
    assert f"tun_id={segment:#x}" in h1.ofctl("dump-flows", "br-tun")

    workspace.client.delete_port(vm1.port["id"])
    _wait("deleted port on the dead VLAN", lambda: _tag(h1, vm1.vm.ifname) == "4095")
    assert not vm1.vm.ping(vm2.ip, count=3, interval=0.2).received

    workspace.vms.remove(vm1)
    unplug_vm(vm1.vm)
    _wait("flows of the unplugged port gone", lambda: f"in_port={ofport}," not in
          h1.ofctl("dump-flows", "br-int", "--no-names"))
    _wait("network reclaimed on h1",
          lambda: f"tun_id={segment:#x}" not in h1.ofctl("dump-flows", "br-tun"))


def test_unbound_port_is_dead_and_cannot_send(lab: Lab, workspace: Workspace) -> None:
    net = workspace.network("vxlan")
    target = workspace.vm(net, "h2")
    port = workspace.client.create_port(net["id"], name="unbound")  # no binding:host_id
    ip = port["fixed_ips"][0]["ip_address"]
    h1 = lab.host("h1")
    vm = plug_vm(h1, lab.state.run_id, "unbound", port["mac_address"], f"{ip}/24", port["id"])
    try:
        if lab.state.hosts["h1"].agent_kind == "ovsagent":
            # The reference leaves an untagged unbound port untouched (reference/03
            # §2.5 quirk); ovsagent always puts it on the dead VLAN with a drop flow.
            _wait("unbound port on VLAN 4095", lambda: _tag(h1, vm.ifname) == "4095")
        else:
            time.sleep(3)  # give the reference its polling interval
        assert not vm.ping(target.ip, count=3, interval=0.2).received
        assert workspace.client.get_port(port["id"])["status"] == "DOWN"
    finally:
        unplug_vm(vm)
        workspace.client.delete_port(port["id"])
