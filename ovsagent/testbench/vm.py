"""A VM stand-in: a network namespace with one veth plugged into a host bridge."""

from __future__ import annotations

import re
import subprocess
import threading
import time
from dataclasses import dataclass, field

from ovsagent.testbench import netns
from ovsagent.testbench.host import SimHost


@dataclass
class PingResult:
    sent: int
    received: int
    output: str
    gaps: int | None = None  # missing replies below the highest one seen (per-packet output)

    @property
    def lost(self) -> int:
        """Lost packets. With per-packet output, only sequence numbers missing
        below the last reply count: a packet still in flight when ping was
        interrupted is not a loss."""
        return self.gaps if self.gaps is not None else self.sent - self.received

    @property
    def ok(self) -> bool:
        return self.sent > 0 and self.received == self.sent


def parse_ping(output: str) -> PingResult:
    m = re.search(r"(\d+) packets transmitted, (\d+) (?:packets )?received", output)
    if not m:
        return PingResult(0, 0, output)
    seqs = {int(x) for x in re.findall(r"icmp_seq=(\d+) ttl=", output)}
    gaps = (max(seqs) - len(seqs)) if seqs else None  # seqs start at 1
    return PingResult(int(m.group(1)), int(m.group(2)), output, gaps)


@dataclass
class SimVM:
    """One VM: namespace ``netns`` with ``eth0`` (MAC/IP) whose peer ``ifname`` is on ``bridge``."""

    name: str
    host: SimHost
    netns: str
    ifname: str
    mac: str
    cidr: str
    iface_id: str
    bridge: str = "br-int"
    _bg: list[subprocess.Popen[str]] = field(default_factory=list)

    @property
    def ip(self) -> str:
        return self.cidr.split("/")[0]

    def run(self, argv: list[str], check: bool = True, timeout: float = 30.0
            ) -> subprocess.CompletedProcess[str]:
        return netns.run(argv, netns=self.netns, check=check, timeout=timeout)

    def ping(self, dst: str, count: int = 3, interval: float = 0.2, deadline: float | None = None
             ) -> PingResult:
        """Ping ``dst`` from the VM; never raises on loss."""
        wait = deadline if deadline is not None else count * interval + 2
        argv = ["ping", "-n", "-q", "-c", str(count), "-i", str(interval), "-w", str(int(wait) + 1),
                "-W", "1", dst]
        proc = self.run(argv, check=False, timeout=wait + 10)
        return parse_ping(proc.stdout + proc.stderr)

    def wait_ping(self, dst: str, timeout: float = 20.0) -> float:
        """Ping once per round until one reply comes back; return seconds it took."""
        start = time.monotonic()
        while time.monotonic() - start < timeout:
            if self.ping(dst, count=1, deadline=1).ok:
                return time.monotonic() - start
        raise TimeoutError(f"{self.name}: no reply from {dst} within {timeout}s")

    def start_ping(self, dst: str, interval: float = 0.01) -> ContinuousPing:
        """Start a background ping (fine interval) to measure loss across a fault."""
        return ContinuousPing(self, dst, interval)


class ContinuousPing:
    """``ping -i INTERVAL`` running in the VM until :meth:`stop`, then counts."""

    def __init__(self, vm: SimVM, dst: str, interval: float) -> None:
        argv = ["ip", "netns", "exec", vm.netns, "ping", "-n", "-i", str(interval),
                "-W", "1", dst]  # per-packet lines: losses are counted exactly
        self._proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                      text=True)
        self._out = ""
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self._proc.stdout is not None
        self._out = self._proc.stdout.read()

    def stop(self) -> PingResult:
        self._proc.send_signal(2)  # SIGINT prints the summary
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
        self._reader.join(timeout=5)
        return parse_ping(self._out)


def plug_vm(host: SimHost, run_id: str, name: str, mac: str, cidr: str, iface_id: str,
            bridge: str = "br-int", ifname: str | None = None, mtu: int | None = None,
            vm_uuid: str | None = None, external_ids: dict[str, str] | None = None,
            gateway: str | None = None) -> SimVM:
    """Create a VM namespace and plug it into ``host``'s ``bridge`` as a Neutron VIF.

    The host-side veth end is named like Nova's taps (``tap`` + port id
    prefix) and added with ``external_ids`` iface-id/attached-mac/iface-status.
    """
    vm_ns = f"{run_id}-{name}"
    ifname = ifname or ("tap" + iface_id.replace("-", "")[:11])
    netns.add_netns(vm_ns)
    try:
        netns.veth_pair("eth0", vm_ns, ifname, host.netns, mtu=mtu)
        netns.run(["ip", "link", "set", "eth0", "address", mac], netns=vm_ns)
        netns.run(["ip", "addr", "add", cidr, "dev", "eth0"], netns=vm_ns)
        if gateway:
            netns.run(["ip", "route", "add", "default", "via", gateway], netns=vm_ns)
        ids = {"iface-id": iface_id, "attached-mac": mac, "iface-status": "active"}
        if vm_uuid:
            ids["vm-uuid"] = vm_uuid
        ids.update(external_ids or {})
        args = ["--may-exist", "add-port", bridge, ifname, "--", "set", "Interface", ifname]
        args += [f'external_ids:"{k}"="{v}"' for k, v in ids.items()]
        host.vsctl(*args)
    except Exception:
        netns.del_netns(vm_ns)
        raise
    return SimVM(name, host, vm_ns, ifname, mac, cidr, iface_id, bridge)


def unplug_vm(vm: SimVM) -> None:
    """Remove the VIF from OVS and delete the VM namespace."""
    vm.host.vsctl("--if-exists", "del-port", vm.bridge, vm.ifname)
    netns.del_netns(vm.netns)
