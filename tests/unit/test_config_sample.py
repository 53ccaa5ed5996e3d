"""etc/ovsagent/openvswitch_agent.ini.sample is generated from list_opts and must not drift."""

from __future__ import annotations

import os
from pathlib import Path

from ovsagent.config import sample

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "etc" / "ovsagent" / "openvswitch_agent.ini.sample"
GENERATOR_CONF = ROOT / "etc" / "oslo-config-generator" / "ovsagent.conf"


def test_sample_is_current() -> None:
    assert SAMPLE.read_text() == sample.render(GENERATOR_CONF), (
        "etc/ovsagent/openvswitch_agent.ini.sample is stale: run "
        "`python -m ovsagent.config.sample`")


def test_sample_documents_reference_sections() -> None:
    text = SAMPLE.read_text()
    for line in ("[DEFAULT]", "[agent]", "[ovs]", "[securitygroup]", "#host = example.domain",
                 "#integration_bridge = br-int", "#of_interface = native",
                 "#tunnel_types =", "#report_interval = 30"):
        assert f"\n{line}\n" in f"\n{text}"


def test_generator_conf_points_at_the_sample() -> None:
    text = GENERATOR_CONF.read_text()
    assert "namespace = ovsagent" in text
    assert os.fspath(SAMPLE.relative_to(ROOT)) in text
