"""Processes the lab starts: spawned detached, recorded by PID, stopped by PID only.

Every long-running process is started in a session of its own, so its PID is
also its process-group id: stopping it signals that group, which takes the
workers and forked children it made (uwsgi workers, socat connections) and
nothing else. A recorded start time guards against a PID reused by an
unrelated process after ours died.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Proc:
    """A process the lab started: its PID (= process group) and kernel start time."""

    pid: int
    start: int
    log: str = ""

    def to_json(self) -> dict[str, object]:
        return {"pid": self.pid, "start": self.start, "log": self.log}

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> Proc:
        pid, start = data["pid"], data.get("start", 0)
        assert isinstance(pid, int) and isinstance(start, int)
        return cls(pid, start, str(data.get("log", "")))

    @property
    def alive(self) -> bool:
        st = _stat(self.pid)
        return st is not None and st[0] != "Z" and (not self.start or st[1] == self.start)


def _stat(pid: int) -> tuple[str, int] | None:
    """(state, start time in clock ticks) of ``pid``, or None if there is none."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw.rsplit(")", 1)[-1].split()
    return fields[0], int(fields[19])


def start_time(pid: int) -> int:
    st = _stat(pid)
    return st[1] if st else 0


def spawn(argv: Sequence[str], log: Path, env: Mapping[str, str] | None = None,
          netns: str | None = None, cwd: Path | None = None,
          replace_env: bool = False) -> Proc:
    """Start ``argv`` detached (own session), output appended to ``log``."""
    return spawn_handle(argv, log, env, netns, cwd, replace_env)[0]


def spawn_handle(argv: Sequence[str], log: Path, env: Mapping[str, str] | None = None,
                 netns: str | None = None, cwd: Path | None = None,
                 replace_env: bool = False) -> tuple[Proc, subprocess.Popen[bytes]]:
    """:func:`spawn`, also returning the Popen (to read an early exit status)."""
    full = ["ip", "netns", "exec", netns, *argv] if netns else list(argv)
    merged = {} if replace_env else dict(os.environ)
    merged.update(env or {})
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        proc = subprocess.Popen(full, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, env=merged, cwd=cwd,
                                start_new_session=True)
    return Proc(proc.pid, start_time(proc.pid), str(log)), proc


def stop(proc: Proc, timeout: float = 10.0, sig: int = signal.SIGTERM) -> None:
    """Signal ``proc``'s process group, wait, then SIGKILL what is left of it."""
    st = _stat(proc.pid)
    if st is not None and proc.start and st[1] != proc.start:
        return  # the PID now belongs to someone else; our group is gone
    if not _signal_group(proc.pid, sig):
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _group_alive(proc.pid):
            return
        time.sleep(0.05)
    _signal_group(proc.pid, signal.SIGKILL)
    wait_until(lambda: not _group_alive(proc.pid), timeout=5.0, what=f"pid {proc.pid} to exit")


def stop_many(procs_: Sequence[Proc], timeout: float = 10.0) -> None:
    """Like :func:`stop` for several processes at once (one shared grace period)."""
    live = [p for p in procs_ if _stat(p.pid) is None or not p.start
            or start_time(p.pid) == p.start]
    live = [p for p in live if _signal_group(p.pid, signal.SIGTERM)]
    deadline = time.monotonic() + timeout
    while live and time.monotonic() < deadline:
        live = [p for p in live if _group_alive(p.pid)]
        time.sleep(0.05)
    for p in live:
        stop(p, timeout=0.0, sig=signal.SIGKILL)


def _signal_group(pgid: int, sig: int) -> bool:
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:
        return False
    except PermissionError:
        return False
    return True


def live_processes() -> Iterator[tuple[int, list[str]]]:
    """(pid, fields of /proc/PID/stat after the command name) of every process
    that is not a zombie: fields[1] is the parent, [2] the group, [3] the session."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[-1].split()
        except OSError:
            continue
        if fields[0] != "Z":
            yield int(entry.name), fields


def _group_alive(pgid: int) -> bool:
    """True while any non-zombie process is in group ``pgid``."""
    return any(int(fields[2]) == pgid for _, fields in live_processes())


def wait_until(predicate: Callable[[], bool], timeout: float, what: str,
               interval: float = 0.2, proc: Proc | None = None) -> None:
    """Poll ``predicate`` until true; fail early if ``proc`` died meanwhile."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if proc is not None and not proc.alive:
            raise RuntimeError(f"process {proc.pid} exited while waiting for {what}; "
                               f"see {proc.log}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def listener_pids(port: int) -> set[int]:
    """PIDs holding a TCP socket that listens on ``port`` (root namespace, from ``ss``)."""
    out = subprocess.run(["ss", "-Hltnp", f"sport = :{port}"], capture_output=True, text=True,
                         check=False).stdout
    return {int(pid) for pid in re.findall(r"pid=(\d+)", out)}


def serves(port: int, proc: Proc) -> bool:
    """Whether every listener on ``port`` belongs to ``proc``'s process group.

    Two labs coming up at the same moment can pick the same free port; the
    loser's server dies on bind, and without this check its lab would go on
    talking to the other lab's server."""
    pids = listener_pids(port)

    def group(pid: int) -> int | None:
        try:
            return os.getpgid(pid)
        except ProcessLookupError:
            return None

    return bool(pids) and all(group(pid) == proc.pid for pid in pids)


def port_free(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return not port_open(port)


def free_port(preferred: int, also_free: Callable[[int], bool] = lambda _p: True,
              taken: Sequence[int] = (), step: int = 1) -> int:
    """``preferred`` or the next port above it (by ``step``) that is free on 127.0.0.1."""
    for port in range(preferred, preferred + 500 * step, step):
        if port not in taken and port_free(port) and also_free(port):
            return port
    raise RuntimeError(f"no free TCP port near {preferred}")


def run(argv: Sequence[str], env: Mapping[str, str] | None = None, timeout: float = 120.0,
        check: bool = True) -> subprocess.CompletedProcess[str]:
    merged = dict(os.environ)
    merged.update(env or {})
    proc = subprocess.run(list(argv), capture_output=True, text=True, env=merged,
                          timeout=timeout, check=False)
    if check and proc.returncode != 0:
        detail = (proc.stderr.strip() or proc.stdout.strip())[-2000:]
        raise RuntimeError(f"{' '.join(argv)!r} exited {proc.returncode}: {detail}")
    return proc
