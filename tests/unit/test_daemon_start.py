"""The daemon's start: the RPC side next to the OVSDB sync, and what a failure
of either leaves behind."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ovsagent.agent import daemon, portlist
from ovsagent.config import startup


class _Client:
    closed = False

    def close(self) -> None:
        self.closed = True


class _Rpc:
    stopped = False

    def stop(self) -> None:
        self.stopped = True


def _daemon(tmp_path: Path) -> daemon.Daemon:
    conf = startup.load_config([], default_config_files=[], default_config_dirs=[])
    conf.set_override("state_path", str(tmp_path))
    conf.set_override("host", "h1")
    return daemon.Daemon(conf)


def test_the_saved_ports_are_pulled_at_start(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    portlist.save(portlist.port_list_path(str(tmp_path), "h1"), "br-int", ["p1", "p2"])
    asked: list[list[str]] = []
    rpc, client = _Rpc(), _Client()

    def start_rpc(conf: Any, settings: Any, metrics: Any, prefetch: list[str]) -> _Rpc:
        asked.append(prefetch)
        return rpc

    monkeypatch.setattr(daemon, "start_rpc", start_rpc)
    monkeypatch.setattr(daemon, "connect_ovsdb", lambda s, stop: client)
    d = _daemon(tmp_path)
    monkeypatch.setattr(d, "_run", lambda *args: 7)
    assert d.run() == 7
    assert asked == [["p1", "p2"]]
    assert rpc.stopped and client.closed


def test_a_failed_rpc_start_closes_the_ovsdb_client(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    client = _Client()

    def start_rpc(*args: Any) -> None:
        raise ValueError("bad transport_url")

    monkeypatch.setattr(daemon, "start_rpc", start_rpc)
    monkeypatch.setattr(daemon, "connect_ovsdb", lambda s, stop: client)
    with pytest.raises(ValueError):
        _daemon(tmp_path).run()
    assert client.closed


def test_no_ovsdb_stops_the_rpc_side(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rpc = _Rpc()
    monkeypatch.setattr(daemon, "start_rpc", lambda *args: rpc)
    monkeypatch.setattr(daemon, "connect_ovsdb", lambda s, stop: None)  # stopped meanwhile
    assert _daemon(tmp_path).run() == 0
    assert rpc.stopped
