"""The state-report heartbeat: its own thread, never blocked by the loop.

Every ``report_interval`` seconds it sends the state dict; a ``revived``
reply (the server had marked us dead) asks the loop for a full resync. Each
call is bounded by the RPC layer's timeout and retry settings, so a broker
outage costs missed beats, never a frozen agent.

A report the server skips as stale (sent before the server started: it sat
in the queue while neutron-rpc was down) is sent again at once with a fresh
time and the same start flag. The reference waits a whole interval, so after
a server outage of about ``agent_down_time`` its agents briefly show dead.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Protocol

from ovsagent.rpc.state import AgentState

LOG = logging.getLogger(__name__)


class Reporter(Protocol):
    def report_state(self, agent_state: dict[str, object]) -> str | None: ...


class Heartbeat:
    def __init__(self, reporter: Reporter, state: AgentState, interval: float,
                 devices: Callable[[], int], synced: Callable[[], bool],
                 on_revived: Callable[[], None],
                 ovs_dead: Callable[[], bool] = lambda: False) -> None:
        self.reporter = reporter
        self.state = state
        self.interval = interval
        self.devices = devices
        self.synced = synced
        self.on_revived = on_revived
        self.ovs_dead = ovs_dead
        self._kick = threading.Event()
        self.last_success: float | None = None
        self.failures = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def beat(self) -> str | None:
        """Send one report; returns the server's status or None on failure.

        Skipped while OVS is dead, so operators see the agent go down (as the
        reference does)."""
        if self.ovs_dead():
            LOG.warning("Open vSwitch is dead: not reporting state")
            return None
        try:
            status = self.reporter.report_state(self.state.build(devices=self.devices()))
            if status is None:
                LOG.info("The server skipped a stale state report (it started after the "
                         "report was sent): reporting again now")
                status = self.reporter.report_state(self.state.build(devices=self.devices()))
        except Exception as exc:
            self.failures += 1
            LOG.warning("Failed reporting state (%d in a row): %s", self.failures, exc)
            return None
        if self.failures:
            LOG.info("State report succeeded again after %d failures", self.failures)
        self.failures = 0
        self.last_success = time.monotonic()
        self.state.reported(synced=self.synced())
        if status == "revived":
            LOG.info("Server says this agent was revived: full resync")
            self.on_revived()
        return status

    def start(self) -> None:
        if self.interval <= 0:
            LOG.info("report_interval is 0: no state reports")
            return
        self._thread = threading.Thread(target=self._run, name="heartbeat", daemon=True)
        self._thread.start()

    def kick(self) -> None:
        """Report now (e.g. after an OVS restart, so l2pop resends the FDB at once)."""
        self._kick.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            started = time.monotonic()
            self._kick.clear()
            self.beat()
            self._kick.wait(max(0.0, self.interval - (time.monotonic() - started)))

    def stop(self) -> None:
        self._stop.set()
        self._kick.set()
        if self._thread is not None:
            self._thread.join(timeout=self.interval + 5)
