"""The lab gives each ovsagent its own ctl socket and metrics endpoint (additively)."""

from __future__ import annotations

from pathlib import Path

from oslo_config import cfg

from ovsagent.config.agent_opts import OPS_OPTS
from ovsagent.lab import confgen
from ovsagent.lab.hosts import METRICS_LISTEN, ovsagent_options
from ovsagent.lab.state import LabPaths


def test_options_added_to_the_agent_section(tmp_path: Path) -> None:
    a = confgen.AgentSettings(host="h1", local_ip="198.18.0.1", transport_url="rabbit://x",
                              state_path=tmp_path)
    base = confgen.openvswitch_agent_ini(a)
    options = ovsagent_options(LabPaths(tmp_path), "h1")
    text = confgen.add_agent_options(base, options)
    assert text.count("[agent]") == 1
    assert set(base.splitlines()) <= set(text.splitlines())  # additive only
    ini = tmp_path / "openvswitch_agent.ini"
    ini.write_text(text)
    conf = cfg.ConfigOpts()
    conf.register_opts(OPS_OPTS, group="agent")
    conf(["--config-file", str(ini)], project="t", default_config_files=[],
         default_config_dirs=[])
    assert conf.agent.ctl_socket == str(tmp_path / "run" / "ovsagent-h1.sock")
    assert conf.agent.metrics_listen == METRICS_LISTEN


def test_agent_section_created_when_missing() -> None:
    assert confgen.add_agent_options("[ovs]\nx = 1\n", {"ctl_socket": "/s"}) == \
        "[ovs]\nx = 1\n\n[agent]\nctl_socket = /s\n"
