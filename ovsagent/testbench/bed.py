"""A test bed: several simulated hosts, the wires between them, and their VMs.

Wires are plain L2 segments: a Linux bridge in a namespace of its own with
one veth to every host. On each host the veth sits on an OVS bridge:
``br-underlay`` (which carries the host's tunnel address on its internal
port, so the userspace datapath can route tunnel traffic) or a physical
network bridge such as ``br-phys1``. Nothing is routed outside the
namespaces this bed creates; addresses come from 198.18.0.0/16.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from pathlib import Path
from types import TracebackType

from ovsagent.testbench import netns
from ovsagent.testbench.host import SimHost
from ovsagent.testbench.vm import SimVM, plug_vm, unplug_vm

LOG = logging.getLogger(__name__)

UNDERLAY_BRIDGE = "br-underlay"
UNDERLAY_NET = "198.18.0"


class Testbed:
    """Owns every host, wire and VM it creates; :meth:`teardown` removes them all."""

    __test__ = False  # not a pytest test class

    def __init__(self, basedir: Path | str | None = None) -> None:
        self.run_id = netns.new_run_id()
        self._own_basedir = basedir is None
        self.basedir = Path(basedir or tempfile.mkdtemp(prefix=f"{self.run_id}-"))
        self.hosts: dict[str, SimHost] = {}
        self.vms: dict[str, SimVM] = {}
        self.wires: dict[str, list[str]] = {}
        self.underlay_ip: dict[str, str] = {}
        netns.register_run(self.run_id)

    # ------------------------------------------------------------ hosts
    def add_host(self, name: str) -> SimHost:
        host = SimHost(name, self.basedir, run_id=self.run_id)
        self.hosts[name] = host
        host.start()
        return host

    # ------------------------------------------------------------ wires
    def add_wire(self, wire: str, bridge: str, hosts: list[SimHost] | None = None,
                 mtu: int | None = None) -> None:
        """Connect ``bridge`` on each host (created if missing) to one L2 segment."""
        members = hosts or list(self.hosts.values())
        wire_ns = f"{self.run_id}-w-{wire}"[:60]
        netns.add_netns(wire_ns)
        self.wires[wire] = []
        netns.run(["ip", "link", "add", "sw", "type", "bridge"], netns=wire_ns)
        netns.run(["ip", "link", "set", "sw", "up"], netns=wire_ns)
        for i, host in enumerate(members):
            host_end, wire_end = f"{wire[:6]}-{host.name[:5]}", f"p{i}"
            netns.veth_pair(host_end, host.netns, wire_end, wire_ns, mtu=mtu)
            # an OVS port, not a host interface: no link-local address (OVS would
            # also count it as a tunnel endpoint address), no kernel IPv6 chatter
            host.run(["sysctl", "-q", "-w", f"net.ipv6.conf.{host_end}.disable_ipv6=1"])
            netns.run(["ip", "link", "set", wire_end, "master", "sw"], netns=wire_ns)
            host.add_bridge(bridge, fail_mode=None)
            host.vsctl("--may-exist", "add-port", bridge, host_end)
            self.wires[wire].append(host.name)

    def add_underlay(self, hosts: list[SimHost] | None = None) -> dict[str, str]:
        """Give every host a tunnel address 198.18.0.N on ``br-underlay``; return name -> IP."""
        members = hosts or list(self.hosts.values())
        self.add_wire("underlay", UNDERLAY_BRIDGE, members)
        for host in members:
            index = list(self.hosts).index(host.name) + 1
            ip = f"{UNDERLAY_NET}.{index}"
            host.set_address(UNDERLAY_BRIDGE, f"{ip}/24")
            self.underlay_ip[host.name] = ip
        return dict(self.underlay_ip)

    def add_physnet(self, bridge: str = "br-phys1", hosts: list[SimHost] | None = None) -> None:
        """A physical network (flat/vlan) wire between the hosts' ``bridge``."""
        self.add_wire(bridge.replace("br-", ""), bridge, hosts)

    # -------------------------------------------------------------- VMs
    def add_vm(self, host: SimHost, name: str, mac: str, cidr: str, iface_id: str,
               bridge: str = "br-int", **kwargs: object) -> SimVM:
        vm = plug_vm(host, self.run_id, name, mac, cidr, iface_id, bridge=bridge,
                     **kwargs)  # type: ignore[arg-type]
        self.vms[name] = vm
        return vm

    def remove_vm(self, name: str) -> None:
        unplug_vm(self.vms.pop(name))

    # --------------------------------------------------------- teardown
    def teardown(self) -> None:
        """Remove VMs, hosts (daemons, namespaces, taps), wires and files. Never raises."""
        for vm in list(self.vms.values()):
            netns.del_netns(vm.netns)
        self.vms.clear()
        for host in self.hosts.values():
            try:
                host.stop()
            except Exception:  # keep tearing down the rest
                LOG.exception("stopping %s failed", host.name)
        for ns in netns.list_netns(self.run_id + "-"):
            netns.del_netns(ns)
        netns.unregister_run(self.run_id)
        if self._own_basedir:
            shutil.rmtree(self.basedir, ignore_errors=True)

    def __enter__(self) -> Testbed:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.teardown()
