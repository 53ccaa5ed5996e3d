"""FlowSync: what it remembers as installed, against a switch kept in memory."""

from __future__ import annotations

from collections.abc import Sequence

from ovsagent.agent.core import generation_cookie
from ovsagent.agent.flowsync import FlowSync
from ovsagent.ovs.openflow.base import OpenFlowDriver
from ovsagent.pipeline.flow import AddFlow, DeleteFlows, Flow, FlowFilter, FlowMod, Output, flow

OLD, NEW = generation_cookie(1), generation_cookie(2)


class MemorySwitch(OpenFlowDriver):
    """Adds overwrite by key; strict deletes need the exact cookie (as OVS does)."""

    name = "memory"

    def __init__(self, flows: Sequence[Flow] = ()) -> None:
        self.flows = {f.key: f for f in flows}
        self.batches: list[list[FlowMod]] = []

    def add_bridge(self, bridge: str, datapath_id: int | None = None,
                   timeout: float | None = None) -> None:
        pass

    def apply(self, bridge: str, mods: Sequence[FlowMod]) -> None:
        self.batches.append(list(mods))
        for m in mods:
            if isinstance(m, AddFlow):
                self.flows[m.flow.key] = m.flow
            elif isinstance(m, DeleteFlows):
                f, key = m.filter, (m.filter.table, m.filter.priority, m.filter.match)
                if key in self.flows and self.flows[key].cookie == f.cookie:
                    del self.flows[key]

    def dump(self, bridge: str, flt: FlowFilter | None = None) -> list[Flow]:
        return list(self.flows.values())

    def barrier(self, bridge: str) -> None:
        pass


def _flows(cookie: int) -> list[Flow]:
    return [flow(0, 2, {"in_port": p}, [Output(9)], cookie=cookie) for p in (1, 2, 3)]


def test_restart_adopts_identical_flows_without_a_flow_mod() -> None:
    switch = MemorySwitch(_flows(OLD))
    sync = FlowSync(switch)
    result = sync.sync("br-int", _flows(NEW), allow_deletes=False)
    assert result.mods == 0 and switch.batches == []
    assert {f.cookie for f in sync.installed("br-int")} == {OLD}


def test_adopted_flow_is_remembered_as_installed_so_deletes_hit_it() -> None:
    switch = MemorySwitch(_flows(OLD))
    sync = FlowSync(switch)
    changed = flow(0, 2, {"in_port": 4}, [Output(9)], cookie=NEW)
    sync.sync("br-int", [*_flows(NEW), changed], allow_deletes=False)  # one add, 3 adopted
    assert switch.batches == [[AddFlow(changed)]]
    assert {f.key: f.cookie for f in sync.installed("br-int")} == {
        **{f.key: OLD for f in _flows(OLD)}, changed.key: NEW}
    sync.sync("br-int", _flows(NEW)[:1])  # ports 2, 3 and 4 gone
    assert set(switch.flows) == {_flows(NEW)[0].key}  # the old-cookie deletes matched
    assert switch.flows[_flows(NEW)[0].key].cookie == OLD


def test_foreign_flows_are_rewritten_on_takeover() -> None:
    switch = MemorySwitch(_flows(0x1234))
    sync = FlowSync(switch)
    assert sync.sync("br-int", _flows(NEW), allow_deletes=False).mods == 3
    assert {f.cookie for f in switch.flows.values()} == {NEW}
    assert {f.cookie for f in sync.installed("br-int")} == {NEW}
