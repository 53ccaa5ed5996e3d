"""Faults to inject into a running lab (fault tests and demos of resilience).

Each function breaks one part and, where it says so, brings it back through
:meth:`Lab.up`, which restarts whatever is not running.
"""

from __future__ import annotations

import signal
import time

from ovsagent.lab import procs
from ovsagent.lab.lab import Lab

SERVER_PARTS = ("neutron-api", "neutron-rpc", "neutron-periodic")


def restart_agent(lab: Lab, host: str, kill: bool = False) -> float:
    """Stop the host's agent (SIGTERM, or SIGKILL with ``kill``) and start it again;
    returns seconds until the new agent reported to the server."""
    hs = lab.state.hosts[host]
    assert hs.agent is not None, f"{host} runs no agent"
    procs.stop(hs.agent, timeout=10, sig=signal.SIGKILL if kill else signal.SIGTERM)
    start = time.monotonic()
    lab.up()
    return time.monotonic() - start


def switch_agent(lab: Lab, kind: str) -> float:
    """Replace every host's agent by ``kind`` (``reference`` or ``ovsagent``): the
    old agent is stopped, the new one started with the same config files."""
    lab.config.agent = kind
    start = time.monotonic()
    lab.up()
    return time.monotonic() - start


def restart_vswitchd(lab: Lab, host: str) -> float:
    """Stop and start the host's ovs-vswitchd; returns the monotonic time it started."""
    h = lab.host(host)
    h.stop_daemon("ovs-vswitchd")
    h.start_vswitchd()
    return time.monotonic()


def stop_server(lab: Lab) -> None:
    """Stop neutron-server (API, RPC and periodic workers)."""
    for name in SERVER_PARTS:
        proc = lab.state.services.get(name)
        if proc is not None:
            procs.stop(proc, timeout=10)


def stop_broker(lab: Lab) -> None:
    proc = lab.state.services.get("rabbitmq")
    if proc is not None:
        procs.stop(proc, timeout=30)


def restore(lab: Lab) -> float:
    """Start whatever was stopped; returns seconds it took."""
    start = time.monotonic()
    lab.up()
    return time.monotonic() - start
