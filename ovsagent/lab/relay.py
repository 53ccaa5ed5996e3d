"""Make a root-namespace TCP service on 127.0.0.1 reachable inside host namespaces.

A namespace has its own loopback, so an agent inside a simulated host cannot
reach the broker on the root namespace's 127.0.0.1. Two socat relays join
them through a unix socket (a path is visible from every namespace), so no
byte ever crosses a real interface:

    host ns  127.0.0.1:PORT --socat--> LAB/run/SERVICE.sock --socat--> root ns 127.0.0.1:PORT
"""

from __future__ import annotations

from pathlib import Path

from ovsagent.lab import procs
from ovsagent.lab.procs import Proc


def start_root_end(sock: Path, port: int, log: Path) -> Proc:
    """Root namespace: accept on ``sock``, connect to 127.0.0.1:``port``."""
    sock.parent.mkdir(parents=True, exist_ok=True)
    sock.unlink(missing_ok=True)
    proc = procs.spawn(["socat", f"UNIX-LISTEN:{sock},fork,unlink-early,mode=600",
                        f"TCP:127.0.0.1:{port}"], log)
    procs.wait_until(sock.exists, 10, f"relay socket {sock}", interval=0.05, proc=proc)
    return proc


def start_netns_end(netns: str, sock: Path, port: int, log: Path) -> Proc:
    """Inside ``netns``: listen on 127.0.0.1:``port``, connect to ``sock``."""
    proc = procs.spawn(["socat", f"TCP-LISTEN:{port},bind=127.0.0.1,fork,reuseaddr",
                        f"UNIX-CONNECT:{sock}"], log, netns=netns)
    procs.wait_until(lambda: _listening_in(netns, port), 10,
                     f"relay on 127.0.0.1:{port} in {netns}", interval=0.05, proc=proc)
    return proc


def _listening_in(netns: str, port: int) -> bool:
    out = procs.run(["ip", "netns", "exec", netns, "ss", "-Hltn", f"sport = :{port}"],
                    check=False, timeout=10).stdout
    return bool(out.strip())
