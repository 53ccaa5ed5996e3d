"""An immutable picture of the loop's state, for readers on other threads.

The loop thread owns :class:`~ovsagent.pipeline.state.HostState` and
mutates it in place; after each pass it publishes a :class:`LoopSnapshot`
(shallow copies of frozen values), which ``ovsagent-ctl`` and the metrics
read without locks: replacing the attribute is atomic.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING

from ovsagent.agent.wiring import Vif
from ovsagent.pipeline.state import LocalNetwork, TunnelPort, WiredPort

if TYPE_CHECKING:
    from ovsagent.agent.loop import IterationStats, RpcLoop

PORT_STATES = ("wired", "dead", "failed", "skipped", "pending")


@dataclass(frozen=True)
class LoopSnapshot:
    taken: float  # time.time()
    iteration: int = 0
    synced: bool = False
    ovs_status: str = "normal"
    ovs_restarts: int = 0
    last: IterationStats | None = None
    last_at: float | None = None  # time.time() of the end of the last pass
    vifs: Mapping[str, Vif] = field(default_factory=dict)
    ports: Mapping[str, WiredPort] = field(default_factory=dict)
    dead: Mapping[str, int] = field(default_factory=dict)  # port id -> ofport
    networks: Mapping[str, LocalNetwork] = field(default_factory=dict)
    tunnels: tuple[TunnelPort, ...] = ()
    failed: frozenset[str] = frozenset()  # waiting for a retry, or given up
    skipped: frozenset[str] = frozenset()  # not for this host (no active binding here)
    resyncs: Mapping[str, int] = field(default_factory=dict)  # cause -> count

    def port_state(self, port_id: str) -> str:
        """One of :data:`PORT_STATES` for a VIF on br-int."""
        if port_id in self.failed:
            return "failed"
        if port_id in self.ports:
            return "wired"
        if port_id in self.dead:
            return "dead"
        if port_id in self.skipped:
            return "skipped"
        return "pending"

    def port_counts(self) -> dict[str, int]:
        counts = dict.fromkeys(PORT_STATES, 0)
        for port_id in set(self.vifs) | set(self.ports) | set(self.dead):
            counts[self.port_state(port_id)] += 1
        return counts


def take(loop: RpcLoop, resyncs: Mapping[str, int]) -> LoopSnapshot:
    """Copy what readers need out of the loop's live state (loop thread only)."""
    state = loop.state
    return LoopSnapshot(
        taken=time.time(), iteration=loop.iteration, synced=loop.synced,
        ovs_status=loop.ovs_status.value, ovs_restarts=loop.ovs_restarts, last=loop.last,
        last_at=loop.last_at, vifs=MappingProxyType(dict(loop.vifs)),
        ports=MappingProxyType(dict(state.ports)),
        dead=MappingProxyType(dict(state.dead_ports)),
        networks=MappingProxyType(dict(state.networks)),
        tunnels=tuple(sorted(state.tunnels.values(), key=lambda t: t.ofport)),
        failed=frozenset(loop.retries.ports()) | frozenset(loop.given_up),
        skipped=frozenset(loop.skipped), resyncs=MappingProxyType(dict(resyncs)))
