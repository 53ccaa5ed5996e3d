"""Keep each bridge's flows equal to a desired set, one bundle per change.

Remembers what it installed per bridge, so a change costs a diff and one
bundle, not a dump. :meth:`FlowSync.reload` re-reads a bridge from the
switch (at start, after an error or an OVS restart).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from ovsagent.agent.observer import NullObserver, Observer
from ovsagent.ovs.openflow.base import BundleError, OpenFlowDriver
from ovsagent.pipeline.flow import AddFlow, DeleteFlows, Flow, FlowFilter, FlowMod
from ovsagent.pipeline.reconcile import is_learned, plan_flows

LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class SyncResult:
    bridge: str
    mods: int
    seconds: float


class FlowSync:
    """Desired flows per bridge -> diff against installed -> one bundle."""

    def __init__(self, driver: OpenFlowDriver, observer: Observer | None = None) -> None:
        self.driver = driver
        self.observer: Observer = observer or NullObserver()
        # bridge -> key -> flow; each bridge's dict is replaced, never mutated once set
        self._installed: dict[str, dict[tuple[int, int, object], Flow]] = {}
        self._lock = threading.Lock()

    def _set(self, bridge: str, flows: dict[tuple[int, int, object], Flow]) -> None:
        with self._lock:
            self._installed[bridge] = flows

    def snapshot(self) -> dict[str, tuple[Flow, ...]]:
        """What is installed on every bridge, for readers on other threads."""
        with self._lock:
            return {bridge: tuple(flows.values()) for bridge, flows in self._installed.items()}

    def reload(self, bridge: str, flt: FlowFilter | None = None) -> int:
        """Forget what we think is installed and read it from the switch."""
        flows = self.driver.dump(bridge, flt)
        self._set(bridge, {f.key: f for f in flows})
        return len(flows)

    def forget(self, bridge: str) -> None:
        """After an OVS restart the switch holds nothing: start from empty."""
        self._set(bridge, {})

    def bridges(self) -> list[str]:
        return list(self._installed)

    def installed(self, bridge: str) -> list[Flow]:
        return list(self._installed.get(bridge, {}).values())

    def sync(self, bridge: str, desired: Iterable[Flow], allow_deletes: bool = True,
             keep: Callable[[Flow], bool] | None = None) -> SyncResult:
        """Make ``bridge`` hold exactly ``desired`` (learned flows aside).

        With ``allow_deletes=False`` (right after a restart, before the first
        pass) flows are only added or overwritten. Installed flows for which
        ``keep`` is true are never deleted (they belong to ports the agent has
        not processed yet).
        """
        start = time.monotonic()
        if bridge not in self._installed:
            self.reload(bridge)
        want = list(desired)
        ignore = is_learned if keep is None else (lambda f: is_learned(f) or keep(f))
        plan = plan_flows(want, self._installed[bridge].values(), ignore=ignore)
        mods = plan.mods
        if not allow_deletes:
            mods = [m for m in mods if not isinstance(m, DeleteFlows)]
        if mods:
            self._apply(bridge, mods)
            current = self._installed[bridge]
            kept = dict(current) if not allow_deletes else (
                {k: f for k, f in current.items() if keep(f)} if keep is not None else {})
            # adopted flows are remembered as installed (their older generation's
            # cookie), so a later strict, cookie-exact delete still hits them
            kept.update({f.key: plan.adopted.get(f.key, f) for f in want})
            self._set(bridge, kept)
        return SyncResult(bridge, len(mods), time.monotonic() - start)

    def _apply(self, bridge: str, mods: Sequence[FlowMod]) -> None:
        """One bundle, timed and counted for the observer."""
        counts = {"add": 0, "modify": 0, "delete": 0}
        for m in mods:
            counts["add" if isinstance(m, AddFlow) else
                   "delete" if isinstance(m, DeleteFlows) else "modify"] += 1
        start = time.monotonic()
        try:
            self.driver.apply(bridge, mods)
        except Exception as exc:
            self.observer.flow_apply(self.driver.name, bridge, counts,
                                     time.monotonic() - start, type(exc).__name__)
            if isinstance(exc, BundleError):
                LOG.exception("bundle for %s rejected; re-reading its flows", bridge)
                self.reload(bridge)
            raise
        self.observer.flow_apply(self.driver.name, bridge, counts, time.monotonic() - start,
                                 None)
