"""ovsagent-ctl and /metrics of a lab agent serving the real neutron-server 29.

Runs only when the session's lab agent is ovsagent. The ctl socket is read
from the lab's generated openvswitch_agent.ini, as an operator would
(``ovsagent-ctl --config-file ...``); the metrics endpoint listens on
127.0.0.1 inside the host's namespace.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from ovsagent.lab import Lab, Workspace
from ovsagent.lab.hosts import METRICS_LISTEN
from ovsagent.testbench import SimHost

pytestmark = pytest.mark.fullstack


def _wait(what: str, predicate: Callable[[], object], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def ctl(lab: Lab, host: str, *args: str) -> Any:
    """``ovsagent-ctl --config-file <the host's ini> --json ...`` as a separate process."""
    ini = lab.paths.host_etc(host) / "openvswitch_agent.ini"
    proc = subprocess.run([sys.executable, "-m", "ovsagent.ctl.cli", "--config-file", str(ini),
                           "--json", *args], capture_output=True, text=True, timeout=90)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def scrape(host: SimHost) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    code = ("import sys, urllib.request; sys.stdout.write(urllib.request.urlopen("
            f"'http://{METRICS_LISTEN}/metrics', timeout=10).read().decode())")
    text = host.run(["python3", "-c", code]).stdout
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def test_ctl_and_metrics_against_the_server(lab: Lab, workspace: Workspace) -> None:
    if lab.config.agent != "ovsagent":
        pytest.skip("ovsagent-ctl and /metrics belong to ovsagent")
    net = workspace.network("vxlan")
    segment = int(net["provider:segmentation_id"])
    vm1, vm2 = workspace.vm(net, "h1"), workspace.vm(net, "h2")
    vm1.vm.wait_ping(vm2.ip, timeout=30)

    status = ctl(lab, "h1", "status")
    assert status["host"] == "h1" and status["broker"]["connected"] is True
    assert status["ovs"]["status"] == "normal" and status["loop"]["synced"]
    _wait("a state report", lambda: ctl(lab, "h1", "status")["server"]["last_report_age"]
          is not None)

    ports = {p["port_id"]: p for p in ctl(lab, "h1", "ports")}
    mine = ports[vm1.port["id"]]
    assert mine["state"] == "wired" and mine["network_id"] == net["id"]
    assert (mine["network_type"], mine["segmentation_id"]) == ("vxlan", segment)

    def l2pop_flows() -> set[tuple[str, int, str]]:
        flows = ctl(lab, "h1", "flows", vm1.port["id"])["flows"]
        return {(f["bridge"], f["table"], f["table_name"]) for f in flows
                if vm2.vm.mac in f["flow"] or f"arp_tpa={vm2.ip}" in f["flow"]}

    _wait("l2pop unicast + ARP responder flows for vm2",
          lambda: {("br-tun", 20, "UCAST_TO_TUN"), ("br-tun", 21, "ARP_RESPONDER")}
          <= l2pop_flows())

    arp = ctl(lab, "h1", "trace", vm1.port["id"], "--dst-ip", vm2.ip)
    assert ("br-tun", 21, "ARP_RESPONDER") in {
        (s["bridge"], s["table"], s["table_name"]) for s in arp["steps"]}, arp["steps"]
    icmp = ctl(lab, "h1", "trace", vm1.vm.ifname, "--dst-mac", vm2.vm.mac, "--dst-ip", vm2.ip)
    ucast = [s for s in icmp["steps"] if (s["bridge"], s["table"]) == ("br-tun", 20)]
    assert ucast and f"set_field:{segment:#x}->tun_id" in ucast[0]["actions"], icmp["steps"]

    resync = ctl(lab, "h1", "resync")
    assert resync["done"] and resync["last"]["failed"] == 0
    assert vm1.vm.ping(vm2.ip, count=3, interval=0.2).ok

    m = scrape(lab.host("h1"))

    def value(name: str, **labels: str) -> float:
        return m.get((name, frozenset(labels.items())), 0.0)

    assert value("ovsagent_ports", state="wired") >= 1
    assert value("ovsagent_local_vlans", network_type="vxlan") >= 1
    assert value("ovsagent_tunnel_ports", tunnel_type="vxlan") >= 1
    assert value("ovsagent_rpc_call_seconds_count", method="update_device_list") >= 1
    assert value("ovsagent_rpc_call_seconds_count", method="report_state") >= 1
    assert value("ovsagent_resyncs_total", cause="ctl") >= 1
    assert value("ovsagent_rpc_consumers_connected") == 1
    assert 0 <= value("ovsagent_heartbeat_age_seconds") < 60
    assert value("ovsagent_flows", bridge="br-tun", table="20", table_name="UCAST_TO_TUN") >= 1
