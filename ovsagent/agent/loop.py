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
from ovsagent.agent.settings import AgentSettings
from ovsagent.agent.tunnels import TunnelManager
from ovsagent.agent.wiring import DeviceDetails, PortWiring, Vif, WiringResult
from ovsagent.ovs import ovsdb
from ovsagent.ovs.ovsdb.db import merge_map
from ovsagent.ovs.ovsdb.ports import write_tag
from ovsagent.pipeline.compute import compute_flows
from ovsagent.pipeline.state import HostState, Topology

LOG = logging.getLogger(__name__)

MAX_RETRIES = 5
BATCH_DELAY = 0.01  # let a burst of events land in one iteration


class ServerApi(Protocol):
    """What the loop needs from neutron-server (implemented over RPC)."""

    def get_device_details(self, port_ids: list[str]) -> Mapping[str, DeviceDetails | None]:
        """Details per port id; ``None`` for a port whose lookup failed."""

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
                 tunnels: TunnelManager, topology: Topology) -> None:
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
        self._retries: dict[str, int] = {}
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

    def request_full_sync(self) -> None:
        with self._lock:
            self._pending.full_sync = True
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    # ------------------------------------------------------------- the loop
    def run(self) -> None:
        """Iterate until :meth:`stop`; wake on events or every polling_interval."""
        while not self._stop.is_set():
            self._wake.wait(timeout=self.s.polling_interval)
            if self._stop.is_set():
                break
            time.sleep(BATCH_DELAY)
            self._wake.clear()
            try:
                self.run_once()
            except Exception:
                LOG.exception("rpc_loop iteration %d failed; full resync next", self.iteration)
                self.request_full_sync()
                self._stop.wait(1.0)

    def has_work(self) -> bool:
        with self._lock:
            p = self._pending
            return bool(p.ports or p.removed or p.flows_dirty or p.full_sync or p.calls
                        or self._retries)

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
        if stats.number == 0:
            self.flows_changed()  # a second pass may now delete stale flows
        return stats

    def _process(self, pending: Pending, start: float) -> IterationStats:
        for fn in pending.calls:
            try:
                fn()
            except Exception:
                LOG.exception("deferred state update %r failed", fn)
        vifs = self._read_vifs()
        todo = set(pending.ports) | set(self._retries)
        removed = set(pending.removed)
        if pending.full_sync:
            todo |= set(vifs)
            removed |= self.known - set(vifs)
        removed = {p for p in removed if p not in vifs}
        todo = {p for p in todo if p in vifs}
        added = todo - self.known
        details = self.server.get_device_details(sorted(todo)) if todo else {}
        result = self.wiring.process(vifs, details, sorted(removed))
        self._write_ports(result)
        self.tunnels.remove_unused()
        self.sync_flows()
        refresh = self.iteration == 0 or pending.full_sync
        failed = set(result.failed)
        if result.up or result.down:
            failed |= set(self.server.update_device_list(result.up, result.down, refresh))
        self._track_retries(failed, todo)
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
        """Bring every bridge to the computed flows; no deletes before the first pass."""
        allow_deletes = self.iteration > 0
        for bridge, flows in compute_flows(self.state, self.topology, self.s.integration_bridge,
                                           self.s.tunnel_bridge).items():
            self.flows.sync(bridge, flows, allow_deletes=allow_deletes)

    def _track_retries(self, failed: set[str], processed: set[str]) -> None:
        for port_id in processed - failed:
            self._retries.pop(port_id, None)
        for port_id in failed:
            count = self._retries.get(port_id, 0) + 1
            if count > MAX_RETRIES:
                LOG.warning("port %s failed %d times; giving up until it changes", port_id,
                            MAX_RETRIES)
                self._retries.pop(port_id, None)
            else:
                self._retries[port_id] = count
