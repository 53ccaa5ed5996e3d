"""Options the core does not implement: accepted, logged once when set."""

from __future__ import annotations

import logging
import textwrap
from pathlib import Path

import pytest
from oslo_config import cfg

from ovsagent.config import startup
from ovsagent.config.support import find_unsupported, log_unsupported


def load(tmp_path: Path, text: str) -> cfg.ConfigOpts:
    path = tmp_path / "agent.ini"
    path.write_text(textwrap.dedent(text))
    return startup.load_config(["--config-file", str(path)],
                               default_config_files=[], default_config_dirs=[])


def names(conf: cfg.ConfigOpts) -> list[tuple[str, str]]:
    return [(u.group, u.name) for u in find_unsupported(conf)]


def test_defaults_have_nothing_unsupported(tmp_path: Path) -> None:
    assert find_unsupported(load(tmp_path, "")) == []


def test_supported_options_set_are_not_reported(tmp_path: Path) -> None:
    conf = load(tmp_path, """
        [DEFAULT]
        host = compute-1
        state_path = /srv/neutron
        [ovs]
        of_interface = ovs-ofctl
        bridge_mappings = physnet1:br-ex
        trunk_enabled = False
        [agent]
        polling_interval = 5
        root_helper = sudo neutron-rootwrap /etc/neutron/rootwrap.conf
        [securitygroup]
        firewall_driver = noop
        enable_security_group = False
        """)
    assert find_unsupported(conf) == []


def test_unsupported_set_to_its_default_is_not_reported(tmp_path: Path) -> None:
    conf = load(tmp_path, "[agent]\nminimize_polling = True\nextensions =\n")
    assert find_unsupported(conf) == []


def test_unsupported_options_reported(tmp_path: Path) -> None:
    conf = load(tmp_path, """
        [ovs]
        qos_meter_bandwidth = True
        use_veth_interconnection = True
        [agent]
        extensions = qos, fdb
        enable_distributed_routing = True
        minimize_polling = False
        [securitygroup]
        enable_ipset = False
        [ml2]
        tunnelled_network_rp_name = rp_x
        """)
    assert names(conf) == [
        ("securitygroup", "enable_ipset"), ("ml2", "tunnelled_network_rp_name"),
        ("agent", "minimize_polling"), ("agent", "enable_distributed_routing"),
        ("agent", "extensions"), ("ovs", "use_veth_interconnection"),
        ("ovs", "qos_meter_bandwidth")]
    text = [str(u) for u in find_unsupported(conf)]
    assert "[agent] extensions = ['qos', 'fdb'] is not supported by ovsagent: no L2 agent " \
           "extension is implemented; ignored" in text
    assert "[securitygroup] enable_ipset = False is not supported by ovsagent; ignored" in text


@pytest.mark.parametrize(("driver", "reported"), [
    ("noop", False), ("neutron.agent.firewall.NoopFirewallDriver", False),
    ("openvswitch", True), ("iptables_hybrid", True), ("iptables", True)])
def test_firewall_driver(tmp_path: Path, driver: str, reported: bool) -> None:
    conf = load(tmp_path, f"[securitygroup]\nfirewall_driver = {driver}\n")
    assert names(conf) == ([("securitygroup", "firewall_driver")] if reported else [])


def test_logged_once(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    conf = load(tmp_path, "[agent]\nextensions = qos\n[securitygroup]\n"
                          "firewall_driver = openvswitch\n")
    log = logging.getLogger("test.unsupported")
    seen: set[tuple[str, str, str]] = set()
    with caplog.at_level(logging.WARNING, logger="test.unsupported"):
        assert len(log_unsupported(conf, log, seen)) == 2
        log_unsupported(conf, log, seen)  # e.g. a SIGHUP reload: no repeat
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [
        "[securitygroup] firewall_driver = 'openvswitch' is not supported by ovsagent: only "
        "the noop firewall is implemented: ports get no security group filtering; ignored",
        "[agent] extensions = ['qos'] is not supported by ovsagent: no L2 agent extension "
        "is implemented; ignored"]
