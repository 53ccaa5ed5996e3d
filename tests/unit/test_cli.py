"""``ovsagent`` command: exit codes and messages (no daemon needed)."""

from __future__ import annotations

import ipaddress
import logging
import sys
import textwrap
import types
from collections.abc import Iterator
from pathlib import Path

import pytest
from oslo_config import cfg

from ovsagent import __version__, cli
from ovsagent.config import hostaddr, startup

DAEMON = "ovsagent.agent.daemon"


@pytest.fixture(autouse=True)
def hermetic(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No /etc/neutron defaults; root logging restored after oslo.log set it up."""
    monkeypatch.setattr(startup, "default_config_locations", lambda: ([], []))
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    for handler in handlers:
        if handler not in root.handlers:
            root.addHandler(handler)
    root.setLevel(level)


@pytest.fixture
def no_daemon(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, DAEMON, None)  # import fails: ModuleNotFoundError


def write(tmp_path: Path, text: str, name: str = "agent.ini") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def error_lines(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("ovsagent: ")]


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--version"]) == 0
    assert capsys.readouterr().out == f"ovsagent {__version__}\n"


def test_argv_defaults_to_sys_argv(monkeypatch: pytest.MonkeyPatch,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "argv", ["ovsagent", "--version"])
    assert cli.main() == 0
    assert "ovsagent" in capsys.readouterr().out


def test_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    for flag in ("--config-file", "--config-dir", "--log-file", "--log-dir", "--debug",
                 "--use-syslog"):
        assert flag in out


def test_unknown_argument(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--no-such-flag"]) == 1
    assert "unrecognized arguments: --no-such-flag" in capsys.readouterr().err


def test_missing_config_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nope.ini"
    assert cli.main(["--config-file", str(missing)]) == 1
    err = capsys.readouterr().err
    assert error_lines(err) == [
        f"ovsagent: configuration error: Failed to find some config files: {missing}"]
    assert "Traceback" not in err


def test_missing_config_dir(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--config-dir", str(tmp_path / "nope.d")]) == 1
    assert len(error_lines(capsys.readouterr().err)) == 1


def test_unparsable_config_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "[agent]\nthis line has no equals sign\n")
    assert cli.main(["--config-file", str(path)]) == 1
    err = capsys.readouterr().err
    assert len(error_lines(err)) == 1 and str(path) in err
    assert "Traceback" not in err


def test_bad_value_names_the_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "[agent]\npolling_interval = often\n")
    assert cli.main(["--config-file", str(path)]) == 1
    err = capsys.readouterr().err
    assert error_lines(err) == [
        "ovsagent: configuration error: [agent] polling_interval = 'often': invalid literal "
        "for int() with base 10: 'often'"]
    assert "Traceback" not in err


def test_one_line_per_problem(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, """
        [ovs]
        of_interface = ryu
        bridge_mappings = physnet1:br-a, physnet1:br-b
        [agent]
        tunnel_types = vxlan, stt
        """)
    assert cli.main(["--config-file", str(path)]) == 1
    lines = error_lines(capsys.readouterr().err)
    assert len(lines) == 4
    assert [line.split(": ", 2)[2].split(" ")[:2] for line in lines] == [
        ["[ovs]", "of_interface"], ["[ovs]", "bridge_mappings"], ["[agent]", "tunnel_types"],
        ["[ovs]", "local_ip:"]]


def test_local_ip_not_on_this_host(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "[ovs]\nlocal_ip = 198.18.255.254\n[agent]\ntunnel_types = vxlan\n")
    assert cli.main(["--config-file", str(path)]) == 1
    assert error_lines(capsys.readouterr().err) == [
        "ovsagent: configuration error: [ovs] local_ip = '198.18.255.254': not configured on "
        "any interface of this host (needed for [agent] tunnel_types = vxlan)"]


@pytest.mark.usefixtures("no_daemon")
def test_valid_config_without_daemon(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(hostaddr, "host_addresses",
                        lambda: {ipaddress.ip_address("198.18.0.2")})
    log = tmp_path / "agent.log"
    neutron = write(tmp_path, """
        [DEFAULT]
        host = compute-1
        transport_url = rabbit://guest:s3cret@198.18.0.1:5672/
        """, "neutron.conf")
    ini = write(tmp_path, """
        [ovs]
        local_ip = 198.18.0.2
        bridge_mappings = physnet1:br-phys1
        [agent]
        tunnel_types = vxlan
        arp_responder = True
        extensions = qos
        """)
    rc = cli.main(["--config-file", str(neutron), "--config-file", str(ini),
                   "--log-file", str(log)])
    assert rc == 2
    assert error_lines(capsys.readouterr().err) == []
    text = log.read_text()
    assert "agent daemon not available yet" in text
    assert "[DEFAULT] host = compute-1" in text
    assert "[agent] tunnel_types = ['vxlan']" in text
    assert "rabbit://guest:***@198.18.0.1:5672/" in text and "s3cret" not in text
    assert "[agent] arp_responder = True has no effect without" in text
    assert text.count("[agent] extensions = ['qos'] is not supported by ovsagent") == 1


def test_runs_the_daemon(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[cfg.ConfigOpts] = []

    def run(conf: cfg.ConfigOpts) -> int:
        seen.append(conf)
        return 0

    daemon = types.ModuleType(DAEMON)
    daemon.run = run  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, DAEMON, daemon)
    path = write(tmp_path, "[DEFAULT]\nhost = compute-2\n[ovs]\nof_interface = ovs-ofctl\n")
    assert cli.main(["--config-file", str(path), "--log-file", str(tmp_path / "log")]) == 0
    assert [c.host for c in seen] == ["compute-2"]
    assert seen[0].ovs.of_interface == "ovs-ofctl"


def test_daemon_exit_status_passed_through(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    daemon = types.ModuleType(DAEMON)
    daemon.run = lambda conf: 3  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, DAEMON, daemon)
    assert cli.main(["--log-file", str(tmp_path / "log")]) == 3


def test_daemon_without_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, DAEMON, types.ModuleType(DAEMON))
    log = tmp_path / "log"
    assert cli.main(["--log-file", str(log)]) == 2
    assert "agent daemon not available:" in log.read_text()
