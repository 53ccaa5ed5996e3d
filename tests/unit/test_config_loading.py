"""Command line and config files: the reference's precedence rules."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from oslo_config import cfg

from ovsagent.config import startup


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


def load(*argv: str) -> cfg.ConfigOpts:
    return startup.load_config(list(argv), default_config_files=[], default_config_dirs=[])


def test_no_files_gives_defaults() -> None:
    conf = load()
    assert conf.ovs.integration_bridge == "br-int"
    assert conf.config_file == []


def test_later_config_file_wins(tmp_path: Path) -> None:
    a = write(tmp_path / "neutron.conf", """
        [DEFAULT]
        host = host-a
        [agent]
        polling_interval = 5
        report_interval = 10
        """)
    b = write(tmp_path / "openvswitch_agent.ini", """
        [agent]
        polling_interval = 7
        """)
    conf = load("--config-file", str(a), "--config-file", str(b))
    assert conf.agent.polling_interval == 7
    assert conf.agent.report_interval == 10.0
    assert conf.host == "host-a"


def test_config_dir_read_alphabetically(tmp_path: Path) -> None:
    d = tmp_path / "conf.d"
    write(d / "20-late.conf", "[agent]\npolling_interval = 20\n")
    write(d / "10-early.conf", "[agent]\npolling_interval = 10\nl2_population = True\n")
    write(d / "99-ignored.ini", "[agent]\npolling_interval = 99\n")  # not *.conf
    conf = load("--config-dir", str(d))
    assert conf.agent.polling_interval == 20
    assert conf.agent.l2_population is True


def test_file_and_dir_in_command_line_order(tmp_path: Path) -> None:
    f = write(tmp_path / "a.ini", "[agent]\npolling_interval = 3\n")
    d = tmp_path / "d"
    write(d / "x.conf", "[agent]\npolling_interval = 4\n")
    assert load("--config-file", str(f), "--config-dir", str(d)).agent.polling_interval == 4
    assert load("--config-dir", str(d), "--config-file", str(f)).agent.polling_interval == 3


def test_reference_command_line(tmp_path: Path) -> None:
    """The packaged reference unit's command line, unchanged."""
    dist = write(tmp_path / "usr/share/neutron/neutron-dist.conf", "[DEFAULT]\n")
    neutron = write(tmp_path / "etc/neutron/neutron.conf",
                    "[DEFAULT]\nhost = compute-1\ntransport_url = rabbit://u:p@198.18.0.1//\n")
    ini = write(tmp_path / "etc/neutron/plugins/ml2/openvswitch_agent.ini",
                "[ovs]\nbridge_mappings = physnet1:br-ex\n")
    common = tmp_path / "etc/neutron/conf.d/common"
    common.mkdir(parents=True)
    agent_d = tmp_path / "etc/neutron/conf.d/neutron-openvswitch-agent"
    write(agent_d / "override.conf", "[agent]\nl2_population = true\n")
    log = tmp_path / "openvswitch-agent.log"
    conf = load("--config-file", str(dist), "--config-file", str(neutron),
                "--config-file", str(ini), "--config-dir", str(common),
                "--config-dir", str(agent_d), "--log-file", str(log), "--debug")
    assert conf.host == "compute-1"
    assert conf.transport_url == "rabbit://u:p@198.18.0.1//"
    assert conf.ovs.bridge_mappings == ["physnet1:br-ex"]
    assert conf.agent.l2_population is True
    assert conf.log_file == str(log)
    assert conf.debug is True


def test_sections_are_case_insensitive(tmp_path: Path) -> None:
    f = write(tmp_path / "a.ini", """
        [OVS]
        integration_bridge = br-int2
        [AGENT]
        tunnel_types = vxlan, gre
        [SECURITYGROUP]
        firewall_driver = noop
        """)
    conf = load("--config-file", str(f))
    assert conf.ovs.integration_bridge == "br-int2"
    assert conf.agent.tunnel_types == ["vxlan", "gre"]
    assert conf.securitygroup.firewall_driver == "noop"


def test_unknown_options_and_sections_are_ignored(tmp_path: Path) -> None:
    f = write(tmp_path / "a.ini", """
        [agent]
        veth_mtu = 1500
        prevent_arp_spoofing = True
        [ovs]
        ovsdb_interface = native
        [oslo_concurrency]
        lock_path = /tmp/lock
        """)
    assert load("--config-file", str(f)).ovs.integration_bridge == "br-int"


def test_missing_config_file(tmp_path: Path) -> None:
    with pytest.raises(cfg.ConfigFilesNotFoundError):
        load("--config-file", str(tmp_path / "nope.ini"))


def test_missing_config_dir(tmp_path: Path) -> None:
    with pytest.raises(cfg.ConfigDirNotFoundError):
        load("--config-dir", str(tmp_path / "nope.d"))


def test_reference_default_locations() -> None:
    files, dirs = startup.default_config_locations()
    assert all("neutron" in f for f in files)
    assert all("neutron" in d for d in dirs)


def test_default_locations_used_without_config_file(tmp_path: Path) -> None:
    f = write(tmp_path / "neutron.conf", "[DEFAULT]\nhost = from-default\n")
    conf = startup.load_config([], default_config_files=[str(f)], default_config_dirs=[])
    assert conf.host == "from-default"
    other = write(tmp_path / "other.conf", "[DEFAULT]\nhost = from-cli\n")
    conf = startup.load_config(["--config-file", str(other)],
                               default_config_files=[str(f)], default_config_dirs=[])
    assert conf.host == "from-cli"


def test_mask_url() -> None:
    assert startup.mask_url("rabbit://guest:s3cret@198.18.0.1:5672/") == \
        "rabbit://guest:***@198.18.0.1:5672/"
    assert startup.mask_url("rabbit://a:x@198.18.0.1,b:y@198.18.0.2/") == \
        "rabbit://a:***@198.18.0.1,b:***@198.18.0.2/"
    assert startup.mask_url("fake:") == "fake:"
