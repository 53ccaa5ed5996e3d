"""The ``ovsagent`` process itself in a simulated host, broker unreachable.

It must come up anyway (bridges and base flows, no traceback), reload its
logging on SIGHUP, and on SIGTERM exit 0 leaving every flow in place.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from ovsagent.agent import portlist
from ovsagent.ctl.protocol import request
from ovsagent.testbench import SimHost, Testbed

OVSAGENT = str(Path(sys.executable).with_name("ovsagent"))
METRICS = "127.0.0.1:9310"  # loopback of the host's namespace


def _scrape(host: SimHost) -> str:
    code = ("import sys, urllib.request; sys.stdout.write(urllib.request.urlopen("
            f"'http://{METRICS}/metrics', timeout=10).read().decode())")
    return host.run(["python3", "-c", code]).stdout


def _write_config(d: Path, db: str) -> list[str]:
    (d / "neutron.conf").write_text(
        f"[DEFAULT]\nhost = h1\nstate_path = {d / 'state'}\n"
        "transport_url = rabbit://guest:guest@127.0.0.1:9/\n"  # nothing listens there
        "rpc_response_timeout = 2\n")
    (d / "openvswitch_agent.ini").write_text(
        f"[ovs]\nintegration_bridge = br-int\ndatapath_type = netdev\nlocal_ip = 198.18.0.1\n"
        f"bridge_mappings = physnet1:br-phys1\novsdb_connection = {db}\n"
        "of_connect_timeout = 30\n"
        "[agent]\ntunnel_types = vxlan\nl2_population = True\nreport_interval = 5\n"
        f"ctl_socket = {d / 'ctl.sock'}\nmetrics_listen = {METRICS}\n"
        "[securitygroup]\nfirewall_driver = noop\n")
    return ["--config-file", str(d / "neutron.conf"),
            "--config-file", str(d / "openvswitch_agent.ini"), "--log-file", str(d / "agent.log")]


def _wait(what: str, predicate: object, timeout: float = 30.0) -> None:
    assert callable(predicate)
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def test_process_starts_reloads_and_stops_cleanly(testbed: Testbed, tmp_path: Path) -> None:
    host = testbed.add_host("h1")
    testbed.add_underlay()
    testbed.add_physnet("br-phys1", [host])
    args = _write_config(tmp_path, host.ovsdb_connection)
    env = {**os.environ, **host.env}
    proc = subprocess.Popen(["ip", "netns", "exec", host.netns, OVSAGENT, *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    log = tmp_path / "agent.log"
    try:
        def canary() -> bool:
            try:
                return "table=23" in host.ofctl("dump-flows", "br-int", "table=23")
            except Exception:
                return False

        _wait("bridges and the canary flow", canary)
        assert "patch-int" in host.vsctl("list-ports", "br-tun")
        assert "int-br-phys1" in host.vsctl("list-ports", "br-int")
        before = log.read_text().count("[ovs] integration_bridge")
        proc.send_signal(signal.SIGHUP)
        _wait("logging reloaded on SIGHUP",
              lambda: log.read_text().count("[ovs] integration_bridge") > before, 10)
        status = request(tmp_path / "ctl.sock", "status")  # the operator endpoints
        assert status["host"] == "h1" and status["broker"]["connected"] is False
        assert status["ovs"]["status"] == "normal" and status["flows"]["br-int"] > 0
        metrics = _scrape(host)
        assert 'ovsagent_flows{bridge="br-int",table="23",table_name="CANARY_TABLE"} 1.0' \
            in metrics, metrics[:2000]
        assert 'ovsagent_rpc_consumers_connected 0.0' in metrics
        flows = host.ofctl("dump-flows", "br-int", "--no-stats")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    output = proc.stdout.read() if proc.stdout else ""
    text = log.read_text()
    assert "Traceback" not in text + output, text[-3000:]
    assert "flows and ports stay in place" in text
    assert not (tmp_path / "ctl.sock").exists()
    assert host.ofctl("dump-flows", "br-int", "--no-stats") == flows  # nothing removed
    saved = tmp_path / "state" / "ovsagent-ports-h1.json"  # for the next start's pull
    assert portlist.load(str(saved), "br-int") == []
