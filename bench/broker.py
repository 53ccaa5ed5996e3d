"""broker footprint: AMQP connections, channels and queues each agent holds.

For each agent, a private lab (``--hosts`` hosts, default 1) is brought up
and left to settle; then the lab's RabbitMQ node is asked
(``rabbitmqctl list_connections / list_channels / list_consumers``) what
belongs to the agent: connections whose oslo.messaging ``connection_name``
carries a PID of the agent's session, their channels, and the queues those
channels consume from. The topics served are listed too, so the counts
compare like with like.

    python -m bench.broker
"""

from __future__ import annotations

import re
import time
from typing import Any

from bench.labs import HOST, agent_proc, bench_lab, rabbit_rows, wait_first_iteration
from bench.procinfo import proc_start_epoch, session_pids
from bench.report import AGENTS, agents_of, base_parser, save, table
from ovsagent.lab import Lab


def _props(row: dict[str, Any]) -> dict[str, Any]:
    props = row.get("client_properties") or []
    if isinstance(props, dict):
        return props
    return {p[0]: p[2] for p in props if isinstance(p, list) and len(p) == 3}


def footprint(lab: Lab, host: str = HOST) -> dict[str, Any]:
    pids = {str(p) for p in session_pids(agent_proc(lab, host).pid)}
    conns = [c for c in rabbit_rows(lab, "list_connections", "name", "pid", "client_properties",
                                    "channels")
             if str(_props(c).get("connection_name", "")).split(":")[1:2] and
             str(_props(c)["connection_name"]).split(":")[1] in pids]
    conn_pids = {c["pid"] for c in conns}
    channels = [ch for ch in rabbit_rows(lab, "list_channels", "pid", "connection", "name")
                if ch["connection"] in conn_pids]
    chan_pids = {ch["pid"] for ch in channels}
    consumed = sorted({c["queue_name"] for c in rabbit_rows(lab, "list_consumers", "queue_name",
                                                             "channel_pid")
                       if c["channel_pid"] in chan_pids})
    return {"connections": len(conns), "channels": len(channels), "queues": len(consumed),
            "queue_names": consumed,
            "topics": sorted({re.sub(rf"(_fanout_[0-9a-f]+|\.{re.escape(host)})$", "", q)
                              for q in consumed if not q.startswith("reply_")}),
            "names": [str(_props(c).get("connection_name")) for c in conns]}


def main() -> int:
    parser = base_parser(__doc__)
    parser.add_argument("--hosts", type=int, default=1, help="hosts (agents) per lab")
    parser.add_argument("--settle", type=float, default=40.0,
                        help="seconds after start before counting (default %(default)s: "
                             "past the first state report)")
    args = parser.parse_args()
    results: dict[str, dict[str, Any]] = {}
    for agent in agents_of(args):
        with bench_lab("broker", agent, hosts=args.hosts, rpc_workers=args.rpc_workers) as lab:
            started = proc_start_epoch(agent_proc(lab).pid)
            wait_first_iteration(lab, started - 1)
            time.sleep(max(0.0, started + args.settle - time.time()))
            results[agent] = footprint(lab)
    print(report(results))
    save("broker", {"args": vars(args), "results": results}, not args.no_save)
    return 0


def report(results: dict[str, dict[str, Any]]) -> str:
    rows: list[tuple[str, str, str, str]] = []
    for key in ("connections", "channels", "queues"):
        vals = [results.get(a, {}).get(key) for a in AGENTS]
        ratio = f"{vals[0] / vals[1]:.1f}x" if vals[0] and vals[1] else "-"
        ref, ours = (str(v) if v is not None else "-" for v in vals)
        rows.append((f"AMQP {key} per agent", ref, ours, ratio))
    text = table("broker footprint (one agent, after its first state report)", rows)
    for agent, r in results.items():
        text += (f"\n\n{agent}: {len(r['queue_names'])} queues for the topics "
                 f"{', '.join(r['topics'])} (+ replies)")
    return text


if __name__ == "__main__":
    raise SystemExit(main())
