"""The interface event stream's state machine (no OVSDB needed)."""

from __future__ import annotations

from typing import Any

from ovsagent.ovs.ovsdb import EventKind, InterfaceEvent, InterfaceInfo, InterfaceMonitor
from ovsagent.ovs.ovsdb.events import changed_fields


def info(name: str, uuid: str, ofport: int | None = None, **ids: str) -> InterfaceInfo:
    return InterfaceInfo(name, uuid, ofport=ofport, external_ids=ids)


def monitor(initial: bool = True) -> tuple[InterfaceMonitor, list[InterfaceEvent]]:
    seen: list[InterfaceEvent] = []
    client: Any = None  # only start()/stop() use the client
    return InterfaceMonitor(client, seen.append, initial=initial), seen


def kinds(events: list[InterfaceEvent]) -> list[tuple[str, str]]:
    return [(e.kind.value, e.name) for e in events]


def test_snapshot_reports_existing_interfaces_as_added() -> None:
    mon, seen = monitor()
    mon._handle("_snapshot", [info("a", "1", 1), info("b", "2", 2)])
    assert kinds(seen) == [("add", "a"), ("add", "b")]
    assert all(e.received_at > 0 for e in seen)


def test_snapshot_without_initial_only_seeds() -> None:
    mon, seen = monitor(initial=False)
    mon._handle("_snapshot", [info("a", "1", 1)])
    assert seen == []
    mon._handle("delete", info("a", "1", 1))  # known, so its delete is reported
    assert kinds(seen) == [("delete", "a")]


def test_add_update_delete() -> None:
    mon, seen = monitor()
    mon._handle("create", info("a", "1"))
    mon._handle("update", info("a", "1", 5))
    mon._handle("update", info("a", "1", 5))  # nothing watched changed
    mon._handle("update", info("a", "1", 5, **{"iface-id": "p"}))
    mon._handle("delete", info("a", "1", 5, **{"iface-id": "p"}))
    mon._handle("delete", info("zz", "9"))  # never known
    assert kinds(seen) == [("add", "a"), ("update", "a"), ("update", "a"), ("delete", "a")]
    assert seen[1].changed == {"ofport"} and seen[1].old == info("a", "1")
    assert seen[1].ofport == 5
    assert seen[2].changed == {"external_ids"} and seen[2].iface_id == "p"
    assert seen[3].old is not None and seen[3].old.ofport == 5


def test_redump_after_reconnect_reports_only_differences() -> None:
    mon, seen = monitor(initial=False)
    mon._handle("_snapshot", [info("keep", "1", 1), info("gone", "2", 2),
                              info("moved", "3", 3)])
    mon._handle("_down", None)
    # The IDL re-dumps the whole table as creates, then reports "up".
    mon._handle("create", info("keep", "1", 1))
    mon._handle("create", info("moved", "3", 30))
    mon._handle("create", info("gone", "4", 4))  # same name, new row
    assert seen == []  # buffered until the re-dump is complete
    mon._handle("_up", frozenset({"1", "3", "4"}))
    assert kinds(seen) == [("delete", "gone"), ("update", "moved"), ("add", "gone")]
    assert seen[1].changed == {"ofport"}


def test_callback_errors_do_not_stop_the_stream() -> None:
    calls: list[str] = []

    def callback(event: InterfaceEvent) -> None:
        calls.append(event.name)
        raise RuntimeError("boom")

    client: Any = None
    mon = InterfaceMonitor(client, callback)
    mon._handle("create", info("a", "1"))
    mon._handle("create", info("b", "2"))
    assert calls == ["a", "b"]


def test_queue_mode() -> None:
    client: Any = None
    mon = InterfaceMonitor(client)
    mon._handle("create", info("a", "1"))
    event = mon.get(timeout=1)
    assert event is not None and event.kind == EventKind.ADD and event.name == "a"
    assert mon.get(timeout=0.01) is None


def test_changed_fields() -> None:
    old = InterfaceInfo("a", "1", type="internal", ofport=1, mac_in_use="m")
    new = InterfaceInfo("a", "1", type="", ofport=2, mac_in_use="m")
    assert changed_fields(old, new) == {"type", "ofport"}
