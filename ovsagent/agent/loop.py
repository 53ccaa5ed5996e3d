"""The rpc_loop: event-driven iterations that batch whatever changed.

Inputs arrive from other threads (OVSDB Interface events, push-cache and
l2pop notifications) and only mark work as pending; the loop thread wakes,
takes a snapshot, and does one pass: wire ports, write OVSDB in one
transaction, recompute flows and sync each bridge with one bundle, report
ports up/down in one call. Nothing here talks OpenFlow or AMQP directly.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from ovsagent.agent.flowsync import FlowSync
from ovsagent.agent.health import OvsStatus, canary_status
from ovsagent.agent.retries import RetryTracker
from ovsagent.agent.settings import AgentSettings
from ovsagent.agent.tunnels import TunnelManager
from ovsagent.agent.wiring import DeviceDetails, PortWiring, Vif, WiringResult
from ovsagent.ovs import ovsdb
from ovsagent.ovs.ovsdb.db import merge_map
from ovsagent.ovs.ovsdb.ports import write_tag
from ovsagent.pipeline.compute import compute_flows
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


@dataclass(frozen=True)
class IterationStats:
    number: int
    added: int
    updated: int
    removed: int
    failed: int
    elapsed: float


class RpcLoop:
    """Owns the host state; every change to it happens on the loop thread."""

    def __init__(self, settings: AgentSettings, client: ovsdb.OvsdbClient, flows: FlowSync,
                 server: ServerApi, state: HostState, wiring: PortWiring,
                 tunnels: TunnelManager, topology: Topology,
                 on_ovs_restart: Callable[[], Topology] | None = None,
                 tunnels_synced: Callable[[], bool] = lambda: True) -> None:
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
        self.tunnels_synced = tunnels_synced
        self.synced = False  # every port processed once, no failure, tunnels synced
        self.ovs_status = OvsStatus.NORMAL
        self.ovs_restarts = 0
        self._pending = Pending(full_sync=True)
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self.last: IterationStats | None = None

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
        """
        with self._lock:
            self._pending.calls.append(fn)
            self._pending.flows_dirty = True
        self._wake.set()

    def request_full_sync(self, refresh_cache: bool = False) -> None:
        with self._lock:
            self._pending.full_sync = True
            self._pending.refresh_cache |= refresh_cache
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
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
                if self.check_ovs() is OvsStatus.DEAD:
                    continue
                self.run_once()
            except Exception:
                LOG.exception("rpc_loop iteration %d failed; full resync next", self.iteration)
                self.request_full_sync()
                self._stop.wait(1.0)

    def check_ovs(self) -> OvsStatus:
        """Canary check; after an OVS restart re-set up everything and replay all flows."""
        status = canary_status(self.flows.driver, self.s.integration_bridge)
        if status is not self.ovs_status:
            LOG.warning("Open vSwitch status %s -> %s", self.ovs_status.value, status.value)
        self.ovs_status = status
        if status is OvsStatus.RESTARTED:
            self.ovs_restarts += 1
            LOG.warning("Open vSwitch restarted (canary flow gone): re-setup and replay")
            if self.on_ovs_restart is not None:
                self.topology = self.on_ovs_restart()
            for bridge in self.flows.bridges():
                self.flows.forget(bridge)
            self.known.clear()
            self.request_full_sync()
            self.sync_flows()  # canary + base flows first
            self.ovs_status = OvsStatus.NORMAL
        return status

    def has_work(self) -> bool:
        with self._lock:
            p = self._pending
            return bool(p.ports or p.removed or p.flows_dirty or p.full_sync or p.calls
                        or self.retries.due())

    def run_once(self) -> IterationStats | None:
        """One pass over everything pending; ``None`` if there was nothing to do."""
        if not self.has_work():
            return None
        start = time.monotonic()
        with self._lock:
            pending, self._pending = self._pending, Pending()
        try:
            stats = self._process(pending, start)
        except Exception:
            with self._lock:  # put the work back
                self._pending.ports |= pending.ports
                self._pending.removed |= pending.removed
                self._pending.full_sync = True
            raise
        self.last = stats
        LOG.info("Agent rpc_loop - iteration:%d completed. Processed ports statistics: "
                 "{'regular': {'added': %d, 'updated': %d, 'removed': %d}} failed:%d "
                 "Elapsed:%.3f", stats.number, stats.added, stats.updated, stats.removed,
                 stats.failed, stats.elapsed)
        self.iteration += 1
        if not self.synced and not stats.failed and not len(self.retries) \
                and self.tunnels_synced():
            self.synced = True
            LOG.info("agent synced with the server: stale flows may now be removed")
            self.flows_changed()  # one more pass deletes whatever is no longer desired
        return stats

    def _process(self, pending: Pending, start: float) -> IterationStats:
        for fn in pending.calls:
            try:
                fn()
            except Exception:
                LOG.exception("deferred state update %r failed", fn)
        vifs = self._read_vifs()
        todo = set(pending.ports) | self.retries.due()
        removed = set(pending.removed)
        if pending.full_sync:
            todo |= set(vifs)
            removed |= self.known - set(vifs)
        removed = {p for p in removed if p not in vifs}
        todo = {p for p in todo if p in vifs}
        added = todo - self.known
        details = self.server.get_device_details(sorted(todo), refresh=pending.refresh_cache) \
            if todo else {}
        result = self.wiring.process(vifs, details, sorted(removed))
        self._write_ports(result)
        self.tunnels.remove_unused()
        self.sync_flows()
        refresh = self.iteration == 0 or pending.full_sync
        failed = set(result.failed)
        if result.up or result.down:
            failed |= set(self.server.update_device_list(result.up, result.down, refresh))
        self.retries.succeeded(todo - failed)
        self.retries.failed(failed)
        self.retries.forget(removed)
        self.known = (self.known | set(vifs)) - removed
        return IterationStats(self.iteration, len(added), len(todo - added), len(removed),
                              len(failed), time.monotonic() - start)

    # ------------------------------------------------------------ helpers
    def _read_vifs(self) -> dict[str, Vif]:
        vifs: dict[str, Vif] = {}
        for iface in ovsdb.get_vifs(self.client, self.s.integration_bridge):
            if iface.iface_id and iface.attached_mac and iface.ofport and iface.ofport > 0:
                vifs[iface.iface_id] = Vif(iface.iface_id, iface.name, iface.ofport,
                                           iface.attached_mac.lower())
        return vifs

    def _write_ports(self, result: WiringResult) -> None:
        if not result.writes:
            return
        ops = []
        for name, write in result.writes.items():
            def op(tx: ovsdb.TxnView, name: str = name, tag: int = write.tag,
                   config: Mapping[str, str] = write.other_config) -> None:
                port = tx.lookup("Port", name)
                if port is None:  # unplugged meanwhile
                    return
                write_tag(port, tag)
                if config:
                    merge_map(port, "other_config", config)
            ops.append(op)
        self.client.transact(*ops)

    def sync_flows(self) -> None:
        """Bring every bridge to the computed flows; no deletes until synced (hitless)."""
        allow_deletes = self.synced
        for bridge, flows in compute_flows(self.state, self.topology, self.s.integration_bridge,
                                           self.s.tunnel_bridge).items():
            self.flows.sync(bridge, flows, allow_deletes=allow_deletes)
