"""Watching from outside the agent, the same way for both: flows, tags, ACTIVE, pings."""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from bench.labs import HOST
from bench.report import say
from bench.workload import DEAD_VLAN, BenchVM
from ovsagent.lab import Lab, services

_FLOW_EVENT = re.compile(r"^ event=(\w+)(?: reason=\S+)? table=(\d+) cookie=\S+ ?(.*)$")


def _flow_key(rest: str) -> tuple[str, str]:
    """(match, actions) of a monitor line's flow ("drop" when it has no actions)."""
    rest = rest.strip()
    if rest.startswith("actions="):
        return "", rest[len("actions="):]
    match, sep, actions = rest.partition(" actions=")
    return match, actions if sep else "drop"


FlowKey = tuple[str, str, str, str]  # bridge, table, match, actions


class _FlowTable:
    """A multiset of flows replayed from monitor events; with ``target``, how far it
    is from that multiset (``mismatch``, kept up to date per event)."""

    def __init__(self, target: dict[FlowKey, int] | None = None) -> None:
        self.count: dict[FlowKey, int] = {}
        self.by_match: dict[tuple[str, str, str], set[FlowKey]] = {}
        self.target = target or {}
        self.mismatch = sum(self.target.values())

    def _add(self, key: FlowKey, d: int) -> None:
        target = self.target.get(key, 0)
        before = abs(self.count.get(key, 0) - target)
        n = self.count[key] = self.count.get(key, 0) + d
        self.mismatch += abs(n - target) - before
        keys = self.by_match.setdefault(key[:3], set())
        if n > 0:
            keys.add(key)
        else:
            keys.discard(key)

    def apply(self, kind: str, key: FlowKey) -> None:
        if kind == "ADDED":
            self._add(key, 1)
        elif kind == "DELETED":
            if self.count.get(key, 0) > 0:
                self._add(key, -1)
        elif kind == "MODIFIED":
            # a flow with this table and match got new actions or a new cookie:
            # replace one such entry (the one with these actions if there is one)
            same = self.by_match.get(key[:3], set())
            old = key if key in same else next(iter(same), None)
            if old is not None:
                self._add(old, -1)
            self._add(key, 1)


FlowChange = tuple[float, str, FlowKey]  # (epoch read, ADDED|DELETED|MODIFIED, flow)


def settled_at(changes: Iterable[FlowChange], since: float) -> float | None:
    """The first time at or after ``since`` when the flows replayed from ``changes``
    equalled the flows they add up to in the end (None if never)."""
    ordered = sorted(changes, key=lambda c: c[0])
    final = _FlowTable()
    for _, kind, key in ordered:
        final.apply(kind, key)
    state = _FlowTable(final.count)
    for t, kind, key in ordered:
        state.apply(kind, key)
        if t >= since and state.mismatch == 0:
            return t
    return None


def complete_at(changes: Iterable[FlowChange], since: float) -> float | None:
    """When every flow the bridges hold in the end had been installed (each at
    least once, whatever came and went meanwhile), not before ``since``; None if
    one of them never showed up."""
    ordered = sorted(changes, key=lambda c: c[0])
    final = _FlowTable()
    for _, kind, key in ordered:
        final.apply(kind, key)
    wanted = {k: n for k, n in final.count.items() if n > 0}
    state = _FlowTable()
    reached: dict[FlowKey, float] = {}
    for t, kind, key in ordered:
        state.apply(kind, key)
        if key in wanted and key not in reached and state.count.get(key, 0) >= wanted[key]:
            reached[key] = t
    if len(reached) < len(wanted):
        return None
    return max([since, *reached.values()])


class FlowWatch:
    """``ovs-ofctl monitor BR watch:`` on each bridge: every flow change, with the
    epoch it was read at. The monitor does not print priorities, so a flow is
    known by (bridge, table, match, actions): cookie-only rewrites are no change.
    """

    def __init__(self, lab: Lab, bridges: Sequence[str] = ("br-int", "br-tun"),
                 host: str = HOST) -> None:
        self.env = {**os.environ, **lab.host(host).env}
        self.bridges = bridges
        self.events: dict[str, list[float]] = {b: [] for b in bridges}
        self.changes: list[FlowChange] = []  # (t, kind, key)
        self.kinds: dict[str, int] = {}
        self._lock = threading.Lock()
        self._procs: list[subprocess.Popen[str]] = []
        self._threads: list[threading.Thread] = []

    def __enter__(self) -> FlowWatch:
        for bridge in self.bridges:
            # stderr must not be /dev/null: ovs-ofctl monitor then reports no
            # change after the initial dump
            proc = subprocess.Popen(["ovs-ofctl", "monitor", bridge, "watch:"],
                                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                    text=True, env=self.env)
            self._procs.append(proc)
            t = threading.Thread(target=self._read, args=(bridge, proc), daemon=True)
            t.start()
            self._threads.append(t)
        time.sleep(0.3)  # monitors registered
        return self

    def _read(self, bridge: str, proc: subprocess.Popen[str]) -> None:
        assert proc.stdout is not None
        events = self.events[bridge]
        for line in proc.stdout:
            m = _FLOW_EVENT.match(line.rstrip("\n"))
            if not m:
                continue
            now = time.time()
            kind, table, rest = m.groups()
            with self._lock:
                events.append(now)
                self.changes.append((now, kind, (bridge, table, *_flow_key(rest))))
                self.kinds[kind] = self.kinds.get(kind, 0) + 1

    def complete_at(self, since: float) -> float | None:
        """See :func:`complete_at`."""
        with self._lock:
            changes = list(self.changes)
        return complete_at(changes, since)

    def changes_since(self, since: float) -> list[FlowChange]:
        """Every change (epoch, kind, key) seen at or after ``since``."""
        with self._lock:
            return [c for c in self.changes if c[0] >= since]

    def installed_at(self, since: float) -> float | None:
        """When the bridges first held exactly the flows they hold at the end (by
        (table, match, actions)), if that was at or after ``since``."""
        with self._lock:
            changes = list(self.changes)
        return settled_at(changes, since)

    def last(self, before: float = float("inf")) -> float | None:
        times = [t for ev in self.events.values() for t in ev if t <= before]
        return max(times) if times else None

    def count(self, since: float = 0.0) -> int:
        return sum(1 for ev in self.events.values() for t in ev if t >= since)

    def quiet_for(self, seconds: float) -> bool:
        last = self.last()
        return last is None or time.time() - last >= seconds

    def __exit__(self, *exc: object) -> None:
        for proc in self._procs:
            proc.terminate()
        for proc in self._procs:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=5)
        for t in self._threads:
            t.join(timeout=5)


class TagWatch:
    """When OVS had given every port in ``names`` an ofport (``ofports``), and when
    every one first carried a live (not 4095) tag (``done``), via the bench's
    OVSDB replica (re-checked on every change)."""

    def __init__(self, client: Any, names: Iterable[str]) -> None:
        self.client = client
        self.names = list(names)
        self.done: float | None = None
        self.ofports: float | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._stop = False

    def _all_tagged(self, db: Any) -> bool | None:
        if self._stop:
            return True
        if self.ofports is None:
            for name in self.names:
                row = db.lookup("Interface", name)
                if row is None or not row.ofport or row.ofport[0] <= 0:
                    break
            else:
                self.ofports = time.time()
        for name in self.names:
            row = db.lookup("Port", name)
            if row is None or not row.tag or row.tag[0] == DEAD_VLAN:
                return None
        return True

    def _run(self) -> None:
        from ovsagent.ovs.ovsdb import OvsdbError

        with contextlib.suppress(OvsdbError):
            self.client.wait_for(self._all_tagged, timeout=3600, what="tags")
            if not self._stop:
                self.done = time.time()

    def start(self) -> TagWatch:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop = True
        with self.client.lock:
            changed = self.client._changed()
            with changed:
                changed.notify_all()
        self._thread.join(timeout=5)


class ActiveWatch:
    """Polls the lab's DB for the ports' status; the epoch each port was first ACTIVE."""

    def __init__(self, lab: Lab, port_ids: Iterable[str], interval: float = 0.2) -> None:
        self.lab = lab
        self.ids = set(port_ids)
        self.interval = interval
        self.active: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _query(self) -> set[str]:
        ids = ",".join(f"'{i}'" for i in self.ids - set(self.active))
        if not ids:
            return set()
        out = services.mariadb_sql(self.lab.paths,
                                   f"SELECT id FROM neutron.ports WHERE status='ACTIVE' "
                                   f"AND id IN ({ids})")
        return {line.strip() for line in out.splitlines() if line.strip()}

    def _run(self) -> None:
        while not self._stop.is_set() and len(self.active) < len(self.ids):
            now = time.time()
            try:
                for pid in self._query():
                    self.active.setdefault(pid, now)
            except (RuntimeError, subprocess.TimeoutExpired) as exc:
                say(f"DB poll failed: {exc}")
            self._stop.wait(self.interval)

    def start(self) -> ActiveWatch:
        self._thread.start()
        return self

    def wait(self, timeout: float) -> bool:
        self._thread.join(timeout)
        return len(self.active) == len(self.ids)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)


_PING_TS = re.compile(r"^\[(\d+\.\d+)\].*bytes from.*icmp_seq=(\d+)(?:.*time=([\d.]+) ms)?")
SLOW_REPLY_MS = 20.0  # a reply this late means the path stalled (10 ms pings)
PINGER = Path(__file__).with_name("pinger.py")


class TimedPing:
    """Pings every INTERVAL from a VM (``bench.pinger``, which prints what
    ``ping -n -D`` prints): the epoch of the first reply, counts, and when
    replies were missing or late (for :meth:`gaps`).

    ``until_first``: stop pinging that many seconds after the first reply.
    Pings are not free here: the userspace datapath forwards them on the lab
    machine's two CPUs, which the server marking ports ACTIVE shares (and
    iputils ping, used before ``bench.pinger``, busy-waited between probes:
    see that module)."""

    def __init__(self, vm: BenchVM, interval: float = 0.01,
                 until_first: float | None = None) -> None:
        self.vm = vm
        self.until_first = until_first
        self.first: float | None = None
        self.replies = 0
        self.summary = ""
        self.seen: dict[int, float] = {}  # icmp_seq -> epoch of its reply
        self.slow: list[tuple[float, float]] = []  # (epoch, rtt ms) of late replies
        self.sending = threading.Event()  # the pinger's "PING" line: probes go out
        self._proc = subprocess.Popen(
            ["ip", "netns", "exec", vm.netns, sys.executable, str(PINGER), "-i", str(interval),
             vm.peer_ip], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        assert self._proc.stdout is not None
        for line in self._proc.stdout:
            m = _PING_TS.match(line)
            if m:
                self.replies += 1
                at = float(m.group(1))
                if self.first is None:
                    self.first = at
                    if self.until_first is not None:
                        threading.Timer(self.until_first, self._interrupt).start()
                self.seen[int(m.group(2))] = at
                if m.group(3) and float(m.group(3)) >= SLOW_REPLY_MS:
                    self.slow.append((at, float(m.group(3))))
            elif line.startswith("PING "):
                self.sending.set()
            elif "transmitted" in line:
                self.summary = line.strip()

    def _interrupt(self) -> None:
        if self._proc.poll() is None:
            self._proc.send_signal(2)

    def gaps(self) -> list[tuple[float, int]]:
        """(epoch of the last reply before it, icmp_seq) of every request without a
        reply, between the first and the last reply."""
        if not self.seen:
            return []
        seqs = sorted(self.seen)
        out, last = [], self.seen[seqs[0]]
        for seq in range(seqs[0], seqs[-1] + 1):
            if seq in self.seen:
                last = self.seen[seq]
            else:
                out.append((last, seq))
        return out

    def losses(self, sent: int) -> tuple[int, int]:
        """(lost, in flight at the stop) once stopped after ``sent`` requests.

        ping's SIGINT summary counts the requests still on their way (sent less
        than a round trip before the stop) as lost; they are not: everything
        after the last reply is reported apart, everything before it without a
        reply (first requests included) is lost."""
        if not self.seen:
            return sent, 0
        last = max(self.seen)
        before = sum(1 for seq in range(1, last + 1) if seq not in self.seen)
        return before, max(0, sent - last)

    def stop(self) -> tuple[int, int]:
        """(sent, received) once stopped."""
        self._interrupt()
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
        self._thread.join(timeout=5)
        m = re.search(r"(\d+) packets transmitted, (\d+) (?:packets )?received", self.summary)
        return (int(m.group(1)), int(m.group(2))) if m else (0, 0)


def wait_quiet(flows: FlowWatch, seconds: float, timeout: float) -> None:
    """Until no flow changed for ``seconds`` (at most ``timeout``)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not flows.quiet_for(seconds):
        time.sleep(0.1)
