"""idle: what an agent costs when nothing changes.

For each agent, a private lab (one host) is brought up; optionally ``--ports``
ports are wired and left to settle (all ACTIVE, no flow change for 5 s).
Then, with nothing changing, the CPU of the agent's whole session (agent,
privsep daemons, ovsdb-client, ...) is measured over ``--seconds``, and the
session's RSS (and PSS, which counts shared pages once) is taken after start.

    python -m bench.idle --seconds 60
    python -m bench.idle --ports 100 --seconds 60
"""

from __future__ import annotations

import time
from typing import Any

from bench.labs import (
    HOST,
    agent_proc,
    bench_lab,
    restart_agent,
    wait_first_iteration,
    wait_server_idle,
)
from bench.procinfo import (
    cpu_seconds,
    describe_group,
    proc_start_epoch,
    pss_bytes,
    rss_bytes,
    session_pids,
)
from bench.report import Series, agents_of, base_parser, metric_rows, save, say, table
from bench.watch import ActiveWatch, FlowWatch, wait_quiet
from bench.workload import create_networks, create_ports, ovsdb_client, plug, port_specs
from ovsagent.lab import Lab

METRICS = (
    ("rss_start", "RSS after start, agent + children", "MB"),
    ("pss_start", "PSS after start, agent + children", "MB"),
    ("processes", "processes in the agent's session", ""),
    ("cpu_pct", "idle CPU (% of one core)", "%"),
    ("rss_end", "RSS at the end", "MB"),
)


def wire(lab: Lab, n: int, networks: int) -> None:
    nets = create_networks(lab.client, networks, "idle")
    ports = create_ports(lab.client, nets, n, HOST)
    with ovsdb_client(lab) as db, FlowWatch(lab) as flows:
        active = ActiveWatch(lab, [p["id"] for p in ports]).start()
        plug(db, port_specs(ports, []))
        active.wait(120 + n)
        active.stop()
        wait_quiet(flows, 5.0, 120)
    wait_server_idle(lab)


def measure(lab: Lab, seconds: float, ports: int, networks: int) -> dict[str, Any]:
    sid = agent_proc(lab).pid
    started = proc_start_epoch(sid)
    wait_first_iteration(lab, started - 1)
    time.sleep(max(0.0, started + 15 - time.time()))  # past start-up work
    pids = session_pids(sid)
    out: dict[str, Any] = {"rss_start": rss_bytes(pids) / 2**20,
                           "pss_start": pss_bytes(pids) / 2**20, "processes": len(pids),
                           "group_at_start": describe_group(sid)}
    if ports:
        wire(lab, ports, networks)
        time.sleep(5)
    say(f"measuring idle CPU for {seconds:.0f} s")
    cpu0, t0 = cpu_seconds(session_pids(sid)), time.monotonic()
    time.sleep(seconds)
    cpu1, t1 = cpu_seconds(session_pids(sid)), time.monotonic()
    out["cpu_pct"] = 100 * (cpu1 - cpu0) / (t1 - t0)
    out["rss_end"] = rss_bytes(session_pids(sid)) / 2**20
    return out


def main() -> int:
    parser = base_parser(__doc__, ports="0")
    parser.add_argument("--seconds", type=float, default=60.0, help="idle window (default 60)")
    parser.set_defaults(runs=1)
    args = parser.parse_args()
    raw: dict[str, list[dict[str, Any]]] = {}
    for agent in agents_of(args):
        with bench_lab("idle", agent, rpc_workers=args.rpc_workers) as lab:
            for r in range(args.runs):
                if r:
                    restart_agent(lab)
                raw.setdefault(agent, []).append(
                    measure(lab, args.seconds, args.ports[0], args.networks))
    print(report(raw, args.ports[0], args.seconds))
    save("idle", {"args": vars(args), "runs": raw}, not args.no_save)
    return 0


def report(raw: dict[str, list[dict[str, Any]]], ports: int, seconds: float) -> str:
    res = {agent: {key: Series([r[key] for r in runs]) for key, _l, _u in METRICS}
           for agent, runs in raw.items()}
    text = table(f"idle: one agent, {ports} ports wired, CPU over {seconds:.0f} s",
                 metric_rows(res, METRICS))
    for agent, runs in raw.items():
        procs = "; ".join(f"{p['name']} {p['rss_mb']:.0f} MB" for p in runs[0]["group_at_start"])
        text += f"\n\n{agent} session at start: {procs}"
    return text


if __name__ == "__main__":
    raise SystemExit(main())
