"""server floor: how fast can ANY agent get N ports ACTIVE on this server?

No agent work at all: N ports bound to h1 (created, never plugged) are
reported up straight to neutron-server by a small client that speaks the
agent's RPC (``update_device_list`` over oslo.messaging, with
``ovsagent.rpc``), in chunks of C ports with K calls in flight. The time
until the last port is ACTIVE in the DB is the floor any agent's
"plug → all ACTIVE" is bounded by. Every strategy gets fresh ports.

The server is agent-independent, so one lab serves (h1 runs ovsagent,
only so that the ports can be bound). ``--workers 1,2`` repeats it with
two RPC workers. The wire benchmark measures the best strategy again in
each agent's own lab, side by side with the agent.

    python -m bench.server_floor --ports 100,500 --strategies 20x1,20x4,50x8
"""

from __future__ import annotations

import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bench.labs import HOST, bench_lab
from bench.report import Series, base_parser, deciles, fmt_series, int_list, save, say
from bench.watch import ActiveWatch
from bench.workload import create_networks, create_ports
from ovsagent.lab import Lab

DEFAULT_STRATEGIES = "20x1,500x1,20x2,20x4,20x8,5x16"
BEST = "20x4"  # used by the wire benchmark's in-lab floor; see docs/performance.md


def parse_strategy(text: str) -> tuple[int, int]:
    chunk, _, conc = text.partition("x")
    return int(chunk), int(conc or 1)


class Reporter:
    """An RPC client speaking for host ``HOST`` (what an agent would send)."""

    def __init__(self, lab: Lab) -> None:
        from oslo_config import cfg

        from ovsagent.lab import services
        from ovsagent.rpc.plugin_api import PluginApi
        from ovsagent.rpc.settings import RpcSettings
        from ovsagent.rpc.transport import build_transport

        conf = cfg.ConfigOpts()
        conf([], project="ovsagent-bench")
        self.transport = build_transport(conf, url=services.transport_url(
            lab.state.ports["rabbit"]))
        self.settings = RpcSettings
        self.api_cls = PluginApi
        self.transport_ok = True

    def api(self, chunk: int) -> Any:
        return self.api_cls(self.transport, self.settings(host=HOST, response_timeout=900,
                                                          processing_step=chunk))

    def close(self) -> None:
        self.transport.cleanup()


def measure(lab: Lab, reporter: Reporter, n: int, chunk: int, conc: int, networks: int,
            tag: str) -> dict[str, Any]:
    """Report N fresh ports up with ``conc`` concurrent calls of ``chunk`` ports."""
    nets = create_networks(lab.client, networks, tag)
    ports = [p["id"] for p in create_ports(lab.client, nets, n, HOST)]
    api = reporter.api(chunk)
    chunks = [ports[i:i + chunk] for i in range(0, n, chunk)]
    active = ActiveWatch(lab, ports).start()
    t0 = time.time()
    failed: list[str] = []
    with ThreadPoolExecutor(max_workers=conc) as pool:
        for reply in pool.map(lambda c: api.update_device_list(c, []), chunks):
            failed += reply.failed_devices_up
    calls_done = time.time() - t0
    ok = active.wait(120 + n)
    active.stop()
    times = sorted(t - t0 for t in active.active.values())
    return {"ports": n, "chunk": chunk, "concurrency": conc, "calls": calls_done,
            "active_all": times[-1] if ok else None,
            "active_median": statistics.median(times) if times else None,
            "active_deciles": deciles(times),
            "per_port_ms": 1000 * times[-1] / n if ok else None, "failed": len(failed)}


def main() -> int:
    parser = base_parser(__doc__, ports="100")
    parser.add_argument("--strategies", default=DEFAULT_STRATEGIES,
                        help="CHUNKxCONCURRENCY list (default %(default)s)")
    parser.set_defaults(runs=1)
    parser.add_argument("--workers", type=int_list, default=[1],
                        help="rpc_workers values, one lab each (default 1)")
    args = parser.parse_args()
    strategies = [parse_strategy(s) for s in args.strategies.split(",")]
    results: list[dict[str, Any]] = []
    for workers in args.workers:
        with bench_lab("floor", "ovsagent", rpc_workers=workers) as lab:
            reporter = Reporter(lab)
            try:
                for n in args.ports:
                    for chunk, conc in strategies:
                        for r in range(args.runs):
                            res = measure(lab, reporter, n, min(chunk, n), conc,
                                          args.networks, f"f{n}-{chunk}x{conc}-{r}")
                            res["rpc_workers"] = workers
                            say(f"rpc_workers={workers} {n} ports {chunk}x{conc}: all ACTIVE "
                                f"{res['active_all']} s, calls {res['calls']:.1f} s")
                            results.append(res)
            finally:
                reporter.close()
    print(report(results))
    save("server_floor", {"args": vars(args), "results": results}, not args.no_save)
    return 0


def report(results: list[dict[str, Any]]) -> str:
    groups: dict[tuple[int, int, int, int], dict[str, Series]] = {}
    for r in results:
        key = (r["rpc_workers"], r["ports"], r["chunk"], r["concurrency"])
        g = groups.setdefault(key, {"all": Series(), "median": Series(), "per": Series()})
        g["all"].add(r["active_all"])
        g["median"].add(r["active_median"])
        g["per"].add(r["per_port_ms"])
    lines = ["\nserver floor: ports reported up by a bare RPC client (no agent work)\n",
             "| rpc_workers | ports | chunk x in flight | all ACTIVE | median port ACTIVE "
             "| ms per port |", "|---|---|---|---|---|---|"]
    for (w, n, chunk, conc), g in sorted(groups.items()):
        lines.append(f"| {w} | {n} | {chunk} x {conc} | {fmt_series(g['all'])} | "
                     f"{fmt_series(g['median'])} | {fmt_series(g['per'], '')} |")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
