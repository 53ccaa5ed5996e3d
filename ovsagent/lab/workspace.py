"""A scratch area on a running lab: networks and VMs that are all removed together.

Tests, the demo and benchmarks create what they need through a Workspace
and call :meth:`Workspace.cleanup` (or use it as a context manager), so a
lab outlives many scenarios without accumulating ports or namespaces.
"""

from __future__ import annotations

import itertools
from types import TracebackType
from typing import Any

from ovsagent.lab.client import Resource
from ovsagent.lab.lab import Lab
from ovsagent.lab.vms import LabVM, boot_vm, destroy_vm

TENANT_NET = "198.19"  # tenant addresses: 198.19.0.0/16, one /24 per network
_subnets = itertools.count(100)


class Workspace:
    def __init__(self, lab: Lab, prefix: str = "ws") -> None:
        self.lab = lab
        self.client = lab.client
        self.prefix = prefix
        self.networks: list[Resource] = []
        self.vms: list[LabVM] = []

    def network(self, network_type: str | None = None, physical_network: str | None = None,
                segmentation_id: int | None = None, cidr: str | None = None,
                name: str | None = None, **extra: Any) -> Resource:
        """A network with one IPv4 subnet (no gateway, no DHCP); returns the network."""
        index = next(_subnets) % 250
        name = name or f"{self.prefix}-{network_type or 'tenant'}-{index}"
        net = self.client.create_network(name, network_type=network_type,
                                         physical_network=physical_network,
                                         segmentation_id=segmentation_id, **extra)
        self.networks.append(net)
        subnet = self.client.create_subnet(net["id"], cidr or f"{TENANT_NET}.{index}.0/24",
                                           name=f"{name}-subnet")
        net["subnets"] = [subnet["id"]]
        return net

    def vm(self, network: Resource, host: str, name: str | None = None,
           timeout: float = 60.0, ip: str | None = None) -> LabVM:
        """A port on ``network`` bound to ``host`` (fixed ``ip`` optional), plugged, ACTIVE."""
        name = name or f"{self.prefix}{len(self.vms)}-{host}"
        lvm = boot_vm(self.client, self.lab.host(host), self.lab.state.run_id, network["id"],
                      name=name, timeout=timeout, ip=ip)
        self.vms.append(lvm)
        self.lab.state.vms[lvm.name] = lvm.to_json()
        self.lab.state.save(self.lab.paths)
        return lvm

    def cleanup(self) -> None:
        """Unplug every VM, delete every port and network made here."""
        errors: list[str] = []
        for lvm in reversed(self.vms):
            try:
                destroy_vm(self.client, lvm)
            except Exception as exc:  # keep cleaning
                errors.append(f"{lvm.name}: {exc}")
            self.lab.state.vms.pop(lvm.name, None)
        self.vms.clear()
        for net in reversed(self.networks):
            try:
                self.client.delete_network_cascade(net["id"])
            except Exception as exc:
                errors.append(f"network {net['name']}: {exc}")
        self.networks.clear()
        self.lab.state.save(self.lab.paths)
        if errors:
            raise RuntimeError("workspace cleanup: " + "; ".join(errors))

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.cleanup()
