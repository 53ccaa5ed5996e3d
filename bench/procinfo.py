"""CPU and memory of an agent's whole session (the agent and its children), from /proc."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from ovsagent.lab import procs

PAGE = os.sysconf("SC_PAGE_SIZE")
TICKS = os.sysconf("SC_CLK_TCK")


def _boot_time() -> float:
    """The epoch of boot to 10 ms: now less ``/proc/uptime`` (the clock process
    start times count from). ``btime`` in /proc/stat is truncated to the
    second: start times derived from it were up to 1 s early, which inflated
    every "from the agent's start" figure by that much."""
    return time.time() - float(Path("/proc/uptime").read_text().split()[0])


BOOT = _boot_time()


def proc_start_epoch(pid: int) -> float:
    return BOOT + procs.start_time(pid) / TICKS


def session_pids(sid: int) -> list[int]:
    """Every live process of session ``sid`` (the agent runs as a session leader)."""
    return [pid for pid, fields in procs.live_processes() if int(fields[3]) == sid]


def cpu_seconds(pids: Iterable[int]) -> float:
    """User + system CPU of ``pids`` and of their reaped children."""
    total = 0
    for pid in pids:
        try:
            f = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[-1].split()
        except OSError:
            continue
        total += sum(int(x) for x in f[11:15])
    return total / TICKS


def rss_bytes(pids: Iterable[int]) -> int:
    total = 0
    for pid in pids:
        try:
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
        except (OSError, IndexError):
            continue
    return total


def pss_bytes(pids: Iterable[int]) -> int:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            continue
    return total


def describe_group(sid: int) -> list[dict[str, Any]]:
    rows = []
    for pid in sorted(session_pids(sid)):
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        argv = cmd.split() or ["?"]
        name = argv[0].rsplit("/", 1)[-1]
        if name.startswith("python") and len(argv) > 1:
            name = argv[1].rsplit("/", 1)[-1]
        rows.append({"pid": pid, "name": name, "rss_mb": rss_bytes([pid]) / 2**20,
                     "pss_mb": pss_bytes([pid]) / 2**20, "cmd": cmd[:160]})
    return rows


class GroupSampler:
    """Samples the agent session's summed RSS every ``interval`` s; keeps the peak."""

    def __init__(self, sid: int, interval: float = 0.1) -> None:
        self.sid = sid
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_bytes(session_pids(self.sid)))
            self._stop.wait(self.interval)

    def __enter__(self) -> GroupSampler:
        self.peak = rss_bytes(session_pids(self.sid))
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


@contextlib.contextmanager
def profiled(pid: int, out: Path | None, rate: int = 200) -> Iterator[None]:
    """``py-spy record`` of ``pid`` while the block runs, as collapsed stacks in
    ``out`` (``None``: no profile)."""
    if out is None:
        yield
        return
    spy = shutil.which("py-spy") or str(Path(sys.prefix) / "bin" / "py-spy")
    out.parent.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen([spy, "record", "-p", str(pid), "-r", str(rate), "-f", "raw",
                             "-o", str(out), "--nonblocking"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
