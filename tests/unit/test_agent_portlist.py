"""The saved port list: atomic file, read back only for the same bridge, written
when the set of ports changed; the late-bound RPC callbacks of the start."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import pytest
from loop_fakes import FakeServer, FakeTunnels, FakeWiring

from ovsagent.agent import portlist
from ovsagent.agent.callbacks import AgentRpcCallbacks, LateCallbacks
from ovsagent.agent.loop import RpcLoop
from ovsagent.agent.settings import AgentSettings
from ovsagent.agent.wiring import Vif
from ovsagent.pipeline.state import HostState, Topology
from ovsagent.rpc.cache import CacheEvent, ChangeKind, Source


def test_save_then_load(tmp_path: Path) -> None:
    path = portlist.port_list_path(str(tmp_path / "new-dir"), "h1")
    assert path.endswith("ovsagent-ports-h1.json")
    assert portlist.load(path, "br-int") is None  # no file yet
    portlist.save(path, "br-int", {"p2", "p1"})  # creates the directory
    assert portlist.load(path, "br-int") == ["p1", "p2"]
    assert os.listdir(tmp_path / "new-dir") == ["ovsagent-ports-h1.json"]  # no temp left


@pytest.mark.parametrize("content", ["{not json", "[]", '{"version": 1, "bridge": "br-int"}',
                                     '{"version": 2, "bridge": "br-int", "ports": []}'])
def test_unreadable_or_foreign_file_reads_as_no_list(tmp_path: Path, content: str) -> None:
    path = tmp_path / "ports.json"
    path.write_text(content)
    assert portlist.load(str(path), "br-int") is None


def test_list_of_another_bridge_is_ignored(tmp_path: Path) -> None:
    path = str(tmp_path / "ports.json")
    portlist.save(path, "br-int", ["p1"])
    assert portlist.load(path, "br-other") is None


def test_a_failed_write_keeps_the_old_file(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    path = str(tmp_path / "ports.json")
    portlist.save(path, "br-int", ["p1"])

    def broken(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken)
    with pytest.raises(OSError):
        portlist.save(path, "br-int", ["p1", "p2"])
    assert portlist.load(path, "br-int") == ["p1"]
    assert sorted(os.listdir(tmp_path)) == ["ports.json"]


def test_writer_writes_only_changes_and_warns_once(tmp_path: Path,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    path = str(tmp_path / "ports.json")
    writer = portlist.PortListWriter(path, "br-int", initial=["p1"])
    assert not writer.update({"p1"})  # what the previous process saved: no write
    assert not os.path.exists(path)
    assert writer.update({"p1", "p2"})
    assert not writer.update(["p2", "p1"])
    assert portlist.load(path, "br-int") == ["p1", "p2"]
    bad = portlist.PortListWriter(str(tmp_path / "ports.json" / "x"), "br-int")
    caplog.set_level(logging.WARNING)
    assert not bad.update({"p1"}) and not bad.update({"p1", "p2"})
    assert caplog.text.count("cannot save the port list") == 1








def test_the_loop_saves_the_ports_it_saw(tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    none: Any = None
    loop = RpcLoop(AgentSettings(host="h1"), none, none, FakeServer(), HostState(), FakeWiring(),
                   FakeTunnels(), Topology(cookie=1))  # type: ignore[arg-type]
    path = str(tmp_path / "ports.json")
    loop.port_list = portlist.PortListWriter(path, "br-int")
    vifs = {"p1": Vif("p1", "tap1", 1, "fa:16:3e:00:00:01"),
            "p2": Vif("p2", "tap2", 2, "fa:16:3e:00:00:02")}
    monkeypatch.setattr(loop.vif_reader, "read", lambda client: dict(vifs))
    monkeypatch.setattr(loop, "sync_flows", lambda computed=None: {})
    monkeypatch.setattr(loop, "publish", lambda: None)
    try:
        loop.run_once()
        assert portlist.load(path, "br-int") == ["p1", "p2"]
        del vifs["p1"]
        loop.port_removed("p1")
        loop.run_once()
        assert portlist.load(path, "br-int") == ["p2"]
    finally:
        loop.reporter.close()


class _Core:
    def __init__(self) -> None:
        self.updated: list[str] = []
        self.state = HostState()

    def on_port_update(self, port_id: str) -> None:
        self.updated.append(port_id)


def test_late_callbacks_drop_until_attached() -> None:
    late = LateCallbacks()
    event = CacheEvent("Port", ChangeKind.UPDATED, "p1", None, None, Source.PUSH)
    late.resource_changed(event)  # no core yet: dropped (the first pass reads the cache)
    late.fdb_add(())
    core = _Core()
    late.attach(AgentRpcCallbacks(core))  # type: ignore[arg-type]
    late.resource_changed(event)
    assert core.updated == ["p1"]

