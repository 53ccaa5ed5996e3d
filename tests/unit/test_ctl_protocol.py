"""The ctl socket: JSON lines round trip, errors, socket permissions and takeover,
and the command line (socket lookup, arguments, human rendering)."""

from __future__ import annotations

import json
import socket
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ovsagent.ctl import cli, render
from ovsagent.ctl.protocol import CtlError, request
from ovsagent.ctl.server import CtlServer, UsageError

CALLS: list[tuple[str, dict[str, Any]]] = []


def handler(command: str, args: dict[str, Any]) -> Any:
    CALLS.append((command, args))
    if command == "boom":
        raise RuntimeError("bad luck")
    if command == "usage":
        raise UsageError("no such port")
    return {"command": command, "args": args}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[CtlServer]:
    srv = CtlServer(tmp_path / "run" / "ctl.sock", handler).start()
    try:
        yield srv
    finally:
        srv.stop()


def test_round_trip_and_permissions(server: CtlServer) -> None:
    assert request(server.path, "flows", {"port": "p1"}) == {"command": "flows",
                                                             "args": {"port": "p1"}}
    assert stat.S_IMODE(server.path.stat().st_mode) == 0o660


def test_errors_are_replies(server: CtlServer) -> None:
    with pytest.raises(CtlError, match="no such port"):
        request(server.path, "usage")
    with pytest.raises(CtlError, match="RuntimeError: bad luck"):
        request(server.path, "boom")
    with socket.socket(socket.AF_UNIX) as raw:  # not JSON: an error reply, no crash
        raw.connect(str(server.path))
        raw.sendall(b"hello\n")
        reply = json.loads(raw.makefile().readline())
    assert reply["ok"] is False and "JSON" in reply["error"]
    assert request(server.path, "status") == {"command": "status", "args": {}}


def test_stale_socket_replaced_live_one_kept(tmp_path: Path) -> None:
    path = tmp_path / "ctl.sock"
    stale = socket.socket(socket.AF_UNIX)
    stale.bind(str(path))
    stale.close()  # a file nobody listens on: what kill -9 leaves
    first = CtlServer(path, handler).start()
    try:
        with pytest.raises(CtlError, match="in use"):
            CtlServer(path, handler).start()
        assert request(path, "status")["command"] == "status"
    finally:
        first.stop()
    assert not path.exists()


def test_unreachable_agent(tmp_path: Path) -> None:
    with pytest.raises(CtlError, match="cannot reach the agent"):
        request(tmp_path / "none.sock", "status")


def test_socket_lookup_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ini = tmp_path / "agent.ini"
    ini.write_text("[agent]\nctl_socket = /run/x/from-config.sock\n[ovs]\nlocal_ip = 1.2.3.4\n")
    parse = cli.parser().parse_args
    monkeypatch.delenv("OVSAGENT_CTL_SOCKET", raising=False)
    assert cli.socket_path(parse(["status"])) == "/var/run/ovsagent/ovsagent.sock"
    monkeypatch.setenv("OVSAGENT_CTL_SOCKET", "/run/env.sock")
    assert cli.socket_path(parse(["status"])) == "/run/env.sock"
    assert cli.socket_path(parse(["--config-file", str(ini), "status"])) == \
        "/run/x/from-config.sock"
    assert cli.socket_path(parse(["--socket", "/s", "--config-file", str(ini), "status"])) == "/s"
    with pytest.raises(CtlError):
        cli.ctl_socket_from_config([str(tmp_path / "missing.ini")])


def test_request_arguments() -> None:
    parse = cli.parser().parse_args
    assert cli.request_args(parse(["trace", "p1", "--dst-ip", "198.19.0.2"])) == {
        "port": "p1", "dst_ip": "198.19.0.2"}
    assert cli.request_args(parse(["flows", "tap1"])) == {"port": "tap1"}
    assert cli.request_args(parse(["resync", "--no-wait"]))["wait"] is False
    with pytest.raises(SystemExit):
        parse(["flows"])  # PORT is required


def test_main_prints_json_or_text(server: CtlServer, capsys: pytest.CaptureFixture[str]) -> None:
    CALLS.clear()
    assert cli.main(["--socket", str(server.path), "--json", "ports"]) == 0
    assert json.loads(capsys.readouterr().out) == {"command": "ports", "args": {}}
    assert cli.main(["--socket", str(server.path), "--json", "trace", "p", "--dst-mac",
                     "fa:16:3e:00:00:01"]) == 0
    assert CALLS[-1] == ("trace", {"port": "p", "dst_mac": "fa:16:3e:00:00:01"})
    assert cli.main(["--socket", str(server.path) + ".none", "status"]) == 1
    assert "ovsagent-ctl: cannot reach the agent" in capsys.readouterr().err


PORT = {"port_id": "p1", "name": "tapp1", "ofport": 3, "mac": "fa:16:3e:00:00:01",
        "state": "wired", "network_id": "net1", "local_vlan": 1, "network_type": "vlan",
        "physical_network": "physnet1", "segmentation_id": 101}


def test_render_ports_and_flows() -> None:
    text = render.ports([PORT, {**PORT, "port_id": "p2", "state": "dead", "network_id": None,
                                "local_vlan": 4095, "network_type": None}])
    lines = text.splitlines()
    assert lines[0].split() == ["PORT", "NAME", "OFPORT", "MAC", "STATE", "NETWORK", "VLAN",
                                "SEGMENT"]
    assert lines[1].endswith("vlan physnet1/101")
    assert lines[2].split()[4] == "dead" and lines[2].endswith("-")
    flows = render.flows({"port": PORT, "flows": [
        {"bridge": "br-int", "table": 0, "table_name": "LOCAL_SWITCHING", "priority": 9,
         "reason": "port", "flow": "table=0,priority=9,in_port=3 actions=goto_table:25"}]})
    assert flows.splitlines() == [
        "port p1 (tapp1): ofport 3, fa:16:3e:00:00:01, wired, network net1 on local VLAN 1 "
        "(vlan physnet1/101)",
        "br-int", "  table 0 LOCAL_SWITCHING", "    [port] priority=9,in_port=3 "
        "actions=goto_table:25"]
