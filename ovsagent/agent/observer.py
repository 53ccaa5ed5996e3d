"""What the agent tells an observer as it works (metrics hook; no-op by default).

The loop, the flow sync and the RPC client call these from their own
threads; an implementation must be thread-safe and cheap. The agent never
imports prometheus: :class:`ovsagent.metrics.AgentMetrics` implements this
protocol only when ``[agent] metrics_listen`` is set.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from ovsagent.agent.loop import IterationStats

#: why a full resync was requested (label values of ovsagent_resyncs_total)
RESYNC_CAUSES = ("start", "ovs_restart", "revived", "error", "ctl", "requested")


class Observer(Protocol):
    def iteration(self, stats: IterationStats) -> None:
        """One rpc_loop pass finished."""

    def flow_apply(self, driver: str, bridge: str, counts: dict[str, int], seconds: float,
                   error: str | None) -> None:
        """One bundle sent to ``bridge`` (``counts``: add/modify/delete mods)."""

    def resync(self, cause: str) -> None:
        """A full resync was requested (see :data:`RESYNC_CAUSES`)."""

    def ovs_restart(self) -> None:
        """The canary flow was gone: ovs-vswitchd restarted."""

    def rpc_call(self, method: str, seconds: float, error: str | None) -> None:
        """One RPC call to the server returned (``error``: exception class name)."""


class NullObserver:
    """Observes nothing (metrics off)."""

    def iteration(self, stats: IterationStats) -> None:
        pass

    def flow_apply(self, driver: str, bridge: str, counts: dict[str, int], seconds: float,
                   error: str | None) -> None:
        pass

    def resync(self, cause: str) -> None:
        pass

    def ovs_restart(self) -> None:
        pass

    def rpc_call(self, method: str, seconds: float, error: str | None) -> None:
        pass
