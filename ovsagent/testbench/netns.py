"""Thin helpers around network namespaces and processes for simulated hosts.

Everything here runs real commands (``ip``, OVS tools) as root. Namespaces
we create carry a run prefix so that leftovers of a crashed run can be found
and removed (:func:`remove_stale`).
"""

from __future__ import annotations

import logging
import os
import secrets
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

LOG = logging.getLogger(__name__)

NS_PREFIX = "oa"
NETNS_DIR = Path("/var/run/netns")


class CommandError(RuntimeError):
    """A command failed; the message carries its argv and stderr."""

    def __init__(self, argv: Sequence[str], returncode: int, stdout: str, stderr: str) -> None:
        self.argv = list(argv)
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr
        detail = stderr.strip() or stdout.strip()
        super().__init__(f"{' '.join(argv)!r} exited {returncode}: {detail}")


def new_run_id() -> str:
    """A short token naming one test run's namespaces (``oa3f9c``)."""
    return NS_PREFIX + secrets.token_hex(2)


def run(argv: Sequence[str], *, netns: str | None = None, env: Mapping[str, str] | None = None,
        check: bool = True, timeout: float = 30.0, input_text: str | None = None
        ) -> subprocess.CompletedProcess[str]:
    """Run ``argv`` (inside ``netns`` when given) and return the completed process."""
    full = ["ip", "netns", "exec", netns, *argv] if netns else list(argv)
    merged = dict(os.environ)
    if env:
        merged.update(env)
    proc = subprocess.run(full, capture_output=True, text=True, env=merged, timeout=timeout,
                          input=input_text, check=False)
    if check and proc.returncode != 0:
        raise CommandError(full, proc.returncode, proc.stdout, proc.stderr)
    return proc


def add_netns(name: str) -> None:
    run(["ip", "netns", "add", name])
    run(["ip", "link", "set", "lo", "up"], netns=name)


def del_netns(name: str) -> None:
    if (NETNS_DIR / name).exists():
        run(["ip", "netns", "del", name], check=False)


def list_netns(prefix: str = NS_PREFIX) -> list[str]:
    if not NETNS_DIR.is_dir():
        return []
    return sorted(p.name for p in NETNS_DIR.iterdir() if p.name.startswith(prefix))


def read_pid(pidfile: Path) -> int | None:
    try:
        return int(pidfile.read_text().strip())
    except (OSError, ValueError):
        return None


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return not _is_zombie(pid)


def stop_pid(pid: int, timeout: float = 5.0, sig: int = signal.SIGTERM) -> None:
    """Send ``sig`` to a process we started and wait for it; SIGKILL after ``timeout``."""
    if not pid_alive(pid):
        return
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not pid_alive(pid) or _is_zombie(pid):
            return
        time.sleep(0.02)
    LOG.warning("pid %d ignored signal %d, killing", pid, sig)
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return


def _is_zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[-1].split()[0] == "Z"


def wait_for(predicate_desc: str, predicate: object, timeout: float = 10.0,
             interval: float = 0.05) -> None:
    """Poll ``predicate()`` until true; raise TimeoutError naming ``predicate_desc``."""
    assert callable(predicate)
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.1f}s waiting for {predicate_desc}")
        time.sleep(interval)


def veth_pair(name_a: str, ns_a: str, name_b: str, ns_b: str, mtu: int | None = None) -> None:
    """Create a veth pair with one end in each namespace, both up."""
    run(["ip", "link", "add", name_a, "netns", ns_a, "type", "veth", "peer", "name", name_b,
         "netns", ns_b])
    for name, ns in ((name_a, ns_a), (name_b, ns_b)):
        if mtu:
            run(["ip", "link", "set", name, "mtu", str(mtu)], netns=ns)
        run(["ip", "link", "set", name, "up"], netns=ns)


def pids_in_netns(name: str) -> list[int]:
    proc = run(["ip", "netns", "pids", name], check=False)
    return [int(p) for p in proc.stdout.split()]


RUNS_DIR = Path("/run/ovsagent-testbench")


def register_run(run_id: str) -> None:
    """Record that this process owns namespaces named ``run_id*``."""
    RUNS_DIR.mkdir(parents=True, exist_ok=True)
    (RUNS_DIR / run_id).write_text(str(os.getpid()))


def unregister_run(run_id: str) -> None:
    (RUNS_DIR / run_id).unlink(missing_ok=True)


def remove_stale() -> list[str]:
    """Remove what crashed runs left: namespaces of runs whose owner process died.

    Only runs registered by :func:`register_run` are considered, and only
    when their owning process is gone, so concurrent runs are never touched.
    Every process still inside such a namespace was started by that run.
    """
    removed: list[str] = []
    if not RUNS_DIR.is_dir():
        return removed
    for entry in RUNS_DIR.iterdir():
        owner = read_pid(entry)
        if owner is not None and pid_alive(owner):
            continue
        for ns in list_netns(entry.name + "-"):
            for pid in pids_in_netns(ns):
                stop_pid(pid, timeout=2.0)
            del_netns(ns)
            removed.append(ns)
        entry.unlink(missing_ok=True)
    return removed
