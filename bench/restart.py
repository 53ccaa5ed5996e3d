"""restart: restart an agent that has N ports wired; does traffic notice?

For each agent (a private lab, one host): N ports over M networks are wired
(some pairs of them are VM namespaces), all ACTIVE. Each run then starts
10 ms pings between the VM pairs, restarts the agent (SIGTERM, then a new
process with the same configuration) and measures, from the new process's
start:

  resynced      the last flow change on br-int/br-tun (stale flows of the old
                process deleted): the dataplane is in its final state ("-"
                when the restart changed no flow at all: flow mods 0)
  first pass    the agent logged the iteration that processed all N ports
                (the reference logs it only after its blocking
                update_device_list of all N ports)
  resync complete  ovsagent logged "resync complete": every port processed
                with the server's current details (bulk_pull answered) AND
                the pass after it deleted the stale flows. Since a restart
                adopts unchanged flows (no flow-mod), "resynced" (last flow
                change) can come long before this; this is the figure that
                means "in sync with the server" (no such line: reference)
  flow mods     flow adds/modifies/deletes seen during the restart
  stop          SIGTERM to the old process's exit (not part of the figures
                above, which count from the new process's start)
  lost          pings lost on the sample, across the whole restart (the JSON
                also says when: ``lost_at``, ``slow_replies``). The requests
                still on their way when the pings are stopped (seconds after
                the restart) are not lost: ``in_flight_at_stop`` (ping's own
                summary, which counts them, is ``ping_summary_lost``)

What the agent wrote to OVSDB meanwhile goes to
bench/results/logs/restart-*-ovsdb-*.log (bench.ovsdbwatch), the host's
ovs-vswitchd log next to the agent's.

Between runs the server is left to finish the reports of the restart.

    python -m bench.restart --ports 100,500 --runs 3
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from bench.labs import (
    HOST,
    agent_iterations,
    agent_logged_at,
    bench_lab,
    start_agent,
    stop_agent,
    wait_server_idle,
)
from bench.ovsdbwatch import OvsdbWatch
from bench.procinfo import cpu_seconds, session_pids
from bench.report import (
    RESULTS,
    Series,
    agents_of,
    base_parser,
    metric_rows,
    save,
    say,
    table,
)
from bench.watch import ActiveWatch, FlowWatch, TimedPing, wait_quiet
from bench.workload import (
    create_networks,
    create_ports,
    ovsdb_client,
    plug,
    port_specs,
    prepare_vms,
    remove_vms,
    unplug_all,
)
from ovsagent.lab import Lab

METRICS = (
    ("resynced", "start → resynced (last flow change)", "s"),
    ("first_pass", "start → pass over all ports logged", "s"),
    ("complete", "start → resync complete logged", "s"),
    ("flow_mods", "flow mods during the restart", ""),
    ("lost", "pings lost (sample, 10 ms interval)", ""),
    ("cpu", "agent CPU during the restart", "s"),
    ("stop", "SIGTERM → old process gone", "s"),
)


def wire(lab: Lab, n: int, networks: int, pairs: int, tag: str) -> tuple[list[Any], list[str]]:
    """N ports plugged and ACTIVE; returns (the VM pairs, br-int port names)."""
    nets = create_networks(lab.client, networks, tag)
    ports = create_ports(lab.client, nets, n, HOST)
    vms = prepare_vms(lab, ports, pairs)
    specs = port_specs(ports, vms)
    with ovsdb_client(lab) as db, FlowWatch(lab) as flows:
        active = ActiveWatch(lab, [p["id"] for p in ports]).start()
        plug(db, specs)
        if not active.wait(120 + n):
            say(f"only {len(active.active)}/{n} ports ACTIVE")
        active.stop()
        wait_quiet(flows, 5.0, 120)
    wait_server_idle(lab)
    return vms, [s.name for s in specs]


def one_restart(lab: Lab, agent: str, n: int, vms: list[Any], ovsdb_log: Path
                ) -> dict[str, Any]:
    pings = [TimedPing(vm) for vm in vms]
    time.sleep(1.0)
    with FlowWatch(lab) as flows, OvsdbWatch(lab, ovsdb_log):
        t_stop = time.time()
        stop_took = stop_agent(lab)
        started = start_agent(lab)
        sid = lab.state.hosts[HOST].agent.pid  # type: ignore[union-attr]
        deadline = time.monotonic() + 600 + n
        first_pass = None
        while time.monotonic() < deadline and first_pass is None:
            done = 0
            for it in agent_iterations(lab, started - 1):
                done += it.added + it.updated
                if done >= n:
                    first_pass = it.at
                    break
            time.sleep(0.2)
        wait_quiet(flows, 5.0, 600)
        complete = agent_logged_at(lab, "resync complete", started - 1)
        while complete is None and agent == "ovsagent" and time.monotonic() < deadline:
            time.sleep(0.2)  # a restart that changes no flow is quiet at once
            complete = agent_logged_at(lab, "resync complete", started - 1)
        cpu = cpu_seconds(session_pids(sid))
        last = flows.last()
        last = last if last is not None and last >= t_stop else None  # no change: none
        mods = flows.count(t_stop)
        changes = [(round(t - started, 3), kind, " ".join(key))
                   for t, kind, key in flows.changes_since(t_stop)][:100]
    counts = [p.stop() for p in pings]
    wait_server_idle(lab)
    sent = sum(c[0] for c in counts)
    losses = [p.losses(c[0]) for p, c in zip(pings, counts, strict=True)]
    in_flight = sum(x[1] for x in losses)
    # when, from the new process's start, pings went missing or came back late
    gaps = sorted(round(at - started, 3) for p in pings for at, _seq in p.gaps())
    slow = sorted((round(at - started, 3), rtt) for p in pings for at, rtt in p.slow)
    return {"ports": n, "resynced": last - started if last else None,
            "first_pass": first_pass - started if first_pass else None,
            "complete": complete - started if complete else None,
            "flow_mods": mods, "flow_changes": changes,
            "lost": sum(x[0] for x in losses), "sent": sent - in_flight,
            "in_flight_at_stop": in_flight, "ping_summary_lost": sent - sum(c[1] for c in counts),
            "lost_at": gaps, "slow_replies": slow[:50], "cpu": cpu,
            "stop": stop_took, "stopped_for": started - t_stop, "ovsdb_log": str(ovsdb_log)}


def run_agent(agent: str, sizes: list[int], runs: int, networks: int, pairs: int,
              rpc_workers: int) -> dict[int, list[dict[str, Any]]]:
    out: dict[int, list[dict[str, Any]]] = {}
    with bench_lab("restart", agent, rpc_workers=rpc_workers) as lab:
        for n in sizes:
            say(f"{agent}: wiring {n} ports")
            vms, names = wire(lab, n, networks, pairs, f"r{n}")
            try:
                for r in range(runs):
                    stamp = time.strftime("%Y%m%d-%H%M%S")
                    log = RESULTS / "logs" / f"restart-{agent}-{stamp}-ovsdb-{n}-{r + 1}.log"
                    res = one_restart(lab, agent, n, vms, log)
                    say(f"{agent}: {n} ports, restart {r + 1}/{runs}: resynced "
                        f"{res['resynced']}, first pass {res['first_pass']}, complete "
                        f"{res['complete']}, lost {res['lost']}/{res['sent']} (at "
                        f"{res['lost_at']}; {res['in_flight_at_stop']} in flight at the stop), "
                        f"late replies {res['slow_replies'][:10]}")
                    out.setdefault(n, []).append(res)
            finally:
                with ovsdb_client(lab) as db:
                    unplug_all(db, names)
                remove_vms(vms)
                time.sleep(2)
                wait_server_idle(lab)
    return out


def main() -> int:
    parser = base_parser(__doc__, ports="100")
    parser.add_argument("--pairs", type=int, default=5, help="VM pairs pinging (default 5)")
    args = parser.parse_args()
    raw = {agent: run_agent(agent, args.ports, args.runs, args.networks, args.pairs,
                            args.rpc_workers) for agent in agents_of(args)}
    print(report(raw))
    save("restart", {"args": vars(args), "runs": raw}, not args.no_save)
    return 0


def report(raw: dict[str, dict[int, list[dict[str, Any]]]]) -> str:
    sizes = sorted({n for per in raw.values() for n in per})
    parts = []
    for n in sizes:
        res = {agent: {key: Series([r[key] for r in per.get(n, []) if r.get(key) is not None])
                       for key, _l, _u in METRICS} for agent, per in raw.items()}
        runs = max(len(per.get(n, [])) for per in raw.values())
        parts.append(table(f"restart: {n} ports wired, SIGTERM + start (median of {runs}, "
                           "min-max)", metric_rows(res, METRICS)))
    return "\n".join(parts)


if __name__ == "__main__":
    raise SystemExit(main())
