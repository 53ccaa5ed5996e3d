"""The systemd unit and the changelog that ship with ovsagent."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ovsagent.config.agent_opts import AGENT_OPTS, DEFAULT_CTL_SOCKET

ROOT = Path(__file__).resolve().parents[2]
UNIT = ROOT / "etc" / "systemd" / "ovsagent.service"


def _unit() -> dict[str, list[str]]:
    values: dict[str, list[str]] = {}
    text = UNIT.read_text().replace("\\\n", " ")
    for line in text.splitlines():
        if "=" in line and not line.lstrip().startswith(("#", "[")):
            key, _, value = line.partition("=")
            values.setdefault(key.strip(), []).append(" ".join(value.split()))
    return values


def test_unit_runs_ovsagent_with_the_reference_files() -> None:
    unit = _unit()
    argv = unit["ExecStart"][0].split()
    assert argv[0].endswith("/ovsagent")
    assert argv[1:] == ["--config-file", "/etc/neutron/neutron.conf",
                        "--config-file", "/etc/neutron/plugins/ml2/openvswitch_agent.ini",
                        "--log-file", "/var/log/neutron/openvswitch-agent.log"]
    assert unit["Conflicts"] == ["neutron-openvswitch-agent.service"]  # one agent per host
    assert unit["ExecReload"] == ["/bin/kill -HUP $MAINPID"]
    assert unit["WantedBy"] == ["multi-user.target"]


def test_unit_fits_the_agent_defaults() -> None:
    unit = _unit()
    # the default ctl socket lives in the unit's runtime directory (/var/run -> /run)
    assert Path(DEFAULT_CTL_SOCKET).parent.name == unit["RuntimeDirectory"][0]
    quitting = next(o.default for o in AGENT_OPTS if o.dest == "quitting_rpc_timeout")
    assert int(unit["TimeoutStopSec"][0]) > quitting + 10  # room for a clean SIGTERM exit
    assert "Requires" not in unit  # an OVS restart must not stop the agent


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze")
def test_unit_verifies(tmp_path: Path) -> None:
    local = tmp_path / "ovsagent.service"
    binary = str(Path(sys.executable).with_name("ovsagent"))
    local.write_text(UNIT.read_text().replace("/usr/bin/ovsagent", binary))
    proc = subprocess.run(["systemd-analyze", "verify", str(local)], capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 0 and "ovsagent.service" not in proc.stderr, proc.stderr


def test_changelog_mentions_the_operator_tools() -> None:
    text = (ROOT / "CHANGELOG.md").read_text()
    for item in ("ovsagent-ctl", "metrics_listen", "ovsagent.service", "configuration.md"):
        assert item in text
