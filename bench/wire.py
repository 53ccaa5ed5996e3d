"""wire: N ports on M networks bound to one host, plugged at once, per agent.

For each agent (a private lab each, one host, one RPC worker unless
``--rpc-workers``) and each N: create M networks with port security and N
ports bound to h1, make ``--pairs`` pairs of VM namespaces out of some of
them (internal ports for the rest), then add all N ports to br-int in ONE
OVSDB transaction and measure from that instant:

  ofports    OVS gave every new interface an ofport (no agent involved)
  flows      every port tagged with its network's VLAN, and every flow that
             br-int / br-tun hold at the end of the run installed (by table,
             match and actions, from the stream of ``ovs-ofctl monitor``, so
             cookie-only rewrites do not count): dataplane ready for all
  final      ... and the bridges holding exactly those flows for good (the
             last rewrite done: the reference re-processes every port once
             the server's status pushes come in, deleting and re-adding its
             flows)
  ping       every sample VM answered by its peer (10 ms pings, each stopped
             1 s after its first reply: they would take a core of the 2-CPU
             machine from the server; ports are plugged on the dead VLAN, as
             os-vif does for this agent)
  ACTIVE     median port / last port ACTIVE in the server's DB
  floor      in the same lab afterwards: N fresh ports reported up by a bare
             RPC client (bench/server_floor.py, best strategy), no agent work,
             br-int empty
  loaded floor  (``--loaded-floor``) the same, measured inside each run once
             its N ports are ACTIVE: the N ports still plugged, the agent
             alive and idle
  CPU        agent CPU seconds (its whole session) from plug to settled
  RSS        agent session RSS before plug, and peak during the run

Each run starts a fresh agent process on an empty br-int (the previous run's
ports are unplugged with the agent stopped; their server rows stay) and an
idle server (no queued agent call).

    python -m bench.wire --ports 100,500 --runs 3
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path
from typing import Any

from bench import server_floor
from bench.labs import (
    HOST,
    agent_iterations,
    agent_proc,
    bench_lab,
    restart_agent,
    stop_agent,
    wait_first_iteration,
    wait_server_idle,
)
from bench.procinfo import (
    GroupSampler,
    cpu_seconds,
    describe_group,
    proc_start_epoch,
    profiled,
    rss_bytes,
    session_pids,
)
from bench.report import (
    RESULTS,
    Series,
    agents_of,
    base_parser,
    deciles,
    metric_rows,
    save,
    say,
    table,
)
from bench.watch import ActiveWatch, FlowWatch, TagWatch, TimedPing, wait_quiet
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
    ("ofports", "plug → OVS gave every port an ofport", "s"),
    ("flows", "plug → flows installed for all", "s"),
    ("settled", "plug → flows final (no more rewrites)", "s"),
    ("ping", "plug → sample VMs ping", "s"),
    ("active_median", "plug → median port ACTIVE", "s"),
    ("active_all", "plug → all ACTIVE", "s"),
    ("floor", "server floor: bare RPC client -> all ACTIVE", "s"),
    ("vs_floor", "all ACTIVE / server floor", ""),
    ("floor_loaded", "server floor, N ports plugged (--loaded-floor)", "s"),
    ("vs_floor_loaded", "all ACTIVE / loaded floor", ""),
    ("cpu", "agent CPU", "s"),
    ("rss_start", "agent RSS before plug", "MB"),
    ("rss_peak", "agent peak RSS", "MB"),
)


PING_AFTER_FIRST = 1.0  # s of pinging after the first reply (see TimedPing)


def settle_agent(lab: Lab, started: float) -> None:
    """Wait for the (new) agent's first iteration and for its flows to be quiet."""
    wait_first_iteration(lab, started - 1)
    with FlowWatch(lab) as flows:
        time.sleep(1.0)
        wait_quiet(flows, 3.0, 60)


def one_run(lab: Lab, n: int, networks: int, pairs: int, tag: str,
            profile: Path | None = None, loaded_floor: bool = False) -> dict[str, Any]:
    client = lab.client
    nets = create_networks(client, networks, tag)
    ports = create_ports(client, nets, n, HOST)
    vms = prepare_vms(lab, ports, pairs)
    specs = port_specs(ports, vms)
    sid = agent_proc(lab).pid
    timeout = 120 + n * 0.6
    try:
        with ovsdb_client(lab) as db, FlowWatch(lab) as flows, GroupSampler(sid) as mem, \
                profiled(sid, profile):
            tags = TagWatch(db, [s.name for s in specs]).start()
            active = ActiveWatch(lab, [p["id"] for p in ports]).start()
            pings = [TimedPing(vm, until_first=PING_AFTER_FIRST) for vm in vms]
            for p in pings:  # probes going out before the plug: the first reply is
                if not p.sending.wait(10):  # when forwarding began, not a pinger's start
                    say(f"the pinger in {p.vm.netns} did not start: its ping figure is missing")
            rss_start = rss_bytes(session_pids(sid))
            cpu0 = cpu_seconds(session_pids(sid))
            t0, _ = plug(db, specs)
            all_active = active.wait(timeout)
            deadline = time.monotonic() + 60
            while tags.done is None and time.monotonic() < deadline:
                time.sleep(0.1)
            wait_quiet(flows, 3.0, 60)
            cpu1 = cpu_seconds(session_pids(sid))
            floor = measure_floor(lab, n, networks, f"{tag}-lf") \
                if loaded_floor and all_active else None
            for p in pings:
                p.stop()
            tags.stop()
            active.stop()
            last_flow = flows.last()
            installed = flows.installed_at(t0)
            complete = flows.complete_at(t0)
            flow_events = flows.count(t0)
            group = describe_group(sid)
    finally:
        stop_agent(lab)  # before unplugging: the server is not asked to mark them DOWN
        with ovsdb_client(lab) as db:
            unplug_all(db, [s.name for s in specs])
        remove_vms(vms)
        wait_server_idle(lab)  # calls the agent sent stay queued: let the server finish
    if not all_active:
        say(f"only {len(active.active)}/{n} ports ACTIVE after {timeout:.0f}s")
    times = sorted(t - t0 for t in active.active.values())
    firsts = [p.first for p in pings if p.first is not None]
    iters = [i for i in agent_iterations(lab, t0) if i.added or i.updated or i.removed]
    flows_done = max(tags.done, complete) if tags.done and complete else None
    settled = max(tags.done, installed) if tags.done and installed else None
    return {
        "ports": n,
        "flows": flows_done - t0 if flows_done else None,
        "settled": settled - t0 if settled else None,
        "flows_last_change": last_flow - t0 if last_flow and last_flow > t0 else None,
        "tags": tags.done - t0 if tags.done else None,
        "ofports": tags.ofports - t0 if tags.ofports else None,
        "ping": max(firsts) - t0 if pings and len(firsts) == len(pings) else None,
        "active_median": statistics.median(times) if times else None,
        "active_all": times[-1] if all_active else None,
        "active_count": len(times),
        "active_deciles": deciles(times),
        "floor_loaded": floor["active_all"] if floor else None,
        "vs_floor_loaded": times[-1] / floor["active_all"]
        if floor and floor["active_all"] and all_active else None,
        "floor_loaded_detail": floor,
        "cpu": cpu1 - cpu0,
        "rss_start": rss_start / 2**20,
        "rss_peak": mem.peak / 2**20,
        "flow_events": flow_events,
        "iterations": [{"n": i.number, "added": i.added, "updated": i.updated,
                        "at": round(i.at - t0, 3)} for i in iters],
        "processes": group,
    }


Runs = dict[int, list[dict[str, Any]]]  # ports -> one result per run
Floors = dict[int, dict[str, Any]]  # ports -> the in-lab server floor


def run_agent(agent: str, sizes: list[int], runs: int, networks: int, pairs: int,
              rpc_workers: int, floor: bool, profile: bool = False,
              loaded_floor: bool = False) -> tuple[Runs, Floors]:
    out: dict[int, list[dict[str, Any]]] = {}
    floors: dict[int, dict[str, Any]] = {}
    with bench_lab("wire", agent, rpc_workers=rpc_workers) as lab:
        started = proc_start_epoch(agent_proc(lab).pid)
        first = True
        for n in sizes:
            for r in range(runs):
                if not first:
                    started = restart_agent(lab)
                first = False
                settle_agent(lab, started)
                say(f"{agent}: {n} ports, run {r + 1}/{runs}")
                prof = (RESULTS / "profiles" / f"wire-{agent}-{n}-{r + 1}.txt"
                        if profile else None)
                res = one_run(lab, n, networks, pairs, f"{n}-{r}", prof, loaded_floor)
                say(f"{agent}: {n} ports: flows {res['flows']}, ping {res['ping']}, "
                    f"all ACTIVE {res['active_all']}, CPU {res['cpu']:.2f}s, "
                    f"peak RSS {res['rss_peak']:.0f} MB")
                out.setdefault(n, []).append(res)
            if floor:  # the same server, right after: what a bare client gets
                started = restart_agent(lab)  # alive, so that the ports can be bound
                settle_agent(lab, started)
                floors[n] = measure_floor(lab, n, networks, f"{n}-floor")
                say(f"{agent} lab: server floor for {n} ports: {floors[n]['active_all']} s")
                stop_agent(lab)
                wait_server_idle(lab)
    return out, floors


def measure_floor(lab: Lab, n: int, networks: int, tag: str) -> dict[str, Any]:
    chunk, conc = server_floor.parse_strategy(server_floor.BEST)
    reporter = server_floor.Reporter(lab)
    try:
        return server_floor.measure(lab, reporter, n, min(chunk, n), conc, networks, tag)
    finally:
        reporter.close()


def main() -> int:
    parser = base_parser(__doc__, ports="100")
    parser.add_argument("--pairs", type=int, default=5, help="VM pairs pinging (default 5)")
    parser.add_argument("--profile", action="store_true",
                        help="py-spy record each agent during each run (collapsed stacks in "
                             "bench/results/profiles/)")
    parser.add_argument("--loaded-floor", action="store_true",
                        help="also measure the server floor inside each run, with its N ports "
                             "still plugged (fresh ports, agent idle)")
    parser.add_argument("--no-floor", action="store_true",
                        help="skip the in-lab server floor (a bare client reporting N ports)")
    args = parser.parse_args()
    raw: dict[str, dict[int, list[dict[str, Any]]]] = {}
    floors: dict[str, dict[int, dict[str, Any]]] = {}
    for agent in agents_of(args):
        raw[agent], floors[agent] = run_agent(agent, args.ports, args.runs, args.networks,
                                              args.pairs, args.rpc_workers, not args.no_floor,
                                              args.profile, args.loaded_floor)
        if agent != agents_of(args)[-1]:  # an interrupted invocation keeps what it measured
            save("wire-partial", {"args": vars(args), "runs": raw, "floors": floors},
                 not args.no_save)
    print(report(raw, floors, args.rpc_workers))
    save("wire", {"args": vars(args), "runs": raw, "floors": floors}, not args.no_save)
    return 0


def summarize(raw: dict[str, dict[int, list[dict[str, Any]]]],
              floors: dict[str, dict[int, dict[str, Any]]], n: int
              ) -> dict[str, dict[str, Series]]:
    res: dict[str, dict[str, Series]] = {}
    for agent, sizes in raw.items():
        mine = res.setdefault(agent, {key: Series() for key, _l, _u in METRICS})
        for run in sizes.get(n, []):
            for key, _label, _unit in METRICS:
                mine[key].add(run.get(key))
        floor = (floors.get(agent) or {}).get(n, {}).get("active_all")
        mine["floor"].add(floor)
        active = mine["active_all"].median
        if floor and active:
            mine["vs_floor"].add(active / floor)
    return res


def report(raw: dict[str, dict[int, list[dict[str, Any]]]],
           floors: dict[str, dict[int, dict[str, Any]]], rpc_workers: int) -> str:
    sizes = sorted({n for per in raw.values() for n in per})
    loaded = any(run.get("floor_loaded") for per in raw.values() for runs in per.values()
                 for run in runs)
    metrics = [m for m in METRICS if loaded or not m[0].endswith("_loaded")]
    parts = []
    for n in sizes:
        runs = max(len(per.get(n, [])) for per in raw.values())
        parts.append(table(f"wire: {n} ports, 10 networks, one host, rpc_workers={rpc_workers} "
                           f"(median of {runs}, min-max)",
                           metric_rows(summarize(raw, floors, n), metrics)))
    return "\n".join(parts)


if __name__ == "__main__":
    raise SystemExit(main())
