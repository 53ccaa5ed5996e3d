"""A private lab per agent and benchmark; the agent process, the broker, the agent's log."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.procinfo import cpu_seconds, proc_start_epoch, session_pids
from bench.report import RESULTS, say
from ovsagent.lab import Lab, LabConfig, procs, services

LAB_BASE = Path(os.environ.get("OVSAGENT_BENCH_DIR", "/var/lib/ovsagent-bench"))
HOST = "h1"


@contextlib.contextmanager
def server_rpc_workers(count: int) -> Iterator[None]:
    """neutron-server with ``count`` RPC workers: the lab's generated neutron.conf
    says 1; this bench process rewrites that line while its labs come up."""
    from ovsagent.lab import confgen

    original = confgen.server_neutron_conf
    if count == 1:
        yield
        return

    def patched(settings: Any) -> str:
        return re.sub(r"(?m)^rpc_workers = \d+$", f"rpc_workers = {count}", original(settings))

    confgen.server_neutron_conf = patched  # type: ignore[assignment]
    try:
        yield
    finally:
        confgen.server_neutron_conf = original  # type: ignore[assignment]


@contextlib.contextmanager
def bench_lab(bench: str, agent: str, hosts: int = 1, rpc_workers: int = 1) -> Iterator[Lab]:
    """A private lab running ``agent`` on ``hosts`` hosts; always torn down."""
    root = LAB_BASE / f"{bench}-{agent}-{os.getpid()}"
    config = LabConfig(root=root, hosts=hosts, agent=agent)
    quiet: Callable[[str], None] = lambda m: say(f"[{agent} lab] {m}")  # noqa: E731
    lab = Lab(config, say=quiet)
    try:
        with server_rpc_workers(rpc_workers):
            t = time.monotonic()
            lab.up()
            say(f"{agent} lab up in {time.monotonic() - t:.0f}s ({root})")
        yield lab
    finally:
        keep_agent_logs(lab, f"{bench}-{agent}")
        say(f"tearing down the {agent} lab")
        lab.down()
        with contextlib.suppress(OSError):
            LAB_BASE.rmdir()


def keep_agent_logs(lab: Lab, prefix: str) -> None:
    """Copy the agents' and the hosts' ovs-vswitchd logs to bench/results/logs/
    (the lab's own go with it)."""
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    dest = RESULTS / "logs"
    for log in sorted(lab.paths.logs.glob("agent-*.log")):
        with contextlib.suppress(OSError):
            dest.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(log, dest / f"{prefix}-{stamp}-{log.name}")
    for host in lab.host_names:  # what ovs-vswitchd did meanwhile (reconfigurations)
        with contextlib.suppress(OSError):
            shutil.copyfile(lab.host(host).rundir / "ovs-vswitchd.log",
                            dest / f"{prefix}-{stamp}-ovs-vswitchd-{host}.log")


def agent_proc(lab: Lab, host: str = HOST) -> procs.Proc:
    hs = lab.state.hosts[host]
    assert hs.agent is not None
    return hs.agent


def restart_agent(lab: Lab, host: str = HOST) -> float:
    """Stop the agent (SIGTERM) and start a new one; returns the new process's
    start (epoch seconds, 10 ms resolution)."""
    stop_agent(lab, host)
    return start_agent(lab, host)


def stop_agent(lab: Lab, host: str = HOST) -> float:
    """SIGTERM the agent; returns the seconds until its process group was gone
    (SIGKILL after 15 s)."""
    t = time.monotonic()
    procs.stop(agent_proc(lab, host), timeout=15)
    return time.monotonic() - t


def start_agent(lab: Lab, host: str = HOST) -> float:
    """Start the lab's missing agent; returns its process's start (epoch seconds)."""
    lab.up()
    return proc_start_epoch(agent_proc(lab, host).pid)


# ------------------------------------------------------------------ broker
def rabbitmqctl(lab: Lab, *args: str) -> str:
    port = lab.state.ports["rabbit"]  # the lab names its node after the AMQP port
    return services.rabbitmqctl(lab.paths, str(port), port, lab.state.ports["epmd"], *args)


def rabbit_rows(lab: Lab, what: str, *fields: str) -> list[dict[str, Any]]:
    """``rabbitmqctl list_<what> FIELDS`` as dicts."""
    out = rabbitmqctl(lab, what, *fields, "--formatter", "json", "--quiet")
    start = out.find("[")
    rows: list[dict[str, Any]] = json.loads(out[start:]) if start >= 0 else []
    return rows


def server_backlog(lab: Lab) -> int:
    """Messages waiting for or being worked on by the server's RPC workers."""
    rows = rabbit_rows(lab, "list_queues", "name", "messages", "messages_unacknowledged")
    return sum(int(r["messages"]) + int(r["messages_unacknowledged"]) for r in rows
               if str(r["name"]).startswith("q-plugin"))


def wait_server_idle(lab: Lab, timeout: float = 900) -> None:
    """Until neutron-server has worked off every agent call (the reference's, or a
    stopped agent's, calls stay queued and would slow the next run down): no
    message queued for it, and its RPC workers idle (under 10 % of a core) for
    two half-second samples in a row. The queue alone is not enough: the server
    takes a call off the queue before working on it, and an agent that keeps a
    few reports in flight leaves it empty between them while the server is busy
    for many seconds more."""
    rpc = lab.state.services.get("neutron-rpc")
    deadline = time.monotonic() + timeout
    quiet = 0
    cpu = server_cpu(rpc.pid) if rpc else 0.0
    while quiet < 2 and time.monotonic() < deadline:
        time.sleep(0.5)
        used = server_cpu(rpc.pid) if rpc else 0.0
        busy = used - cpu > 0.05
        cpu = used
        quiet = quiet + 1 if not busy and server_backlog(lab) == 0 else 0


def server_cpu(sid: int) -> float:
    """CPU seconds of the processes of the session that ``sid`` leads."""
    return cpu_seconds(session_pids(sid))


# --------------------------------------------------------------- agent logs
_ITER = re.compile(r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}) .*Agent rpc_loop - iteration:(\d+) "
                   r"completed\. Processed ports statistics: \{'regular': \{'added': (\d+), "
                   r"'updated': (\d+), 'removed': (\d+)\}\}")


@dataclass(frozen=True)
class Iteration:
    at: float  # epoch
    number: int
    added: int
    updated: int
    removed: int


def agent_iterations(lab: Lab, since: float, host: str = HOST) -> list[Iteration]:
    """Completed rpc_loop iterations logged by the host's agent after ``since``
    (both agents log the reference's line)."""
    log = lab.paths.logs / f"agent-{host}.log"
    out = []
    with contextlib.suppress(OSError), open(log, errors="replace") as fh:
        for line in fh:
            m = _ITER.match(line)
            if not m:
                continue
            at = dt.datetime.strptime(m.group(1), "%Y-%m-%d %H:%M:%S.%f").timestamp()
            if at >= since:
                out.append(Iteration(at, *(int(m.group(i)) for i in range(2, 6))))
    return out


def agent_logged_at(lab: Lab, text: str, since: float, host: str = HOST) -> float | None:
    """When the host's agent first logged a line containing ``text`` after ``since``."""
    log = lab.paths.logs / f"agent-{host}.log"
    with contextlib.suppress(OSError), open(log, errors="replace") as fh:
        for line in fh:
            if text not in line:
                continue
            with contextlib.suppress(ValueError):
                at = dt.datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S.%f").timestamp()
                if at >= since:
                    return at
    return None


def wait_first_iteration(lab: Lab, since: float, timeout: float = 120, host: str = HOST
                         ) -> None:
    procs.wait_until(lambda: bool(agent_iterations(lab, since, host)), timeout,
                     "the agent's first rpc_loop iteration", interval=0.25)
