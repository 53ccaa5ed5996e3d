"""Report ports up/down to the server in the background, several calls in flight.

neutron-server marks ports up one at a time (~150 ms each with one RPC
worker on the lab machine), so a pass that wired 500 ports would block the
loop for over a minute if it waited for ``update_device_list``. The loop
hands each pass's result to a :class:`DeviceReporter` instead and goes on
(new ports are wired meanwhile); a few worker threads send chunks of
``chunk`` ports, ``concurrency`` calls at a time, which lets the server work
on several while one waits on its database.

Order is kept per port: the latest wish for a port wins (a port reported up
and then down before the first report was sent is only reported down), and
a port is never in two calls at once, so the server sees each port's
reports in the order the loop made them. Ports the server failed (or a call
that failed) come back through ``on_done`` to be retried by the loop.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ovsagent.agent.wiring import DeviceDetails, WiringResult

LOG = logging.getLogger(__name__)

#: (up, down, refresh_tunnels) -> ids the server failed
Send = Callable[[list[str], list[str], bool], list[str]]
#: (ports reported, ports failed), called on a worker thread
Done = Callable[[set[str], set[str]], None]

DEFAULT_CHUNK = 20  # the reference's rpc_resources_processing_step
DEFAULT_CONCURRENCY = 4


class DeviceReporter:
    def __init__(self, send: Send, on_done: Done | None = None, *,
                 chunk: int = DEFAULT_CHUNK, concurrency: int = DEFAULT_CONCURRENCY) -> None:
        self._send = send
        self._on_done = on_done
        self.chunk = max(1, chunk)
        self.concurrency = max(1, concurrency)
        self._cond = threading.Condition()
        self._want: dict[str, tuple[bool, bool]] = {}  # port -> (up, refresh_tunnels)
        self._inflight: set[str] = set()
        self._workers: list[threading.Thread] = []
        self._closed = False
        self.sent_calls = 0

    # ----------------------------------------------------------------- input
    def submit(self, up: Iterable[str], down: Iterable[str], refresh_tunnels: bool) -> None:
        """Queue ports to report; returns at once."""
        with self._cond:
            for port in up:
                self._want.pop(port, None)  # re-queue at the end, in wiring order
                self._want[port] = (True, refresh_tunnels)
            for port in down:
                self._want.pop(port, None)
                self._want[port] = (False, refresh_tunnels)
            if not self._want or self._closed:
                return
            self._start_workers()
            self._cond.notify_all()

    def busy(self) -> bool:
        """Anything queued or in flight."""
        with self._cond:
            return bool(self._want or self._inflight)

    def pending(self) -> set[str]:
        with self._cond:
            return set(self._want) | self._inflight

    def wait_idle(self, timeout: float | None = None) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: not (self._want or self._inflight), timeout)

    def close(self, timeout: float = 0.0) -> bool:
        """Stop the workers after what is in flight (and, within ``timeout``, what is
        queued); returns whether nothing was left unsent."""
        with self._cond:
            if timeout > 0:
                self._cond.wait_for(lambda: not (self._want or self._inflight), timeout)
            self._closed = True
            left = bool(self._want)
            self._cond.notify_all()
        return not left

    # --------------------------------------------------------------- workers
    def _start_workers(self) -> None:
        """Start workers up to ``concurrency`` (caller holds the lock)."""
        self._workers = [w for w in self._workers if w.is_alive()]
        while len(self._workers) < self.concurrency:
            w = threading.Thread(target=self._work, name=f"report-{len(self._workers)}",
                                 daemon=True)
            self._workers.append(w)
            w.start()

    def _take(self) -> tuple[list[str], list[str], bool] | None:
        """The next chunk of ports not in flight (caller holds the lock)."""
        up: list[str] = []
        down: list[str] = []
        refresh = False
        for port, (is_up, ref) in list(self._want.items()):
            if port in self._inflight:
                continue
            (up if is_up else down).append(port)
            refresh |= ref
            del self._want[port]
            self._inflight.add(port)
            if len(up) + len(down) >= self.chunk:
                break
        return (up, down, refresh) if up or down else None

    def _work(self) -> None:
        while True:
            with self._cond:
                batch = self._take()
                while batch is None:
                    if self._closed:
                        return
                    self._cond.wait()
                    batch = self._take()
            up, down, refresh = batch
            ports = {*up, *down}
            try:
                failed = set(self._send(up, down, refresh)) & ports
            except Exception:
                LOG.exception("update_device_list for %d up / %d down failed",
                              len(up), len(down))
                failed = ports
            if self._on_done is not None:  # before the ports leave "in flight": no
                try:                        # moment where busy() is false yet a
                    self._on_done(ports - failed, failed)  # failure is not handed back
                except Exception:
                    LOG.exception("device report callback failed")
            with self._cond:
                self._inflight -= ports
                self.sent_calls += 1
                self._cond.notify_all()


class UpReportFilter:
    """Which of a pass's ports go to the reporter. A port re-processed with
    nothing new it is wired from (typically after the server's own status push
    that follows our report, or an OVSDB event the pass before already saw) is
    not reported up again while the same report is queued or in flight, or the
    server has it ACTIVE: the reference re-reports it, doubling the server's
    work (with one RPC worker, all ports ACTIVE ~1.7x later)."""

    def __init__(self, reporter: DeviceReporter, is_active: Callable[[str], bool]) -> None:
        self.reporter = reporter
        self.is_active = is_active
        self._reported_up: dict[str, DeviceDetails] = {}  # port -> details it went up with

    def forget(self, port_ids: Iterable[str]) -> None:
        """These ports' reports failed: the next one goes out whatever it says."""
        for port_id in port_ids:
            self._reported_up.pop(port_id, None)

    def submit(self, result: WiringResult, details: Mapping[str, DeviceDetails | None],
               refresh: bool) -> set[str]:
        """Hand the pass's ports to the reporter; returns those handed over."""
        up = []
        on_the_way = self.reporter.pending() if result.up and not refresh else set()
        for port_id in result.up:
            det = details.get(port_id)
            if not refresh and det is not None and self._reported_up.get(port_id) == det \
                    and (port_id in on_the_way or self.is_active(port_id)):
                continue
            up.append(port_id)
            if det is not None:
                self._reported_up[port_id] = det
        self.forget((*result.down, *result.failed, *result.skipped))
        if up or result.down:
            self.reporter.submit(up, result.down, refresh)
        return {*up, *result.down}


def server_has_active(server: object) -> Callable[[str], bool]:
    """Whether the server has a port ACTIVE, as its last push said, when
    ``server`` keeps a push cache (``RpcServerApi.cache``); unknown: not ACTIVE."""
    def is_active(port_id: str) -> bool:
        get_port = getattr(getattr(server, "cache", None), "get_port", None)
        port = get_port(port_id) if get_port is not None else None
        return getattr(port, "status", None) == "ACTIVE"

    return is_active
