"""RPC consumer callbacks -> the agent core (parsing is already done in ovsagent.rpc)."""

from __future__ import annotations

import logging

from ovsagent.agent.core import AgentCore
from ovsagent.pipeline.state import TUNNEL_TYPES
from ovsagent.rpc.cache import CacheEvent, ChangeKind, Source
from ovsagent.rpc.errors import PayloadError
from ovsagent.rpc.l2pop import FdbIpChange, FdbNetwork, MacIp
from ovsagent.rpc.ovo import ACTIVE
from ovsagent.rpc.topics import NETWORK, PORT

LOG = logging.getLogger(__name__)

STATUS_ONLY = frozenset({"status"})


def _pairs(entries: tuple[MacIp, ...]) -> list[tuple[str, str]]:
    return [(e.mac_address, e.ip_address) for e in entries]


class AgentRpcCallbacks:
    """Implements :class:`ovsagent.rpc.consumers.AgentCallbacks` for an :class:`AgentCore`."""

    def __init__(self, core: AgentCore) -> None:
        self.core = core

    def tunnel_update(self, tunnel_ip: str, tunnel_type: str | None) -> None:
        for ttype in [tunnel_type] if tunnel_type else list(self.core.s.tunnel_types):
            self.core.on_tunnel_update(ttype, tunnel_ip)

    def tunnel_delete(self, tunnel_ip: str, tunnel_type: str | None) -> None:
        for ttype in [tunnel_type] if tunnel_type else list(self.core.s.tunnel_types):
            self.core.on_tunnel_delete(ttype, tunnel_ip)

    def fdb_add(self, networks: tuple[FdbNetwork, ...]) -> None:
        for net in networks:
            if net.network_type not in TUNNEL_TYPES:
                continue
            for agent_ip, entries in net.ports.items():
                self.core.on_fdb_add(net.network_id, net.network_type, agent_ip, _pairs(entries),
                                     net.segment_id)

    def fdb_remove(self, networks: tuple[FdbNetwork, ...]) -> None:
        for net in networks:
            if net.network_type not in TUNNEL_TYPES:
                continue
            for agent_ip, entries in net.ports.items():
                self.core.on_fdb_remove(net.network_id, net.network_type, agent_ip,
                                        _pairs(entries), net.segment_id)

    def fdb_update(self, changes: tuple[FdbIpChange, ...]) -> None:
        """chg_ip: the port's old (mac, ip) entries go, the new ones come."""
        for change in changes:
            self.core.on_fdb_ip_change(change.network_id, change.agent_ip,
                                       _pairs(change.before), _pairs(change.after))

    def resource_changed(self, event: CacheEvent) -> None:
        if event.source is Source.PULL:
            return  # an answer to our own pull: whoever pulled processes those ports
        if event.resource_type == PORT:
            if self._confirms_wired_port(event):
                return
            self.core.on_port_update(event.resource_id)
        elif event.resource_type == NETWORK:
            for port in list(self.core.state.ports.values()):
                if port.network_id == event.resource_id:
                    self.core.on_port_update(port.port_id)

    def _confirms_wired_port(self, event: CacheEvent) -> bool:
        """The server's push after it marked a port we wired ACTIVE (our own report
        coming back): only the status changed, so re-processing the port would
        change nothing — yet cost a pass per port (500 passes for 500 new ports).
        A port on the dead VLAN, or a status other than ACTIVE, is processed."""
        return (event.kind is ChangeKind.UPDATED and event.changed_fields == STATUS_ONLY
                and getattr(event.new, "status", None) == ACTIVE
                and event.resource_id in self.core.state.ports)

    def payload_error(self, method: str, error: PayloadError) -> None:
        resource_id = getattr(error, "resource_id", None)
        if resource_id:
            self.core.on_port_update(resource_id)  # re-process: it will be marked failed


class LateCallbacks:
    """:class:`~ovsagent.rpc.consumers.AgentCallbacks` whose target comes later.

    The consumers start listening before the agent core exists (at start, next
    to the OVSDB sync, docs/lifecycle.md). Until :meth:`attach`, notifications
    go nowhere, as they did while the core had no loop yet: the push cache is
    updated all the same (the consumer updates it before calling back), the
    first pass processes every port from it, and tunnel endpoints and l2pop
    FDB entries come again with tunnel_sync and the start_flag report."""

    def __init__(self) -> None:
        self.target: AgentRpcCallbacks | None = None

    def attach(self, target: AgentRpcCallbacks) -> None:
        self.target = target

    def tunnel_update(self, tunnel_ip: str, tunnel_type: str | None) -> None:
        if self.target is not None:
            self.target.tunnel_update(tunnel_ip, tunnel_type)

    def tunnel_delete(self, tunnel_ip: str, tunnel_type: str | None) -> None:
        if self.target is not None:
            self.target.tunnel_delete(tunnel_ip, tunnel_type)

    def fdb_add(self, networks: tuple[FdbNetwork, ...]) -> None:
        if self.target is not None:
            self.target.fdb_add(networks)

    def fdb_remove(self, networks: tuple[FdbNetwork, ...]) -> None:
        if self.target is not None:
            self.target.fdb_remove(networks)

    def fdb_update(self, changes: tuple[FdbIpChange, ...]) -> None:
        if self.target is not None:
            self.target.fdb_update(changes)

    def resource_changed(self, event: CacheEvent) -> None:
        if self.target is not None:
            self.target.resource_changed(event)

    def payload_error(self, method: str, error: PayloadError) -> None:
        if self.target is not None:
            self.target.payload_error(method, error)
