"""Raw Ethernet frames into and out of VM namespaces (anti-spoofing tests).

Pure builders for what a misbehaving VM sends (any source MAC, ARP with any
sender IP, IPv6 neighbour adverts for any target), plus two helpers that run
a few lines of Python inside a VM's namespace on an ``AF_PACKET`` socket
bound to ``eth0``: :func:`send_frames` and :class:`Capture`.
"""

from __future__ import annotations

import ipaddress
import struct
import subprocess
import sys
import threading
import time

from ovsagent.testbench.vm import SimVM

BROADCAST = "ff:ff:ff:ff:ff:ff"
ETH_P_ARP = 0x0806
ETH_P_IPV6 = 0x86DD
ETH_P_EXPERIMENTAL = 0x88B5  # IEEE local experimental ethertype: a frame nobody answers


def mac_bytes(mac: str) -> bytes:
    return bytes.fromhex(mac.replace(":", "").replace("-", ""))


def ethernet(dst: str, src: str, ethertype: int, payload: bytes) -> bytes:
    return mac_bytes(dst) + mac_bytes(src) + struct.pack("!H", ethertype) + payload


def marker_frame(src: str, marker: bytes, dst: str = BROADCAST) -> bytes:
    """A broadcast frame of an experimental ethertype carrying ``marker``."""
    return ethernet(dst, src, ETH_P_EXPERIMENTAL, marker.ljust(46, b"\0"))


def arp(src_mac: str, sender_ip: str, target_ip: str, op: int = 1, sender_mac: str | None = None,
        dst: str = BROADCAST) -> bytes:
    """An ARP request (``op=1``) or reply from ``src_mac`` claiming ``sender_ip``."""
    body = struct.pack("!HHBBH", 1, 0x0800, 6, 4, op)
    body += mac_bytes(sender_mac or src_mac) + ipaddress.IPv4Address(sender_ip).packed
    body += bytes(6) + ipaddress.IPv4Address(target_ip).packed
    return ethernet(dst, src_mac, ETH_P_ARP, body)


def _checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total: int = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def neighbor_advert(src_mac: str, src_ip: str, target: str, dst_ip: str = "ff02::1",
                    dst: str = "33:33:00:00:00:01") -> bytes:
    """An unsolicited ICMPv6 neighbour advertisement (override flag) for ``target``."""
    src6, dst6 = ipaddress.IPv6Address(src_ip).packed, ipaddress.IPv6Address(dst_ip).packed
    option = struct.pack("!BB", 2, 1) + mac_bytes(src_mac)  # target link-layer address
    icmp = struct.pack("!BBHI", 136, 0, 0, 0x20000000) + ipaddress.IPv6Address(target).packed
    icmp += option
    pseudo = src6 + dst6 + struct.pack("!I3xB", len(icmp), 58)
    icmp = icmp[:2] + struct.pack("!H", _checksum(pseudo + icmp)) + icmp[4:]
    ip6 = struct.pack("!IHBB", 0x60000000, len(icmp), 58, 255) + src6 + dst6
    return ethernet(dst, src_mac, ETH_P_IPV6, ip6 + icmp)


_SEND = """
import socket, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("eth0", 0))
for line in sys.stdin.read().split():
    s.send(bytes.fromhex(line))
"""

_CAPTURE = """
import select, socket, sys, time
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
s.bind(("eth0", 0))
print("ready", flush=True)
end = time.monotonic() + float(sys.argv[1])
while (left := end - time.monotonic()) > 0:
    if select.select([s], [], [], left)[0]:
        data, addr = s.recvfrom(65535)
        if addr[2] != socket.PACKET_OUTGOING:
            print(data.hex(), flush=True)
"""


def send_frames(vm: SimVM, frames: list[bytes], repeat: int = 3, gap: float = 0.05) -> None:
    """Send each frame ``repeat`` times from the VM's eth0."""
    text = "\n".join(f.hex() for f in frames)
    for i in range(repeat):
        _run_in(vm, [sys.executable, "-c", _SEND], text)
        if i + 1 < repeat:
            time.sleep(gap)


def _run_in(vm: SimVM, argv: list[str], stdin: str) -> None:
    subprocess.run(["ip", "netns", "exec", vm.netns, *argv], input=stdin, text=True,
                   check=True, timeout=30, capture_output=True)


class Capture:
    """Everything that arrives at a VM's eth0 for ``seconds`` (started at once)."""

    def __init__(self, vm: SimVM, seconds: float = 2.0) -> None:
        self._proc = subprocess.Popen(
            ["ip", "netns", "exec", vm.netns, sys.executable, "-c", _CAPTURE, str(seconds)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self._lines: list[str] = []
        self._ready = threading.Event()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        if not self._ready.wait(timeout=15):
            self._proc.kill()
            raise RuntimeError(f"capture on {vm.name} did not start")

    def _read(self) -> None:
        assert self._proc.stdout is not None
        for line in self._proc.stdout:
            if line.strip() == "ready":
                self._ready.set()
            else:
                self._lines.append(line.strip())
        self._ready.set()

    def frames(self) -> list[bytes]:
        """Wait for the capture window to end; the frames seen."""
        try:
            self._proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
        self._reader.join(timeout=5)
        out = []
        for line in self._lines:
            try:
                out.append(bytes.fromhex(line))
            except ValueError:
                raise RuntimeError(f"capture failed: {line}") from None
        return out


def received(frames: list[bytes], sent: bytes) -> bool:
    """Whether ``sent`` arrived (a switch may pad short frames, so compare the prefix)."""
    return any(f[:len(sent)] == sent for f in frames)
