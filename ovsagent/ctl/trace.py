"""``ovs-appctl ofproto/trace`` from a port, parsed into one step per table.

:func:`trace_flow` builds the packet (the port's ``in_port`` and MAC as
source; an ARP request, ICMP echo, IPv6 neighbour solicitation or a plain
frame depending on what destination is given), :func:`run_trace` asks
ovs-vswitchd (found through ``OVS_RUNDIR``), :func:`parse_trace` turns the
text into :class:`Step` values that follow the packet across patch ports.
"""

from __future__ import annotations

import ipaddress
import os
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

BROADCAST = "ff:ff:ff:ff:ff:ff"
_BRIDGE = re.compile(r'^(\s*)bridge\("([^"]+)"\)$')
_STEP = re.compile(r"^(\s*)(\d+)\. (.*)$")
_RULE = re.compile(r"^(?:(?P<match>.*), )?priority (?P<priority>\d+)"
                   r"(?:, cookie (?P<cookie>0x[0-9a-f]+))?$")
_SUMMARY = ("Final flow", "Megaflow", "Datapath actions")


class TraceError(RuntimeError):
    """ovs-appctl failed or its output could not be read."""


@dataclass
class Step:
    bridge: str
    table: int
    match: str | None  # None: no flow matched (table miss)
    priority: int | None = None
    cookie: str | None = None
    actions: list[str] = field(default_factory=list)


@dataclass
class Trace:
    flow: str
    steps: list[Step] = field(default_factory=list)
    summary: dict[str, str] = field(default_factory=dict)  # Final flow, Megaflow, ...
    text: str = ""


def _src_ip(fixed_ips: tuple[str, ...], version: int) -> str:
    for ip in fixed_ips:
        try:
            if ipaddress.ip_address(ip.split("/")[0]).version == version:
                return ip.split("/")[0]
        except ValueError:
            continue
    return "0.0.0.0" if version == 4 else "::"


def trace_flow(ofport: int, mac: str, fixed_ips: tuple[str, ...] = (),
               dst_mac: str | None = None, dst_ip: str | None = None) -> str:
    """The ofproto/trace flow for a packet sent by the port."""
    parts = [f"in_port={ofport}", f"dl_src={mac}"]
    if dst_ip is None:
        return ",".join([*parts, f"dl_dst={dst_mac or BROADCAST}"])
    ip = ipaddress.ip_address(dst_ip)
    src = _src_ip(fixed_ips, ip.version)
    if ip.version == 4 and dst_mac is None:
        return ",".join([*parts, f"dl_dst={BROADCAST}", "arp", "arp_op=1", f"arp_spa={src}",
                         f"arp_tpa={ip}", f"arp_sha={mac}"])
    if ip.version == 4:
        return ",".join([*parts, f"dl_dst={dst_mac}", "icmp", f"nw_src={src}", f"nw_dst={ip}",
                         "icmp_type=8"])
    if dst_mac is None:  # neighbour solicitation to the solicited-node group
        low = ip.packed[-3:]
        group = ipaddress.IPv6Address(b"\xff\x02" + bytes(9) + b"\x01\xff" + low)
        dst_mac = "33:33:ff:" + ":".join(f"{b:02x}" for b in low)
        return ",".join([*parts, f"dl_dst={dst_mac}", "icmp6", f"ipv6_src={src}",
                         f"ipv6_dst={group}", "icmp_type=135", "icmp_code=0",
                         f"nd_target={ip}", "nw_ttl=255"])
    return ",".join([*parts, f"dl_dst={dst_mac}", "icmp6", f"ipv6_src={src}",
                     f"ipv6_dst={ip}", "icmp_type=128", "icmp_code=0"])


def appctl_target(rundir: str | Path) -> str:
    """The ovs-vswitchd control socket under ``rundir`` (``--unixctl`` or pid-named)."""
    rundir = Path(rundir)
    fixed = rundir / "ovs-vswitchd.ctl"
    if fixed.exists():
        return str(fixed)
    try:
        pid = int((rundir / "ovs-vswitchd.pid").read_text().strip())
    except (OSError, ValueError):
        return "ovs-vswitchd"
    return str(rundir / f"ovs-vswitchd.{pid}.ctl")


def run_trace(bridge: str, flow: str, rundir: str | Path, timeout: float = 10.0) -> Trace:
    argv = ["ovs-appctl", "-t", appctl_target(rundir), "ofproto/trace", bridge, flow]
    env = {**os.environ, "OVS_RUNDIR": str(rundir)}
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=env,
                              check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise TraceError(f"ovs-appctl ofproto/trace: {exc}") from exc
    if proc.returncode != 0:
        raise TraceError(f"ovs-appctl ofproto/trace failed: "
                         f"{(proc.stderr or proc.stdout).strip()}")
    return parse_trace(proc.stdout, flow)


def parse_trace(text: str, flow: str = "") -> Trace:
    """Steps in the order OVS took them; a nested bridge (patch port) ends
    when a line is indented less than its header."""
    trace = Trace(flow, text=text)
    bridges: list[tuple[int, str]] = []  # (indent, name), innermost last
    step: Step | None = None
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or set(stripped) == {"-"}:
            continue
        indent = len(line) - len(line.lstrip())
        while bridges and indent < bridges[-1][0]:
            bridges.pop()
        key, sep, value = stripped.partition(": ")
        if indent == 0 and sep and key in (*_SUMMARY, "Flow"):
            if key != "Flow":
                trace.summary[key] = value
            step = None
            continue
        if m := _BRIDGE.match(line):
            while bridges and bridges[-1][0] >= len(m.group(1)):
                bridges.pop()
            bridges.append((len(m.group(1)), m.group(2)))
            step = None
        elif (m := _STEP.match(line)) and bridges:
            step = _step(bridges[-1][1], int(m.group(2)), m.group(3))
            trace.steps.append(step)
        elif step is not None:
            step.actions.append(stripped)
    if not trace.steps and "Datapath actions" not in trace.summary:
        raise TraceError(f"unexpected ofproto/trace output: {text.strip()[:200]}")
    return trace


def _step(bridge: str, table: int, rest: str) -> Step:
    if rest.startswith("No match"):
        return Step(bridge, table, None)
    m = _RULE.match(rest)
    if m is None:
        return Step(bridge, table, rest)
    return Step(bridge, table, m.group("match") or "", int(m.group("priority")),
                m.group("cookie"))
