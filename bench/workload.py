"""The workload: networks, ports bound to the host, VM namespaces, one-transaction plug."""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from bench.labs import HOST
from ovsagent.lab import Lab
from ovsagent.lab.client import PROJECT, NeutronClient, Resource
from ovsagent.testbench import netns

TENANT = "198.19"  # tenant addresses: 198.19.<net>.0/24


def create_networks(client: NeutronClient, count: int, tag: str) -> list[Resource]:
    """``count`` tenant (vxlan) networks with port security, one /24 subnet each."""
    nets = []
    for i in range(count):
        net = client.create_network(f"bench-{tag}-{i}", port_security=True)
        client.create_subnet(net["id"], f"{TENANT}.{i + 1}.0/24", name=f"bench-{tag}-{i}",
                             gateway_ip=None)
        nets.append(net)
    return nets


def create_ports(client: NeutronClient, nets: Sequence[Resource], count: int, host: str,
                 chunk: int = 50) -> list[Resource]:
    """``count`` VM ports spread round-robin over ``nets``, bound to ``host``
    (bulk POSTs of ``chunk`` ports)."""
    specs = [{"network_id": nets[i % len(nets)]["id"], "name": f"bp{i}",
              "admin_state_up": True, "project_id": PROJECT, "device_owner": "compute:nova",
              "device_id": str(uuid.uuid4()), "binding:host_id": host}
             for i in range(count)]
    ports: list[Resource] = []
    for i in range(0, count, chunk):
        ports += client.request("POST", "ports", {"ports": specs[i:i + chunk]})["ports"]
    unbound = [p["id"] for p in ports if p.get("binding:vif_type") != "ovs"]
    if unbound:
        raise RuntimeError(f"{len(unbound)} ports not bound to {host} (is its agent alive?)")
    return ports


@dataclass
class BenchVM:
    """A VM namespace whose veth waits, unplugged, in the host namespace."""

    netns: str
    tap: str
    ip: str
    mac: str
    port_id: str
    peer_ip: str = ""
    peer_mac: str = ""


def tap_name(port_id: str) -> str:
    return "tap" + port_id.replace("-", "")[:11]


def prepare_vms(lab: Lab, ports: Sequence[Resource], pairs: int, host: str = HOST
                ) -> list[BenchVM]:
    """``pairs`` pairs of VM namespaces (both VMs of a pair on one network, networks
    spread), each with a static neighbour entry for its peer. Not plugged yet."""
    by_net: dict[str, list[Resource]] = {}
    for p in ports:
        by_net.setdefault(p["network_id"], []).append(p)
    nets = [n for n in by_net.values() if len(n) >= 2]
    chosen = [nets[i % len(nets)][2 * (i // len(nets)):2 * (i // len(nets)) + 2]
              for i in range(min(pairs, sum(len(n) // 2 for n in nets)))]
    hostns = lab.host(host).netns
    vms: list[BenchVM] = []
    for a, b in chosen:
        pair: list[BenchVM] = []
        for p in (a, b):
            ns = f"{lab.state.run_id}-bv{len(vms) + len(pair)}"
            vm = BenchVM(ns, tap_name(p["id"]), p["fixed_ips"][0]["ip_address"],
                         p["mac_address"], p["id"])
            netns.add_netns(ns)
            netns.veth_pair("eth0", ns, vm.tap, hostns)
            netns.run(["ip", "link", "set", "eth0", "address", vm.mac], netns=ns)
            netns.run(["ip", "addr", "add", f"{vm.ip}/24", "dev", "eth0"], netns=ns)
            pair.append(vm)
        x, y = pair
        x.peer_ip, x.peer_mac, y.peer_ip, y.peer_mac = y.ip, y.mac, x.ip, x.mac
        for vm in pair:
            netns.run(["ip", "neigh", "replace", vm.peer_ip, "lladdr", vm.peer_mac, "nud",
                       "permanent", "dev", "eth0"], netns=vm.netns)
        vms += pair
    return vms


def remove_vms(vms: Iterable[BenchVM]) -> None:
    for vm in vms:
        netns.del_netns(vm.netns)


DEAD_VLAN = 4095


def port_specs(ports: Sequence[Resource], vms: Sequence[BenchVM]) -> list[Any]:
    """One OVSDB PortSpec per port: the VMs' veths, internal ports for the rest.

    :func:`plug` adds them on the dead VLAN (os-vif's ``isolate_vif`` for this
    agent): a port forwards only once the agent gave it its network's VLAN."""
    from ovsagent.ovs.ovsdb import PortSpec

    taps = {vm.port_id: vm.tap for vm in vms}
    specs = []
    for p in ports:
        ids = {"iface-id": p["id"], "attached-mac": p["mac_address"],
               "iface-status": "active", "vm-uuid": p["device_id"]}
        if p["id"] in taps:
            specs.append(PortSpec(taps[p["id"]], "", external_ids=ids))
        else:
            specs.append(PortSpec(tap_name(p["id"]), "internal", external_ids=ids))
    return specs


@contextlib.contextmanager
def ovsdb_client(lab: Lab, host: str = HOST) -> Iterator[Any]:
    from ovsagent.ovs.ovsdb import OvsdbClient

    client = OvsdbClient(lab.host(host).ovsdb_connection, timeout=60)
    try:
        yield client
    finally:
        client.close()


def plug(client: Any, specs: Sequence[Any], bridge: str = "br-int") -> tuple[float, float]:
    """Add every port in ONE transaction, isolated like a dead port of the agents
    (tag 4095 in trunk mode: a tag alone would still let two new ports talk
    through NORMAL); returns (epoch before, epoch committed)."""

    def op(tx: Any) -> None:
        br = tx.bridge(bridge)
        for spec in specs:
            iface = tx.insert("Interface")
            iface.name = spec.name
            if spec.type:
                iface.type = spec.type
            iface.external_ids = dict(spec.external_ids or {})
            tx.expect_interface(iface)
            port = tx.insert("Port")
            port.name = spec.name
            port.interfaces = [iface]
            port.tag = [DEAD_VLAN]
            port.vlan_mode = ["trunk"]
            port.trunks = [DEAD_VLAN]
            br.addvalue("ports", port)

    t0 = time.time()
    client.transact(op)
    return t0, time.time()


def unplug_all(client: Any, names: Iterable[str], bridge: str = "br-int") -> None:
    from ovsagent.ovs.ovsdb import delete_ports

    delete_ports(client, bridge, names)
