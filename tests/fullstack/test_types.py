"""Network types beyond vxlan/vlan/flat, for every agent the lab runs (issue 5 item 3).

The lab's agents run ``tunnel_types = vxlan,gre,geneve`` and the server has
the ``local`` type driver. gre and geneve: VMs on two hosts reach each other
through userspace OVS tunnels of that type (the port type, its TUN_TO_LV
table and the packets through it are checked, not only the ping). local:
ports only get a tag, no flow names the network, VMs on one host reach each
other and nothing leaves the host.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from ovsagent.lab import Lab, Workspace, procs
from ovsagent.testbench import SimHost

pytestmark = pytest.mark.fullstack

TUN_TABLE = {"gre": 3, "vxlan": 4, "geneve": 6}  # reference/03 §1


def _wait(what: str, predicate: Callable[[], bool], timeout: float = 30.0) -> None:
    procs.wait_until(predicate, timeout, what)


def _tunnel_ports(host: SimHost) -> dict[str, str]:
    """br-tun tunnel port name -> Interface type."""
    names = [n for n in host.vsctl("list-ports", "br-tun").split() if n != "patch-int"]
    return {n: host.vsctl("get", "Interface", n, "type").strip('"') for n in names}


def _table_packets(host: SimHost, bridge: str, table: int, match: str) -> int:
    """n_packets of the flow in ``table`` whose match contains ``match`` (0 if none)."""
    out = host.ofctl("dump-flows", bridge, f"table={table}")
    for line in out.splitlines():
        if match in line:
            m = re.search(r"n_packets=(\d+)", line)
            return int(m.group(1)) if m else 0
    return 0


@pytest.mark.parametrize("network_type", ["gre", "geneve"])
def test_tunnel_type_pings_across_hosts(lab: Lab, workspace: Workspace, network_type: str
                                        ) -> None:
    net = workspace.network(network_type)
    assert net["provider:network_type"] == network_type
    segment = int(net["provider:segmentation_id"])
    vm1, vm2 = workspace.vm(net, "h1"), workspace.vm(net, "h2")
    vm1.vm.wait_ping(vm2.ip, timeout=30)
    there = vm1.vm.ping(vm2.ip, count=5, interval=0.2)
    back = vm2.vm.ping(vm1.ip, count=5, interval=0.2)
    assert there.ok, there.output
    assert back.ok, back.output
    for name, peer in (("h1", "h2"), ("h2", "h1")):
        host = lab.host(name)
        peer_ip = lab.state.hosts[peer].underlay_ip
        port = f"{network_type}-" + "".join(f"{int(o):02x}" for o in peer_ip.split("."))
        assert _tunnel_ports(host).get(port) == network_type, _tunnel_ports(host)
        # Traffic really came in through this type's own TUN_TO_LV table.
        assert _table_packets(host, "br-tun", TUN_TABLE[network_type],
                              f"tun_id={segment:#x}") > 0, host.ofctl("dump-flows", "br-tun")


def _tag(host: SimHost, ifname: str) -> int:
    return int(host.vsctl("get", "Port", ifname, "tag"))


def _mentions_vlan(dump: str, lvid: int) -> list[str]:
    """Flows that match or set local VLAN ``lvid``."""
    pattern = re.compile(rf"dl_vlan={lvid}\b|set_field:{4096 + lvid}->vlan_vid|"
                         rf"vlan_tci=0x{lvid:04x}/0x0fff")
    return [line for line in dump.splitlines() if pattern.search(line)]


def test_local_network_switches_on_one_host_only(lab: Lab, workspace: Workspace) -> None:
    h1 = lab.host("h1")
    tunnels_before = set(_tunnel_ports(h1))
    net = workspace.network("local")
    assert net["provider:network_type"] == "local"
    a, b = workspace.vm(net, "h1"), workspace.vm(net, "h1")
    far = workspace.vm(net, "h2")  # bound too: a local network exists on every host
    a.vm.wait_ping(b.ip, timeout=30)
    assert a.vm.ping(b.ip, count=5, interval=0.2).ok
    tag = _tag(h1, a.vm.ifname)
    assert tag == _tag(h1, b.vm.ifname)
    assert 1 <= tag <= 4094
    # Ports only get a tag: no flow on any bridge of the host refers to it.
    for bridge in ("br-int", "br-tun", "br-phys1"):
        dump = h1.ofctl("dump-flows", "--no-stats", bridge)
        assert not _mentions_vlan(dump, tag), (bridge, dump)
    # Nothing leaves the host: the VM on h2 in "the same" local network is unreachable.
    assert not a.vm.ping(far.ip, count=3, interval=0.2).received
    # ...and no tunnel is made for it (one of an earlier test may still be going away).
    assert set(_tunnel_ports(h1)) <= tunnels_before
