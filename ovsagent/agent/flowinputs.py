"""What a pass's flow computation depends on, and which flows it must not delete.

Pure functions of the loop's state: the loop compares :func:`flow_inputs`
(and :func:`fdb_copy` around deferred calls) with the last pass's to skip
computing flows that cannot have changed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from ovsagent.agent.wiring import Vif
from ovsagent.pipeline.flow import Flow, flow_in_port, flow_vlans
from ovsagent.pipeline.state import HostState, Topology

FdbCopy = dict[str, dict[str, frozenset[tuple[str, str]]]]


def fdb_copy(state: HostState) -> FdbCopy:
    """A copy of the l2pop FDB (only deferred calls change it)."""
    return {net: {ip: frozenset(entries) for ip, entries in remotes.items()}
            for net, remotes in state.fdb.items()}


def flow_inputs(state: HostState, vifs: Mapping[str, Vif], synced: bool,
                topology: Topology) -> tuple[object, ...]:
    """What the computed flows depend on, but the FDB (see :func:`fdb_copy`).
    Values are immutable, so shallow copies compare by content. ``synced`` comes
    last: the loop reuses the flows of a pass whose inputs differ only in it."""
    s = state
    return (dict(s.ports), dict(s.dead_ports), dict(s.networks), dict(s.tunnels),
            vifs, topology, synced)


def unprocessed_flow_filter(state: HostState, vifs: Mapping[str, Vif],
                            restored_port_vlans: Mapping[str, int]
                            ) -> Callable[[Flow], bool] | None:
    """Flows of VIFs not processed yet (their in_port, or the VLAN they had when
    the agent started): a sync must keep them; ``None`` if there are none."""
    pending = [v for pid, v in vifs.items()
               if pid not in state.ports and pid not in state.dead_ports]
    if not pending:
        return None
    ofports = {v.ofport for v in pending}
    vlans = {restored_port_vlans[v.name] for v in pending if v.name in restored_port_vlans}
    return lambda f: flow_in_port(f) in ofports or bool(flow_vlans(f) & vlans)
