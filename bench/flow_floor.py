"""flow floor: how fast does Open vSwitch itself take the flows of N ports?

The flows both agents install for the wire workload (N ports with port
security over M vxlan networks, one tunnel, l2pop + ARP responder) are
computed with ovsagent's pipeline, written as text, and given to a fresh
simulated host's br-int in ONE ``ovs-ofctl --bundle add-flows`` (the
floor; mostly Open vSwitch's own time), then through ovsagent's two OpenFlow
drivers (``native``: the embedded controller, one OF1.3 bundle, what the
agent uses by default; ``ovs-ofctl``), each into an empty bridge, median of
``--runs``. No lab needed: one namespace with its own OVS, removed at the end.

If ``bench/results/wire-latest.json`` has the same N, the agents' "plug ->
flows installed" is printed next to the floor.

    python -m bench.flow_floor --ports 100,500,1000 --runs 5
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.report import Series, base_parser, fmt_series, load_latest, save, say
from ovsagent.testbench import Testbed

COOKIE = 0x0A9E000000000001


def host_state(n: int, networks: int) -> tuple[Any, Any]:
    """The wire workload as ovsagent's host state (what both agents wire)."""
    from ovsagent.pipeline.state import (
        HostState,
        LocalNetwork,
        PortSecurity,
        Segment,
        Topology,
        TunnelPort,
        WiredPort,
    )

    st = HostState()
    for i in range(networks):
        st.networks[f"net{i}"] = LocalNetwork(f"net{i}", Segment("vxlan", None, 1000 + i), i + 1)
    for i in range(n):
        mac = f"fa:16:3e:{i >> 16 & 255:02x}:{i >> 8 & 255:02x}:{i & 255:02x}"
        net = i % networks
        ip = f"198.19.{net + 1}.{i // networks + 2}"
        st.ports[f"p{i}"] = WiredPort(f"p{i}", 100 + i, mac, f"net{net}", net + 1,
                                      PortSecurity(fixed_ips=(ip,), device_owner="compute:nova"))
    st.tunnels[("vxlan", "198.18.0.2")] = TunnelPort("vxlan", "198.18.0.2", 2)
    topo = Topology(cookie=COOKIE, patch_int_ofport=1, arp_responder=True, l2_population=True)
    return st, topo


def flows_for(n: int, networks: int) -> dict[str, list[Any]]:
    from ovsagent.pipeline.compute import compute_flows

    st, topo = host_state(n, networks)
    return compute_flows(st, topo)


def ofctl_bundle(host: Any, bridge: str, text: str) -> float:
    with tempfile.NamedTemporaryFile("w", suffix=".flows", delete=False) as fh:
        fh.write(text)
        path = fh.name
    try:
        env = {**os.environ, **host.env}
        start = time.monotonic()
        subprocess.run(["ovs-ofctl", "-O", "OpenFlow13", "--bundle", "add-flows", bridge, path],
                       check=True, env=env, capture_output=True, text=True)
        return time.monotonic() - start
    finally:
        Path(path).unlink(missing_ok=True)


def make_driver(name: str, host: Any, bridge: str) -> Any:
    """One of ovsagent's OpenFlow drivers programming a new bridge on ``host``."""
    from ovsagent.ovs.openflow.native import NativeDriver
    from ovsagent.ovs.openflow.ofctl import OfctlDriver

    if name == "ovs-ofctl":
        host.add_bridge(bridge)
        ofctl = OfctlDriver(rundir=host.rundir, timeout=120.0)
        ofctl.add_bridge(bridge)
        return ofctl
    driver = NativeDriver(listen_address="127.0.0.1", listen_port=0, netns=host.netns,
                          request_timeout=120.0)
    try:
        host.add_bridge(bridge)
        host.vsctl("set-controller", bridge, f"tcp:127.0.0.1:{driver.listen_port}")
        dpid = ""
        while dpid in ("", "[]"):
            dpid = host.vsctl("get", "Bridge", bridge, "datapath_id").strip('"')
        driver.add_bridge(bridge, int(dpid, 16), timeout=30.0)
    except BaseException:
        driver.close()
        raise
    return driver


def driver_apply(host: Any, name: str, bridge: str, flows: list[Any]) -> tuple[float, float]:
    """(seconds to build the flow-mods and apply them, of which: encoding) with one
    of ovsagent's drivers, into a fresh bridge."""
    from ovsagent.pipeline.flow import AddFlow
    from ovsagent.pipeline.reconcile import diff_flows

    driver = make_driver(name, host, bridge)
    try:
        start = time.monotonic()
        mods = diff_flows(flows, [])
        encode = 0.0
        if name == "native":
            from ovsagent.ovs.openflow import native_codec

            dp = driver._dp(bridge)  # type: ignore[attr-defined]
            t = time.monotonic()
            for m in mods:
                if isinstance(m, AddFlow):
                    native_codec.encode_flow_mod(dp, m).serialize()
            encode = time.monotonic() - t
            start += encode  # the driver encodes again: count it once
        driver.apply(bridge, mods)
        return time.monotonic() - start, encode
    finally:
        driver.close()


def measure(n: int, networks: int, runs: int) -> dict[str, Series]:
    from ovsagent.ovs.openflow.ofctl_render import render_flow

    flows = flows_for(n, networks)["br-int"]
    text = "\n".join(render_flow(f) for f in flows) + "\n"
    out = {k: Series() for k in ("floor", "native", "native_encode", "ofctl")}
    with Testbed() as bed:
        host = bed.add_host("ff")
        for r in range(runs):
            br = f"brf{r}"
            host.add_bridge(br)
            out["floor"].add(ofctl_bundle(host, br, text))
            total, enc = driver_apply(host, "native", f"brn{r}", flows)
            out["native"].add(total)
            out["native_encode"].add(enc)
            out["ofctl"].add(driver_apply(host, "ovs-ofctl", f"bro{r}", flows)[0])
    out["flows"] = Series([float(len(flows))])
    return out


def main() -> int:
    parser = base_parser(__doc__, ports="100,500")
    parser.set_defaults(runs=5)
    args = parser.parse_args()
    results = {}
    for n in args.ports:
        say(f"{n} ports: computing and installing flows")
        results[n] = measure(n, args.networks, args.runs)
    wire = load_latest("wire")
    print(report(results, wire))
    save("flow_floor", {"args": vars(args), "results": {n: {k: v.values for k, v in r.items()}
                                                         for n, r in results.items()}},
         not args.no_save)
    return 0


def _wire_flows(wire: dict[str, Any] | None, agent: str, n: int) -> Series:
    runs = ((wire or {}).get("runs", {}).get(agent, {}) or {}).get(str(n), [])
    return Series([r["flows"] for r in runs if r.get("flows") is not None])


def report(results: dict[int, dict[str, Series]], wire: dict[str, Any] | None) -> str:
    lines = ["\nflow floor: br-int flows of N ports into an empty bridge, one bundle "
             f"(median of {len(next(iter(results.values()))['floor'].values)}, min-max)\n",
             "| ports | flows | ovs-ofctl --bundle (floor) | ovsagent native driver "
             "(of which encoding) | ovsagent ovs-ofctl driver | wire: reference plug -> flows "
             "| wire: ovsagent plug -> flows |", "|---|---|---|---|---|---|---|"]
    for n, r in sorted(results.items()):
        lines.append(f"| {n} | {r['flows'].values[0]:.0f} | {fmt_series(r['floor'])} | "
                     f"{fmt_series(r['native'])} ({fmt_series(r['native_encode'])}) | "
                     f"{fmt_series(r['ofctl'])} | {fmt_series(_wire_flows(wire, 'reference', n))}"
                     f" | {fmt_series(_wire_flows(wire, 'ovsagent', n))} |")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
