"""plug pass: N ports plugged at once into one host, ovsagent's first pass timed.

No neutron, no broker: one simulated host (own namespace, ovsdb-server,
userspace ovs-vswitchd), the agent core with the native driver and a fake
server that knows every port (N ports with port security over M vxlan
networks, like ``bench.wire``), and the bench's own watchers: an OVSDB
replica (every port has an ofport; every port tagged) and ``ovs-ofctl
monitor`` (every final flow installed at least once). Each run restarts the
agent on an empty br-int, plugs the N ports in ONE transaction (dead VLAN,
as os-vif does), and prints plug -> ofports / tags / flows installed and the
phases of the agent's passes, plus where the OVSDB write of the tags went:
building the transaction, ovsdb-server's reply, ovs-vswitchd applying it.

    python -m bench.plug_pass --ports 500 --runs 3
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from bench.watch import FlowWatch, TagWatch
from bench.workload import plug, unplug_all
from ovsagent.agent.core import AgentCore
from ovsagent.agent.loop import IterationStats
from ovsagent.agent.observer import NullObserver
from ovsagent.agent.settings import AgentSettings
from ovsagent.agent.wiring import DeviceDetails
from ovsagent.ovs import ovsdb
from ovsagent.ovs.ovsdb import connection
from ovsagent.pipeline.state import Segment
from ovsagent.testbench import SimHost, Testbed


class Server:
    """Details for every port; reports are taken and dropped."""

    def __init__(self, details: Mapping[str, DeviceDetails]) -> None:
        self.details = dict(details)

    def get_device_details(self, port_ids: list[str], refresh: bool = False
                           ) -> Mapping[str, DeviceDetails | None]:
        return {p: self.details.get(p, DeviceDetails(p)) for p in port_ids}

    def update_device_list(self, up: list[str], down: list[str],
                           refresh_tunnels: bool) -> list[str]:
        return []


class Passes(NullObserver):
    """The loop's busy passes, with the epoch each ended."""

    def __init__(self) -> None:
        self.passes: list[tuple[float, IterationStats]] = []

    def iteration(self, stats: IterationStats) -> None:
        if stats.added or stats.updated or stats.removed:
            self.passes.append((time.time(), stats))


class TxnTimes:
    """Where each OVSDB transaction of the agent's client went (patched in)."""

    def __init__(self) -> None:
        self.rows: list[tuple[float, float, float, float]] = []  # start, built, replied, applied
        self._local = threading.local()

    @contextlib.contextmanager
    def patched(self) -> Iterator[None]:
        from ovs.db import idl

        cls = connection._Transaction
        commit, block = cls.do_commit, idl.Transaction.commit_block
        times = self

        def commit_block(txn: Any) -> Any:
            times._local.built = time.time()
            status = block(txn)
            times._local.replied = time.time()
            return status

        def do_commit(txn_self: Any) -> Any:
            start = time.time()
            times._local.built = times._local.replied = start
            result = commit(txn_self)
            loc = times._local
            times.rows.append((start, loc.built, loc.replied, time.time()))
            return result

        cls.do_commit, idl.Transaction.commit_block = do_commit, commit_block
        try:
            yield
        finally:
            cls.do_commit, idl.Transaction.commit_block = commit, block


class _Lab:
    """What bench.watch.FlowWatch needs of a lab."""

    def __init__(self, host: SimHost) -> None:
        self._host = host

    def host(self, name: str) -> SimHost:
        return self._host


def workload(n: int, networks: int) -> tuple[list[ovsdb.PortSpec], dict[str, DeviceDetails]]:
    specs, details = [], {}
    for i in range(n):
        pid = f"{i:08x}-0000-4000-8000-000000000000"
        mac = f"fa:16:3e:{i >> 16 & 255:02x}:{i >> 8 & 255:02x}:{i & 255:02x}"
        net = i % networks
        ip = f"198.19.{net + 1}.{i // networks + 2}"
        name = f"tap{pid[:11]}"
        specs.append(ovsdb.PortSpec(name, "internal", external_ids={
            "iface-id": pid, "attached-mac": mac, "iface-status": "active",
            "vm-uuid": f"vm-{i}"}))
        details[pid] = DeviceDetails(pid, f"net{net}", Segment("vxlan", None, 1000 + net),
                                     mac_address=mac, device_owner="compute:nova",
                                     fixed_ips=(ip,))
    return specs, details


def _agent_process(host: SimHost, settings: AgentSettings, details: dict[str, DeviceDetails],
                   ready: Any, stop: Any, out: Any) -> None:
    """The agent alone in a child process (as the daemon runs): no watcher shares its
    interpreter. Sends its busy passes and OVSDB transactions when told to stop."""
    from ovsagent.ovs.openflow.native import NativeDriver

    observer = Passes()
    agent = AgentCore(settings, Server(details), NativeDriver(listen_port=6633, netns=host.netns),
                      ovsdb.OvsdbClient(host.ovsdb_connection), observer)
    txns = TxnTimes()
    with txns.patched():
        agent.start()
        loop = agent.loop
        assert loop is not None
        deadline = time.monotonic() + 30
        while not loop.synced or loop.has_work():
            assert time.monotonic() < deadline, "agent never synced"
            time.sleep(0.05)
        ready.set()
        while not stop.wait(0.1) or loop.has_work():
            pass
    agent.stop()
    agent.driver.close()
    agent.client.close()
    out.put(([(at, s.elapsed, s.added, s.updated, dict(s.phases)) for at, s in observer.passes],
             txns.rows))


def one_run(bed: Testbed, host: SimHost, n: int, networks: int,
            profile: str | None = None) -> dict[str, Any]:
    import multiprocessing
    import subprocess

    specs, details = workload(n, networks)
    settings = AgentSettings(
        host=host.name, local_ip=bed.underlay_ip[host.name], tunnel_types=("vxlan",),
        datapath_type="netdev", ovsdb_connection=host.ovsdb_connection,
        l2_population=True, arp_responder=True, of_connect_timeout=30)
    ctx = multiprocessing.get_context("fork")
    ready, stop, out = ctx.Event(), ctx.Event(), ctx.Queue()
    child = ctx.Process(target=_agent_process, args=(host, settings, details, ready, stop, out))
    child.start()
    spy = None
    db = ovsdb.OvsdbClient(host.ovsdb_connection, timeout=60)
    try:
        assert ready.wait(60), "agent never synced"
        time.sleep(0.5)
        if profile:
            spy = subprocess.Popen([str(Path(sys.prefix) / "bin" / "py-spy"), "record",
                                    "-r", "250", "-f", "raw", "-o", profile,
                                    "--pid", str(child.pid), "-d", "4"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(1.0)
        with FlowWatch(_Lab(host)) as flows:  # type: ignore[arg-type]
            tags = TagWatch(db, [s.name for s in specs]).start()
            t0, _ = plug(db, specs)
            deadline = time.monotonic() + 60
            while tags.done is None and time.monotonic() < deadline:
                time.sleep(0.05)
            while time.time() - (flows.last() or 0) < 1.5:
                time.sleep(0.1)
            tags.stop()
            complete = flows.complete_at(t0)
        stop.set()
        passes, txns = out.get(timeout=60)
    finally:
        stop.set()
        child.join(timeout=30)
        if spy is not None:
            spy.wait(timeout=30)
        with contextlib.suppress(Exception):
            unplug_all(db, [s.name for s in specs])
        db.close()
    return {
        "ofports": tags.ofports - t0 if tags.ofports else None,
        "tags": tags.done - t0 if tags.done else None,
        "flows": complete - t0 if complete else None,
        "passes": [(round(at - t0 - el, 3), round(at - t0, 3), added, updated,
                    {k: round(v, 3) for k, v in phases.items()})
                   for at, el, added, updated, phases in passes],
        "txns": [(round(a - t0, 3), round(b - a, 3), round(c - b, 3), round(d - c, 3))
                 for a, b, c, d in txns if a >= t0],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ports", type=int, default=500)
    parser.add_argument("--networks", type=int, default=10)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--profile", metavar="PREFIX",
                        help="py-spy the agent of the last run into PREFIX.txt (raw stacks)")
    args = parser.parse_args()
    bed = Testbed()
    results = []
    try:
        host = bed.add_host("h1")
        bed.add_underlay()
        for run in range(args.runs):
            r = one_run(bed, host, args.ports, args.networks,
                        f"{args.profile}.txt" if args.profile and run == args.runs - 1 else None)
            results.append(r)
            r["installed"] = max(r["tags"], r["flows"])
            print(f"run {run + 1}: ofports {r['ofports']:.3f} s, tags {r['tags']:.3f} s, "
                  f"flows {r['flows']:.3f} s, flows installed for all {r['installed']:.3f} s")
            for start, end, added, updated, phases in r["passes"]:
                print(f"  pass {start:.3f}-{end:.3f} s added {added} updated {updated} "
                      + " ".join(f"{k} {v:.3f}" for k, v in phases.items()))
            for start, build, reply, apply in r["txns"]:
                print(f"  txn at {start:.3f} s: build {build:.3f} reply {reply:.3f} "
                      f"vswitchd {apply:.3f}")
            time.sleep(2)
    finally:
        bed.teardown()
    for key in ("ofports", "tags", "flows", "installed"):
        values = [r[key] for r in results if r[key] is not None]
        if values:
            print(f"{key}: median {statistics.median(values):.3f} s "
                  f"({min(values):.3f}-{max(values):.3f})")


if __name__ == "__main__":
    main()
