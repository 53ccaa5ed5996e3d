"""``ovsagent-lab demo``: a vxlan and a vlan network, one VM per host on each,
wait for ACTIVE, ping across hosts, print a short summary with timings.
Everything it created is removed at the end unless ``keep`` is set.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from ovsagent.lab.lab import Lab
from ovsagent.lab.vms import LabVM, destroy_vm, vm_from_json
from ovsagent.lab.workspace import Workspace

DEMO_NETWORKS = (  # name, type, physnet, cidr (tenant range 198.19.0.0/16)
    ("demo-vxlan", "vxlan", None, "198.19.10.0/24"),
    ("demo-vlan", "vlan", "physnet1", "198.19.20.0/24"),
)


@dataclass
class NetResult:
    name: str
    network_type: str
    segment: int
    create_s: float = 0.0
    vms: list[LabVM] = field(default_factory=list)
    pings: list[tuple[str, str, str, float | None]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.pings) and all(p[3] is not None for p in self.pings)


def ping_all(vms: list[LabVM], timeout: float) -> list[tuple[str, str, str, float | None]]:
    """Each VM pings every VM on another host: (src, dst, dst ip, seconds or None)."""
    out: list[tuple[str, str, str, float | None]] = []
    for src in vms:
        for dst in vms:
            if src.host == dst.host:
                continue
            try:
                took: float | None = src.vm.wait_ping(dst.ip, timeout=timeout)
            except TimeoutError:
                took = None
            if took is not None and not src.vm.ping(dst.ip, count=3, interval=0.2).ok:
                took = None
            out.append((src.name, dst.name, dst.ip, took))
    return out


def remove_previous(lab: Lab) -> None:
    """Remove what an earlier ``demo --keep`` left (its networks, ports and VMs)."""
    client = lab.client
    for name, *_rest in DEMO_NETWORKS:
        for net in client.list_networks(name=name):
            ports = {p["id"] for p in client.list_ports(network_id=net["id"])}
            for vm_name, vm in list(lab.state.vms.items()):
                if vm["port_id"] in ports:
                    destroy_vm(None, LabVM(vm_from_json(lab.host(vm["host"]), vm), {},
                                           vm["host"]))
                    del lab.state.vms[vm_name]
            client.delete_network_cascade(net["id"])
            lab.say(f"removed {name} of an earlier demo")
    lab.state.save(lab.paths)


def run_demo(lab: Lab, keep: bool = False, ping_timeout: float = 30.0) -> bool:
    say = lab.say
    remove_previous(lab)
    results: list[NetResult] = []
    ws = Workspace(lab, prefix="demo")
    t0 = time.monotonic()
    try:
        for name, net_type, physnet, cidr in DEMO_NETWORKS:
            t = time.monotonic()
            net = ws.network(net_type, physnet, cidr=cidr, name=name)
            res = NetResult(name, net_type, int(net["provider:segmentation_id"] or 0),
                            create_s=time.monotonic() - t)
            results.append(res)
            say(f"{name}: {net_type} segment {res.segment}, {cidr}")
            for hname in lab.host_names:
                lvm = ws.vm(net, hname, name=f"{name[5:]}-{hname}")
                res.vms.append(lvm)
                say(f"  {lvm.name} on {hname}: {lvm.ip} {lvm.vm.mac} ACTIVE after "
                    f"{lvm.plug_to_active:.2f}s")
            res.pings = ping_all(res.vms, ping_timeout)
        print(summary(results, time.monotonic() - t0), flush=True)
    finally:
        if keep:
            say("keeping the demo's networks and VMs (`ovsagent-lab status` lists them)")
        else:
            ws.cleanup()
    return bool(results) and all(r.ok for r in results)


def summary(results: list[NetResult], total: float) -> str:
    lines = ["", "demo summary", "------------"]
    for r in results:
        lines.append(f"{r.name} ({r.network_type} {r.segment}): network+subnet "
                     f"{r.create_s:.2f}s")
        for v in r.vms:
            lines.append(f"  {v.name:<10} {v.host:<3} {v.ip:<14} plug -> ACTIVE "
                         f"{v.plug_to_active or 0:.2f}s")
        for src, dst, ip, took in r.pings:
            verdict = f"first reply after {took:.2f}s, 3/3 replies" if took is not None \
                else "FAILED"
            lines.append(f"  ping {src} -> {dst} ({ip}): {verdict}")
    ok = bool(results) and all(r.ok for r in results)
    lines.append(f"{'all pings succeeded' if ok else 'SOME PINGS FAILED'} "
                 f"(demo took {total:.1f}s)")
    return "\n".join(lines)
