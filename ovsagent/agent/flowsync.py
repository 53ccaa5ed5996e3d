"""Keep each bridge's flows equal to a desired set, one bundle per change.

Remembers what it installed per bridge, so a change costs a diff and one
bundle, not a dump. :meth:`FlowSync.reload` re-reads a bridge from the
switch (at start, after an error or an OVS restart).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass

from ovsagent.ovs.openflow.base import BundleError, OpenFlowDriver
from ovsagent.pipeline.flow import DeleteFlows, Flow, FlowFilter
from ovsagent.pipeline.reconcile import diff_flows

LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class SyncResult:
    bridge: str
    mods: int
    seconds: float


class FlowSync:
    """Desired flows per bridge -> diff against installed -> one bundle."""

    def __init__(self, driver: OpenFlowDriver) -> None:
        self.driver = driver
        self._installed: dict[str, dict[tuple[int, int, object], Flow]] = {}

    def reload(self, bridge: str, flt: FlowFilter | None = None) -> int:
        """Forget what we think is installed and read it from the switch."""
        flows = self.driver.dump(bridge, flt)
        self._installed[bridge] = {f.key: f for f in flows}
        return len(flows)

    def forget(self, bridge: str) -> None:
        """After an OVS restart the switch holds nothing: start from empty."""
        self._installed[bridge] = {}

    def bridges(self) -> list[str]:
        return list(self._installed)

    def installed(self, bridge: str) -> list[Flow]:
        return list(self._installed.get(bridge, {}).values())

    def sync(self, bridge: str, desired: Iterable[Flow], allow_deletes: bool = True
             ) -> SyncResult:
        """Make ``bridge`` hold exactly ``desired`` (learned flows aside).

        With ``allow_deletes=False`` (right after a restart, before the agent
        has resynced) flows are only added or overwritten; stale ones stay
        until a later sync may delete them.
        """
        start = time.monotonic()
        if bridge not in self._installed:
            self.reload(bridge)
        want = list(desired)
        mods = diff_flows(want, self._installed[bridge].values())
        if not allow_deletes:
            mods = [m for m in mods if not isinstance(m, DeleteFlows)]
        if mods:
            try:
                self.driver.apply(bridge, mods)
            except BundleError:
                LOG.exception("bundle for %s rejected; re-reading its flows", bridge)
                self.reload(bridge)
                raise
            kept = {} if allow_deletes else dict(self._installed[bridge])
            kept.update({f.key: f for f in want})
            self._installed[bridge] = kept
        return SyncResult(bridge, len(mods), time.monotonic() - start)
