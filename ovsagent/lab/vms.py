"""VMs in the lab: a Neutron port plugged into a simulated host as a namespace.

The VM namespace gets the port's MAC and first fixed IP; its veth peer is
added to the host's br-int with the port id as ``iface-id`` (like Nova), so
the host's agent wires it and the server marks the port ACTIVE.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from ovsagent.lab.client import NeutronClient, Resource, subnet_prefix
from ovsagent.testbench import SimHost, SimVM, netns, plug_vm, unplug_vm


@dataclass
class LabVM:
    """A plugged port: the VM namespace and the timings of getting there."""

    vm: SimVM
    port: Resource
    host: str
    plug_to_active: float | None = None

    @property
    def ip(self) -> str:
        return self.vm.ip

    @property
    def name(self) -> str:
        return self.vm.name

    def to_json(self) -> dict[str, str]:
        v = self.vm
        return {"name": v.name, "host": self.host, "netns": v.netns, "ifname": v.ifname,
                "mac": v.mac, "cidr": v.cidr, "port_id": v.iface_id, "bridge": v.bridge}


def vm_from_json(host: SimHost, data: dict[str, str]) -> SimVM:
    return SimVM(data["name"], host, data["netns"], data["ifname"], data["mac"], data["cidr"],
                 data["port_id"], data.get("bridge", "br-int"))


def plug_port(client: NeutronClient, host: SimHost, run_id: str, port: Resource,
              name: str | None = None) -> LabVM:
    """Plug ``port`` into ``host`` as a VM namespace (does not wait)."""
    _ip, cidr = subnet_prefix(client, port)
    vm_name = name or f"vm-{port['id'][:8]}"
    vm = plug_vm(host, run_id, vm_name, port["mac_address"], cidr, port["id"],
                 vm_uuid=port.get("device_id") or None)
    return LabVM(vm, port, host.name)


def boot_vm(client: NeutronClient, host: SimHost, run_id: str, network_id: str,
            name: str | None = None, timeout: float = 60.0, ip: str | None = None) -> LabVM:
    """Create a port bound to ``host`` (with ``ip`` if given), plug it, wait for ACTIVE."""
    fixed = [{"ip_address": ip}] if ip else None
    port = client.create_port(network_id, host=host.name, name=name or "", fixed_ips=fixed)
    if port.get("binding:vif_type") in ("binding_failed", "unbound"):
        client.delete_port(port["id"])
        raise RuntimeError(f"port on {host.name} not bound (vif_type "
                           f"{port.get('binding:vif_type')}): is the host's agent alive "
                           "and does the network type fit its configuration?")
    try:
        lvm = plug_port(client, host, run_id, port, name)
    except Exception:
        client.delete_port(port["id"])
        raise
    start = time.monotonic()
    client.wait_port_status(port["id"], "ACTIVE", timeout=timeout)
    lvm.plug_to_active = time.monotonic() - start
    return lvm


def destroy_vm(client: NeutronClient | None, lvm: LabVM) -> None:
    """Unplug the VM and delete its port; never raises on what is already gone."""
    try:
        unplug_vm(lvm.vm)
    except Exception:
        netns.del_netns(lvm.vm.netns)
    if client is not None:
        client.delete_port(lvm.port["id"])
