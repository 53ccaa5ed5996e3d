"""Faults under live traffic, with the real ovsagent daemon and neutron-server 29.

Every test keeps a 10 ms ping running between VMs on two hosts (a vxlan and
a vlan network) across the fault and asserts the loss. They run in the
ovsagent lab session only: resilience is ovsagent's promise.
"""

from __future__ import annotations

import datetime as dt
import time

import pytest

from ovsagent.lab import Lab, Workspace, faults, procs
from ovsagent.lab.vms import LabVM
from ovsagent.pipeline.reconcile import is_ovsagent_cookie
from ovsagent.testbench import ContinuousPing, PingResult

pytestmark = pytest.mark.fullstack


@pytest.fixture
def pairs(lab: Lab, workspace: Workspace) -> dict[str, tuple[LabVM, LabVM]]:
    if lab.config.agent != "ovsagent":
        pytest.skip("fault tests run in the ovsagent lab session")
    result = {}
    for ntype, physnet in (("vxlan", None), ("vlan", "physnet1")):
        net = workspace.network(ntype, physnet)
        a, b = workspace.vm(net, "h1"), workspace.vm(net, "h2")
        a.vm.wait_ping(b.ip, timeout=30)
        result[ntype] = (a, b)
    return result


def _start(pairs: dict[str, tuple[LabVM, LabVM]]) -> dict[str, ContinuousPing]:
    pings = {n: a.vm.start_ping(b.ip, interval=0.01) for n, (a, b) in pairs.items()}
    time.sleep(0.5)
    return pings


def _stop(pings: dict[str, ContinuousPing], label: str) -> dict[str, PingResult]:
    time.sleep(0.5)
    results = {n: p.stop() for n, p in pings.items()}
    for n, r in results.items():
        print(f"\n{label} [{n}]: {r.sent} sent, {r.lost} lost")
    return results


def _wait_heartbeats(lab: Lab, label: str, since: dt.datetime, timeout: float = 45.0) -> None:
    """Both agents alive with a state report the server took after ``since`` (UTC,
    naive), so the lab stays healthy for the tests that follow; prints how long."""
    start = time.monotonic()

    def fresh() -> list[str]:
        rows = lab.client.alive_agents()
        return sorted(h for h, a in rows.items()
                      if dt.datetime.strptime(a["heartbeat_timestamp"].split(".")[0],
                                              "%Y-%m-%d %H:%M:%S") >= since)

    while fresh() != ["h1", "h2"]:
        assert time.monotonic() - start < timeout, f"{label}: fresh heartbeats from {fresh()}"
        time.sleep(0.5)
    print(f"\n{label}: both agents reported {time.monotonic() - start:.1f}s later")


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


def _assert_no_loss(results: dict[str, PingResult]) -> None:
    for n, r in results.items():
        assert r.sent > 50 and r.lost == 0, f"{n}: {r.output}"


@pytest.mark.parametrize("kill", [False, True], ids=["sigterm", "kill9"])
def test_agent_restart_loses_nothing(lab: Lab, pairs: dict, kill: bool) -> None:  # type: ignore[type-arg]
    pings = _start(pairs)
    took = faults.restart_agent(lab, "h1", kill=kill)
    print(f"\nagent on h1 back and reporting after {took:.1f}s")
    _assert_no_loss(_stop(pings, "kill -9 + start" if kill else "SIGTERM + start"))


def _foreign_flows(lab: Lab, host: str) -> list[str]:
    h = lab.host(host)
    bad = []
    for bridge in ("br-int", "br-tun", "br-phys1"):
        for line in h.ofctl("dump-flows", bridge, "--no-stats").splitlines():
            if "cookie=" not in line or "hard_timeout" in line:
                continue  # header, or a learned flow (expires by itself)
            cookie = int(line.split("cookie=")[1].split(",")[0], 16)
            if not is_ovsagent_cookie(cookie):
                bad.append(f"{bridge}: {line.strip()}")
    return bad


def test_takeover_from_reference(lab: Lab, pairs: dict) -> None:  # type: ignore[type-arg]
    faults.switch_agent(lab, "reference")
    try:
        for a, b in pairs.values():
            a.vm.wait_ping(b.ip, timeout=30)
        pings = _start(pairs)
        took = faults.switch_agent(lab, "ovsagent")
        print(f"\nreference -> ovsagent on both hosts in {took:.1f}s")
        deadline = time.monotonic() + 60
        while _foreign_flows(lab, "h1"):
            assert time.monotonic() < deadline, _foreign_flows(lab, "h1")
            time.sleep(0.5)
        print(f"no reference flow left {time.monotonic() - deadline + 60:.1f}s after ovsagent up")
        _assert_no_loss(_stop(pings, "takeover"))
    finally:
        lab.config.agent = "ovsagent"
        lab.up()


def test_vswitchd_restart_recovers_within_2s(lab: Lab, pairs: dict) -> None:  # type: ignore[type-arg]
    up = faults.restart_vswitchd(lab, "h1")
    back = {}
    for n, (a, b) in pairs.items():
        while not a.vm.ping(b.ip, count=1, interval=0.01, deadline=0.2).ok:
            assert time.monotonic() - up < 30, f"{n}: no traffic 30 s after vswitchd start"
        back[n] = time.monotonic() - up
    print("\ntraffic back after ovs-vswitchd start: "
          + ", ".join(f"{n} {t:.2f}s" for n, t in back.items()))
    assert max(back.values()) <= 2.0, back


def test_broker_restart(lab: Lab, workspace: Workspace, pairs: dict) -> None:  # type: ignore[type-arg]
    pings = _start(pairs)
    faults.stop_broker(lab)
    time.sleep(5)
    took = faults.restore(lab)
    print(f"\nbroker back after {took:.1f}s")
    _wait_heartbeats(lab, "after the broker restart", _utcnow())
    _assert_no_loss(_stop(pings, "broker restart"))
    net = workspace.network("vxlan")  # the agents serve new ports again
    a, b = workspace.vm(net, "h1", timeout=90), workspace.vm(net, "h2", timeout=90)
    a.vm.wait_ping(b.ip, timeout=30)


def test_server_rpc_outage_60s(lab: Lab, workspace: Workspace, pairs: dict) -> None:  # type: ignore[type-arg]
    """neutron-rpc and periodic workers down for 60 s (the API stays up): traffic
    flows; a change made on the server during the outage is applied; after the
    return the agent reports the port's state."""
    a, b = pairs["vxlan"]
    vlan_a, vlan_b = pairs["vlan"]
    ping = vlan_a.vm.start_ping(vlan_b.ip, interval=0.01)
    for name in ("neutron-rpc", "neutron-periodic"):
        proc = lab.state.services[name]
        procs.stop(proc, timeout=10)
    started = time.monotonic()
    workspace.client.update_port(a.port["id"], admin_state_up=False)
    deadline = time.monotonic() + 30
    while a.vm.ping(b.ip, count=1, deadline=1).ok:
        assert time.monotonic() < deadline, "admin-down port still forwarding"
    time.sleep(max(0.0, 60 - (time.monotonic() - started)))
    took = faults.restore(lab)
    back = _utcnow()
    result = ping.stop()
    print(f"\n60 s rpc outage [vlan]: {result.sent} sent, {result.lost} lost; "
          f"server back in {took:.1f}s")
    assert result.sent > 1000 and result.lost == 0, result.output
    # reports queued during the outage are stale to the new server: re-sent at once
    _wait_heartbeats(lab, "after the rpc outage", back, timeout=15)
    workspace.client.wait_port_status(a.port["id"], "DOWN", timeout=60)
    workspace.client.update_port(a.port["id"], admin_state_up=True)
    workspace.client.wait_port_status(a.port["id"], "ACTIVE", timeout=60)
    a.vm.wait_ping(b.ip, timeout=30)
