"""The background device reporter: chunks, calls in flight, per-port order, failures."""

from __future__ import annotations

import threading

from ovsagent.agent.reporting import DeviceReporter


class Server:
    """Records calls; each call blocks until released when ``gate`` is set."""

    def __init__(self, fail: set[str] | None = None, gate: bool = False) -> None:
        self.calls: list[tuple[list[str], list[str], bool]] = []
        self.fail = fail or set()
        self.lock = threading.Lock()
        self.release = threading.Event()
        if not gate:
            self.release.set()
        self.in_flight = 0
        self.max_in_flight = 0
        self.arrived = threading.Semaphore(0)

    def send(self, up: list[str], down: list[str], refresh: bool) -> list[str]:
        with self.lock:
            self.calls.append((list(up), list(down), refresh))
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        self.arrived.release()
        self.release.wait(10)
        with self.lock:
            self.in_flight -= 1
        if "boom" in up:
            raise RuntimeError("broker went away")
        return [p for p in up + down if p in self.fail]


def test_chunks_are_sent_concurrently_and_everything_is_reported() -> None:
    server = Server(gate=True)
    results: list[tuple[set[str], set[str]]] = []
    rep = DeviceReporter(server.send, lambda ok, bad: results.append((ok, bad)), chunk=2,
                         concurrency=3)
    ports = [f"p{i}" for i in range(7)]
    rep.submit(ports, [], True)
    for _ in range(3):
        assert server.arrived.acquire(timeout=10)  # three calls in flight at once
    assert rep.busy() and server.max_in_flight == 3
    server.release.set()
    assert rep.wait_idle(10)
    assert sorted(p for up, _, _ in server.calls for p in up) == sorted(ports)
    assert all(len(up) <= 2 and refresh for up, _, refresh in server.calls)
    assert set().union(*(ok for ok, _ in results)) == set(ports)
    assert not rep.busy()
    rep.close()


def test_latest_wish_wins_and_a_port_is_never_in_two_calls() -> None:
    server = Server(gate=True)
    rep = DeviceReporter(server.send, chunk=10, concurrency=2)
    rep.submit(["a", "b"], [], False)
    assert server.arrived.acquire(timeout=10)  # a, b in flight
    rep.submit([], ["a"], False)  # a goes down while its up report is in flight
    rep.submit(["c"], ["c"], False)  # queued up then down: only down is sent
    assert server.arrived.acquire(timeout=10)  # the second worker takes c, not a
    assert server.calls[1] == ([], ["c"], False)
    server.release.set()
    assert rep.wait_idle(10)
    assert server.calls[0] == (["a", "b"], [], False)
    assert server.calls[2] == ([], ["a"], False)  # after its up report came back
    rep.close()


def test_failures_come_back() -> None:
    server = Server(fail={"x"})
    results: list[tuple[set[str], set[str]]] = []
    rep = DeviceReporter(server.send, lambda ok, bad: results.append((ok, bad)), chunk=2,
                         concurrency=1)
    rep.submit(["x", "y"], [], False)
    rep.submit(["boom", "z"], [], False)
    assert rep.wait_idle(10)
    assert results == [({"y"}, {"x"}), (set(), {"boom", "z"})]
    rep.close()


def test_close_stops_the_workers() -> None:
    server = Server()
    rep = DeviceReporter(server.send, concurrency=2)
    rep.submit(["a"], [], False)
    assert rep.wait_idle(10)
    assert rep.close(timeout=1)
    rep.submit(["b"], [], False)  # after close: dropped, nothing started
    assert server.calls == [(["a"], [], False)]
