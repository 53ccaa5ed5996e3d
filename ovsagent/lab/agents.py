"""How the lab launches an L2 agent on a simulated host (one place to change).

Both kinds get the same command line and the same two files:
``--config-file neutron.conf --config-file openvswitch_agent.ini --log-file …``.

* ``reference``: ``neutron-openvswitch-agent`` from the neutron venv.
* ``ovsagent`` (default): the ``ovsagent`` console script of the venv running
  the lab; if it dies at start, ``up`` fails with its exit status and log tail.
* ``auto``: ovsagent, falling back to the reference agent (and saying so) if
  ovsagent exits at once.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from ovsagent.lab import procs
from ovsagent.lab.procs import Proc
from ovsagent.testbench import SimHost

KINDS = ("auto", "ovsagent", "reference")
# An agent that dies within this many seconds did not start. ovsagent gets the
# longer look because the lab falls back to the reference when it cannot serve.
SETTLE = {"ovsagent": 4.0, "reference": 1.0}


class AgentStartError(RuntimeError):
    pass


def ovsagent_bin() -> Path:
    return Path(sys.prefix) / "bin" / "ovsagent"


def agent_argv(kind: str, etc: Path, log: Path, neutron_venv: Path) -> list[str]:
    files = ["--config-file", str(etc / "neutron.conf"),
             "--config-file", str(etc / "openvswitch_agent.ini"), "--log-file", str(log)]
    if kind == "reference":
        return [str(neutron_venv / "bin" / "neutron-openvswitch-agent"), *files]
    if kind == "ovsagent":
        return [str(ovsagent_bin()), *files]
    raise ValueError(f"unknown agent kind {kind!r}")


def agent_env(kind: str, host: SimHost, neutron_venv: Path) -> dict[str, str]:
    """OVS_RUNDIR of the host, and a PATH that finds privsep-helper (reference)."""
    first = neutron_venv / "bin" if kind == "reference" else ovsagent_bin().parent
    return {**host.env, "PATH": f"{first}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:"
                                "/sbin:/bin",
            "HOME": os.environ.get("HOME", "/root"), "LANG": "C.UTF-8"}


def start_agent(kind: str, host: SimHost, etc: Path, logs: Path, neutron_venv: Path) -> Proc:
    """Start the agent inside ``host``'s namespace; raise AgentStartError if it dies at once."""
    log = logs / f"agent-{host.name}.log"
    out = logs / f"agent-{host.name}.out"
    offsets = {f: f.stat().st_size if f.exists() else 0 for f in (out, log)}
    proc, handle = procs.spawn_handle(agent_argv(kind, etc, log, neutron_venv), out,
                                      env=agent_env(kind, host, neutron_venv),
                                      netns=host.netns, replace_env=True)
    deadline = time.monotonic() + SETTLE[kind]
    while time.monotonic() < deadline:
        code = handle.poll()
        if code is not None:
            tail = [line for f, at in offsets.items() for line in _tail(f, at)][-6:]
            raise AgentStartError(f"{kind} agent on {host.name} exited with status {code} at "
                                  "start: " + (" | ".join(tail) or "(no output)")
                                  + f" (see {out} and {log})")
        time.sleep(0.1)
    return proc


def _tail(path: Path, offset: int) -> list[str]:
    """The lines written to ``path`` after ``offset``."""
    try:
        with open(path, "rb") as fh:
            fh.seek(offset)
            return fh.read().decode(errors="replace").strip().splitlines()
    except OSError:
        return []


def stop_agent(proc: Proc) -> None:
    procs.stop(proc, timeout=3.0)
