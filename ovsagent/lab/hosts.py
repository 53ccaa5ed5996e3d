"""The lab's simulated hosts: built with the testbench, found again from the state.

``build`` makes N hosts (``h1``, ``h2``, …) joined by an underlay wire
(198.18.0.N on ``br-underlay``) and a ``physnet1`` wire (``br-phys1``),
and writes each host's agent configuration. A later process gets the same
hosts back with :func:`sim_host` (a SimHost does not start anything until
asked), and :func:`destroy` removes every namespace of the lab's run.
"""

from __future__ import annotations

import logging
from pathlib import Path

from ovsagent.lab import confgen
from ovsagent.lab.state import HostState, LabPaths
from ovsagent.testbench import SimHost, Testbed
from ovsagent.testbench import netns as tbnetns

LOG = logging.getLogger(__name__)


def host_names(count: int) -> list[str]:
    return [f"h{i}" for i in range(1, count + 1)]


def build(paths: LabPaths, count: int) -> tuple[str, dict[str, HostState]]:
    """Start ``count`` hosts with underlay and physnet1 wires; return (run id, hosts)."""
    paths.hosts.mkdir(parents=True, exist_ok=True)
    bed = Testbed(basedir=paths.hosts)
    try:
        for name in host_names(count):
            bed.add_host(name)
        ips = bed.add_underlay()
        bed.add_physnet(confgen.PHYS_BRIDGE)
    except Exception:
        bed.teardown()
        raise
    # The lab, not this (short-lived) process, owns these namespaces: keep
    # testbench.remove_stale() of other test sessions away from them.
    tbnetns.unregister_run(bed.run_id)
    return bed.run_id, {name: HostState(name, ip) for name, ip in ips.items()}


def sim_host(paths: LabPaths, run_id: str, name: str) -> SimHost:
    return SimHost(name, paths.hosts, run_id=run_id)


def host_healthy(host: SimHost) -> bool:
    return ((tbnetns.NETNS_DIR / host.netns).exists() and host.pid("ovsdb-server") is not None
            and host.pid("ovs-vswitchd") is not None)


def write_agent_config(paths: LabPaths, host: HostState, transport_url: str,
                       debug: bool = False) -> Path:
    """``neutron.conf`` + ``openvswitch_agent.ini`` for ``host``; returns their directory."""
    etc = paths.host_etc(host.name)
    state_path = paths.root / "agent-state" / host.name
    (state_path / "lock").mkdir(parents=True, exist_ok=True)
    etc.mkdir(parents=True, exist_ok=True)
    settings = confgen.AgentSettings(host=host.name, local_ip=host.underlay_ip,
                                     transport_url=transport_url, state_path=state_path,
                                     debug=debug)
    (etc / "neutron.conf").write_text(confgen.agent_neutron_conf(settings))
    ini = confgen.add_agent_options(confgen.openvswitch_agent_ini(settings),
                                    ovsagent_options(paths, host.name))
    (etc / "openvswitch_agent.ini").write_text(ini)
    return etc


METRICS_LISTEN = "127.0.0.1:9310"  # inside the host's namespace: every host has its own


def ovsagent_options(paths: LabPaths, name: str) -> dict[str, object]:
    """ovsagent's operator endpoints on host ``name`` (ignored by the reference agent)."""
    return {"ctl_socket": paths.run / f"ovsagent-{name}.sock", "metrics_listen": METRICS_LISTEN}


def destroy(paths: LabPaths, run_id: str, names: list[str]) -> list[str]:
    """Stop the hosts' daemons and delete every namespace of ``run_id``; never raises."""
    removed: list[str] = []
    if not run_id:
        return removed
    for name in names:
        host = sim_host(paths, run_id, name)
        try:
            host.stop()
            removed.append(host.netns)
        except Exception:
            LOG.exception("stopping host %s failed", name)
    for ns in tbnetns.list_netns(run_id + "-"):
        for pid in tbnetns.pids_in_netns(ns):
            tbnetns.stop_pid(pid, timeout=2.0)
        tbnetns.del_netns(ns)
        removed.append(ns)
    tbnetns.unregister_run(run_id)
    return removed
