"""A pinger that sleeps between probes: ``python -m bench.pinger [-i S] ADDRESS``.

The benchmarks ping every 10 ms from VM namespaces. iputils ``ping`` spins
(``sched_yield`` and non-blocking ``recvmsg``) instead of sleeping when its
next probe is due within a clock tick and no reply is outstanding. On a bare
veth that costs little; beside the lab's busy userspace datapath with 500
ports plugged, ten 10 ms pings took up to 29 % of a core each (perf: the ping
processes in ``sched_yield`` the top entries), and the agent's new process
then needed 1.4-2 s to its first log line instead of 0.3-0.4 s: the pings
slowed the restart they were measuring.

This pinger sends the same ICMP echo requests on the same schedule and waits
in ``select`` until the next probe is due. It prints what ``ping -n -D``
prints, the "PING" line when probes start, a line per reply and a summary
on SIGINT, so ``bench.watch.TimedPing`` reads either. ``icmp_seq`` counts
from 1 without wrapping at 65536.
"""

from __future__ import annotations

import argparse
import os
import select
import signal
import socket
import struct
import sys
import time
from typing import TextIO

ECHO_REQUEST, ECHO_REPLY = 8, 0
PAYLOAD = bytes(range(56))  # 64 bytes of ICMP, as ping sends


def checksum(data: bytes) -> int:
    """The Internet checksum (RFC 1071) of ``data``."""
    if len(data) % 2:
        data += b"\0"
    total = sum(int(x) for x in struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def echo_request(ident: int, seq: int) -> bytes:
    """An ICMP echo request with the low 16 bits of ``seq``."""
    header = struct.pack("!BBHHH", ECHO_REQUEST, 0, 0, ident, seq & 0xFFFF)
    return header[:2] + struct.pack("!H", checksum(header + PAYLOAD)) + header[4:] + PAYLOAD


def reply_seq(packet: bytes, ident: int) -> int | None:
    """The 16-bit sequence number of an echo reply to ``ident`` in an IPv4
    packet as a raw socket receives it (IP header first), else None."""
    if len(packet) < 20:
        return None
    icmp = packet[(packet[0] & 0x0F) * 4:]
    if len(icmp) < 8:
        return None
    kind, _code, _sum, rid, seq = struct.unpack("!BBHHH", icmp[:8])
    return seq if kind == ECHO_REPLY and rid == ident else None


def unwrap(seq16: int, sent: int) -> int:
    """The probe number (1..sent) whose low 16 bits are ``seq16``: the latest."""
    return sent - ((sent - seq16) & 0xFFFF)


class Pinger:
    """Echo requests to ``address`` every ``interval`` seconds; a line per reply."""

    def __init__(self, address: str, interval: float, out: TextIO) -> None:
        self.address = address
        self.interval = interval
        self.out = out
        self.ident = os.getpid() & 0xFFFF
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
        self.sock.setblocking(False)
        self.sent = 0
        self.sent_at: dict[int, float] = {}  # probe number -> monotonic send time
        self.received = 0
        self.stopping = False

    def run(self) -> None:
        due = time.monotonic()
        while not self.stopping:
            now = time.monotonic()
            if now >= due:
                self._send(now)
                due = max(due + self.interval, now)  # late: no burst to catch up
            readable, _w, _x = select.select([self.sock], [], [], max(0.0, due - now))
            if readable:
                self._receive()

    def _send(self, now: float) -> None:
        self.sent += 1
        self.sent_at[self.sent] = now
        try:
            self.sock.sendto(echo_request(self.ident, self.sent), (self.address, 0))
        except OSError as exc:  # no route yet, ...: the probe is lost, as ping's
            print(f"ping: sendmsg: {exc.strerror}", file=self.out, flush=True)

    def _receive(self) -> None:
        while True:
            try:
                packet, _addr = self.sock.recvfrom(2048)
            except BlockingIOError:
                return
            seq16 = reply_seq(packet, self.ident)
            if seq16 is None or not self.sent:
                continue
            seq = unwrap(seq16, self.sent)
            sent_at = self.sent_at.pop(seq, None)
            if sent_at is None:  # a duplicate, or older than the last 65536 probes
                continue
            self.received += 1
            rtt_ms = (time.monotonic() - sent_at) * 1000
            ttl = packet[8]
            print(f"[{time.time():.6f}] {len(packet) - (packet[0] & 0x0F) * 4} bytes from "
                  f"{self.address}: icmp_seq={seq} ttl={ttl} time={rtt_ms:.3f} ms",
                  file=self.out, flush=True)

    def summary(self) -> str:
        lost = 100 * (self.sent - self.received) / self.sent if self.sent else 0
        return (f"{self.sent} packets transmitted, {self.received} received, "
                f"{lost:.0f}% packet loss")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("-i", "--interval", type=float, default=0.01)
    parser.add_argument("address")
    args = parser.parse_args(argv)
    pinger = Pinger(args.address, args.interval, sys.stdout)

    def stop(_signum: int, _frame: object) -> None:
        pinger.stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    size = len(PAYLOAD)
    print(f"PING {args.address} ({args.address}) {size}({size + 28}) bytes of data.", flush=True)
    pinger.run()
    print(f"--- {args.address} ping statistics ---\n{pinger.summary()}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
