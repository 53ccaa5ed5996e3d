"""A read-only window on a running agent, for ``ovsagent-ctl`` and the metrics.

Everything here reads published snapshots (:class:`LoopSnapshot`,
:meth:`FlowSync.snapshot`) or plain attributes; the only thing it can ask
of the agent is a full resync, which goes through the loop's inbox like
every other input.
"""

from __future__ import annotations

import os
import time
from typing import Protocol

from ovsagent.agent.core import AgentCore
from ovsagent.agent.settings import AgentSettings
from ovsagent.agent.snapshot import LoopSnapshot
from ovsagent.pipeline.flow import Flow
from ovsagent.pipeline.tables import PIPELINES

DEFAULT_RUNDIR = "/var/run/openvswitch"


class HeartbeatLike(Protocol):
    last_success: float | None  # time.monotonic()
    failures: int


class BrokerLike(Protocol):
    @property
    def started(self) -> bool: ...


class AgentView:
    def __init__(self, core: AgentCore, rundir: str | None = None) -> None:
        self.core = core
        self.heartbeat: HeartbeatLike | None = None
        self.broker: BrokerLike | None = None
        self.rundir = rundir or os.environ.get("OVS_RUNDIR", DEFAULT_RUNDIR)
        self.started = time.time()

    @property
    def settings(self) -> AgentSettings:
        return self.core.s

    def loop(self) -> LoopSnapshot:
        """The state as of the loop's last pass (empty before the loop exists)."""
        loop = self.core.loop
        return loop.snapshot if loop is not None else LoopSnapshot(time.time())

    def installed(self) -> dict[str, tuple[Flow, ...]]:
        """Flows the agent installed, per bridge."""
        return self.core.flows.snapshot()

    def bridge_kind(self, bridge: str) -> str:
        """``br-int``, ``br-tun`` or ``br-phys``: which table map applies to ``bridge``."""
        s = self.settings
        if bridge == s.integration_bridge:
            return "br-int"
        if bridge == s.tunnel_bridge:
            return "br-tun"
        return "br-phys"

    def table_name(self, bridge: str, table: int) -> str:
        try:
            return PIPELINES[self.bridge_kind(bridge)].table(table).name
        except KeyError:
            return f"TABLE_{table}"

    def heartbeat_age(self) -> float | None:
        """Seconds since the last successful state report (None: never / no heartbeat)."""
        hb = self.heartbeat
        if hb is None or hb.last_success is None:
            return None
        return time.monotonic() - hb.last_success

    def request_resync(self, cause: str = "ctl") -> int:
        """Full resync: every bridge's flows re-read from the switch (so flows
        changed behind the agent's back are repaired), every port re-pulled from
        the server. Returns the ticket :attr:`RpcLoop.resyncs_done` reaches."""
        loop = self.core.loop
        if loop is None:
            raise RuntimeError("the agent loop is not running yet")
        flows = self.core.flows
        loop.call_soon(lambda: [flows.reload(bridge) for bridge in flows.bridges()])
        return loop.request_full_sync(refresh_cache=True, cause=cause)
