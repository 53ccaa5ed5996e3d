"""The rpc_loop: event-driven iterations that batch whatever changed.

Inputs arrive from other threads (OVSDB Interface events, push-cache and
l2pop notifications) and only mark work as pending; the loop thread wakes,
takes a snapshot, and does one pass: wire ports, recompute flows and sync
each bridge with one bundle, write OVSDB in one transaction (tags last, so a
port forwards only once its flows are in place), and hand the ports to
report up/down to the background :class:`~ovsagent.agent.reporting.DeviceReporter`
(the server takes ~0.15 s per port; the loop does not wait for it). A pass
whose inputs changed nothing the flows depend on skips the flow computation.
Nothing here talks OpenFlow or AMQP directly.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from ovsagent.agent import snapshot
from ovsagent.agent.flowinputs import fdb_copy, flow_inputs, unprocessed_flow_filter
from ovsagent.agent.flowsync import FlowSync
from ovsagent.agent.health import OvsStatus, canary_status
from ovsagent.agent.observer import NullObserver, Observer
from ovsagent.agent.ovsdbio import VifReader, write_ports
from ovsagent.agent.portlist import PortListWriter
from ovsagent.agent.reporting import DeviceReporter, UpReportFilter, server_has_active
from ovsagent.agent.retries import RetryTracker
from ovsagent.agent.settings import AgentSettings
from ovsagent.agent.tunnels import TunnelManager
from ovsagent.agent.wiring import DeviceDetails, PortWiring, Vif
from ovsagent.ovs import ovsdb
from ovsagent.pipeline.compute import compute_flows
from ovsagent.pipeline.flow import Flow
from ovsagent.pipeline.state import HostState, Topology

LOG = logging.getLogger(__name__)

BATCH_DELAY = 0.01  # let a burst of events land in one iteration
CANARY_INTERVAL = 0.5  # how often an idle loop checks that OVS still holds our flows


class ServerApi(Protocol):
    """What the loop needs from neutron-server (implemented over RPC)."""

    def get_device_details(self, port_ids: list[str], refresh: bool = False
                           ) -> Mapping[str, DeviceDetails | None]:
        """Details per port id; ``None`` for a port whose lookup failed.

        ``refresh``: ask the server again even for ports already cached (after
        an outage, when pushes may have been missed)."""

    def update_device_list(self, up: list[str], down: list[str],
                           refresh_tunnels: bool) -> list[str]:
        """Report ports; return the ids the server failed to update."""


@dataclass
class Pending:
    """Work handed to the loop by other threads."""

    ports: set[str] = field(default_factory=set)  # (re)process these port ids
    removed: set[str] = field(default_factory=set)  # VIFs gone from br-int
    flows_dirty: bool = False  # state changed elsewhere (l2pop, tunnels)
    full_sync: bool = False
    refresh_cache: bool = False  # re-pull device details (after an outage)
    calls: list[Callable[[], object]] = field(default_factory=list)  # run on the loop thread
    report_failed: set[str] = field(default_factory=set)  # the server did not take these


@dataclass(frozen=True)
class IterationStats:
    number: int
    added: int
    updated: int
    removed: int
    failed: int
    elapsed: float
    phases: Mapping[str, float] = field(default_factory=dict)  # seconds per step of the pass


class RpcLoop:
    """Owns the host state; every change to it happens on the loop thread."""

    def __init__(self, settings: AgentSettings, client: ovsdb.OvsdbClient, flows: FlowSync,
                 server: ServerApi, state: HostState, wiring: PortWiring,
                 tunnels: TunnelManager, topology: Topology,
                 on_ovs_restart: Callable[[], Topology] | None = None,
                 observer: Observer | None = None) -> None:
        self.s = settings
        self.client = client
        self.flows = flows
        self.server = server
        self.state = state
        self.wiring = wiring
        self.tunnels = tunnels
        self.topology = topology
        self.iteration = 0
        self.known: set[str] = set()  # port ids seen on br-int
        self.retries = RetryTracker()
        self.on_ovs_restart = on_ovs_restart
        self.synced = False  # the first pass is done: stale flows may be deleted
        self.first_pass_done = threading.Event()  # `synced`, for other threads to wait on
        self.resynced = False  # ... and a pass after it deleted them (logged once)
        self.restored_port_vlans: dict[str, int] = {}  # VIF name -> VLAN found at start
        self.port_list: PortListWriter | None = None  # saved after a pass changed `known`
        self._pass_vifs: Mapping[str, Vif] = {}
        self.ovs_status = OvsStatus.NORMAL
        self.ovs_restarts = 0
        self._pending = Pending(full_sync=True)
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self.last: IterationStats | None = None
        self.observer: Observer = observer or NullObserver()
        self.vifs: Mapping[str, Vif] = {}  # as read in the last pass (replaced, not mutated)
        self.skipped: set[str] = set()  # ports left alone (bound elsewhere / no binding)
        self.given_up: set[str] = set()  # failed ports retried max times
        self.resyncs: Counter[str] = Counter(start=1)
        self.resyncs_done = 0  # tickets of request_full_sync served by a finished pass
        self.last_at: float | None = None
        self.observer.resync("start")
        self.snapshot = snapshot.LoopSnapshot(time.time())
        self.reporter = DeviceReporter(self._send_report, self._reported)
        self.up_reports = UpReportFilter(self.reporter, server_has_active(server))
        self._flow_inputs: tuple[object, ...] | None = None  # what the last flow sync saw
        self._computed: dict[str, list[Flow]] | None = None  # ... and the flows it computed
        self._canary_at = 0.0
        self._report_ok: set[str] = set()  # reports that succeeded since the last pass
        self.vif_reader = VifReader(settings.integration_bridge)
        self._wake.set()  # the first pass (full sync) at once, not after CANARY_INTERVAL

    # ------------------------------------------------------- inputs (any thread)
    def port_changed(self, port_id: str) -> None:
        with self._lock:
            self._pending.ports.add(port_id)
            self._pending.removed.discard(port_id)
        self._wake.set()

    def port_removed(self, port_id: str) -> None:
        with self._lock:
            self._pending.removed.add(port_id)
            self._pending.ports.discard(port_id)
        self._wake.set()

    def flows_changed(self) -> None:
        with self._lock:
            self._pending.flows_dirty = True
        self._wake.set()

    def call_soon(self, fn: Callable[[], object]) -> None:
        """Run ``fn`` on the loop thread at the start of the next iteration.

        Used for state changes that arrive from other threads (l2pop FDB,
        tunnel updates) so that only the loop thread ever mutates the state.
        The pass recomputes the flows only if the state (tunnels, FDB, ...)
        actually changed: an FDB message about our own ports, sent to every
        agent for every port that goes up, changes nothing.
        """
        with self._lock:
            self._pending.calls.append(fn)
        self._wake.set()

    def request_full_sync(self, refresh_cache: bool = False, cause: str = "requested") -> int:
        """Reprocess every port at the next pass (``cause`` is counted for metrics).

        Returns a ticket: :attr:`resyncs_done` reaches it once a pass did the resync."""
        with self._lock:
            self._pending.full_sync = True
            self._pending.refresh_cache |= refresh_cache
            self.resyncs[cause] += 1
            ticket = self.resyncs.total()
        self.observer.resync(cause)
        self._wake.set()
        return ticket

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def _send_report(self, up: list[str], down: list[str], refresh_tunnels: bool) -> list[str]:
        """A reporter thread's call: one chunk to the server."""
        return self.server.update_device_list(up, down, refresh_tunnels)

    def _reported(self, done: set[str], failed: set[str]) -> None:
        """A reporter thread's result: failed ports go back to the loop for a retry;
        successes only reset retry counts (at the next pass, without waking it)."""
        with self._lock:
            self._report_ok |= done
        if failed:
            LOG.warning("the server failed to update %d port(s); retrying them", len(failed))
            with self._lock:
                self._pending.report_failed |= failed
            self._wake.set()

    # ------------------------------------------------------------- the loop
    def run(self) -> None:
        """Iterate until :meth:`stop`: on events, when retries fall due, and every
        CANARY_INTERVAL to check on OVS."""
        while not self._stop.is_set():
            self._wake.wait(timeout=CANARY_INTERVAL)
            if self._stop.is_set():
                break
            time.sleep(BATCH_DELAY)
            self._wake.clear()
            try:
                if self.check_ovs_due() is OvsStatus.DEAD:
                    continue
                self.run_once()
            except Exception:
                LOG.exception("rpc_loop iteration %d failed; full resync next", self.iteration)
                self.request_full_sync(cause="error")
                self._stop.wait(1.0)
        self.reporter.close()

    def check_ovs_due(self) -> OvsStatus:
        """:meth:`check_ovs`, at most every CANARY_INTERVAL while OVS is fine (a burst
        of events costs one canary read, not one per pass)."""
        now = time.monotonic()
        if self.ovs_status is OvsStatus.NORMAL and now - self._canary_at < CANARY_INTERVAL:
            return self.ovs_status
        self._canary_at = now
        return self.check_ovs()

    def check_ovs(self) -> OvsStatus:
        """Canary check; after an OVS restart re-set up everything and replay all flows."""
        status = canary_status(self.flows.driver, self.s.integration_bridge)
        if status is not self.ovs_status:
            LOG.warning("Open vSwitch status %s -> %s", self.ovs_status.value, status.value)
        changed = status is not self.ovs_status
        self.ovs_status = status
        if status is OvsStatus.RESTARTED:
            self.ovs_restarts += 1
            self.observer.ovs_restart()
            LOG.warning("Open vSwitch restarted (canary flow gone): re-setup and replay")
            if self.on_ovs_restart is not None:
                self.topology = self.on_ovs_restart()
            for bridge in self.flows.bridges():
                self.flows.forget(bridge)
            self.known.clear()
            self.request_full_sync(cause="ovs_restart")
            self.sync_flows()  # canary + base flows first
            self.ovs_status = OvsStatus.NORMAL
        if changed:
            self.publish()
        return status

    def has_work(self) -> bool:
        """Something for a pass to do, or ports still being reported to the server."""
        return self._pass_due() or self.reporter.busy()

    def _pass_due(self) -> bool:
        with self._lock:
            p = self._pending
            return bool(p.ports or p.removed or p.flows_dirty or p.full_sync or p.calls
                        or p.report_failed or self.retries.due())

    def run_once(self) -> IterationStats | None:
        """One pass over everything pending; ``None`` if there was nothing to do."""
        if not self._pass_due():
            return None
        start = time.monotonic()
        cleaning = self.synced  # this pass may delete stale flows
        with self._lock:
            pending, self._pending = self._pending, Pending()
            ticket = self.resyncs.total() if pending.full_sync else 0
        try:
            stats = self._process(pending, start)
        except Exception:
            with self._lock:  # put the work back
                self._pending.ports |= pending.ports
                self._pending.removed |= pending.removed
                self._pending.report_failed |= pending.report_failed
                self._pending.full_sync = True
            raise
        self.last = stats
        self.last_at = time.time()
        self.resyncs_done = max(self.resyncs_done, ticket)
        self.observer.iteration(stats)
        # a pass that changed nothing (an RPC push about a port elsewhere, an l2pop
        # message for a network not here) is logged at DEBUG: one line per push at
        # INFO buried the passes that did something (thousands a minute with 500 ports)
        busy = stats.added or stats.updated or stats.removed or stats.failed \
            or "flows" in stats.phases
        LOG.log(logging.INFO if busy else logging.DEBUG,
                "Agent rpc_loop - iteration:%d completed. Processed ports statistics: "
                "{'regular': {'added': %d, 'updated': %d, 'removed': %d}} failed:%d "
                "Elapsed:%.3f (%s)", stats.number, stats.added, stats.updated, stats.removed,
                stats.failed, stats.elapsed,
                " ".join(f"{k} {v:.3f}" for k, v in stats.phases.items()))
        self.iteration += 1
        if cleaning and not self.resynced:
            self.resynced = True  # what bench.restart measures a restart's resync by
            LOG.info("resync complete: %d ports wired with the server's details, %d failed "
                     "(retried), stale flows removed", len(self.state.ports),
                     len(self.retries))
        if not self.synced:
            self.synced = True
            self.first_pass_done.set()
            LOG.info("first pass done: stale flows may now be removed (except those of "
                     "ports not processed yet)")
            self.flows_changed()  # one more pass deletes whatever is no longer desired
        self.publish()
        return stats

    def _process(self, pending: Pending, start: float) -> IterationStats:
        phases: dict[str, float] = {}
        mark = start

        def phase(name: str) -> None:
            nonlocal mark
            now = time.monotonic()
            phases[name] = phases.get(name, 0.0) + now - mark
            mark = now

        fdb = fdb_copy(self.state) if pending.calls else None
        for fn in pending.calls:
            try:
                fn()
            except Exception:
                LOG.exception("deferred state update %r failed", fn)
        fdb_changed = fdb is not None and fdb != fdb_copy(self.state)
        self.up_reports.forget(pending.report_failed)
        with self._lock:
            report_ok, self._report_ok = self._report_ok, set()
        self.retries.succeeded(report_ok - pending.report_failed)
        vifs = self.vif_reader.read(self.client)
        self._pass_vifs = vifs
        phase("vifs")
        # a port whose report is still on its way is not retried meanwhile; a VIF that
        # is new (or got a new ofport) is processed now, even if its event is still queued
        todo = set(pending.ports) | (self.retries.due() - self.reporter.pending())
        todo |= {p for p, v in vifs.items() if p not in self.known
                 or (p in self.vifs and self.vifs[p].ofport != v.ofport)}
        removed = set(pending.removed)
        if pending.full_sync:
            todo |= set(vifs)
            removed |= self.known - set(vifs)
        removed = {p for p in removed if p not in vifs}
        todo = {p for p in todo if p in vifs}
        added = todo - self.known
        details = self.server.get_device_details(sorted(todo), refresh=pending.refresh_cache) \
            if todo else {}
        phase("details")
        result = self.wiring.process(vifs, details, sorted(removed))
        self.tunnels.remove_unused()
        phase("wiring")
        inputs = flow_inputs(self.state, vifs, self.synced, self.topology)
        if pending.flows_dirty or pending.full_sync or fdb_changed \
                or inputs != self._flow_inputs:
            # the pass after the first (stale flows deleted) has the same inputs but
            # `synced`: the flows computed then are reused (0.1-0.2 s with 500 ports)
            last = self._flow_inputs
            same = not pending.full_sync and not fdb_changed and last is not None \
                and not last[-1] and inputs[-1] and inputs[:-1] == last[:-1]
            # before the tags: a port forwards once its flows are in
            self._computed = self.sync_flows(self._computed if same else None)
            self._flow_inputs = inputs
            phase("flows")
        write_ports(self.client, result.writes)
        phase("ovsdb")
        refresh = self.iteration == 0 or pending.full_sync
        failed = set(result.failed)
        reported = self.up_reports.submit(result, details, refresh)
        self.retries.succeeded(todo - failed - reported)  # reported: once the server took it
        failed |= pending.report_failed - todo  # back off like any failure, then re-report
        self.given_up = (self.given_up - todo - removed) | set(self.retries.failed(failed))
        self.retries.forget(removed)
        self.skipped = (self.skipped - todo - removed) | (set(result.skipped) & set(vifs))
        self.known = (self.known | set(vifs)) - removed
        self.vifs = vifs
        if self.port_list is not None:
            self.port_list.update(self.known)  # writes only when the set changed
        phase("report")
        return IterationStats(self.iteration, len(added), len(todo - added), len(removed),
                              len(failed), time.monotonic() - start, phases)

    # ------------------------------------------------------------ helpers
    def publish(self) -> None:
        """Refresh :attr:`snapshot` for readers on other threads (loop thread only)."""
        with self._lock:
            resyncs = dict(self.resyncs)
        self.snapshot = snapshot.take(self, resyncs)

    def sync_flows(self, computed: dict[str, list[Flow]] | None = None
                   ) -> dict[str, list[Flow]]:
        """Bring every bridge to the computed flows (hitless, see docs/lifecycle.md):
        no deletes before the first pass, and never of flows that belong to a VIF
        (its in_port) or to the restored VLAN of a VIF not processed yet. ``computed``:
        the flows of the current state if known; returns them."""
        keep = unprocessed_flow_filter(self.state, self._pass_vifs, self.restored_port_vlans)
        if computed is None:
            computed = compute_flows(self.state, self.topology, self.s.integration_bridge,
                                     self.s.tunnel_bridge)
        for bridge, flows in computed.items():
            self.flows.sync(bridge, flows, allow_deletes=self.synced, keep=keep)
        return computed
