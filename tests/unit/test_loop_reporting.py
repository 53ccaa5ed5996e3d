"""The loop hands reports to the background reporter and does not repeat itself."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ovsagent.agent.loop import RpcLoop
from ovsagent.agent.settings import AgentSettings
from ovsagent.agent.wiring import DeviceDetails, WiringResult
from ovsagent.pipeline.state import HostState, Segment, Topology

SEG = Segment("vxlan", None, 1001)


@dataclass
class CachedPort:
    status: str


class Cache:
    def __init__(self) -> None:
        self.status: dict[str, str] = {}

    def get_port(self, port_id: str) -> CachedPort | None:
        return CachedPort(self.status[port_id]) if port_id in self.status else None


class Server:
    def __init__(self, fail: set[str] | None = None) -> None:
        self.cache = Cache()
        self.calls: list[tuple[list[str], list[str], bool]] = []
        self.fail = fail or set()
        self.lock = threading.Lock()

    def get_device_details(self, port_ids: list[str], refresh: bool = False
                           ) -> Mapping[str, DeviceDetails | None]:
        return {}

    def update_device_list(self, up: list[str], down: list[str],
                           refresh_tunnels: bool) -> list[str]:
        with self.lock:
            self.calls.append((sorted(up), sorted(down), refresh_tunnels))
        return [p for p in up if p in self.fail]

    def reported(self) -> list[str]:
        with self.lock:
            return sorted(p for up, _, _ in self.calls for p in up)


def _loop(server: Server) -> RpcLoop:
    none: Any = None
    return RpcLoop(AgentSettings(host="h1"), none, none, server, HostState(), none, none,
                   Topology(cookie=1))


def _det(port_id: str, mac: str = "fa:16:3e:00:00:01") -> DeviceDetails:
    return DeviceDetails(port_id, "net", SEG, mac_address=mac)


def test_ports_are_reported_once_while_nothing_changes() -> None:
    server = Server()
    loop = _loop(server)
    details = {"a": _det("a"), "b": _det("b")}
    loop.up_reports.submit(WiringResult(up=["a", "b"]), details, refresh=True)
    assert loop.reporter.wait_idle(10)
    assert server.reported() == ["a", "b"] and server.calls[0][2] is True
    server.cache.status.update(a="ACTIVE", b="DOWN")  # the server's pushes
    loop.up_reports.submit(WiringResult(up=["a", "b"]), details, refresh=False)
    assert loop.reporter.wait_idle(10)
    assert server.reported() == ["a", "b", "b"]  # a is ACTIVE already: not again
    moved = {"a": _det("a", "fa:16:3e:00:00:02")}
    loop.up_reports.submit(WiringResult(up=["a"]), moved, refresh=False)
    assert loop.reporter.wait_idle(10)
    assert server.reported() == ["a", "a", "b", "b"]  # its details changed: reported
    loop.up_reports.submit(WiringResult(up=["a"]), moved, refresh=True)
    assert loop.reporter.wait_idle(10)
    assert server.reported().count("a") == 3  # a full resync reports everything
    loop.reporter.close()


def test_down_then_up_is_reported_again() -> None:
    server = Server()
    loop = _loop(server)
    loop.up_reports.submit(WiringResult(up=["a"]), {"a": _det("a")}, refresh=False)
    server.cache.status["a"] = "ACTIVE"
    loop.up_reports.submit(WiringResult(down=["a"]), {}, refresh=False)
    loop.up_reports.submit(WiringResult(up=["a"]), {"a": _det("a")}, refresh=False)
    assert loop.reporter.wait_idle(10)
    assert [c[:2] for c in server.calls][-1] == (["a"], [])
    loop.reporter.close()


def test_a_failed_report_comes_back_to_the_loop() -> None:
    server = Server(fail={"x"})
    loop = _loop(server)
    both = {"x": _det("x"), "y": _det("y")}
    loop.up_reports.submit(WiringResult(up=["x", "y"]), both, refresh=False)
    assert loop.reporter.wait_idle(10)
    assert loop._pending.report_failed == {"x"} and loop._report_ok == {"y"}
    assert loop.has_work()
    loop.reporter.close()


class GatedServer(Server):
    """Each update_device_list waits until ``release`` is set."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()

    def update_device_list(self, up: list[str], down: list[str],
                           refresh_tunnels: bool) -> list[str]:
        failed = super().update_device_list(up, down, refresh_tunnels)
        self.release.wait(10)
        return failed


def test_a_report_queued_or_in_flight_is_not_sent_twice() -> None:
    server = GatedServer()
    loop = _loop(server)
    loop.reporter.chunk, loop.reporter.concurrency = 1, 1
    details = {p: _det(p) for p in "abc"}
    loop.up_reports.submit(WiringResult(up=["a", "b", "c"]), details, refresh=False)
    # a is in flight, b and c are queued; the pass after (a late OVSDB event, say)
    # wires them again with the same details before the server pushed ACTIVE
    assert loop.up_reports.submit(WiringResult(up=["a", "b", "c"]), details, refresh=False) == set()
    server.release.set()
    assert loop.reporter.wait_idle(10)
    assert server.reported() == ["a", "b", "c"]
    loop.reporter.close()
