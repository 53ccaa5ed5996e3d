"""Every ``ovsagent-ctl`` command against a live agent core, through its socket."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from live_agent import REMOTE_IP, LiveAgent, live_agent, wait_for

from ovsagent.ctl import cli
from ovsagent.pipeline.state import Segment
from ovsagent.testbench import SimVM

LOG = logging.getLogger(__name__)
VX = Segment("vxlan", None, 1000)
VL = Segment("vlan", "physnet1", 101)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory
          ) -> Iterator[tuple[LiveAgent, dict[str, SimVM]]]:
    """One agent with a vxlan VM, a vlan VM and an unbound (dead) one."""
    with live_agent(tmp_path_factory.mktemp("ctl")) as agent:
        vms = {"a": agent.vm("a", "198.19.1.1", "netX", VX),
               "b": agent.vm("b", "198.19.2.1", "netV", VL),
               "dead": agent.vm("dead", "198.19.3.1", None, None)}
        agent.server.wait_up(vms["a"].iface_id, vms["b"].iface_id)
        wait_for("ports settled", lambda: agent.view.loop().port_counts()["wired"] == 2
                 and agent.view.loop().port_counts()["dead"] == 1)
        wait_for("synced", lambda: agent.view.loop().synced)
        yield agent, vms


def ctl(agent: LiveAgent, capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    rc = cli.main(["--socket", str(agent.ctl.path), *args])
    out = capsys.readouterr()
    return rc, out.out + out.err


def show(capsys: pytest.CaptureFixture[str], text: str) -> None:
    """Log the human output (pytest shows it with a failure, or with ``-o log_cli=true``)."""
    LOG.info("ovsagent-ctl output:\n%s", text)


def ctl_json(agent: LiveAgent, capsys: pytest.CaptureFixture[str], *args: str) -> Any:
    rc, out = ctl(agent, capsys, "--json", *args)
    assert rc == 0, out
    return json.loads(out)


def test_status(world: tuple[LiveAgent, dict[str, SimVM]],
                capsys: pytest.CaptureFixture[str]) -> None:
    agent, _ = world
    status = ctl_json(agent, capsys, "status")
    assert status["host"] == "h1" and status["of_interface"] == "native"
    assert status["ovs"] == {"status": "normal", "restarts": 0}
    assert status["loop"]["synced"] and status["loop"]["iterations"] >= 2
    assert status["ports"]["wired"] == 2 and status["ports"]["dead"] == 1
    assert status["networks"] == 2 and status["tunnels"] == 1
    assert status["flows"]["br-int"] > 10 and "br-phys1" in status["flows"]
    assert status["cookie"] == f"{agent.core.cookie:#x}"
    rc, text = ctl(agent, capsys, "status")
    assert rc == 0
    show(capsys, text)
    assert "Open vSwitch:   normal" in text and "2 wired, 1 dead" in text
    assert "synced" in text and "NOT synced" not in text


def test_ports(world: tuple[LiveAgent, dict[str, SimVM]],
               capsys: pytest.CaptureFixture[str]) -> None:
    agent, vms = world
    rows = {r["port_id"]: r for r in ctl_json(agent, capsys, "ports")}
    a, b, dead = (rows[vms[n].iface_id] for n in ("a", "b", "dead"))
    assert a["state"] == "wired" and a["network_id"] == "netX"
    assert (a["network_type"], a["segmentation_id"]) == ("vxlan", 1000)
    assert a["name"] == vms["a"].ifname and a["mac"] == vms["a"].mac
    assert (b["network_type"], b["physical_network"], b["segmentation_id"]) == \
        ("vlan", "physnet1", 101)
    assert a["local_vlan"] != b["local_vlan"] and {a["local_vlan"], b["local_vlan"]} <= \
        set(range(1, 4095))
    assert dead["state"] == "dead" and dead["local_vlan"] == 4095
    rc, text = ctl(agent, capsys, "ports")
    show(capsys, text)
    assert rc == 0 and text.splitlines()[0].startswith("PORT")
    assert "vlan physnet1/101" in text and "vxlan 1000" in text


def test_flows_of_a_port(world: tuple[LiveAgent, dict[str, SimVM]],
                         capsys: pytest.CaptureFixture[str]) -> None:
    agent, vms = world
    a = vms["a"]
    result = ctl_json(agent, capsys, "flows", a.ifname)  # by interface name
    assert result["port"]["port_id"] == a.iface_id
    ofport = result["port"]["ofport"]
    seen = {(f["bridge"], f["table"], f["table_name"], f["reason"]) for f in result["flows"]}
    assert ("br-int", 0, "LOCAL_SWITCHING", "port") in seen
    assert ("br-int", 24, "ARP_SPOOF_TABLE", "port") in seen
    assert ("br-int", 25, "MAC_SPOOF_TABLE", "port") in seen
    assert ("br-tun", 4, "VXLAN_TUN_TO_LV", "network") in seen
    assert ("br-tun", 22, "FLOOD_TO_TUN", "network") in seen
    assert not any(f["bridge"] == "br-phys1" for f in result["flows"])
    assert all(f"in_port={ofport}" in f["flow"] or a.mac in f["flow"]
               for f in result["flows"] if f["reason"] == "port")
    vlan = ctl_json(agent, capsys, "flows", vms["b"].iface_id[:6])  # by unique prefix
    seen = {(f["bridge"], f["table"], f["reason"]) for f in vlan["flows"]}
    assert ("br-phys1", 0, "network") in seen and ("br-int", 0, "network") in seen
    assert not any(f["bridge"] == "br-tun" for f in vlan["flows"])
    rc, text = ctl(agent, capsys, "flows", a.iface_id)
    show(capsys, text)
    assert rc == 0 and "  table 25 MAC_SPOOF_TABLE" in text and "\nbr-tun\n" in text
    dead = ctl_json(agent, capsys, "flows", vms["dead"].iface_id)
    assert [(f["table"], f["reason"]) for f in dead["flows"]] == [(0, "port")]


def test_trace(world: tuple[LiveAgent, dict[str, SimVM]],
               capsys: pytest.CaptureFixture[str]) -> None:
    agent, vms = world
    arp = ctl_json(agent, capsys, "trace", vms["a"].iface_id, "--dst-ip", "198.19.1.2")
    assert "arp_tpa=198.19.1.2" in arp["flow"]
    path = [(s["bridge"], s["table"], s["table_name"]) for s in arp["steps"]]
    assert path[:3] == [("br-int", 0, "LOCAL_SWITCHING"), ("br-int", 24, "ARP_SPOOF_TABLE"),
                        ("br-int", 25, "MAC_SPOOF_TABLE")]
    assert ("br-int", 60, "TRANSIENT_TABLE") in path
    flood = [s for s in arp["steps"] if s["bridge"] == "br-tun" and s["table"] == 22]
    assert flood and "set_field:0x3e8->tun_id" in flood[0]["actions"], arp["steps"]
    assert "Datapath actions" in arp["summary"]
    icmp = ctl_json(agent, capsys, "trace", vms["b"].iface_id, "--dst-mac",
                    "fa:16:3e:99:99:99", "--dst-ip", "198.19.2.9")
    phys = [s for s in icmp["steps"] if s["bridge"] == "br-phys1"]
    assert phys and phys[0]["table_name"] == "LOCAL_SWITCHING"
    assert any("4197->vlan_vid" in action for action in phys[0]["actions"]), phys  # VID 101
    rc, text = ctl(agent, capsys, "trace", vms["a"].ifname, "--dst-ip", "198.19.1.2")
    show(capsys, text)
    assert rc == 0 and "ARP_SPOOF_TABLE" in text and "\nbr-tun\n" in text
    dead = ctl_json(agent, capsys, "trace", vms["dead"].iface_id)
    assert dead["steps"][0]["table"] == 0 and dead["steps"][0]["actions"] == ["drop"]
    assert dead["summary"]["Datapath actions"] == "drop"


def test_resync(world: tuple[LiveAgent, dict[str, SimVM]],
                capsys: pytest.CaptureFixture[str]) -> None:
    agent, _ = world
    before = agent.view.loop().iteration
    result = ctl_json(agent, capsys, "resync")
    assert result["done"] and result["iteration"] >= before
    assert result["last"]["updated"] == 3  # every VIF processed again
    assert agent.value("ovsagent_resyncs_total", cause="ctl") == 1
    rc, text = ctl(agent, capsys, "resync")
    show(capsys, text)
    assert rc == 0 and text.startswith("full resync done in iteration")


def test_resync_repairs_flows_changed_behind_the_agents_back(
        world: tuple[LiveAgent, dict[str, SimVM]], capsys: pytest.CaptureFixture[str]) -> None:
    agent, vms = world
    host, a = agent.host, vms["a"]
    ofport = host.ofport(a.ifname)

    def spoof_flows() -> str:
        return host.ofctl("dump-flows", "br-int", f"table=25,in_port={ofport}")

    assert a.mac in spoof_flows()
    host.ofctl("del-flows", "br-int", f"table=25,in_port={ofport}")
    host.ofctl("add-flow", "br-int", "table=25,priority=77,in_port=999,actions=drop")
    assert a.mac not in spoof_flows()
    assert ctl_json(agent, capsys, "resync")["done"]
    assert a.mac in spoof_flows()
    assert "in_port=999" not in host.ofctl("dump-flows", "br-int", "table=25")


def test_errors(world: tuple[LiveAgent, dict[str, SimVM]], tmp_path: Path,
                capsys: pytest.CaptureFixture[str]) -> None:
    agent, _ = world
    rc, text = ctl(agent, capsys, "flows", "no-such-port")
    assert rc == 1 and "no port 'no-such-port' on br-int" in text
    rc, text = ctl(agent, capsys, "trace", "a-", "--dst-mac", "nonsense")
    assert rc == 1 and "not a MAC address" in text
    rc = cli.main(["--socket", str(tmp_path / "nothing.sock"), "status"])
    assert rc == 1 and "cannot reach the agent" in capsys.readouterr().err


def test_module_entry_point_and_config_file(world: tuple[LiveAgent, dict[str, SimVM]],
                                            tmp_path: Path) -> None:
    agent, _ = world
    ini = tmp_path / "openvswitch_agent.ini"
    ini.write_text(f"[ovs]\nintegration_bridge = br-int\n[agent]\nctl_socket = {agent.ctl.path}\n")
    proc = subprocess.run([sys.executable, "-m", "ovsagent.ctl.cli", "--config-file", str(ini),
                           "--json", "status"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["tunnels"] == 1
    assert REMOTE_IP
