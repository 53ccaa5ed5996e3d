"""l2population exactness against reference/03 §3.4-3.6 and 04 §7: FDB only for
networks with a local VLAN (by network id, type and segment), chg_ip moves ARP
responder entries and never creates a tunnel, tunnels live while a local
network of their own type floods to them, tunnel_delete keeps a tunnel in use."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ovsagent.agent.callbacks import AgentRpcCallbacks
from ovsagent.agent.core import AgentCore
from ovsagent.agent.settings import AgentSettings
from ovsagent.agent.tunnels import TunnelManager
from ovsagent.pipeline.compute import FLOODING_ENTRY
from ovsagent.pipeline.state import HostState, LocalNetwork, Segment, TunnelPort
from ovsagent.rpc.cache import CacheEvent, ChangeKind, Source, changed_fields
from ovsagent.rpc.l2pop import FdbIpChange, FdbNetwork, MacIp
from ovsagent.rpc.ovo import PortInfo
from ovsagent.rpc.topics import PORT

LOCAL, REMOTE = "198.18.0.1", "198.18.0.2"
SETTINGS = AgentSettings(host="h1", local_ip=LOCAL, tunnel_types=("vxlan", "gre", "geneve"),
                         l2_population=True, arp_responder=True)
VX = Segment("vxlan", None, 1000)
GRE = Segment("gre", None, 2000)
VM = ("fa:16:3e:00:00:02", "198.19.0.2")
FLOOD = MacIp("00:00:00:00:00:00", "0.0.0.0")


class _Loop:
    """Runs what the core hands to the loop thread at once."""

    def call_soon(self, fn: Callable[[], object]) -> None:
        fn()


class _Tunnels:
    """Records tunnel creation instead of talking to OVSDB."""

    def __init__(self, state: HostState) -> None:
        self.state = state
        self.created: list[tuple[str, str]] = []

    def ensure(self, tunnel_type: str, remote_ip: str) -> TunnelPort | None:
        if remote_ip == LOCAL:
            return None
        key = (tunnel_type, remote_ip)
        if key not in self.state.tunnels:
            self.created.append(key)
            self.state.tunnels[key] = TunnelPort(tunnel_type, remote_ip, 10 + len(self.created))
        return self.state.tunnels[key]

    def remove_unused(self, only: set[tuple[str, str]] | None = None) -> list[str]:
        return []


def _core(*networks: LocalNetwork) -> tuple[AgentCore, _Tunnels]:
    core = AgentCore(SETTINGS, object(), object(), object())  # type: ignore[arg-type]
    tunnels = _Tunnels(core.state)
    core.tunnels = tunnels  # type: ignore[assignment]
    core.loop = _Loop()  # type: ignore[assignment]
    for net in networks:
        core.state.networks[net.network_id] = net
    return core, tunnels


def test_fdb_of_a_local_network_creates_the_tunnel_and_own_ip_is_ignored() -> None:
    core, tunnels = _core(LocalNetwork("n", VX, 1))
    core.on_fdb_add("n", "vxlan", LOCAL, [("00:00:00:00:00:00", "0.0.0.0"), VM])
    assert tunnels.created == []
    assert not core.state.fdb.get("n", {}).get(LOCAL)
    core.on_fdb_add("n", "vxlan", REMOTE, [("00:00:00:00:00:00", "0.0.0.0"), VM])
    assert tunnels.created == [("vxlan", REMOTE)]
    assert core.state.fdb["n"][REMOTE] == {FLOODING_ENTRY, VM}


def test_fdb_of_a_network_without_local_port_is_ignored() -> None:
    core, tunnels = _core()
    core.on_fdb_add("elsewhere", "vxlan", REMOTE, [("00:00:00:00:00:00", "0.0.0.0"), VM])
    assert tunnels.created == []
    assert not core.state.fdb.get("elsewhere")


def test_fdb_of_another_segment_of_the_network_is_ignored() -> None:
    core, tunnels = _core(LocalNetwork("n", VX, 1))
    AgentRpcCallbacks(core).fdb_add(
        (FdbNetwork("n", 1999, "vxlan", {REMOTE: (FLOOD, MacIp(*VM))}),))
    assert tunnels.created == []


def test_chg_ip_never_creates_a_tunnel() -> None:
    core, tunnels = _core(LocalNetwork("n", VX, 1))
    AgentRpcCallbacks(core).fdb_update(
        (FdbIpChange("n", REMOTE, (MacIp(*VM),), (MacIp(VM[0], "198.19.0.9"),)),))
    assert tunnels.created == []


def _manager(fdb: dict[str, dict[str, set[tuple[str, str]]]], *networks: LocalNetwork,
             client: Any = None) -> TunnelManager:
    state = HostState()
    for net in networks:
        state.networks[net.network_id] = net
    state.fdb = fdb
    for i, ttype in enumerate(("vxlan", "gre"), start=1):
        state.tunnels[(ttype, REMOTE)] = TunnelPort(ttype, REMOTE, i)
    return TunnelManager(SETTINGS, client, state)


def test_tunnel_in_use_while_a_network_floods_to_it() -> None:
    tm = _manager({"v": {REMOTE: {FLOODING_ENTRY}}}, LocalNetwork("v", VX, 1))
    assert tm.in_use("vxlan", REMOTE)
    tm.state.fdb["v"][REMOTE].discard(FLOODING_ENTRY)
    assert not tm.in_use("vxlan", REMOTE)


def test_tunnel_in_use_only_by_networks_of_its_own_type() -> None:
    tm = _manager({"g": {REMOTE: {FLOODING_ENTRY}}}, LocalNetwork("g", GRE, 1))
    assert tm.in_use("gre", REMOTE)
    assert not tm.in_use("vxlan", REMOTE)


class _RecordingClient:
    def __init__(self) -> None:
        self.transactions = 0

    def transact(self, *ops: object) -> list[int]:
        self.transactions += 1
        return [1]


def test_tunnel_delete_keeps_a_tunnel_a_network_floods_to() -> None:
    client = _RecordingClient()
    tm = _manager({"v": {REMOTE: {FLOODING_ENTRY, VM}}}, LocalNetwork("v", VX, 1), client=client)
    tm.remove("vxlan", REMOTE)
    assert ("vxlan", REMOTE) in tm.state.tunnels
    assert client.transactions == 0


def test_chg_ip_moves_the_arp_entry_of_a_known_endpoint() -> None:
    core, tunnels = _core(LocalNetwork("n", VX, 1))
    core.on_fdb_add("n", "vxlan", REMOTE, [("00:00:00:00:00:00", "0.0.0.0"), VM], 1000)
    AgentRpcCallbacks(core).fdb_update(
        (FdbIpChange("n", REMOTE, (MacIp(*VM),), (MacIp(VM[0], "198.19.0.9"),)),))
    assert core.state.fdb["n"][REMOTE] == {FLOODING_ENTRY, (VM[0], "198.19.0.9")}
    assert tunnels.created == [("vxlan", REMOTE)]


def test_fdb_remove_of_another_segment_leaves_the_entries() -> None:
    core, _ = _core(LocalNetwork("n", VX, 1))
    core.on_fdb_add("n", "vxlan", REMOTE, [VM], 1000)
    core.on_fdb_remove("n", "vxlan", REMOTE, [VM], 1999)
    assert core.state.fdb["n"][REMOTE] == {VM}
    core.on_fdb_remove("n", "vxlan", REMOTE, [VM], 1000)
    assert REMOTE not in core.state.fdb["n"]


def _port_event(old_status: str | None, new_status: str, **changes: Any) -> CacheEvent:
    def port(status: str, **kw: Any) -> PortInfo:
        return PortInfo(**{"id": "p1", "network_id": "n1", "mac_address": VM[0],
                           "admin_state_up": True, "status": status, "device_id": "vm",
                           "device_owner": "compute:nova", "revision_number": 1, **kw})
    old = port(old_status) if old_status else None
    new = port(new_status, **changes)
    kind = ChangeKind.UPDATED if old else ChangeKind.CREATED
    return CacheEvent(PORT, kind, "p1", old, new, Source.PUSH, changed_fields(old, new))


def test_status_push_for_a_wired_port_is_not_reprocessed() -> None:
    core, _ = _core()
    seen: list[str] = []
    core.on_port_update = seen.append  # type: ignore[method-assign]
    cb = AgentRpcCallbacks(core)
    cb.resource_changed(_port_event("DOWN", "ACTIVE"))
    assert seen == ["p1"]  # not wired here: processed
    core.state.ports["p1"] = object()  # type: ignore[assignment]
    cb.resource_changed(_port_event("DOWN", "ACTIVE"))
    assert seen == ["p1"]  # our own report confirmed: nothing to do
    cb.resource_changed(_port_event("ACTIVE", "DOWN"))
    cb.resource_changed(_port_event("DOWN", "ACTIVE", admin_state_up=False))
    cb.resource_changed(_port_event(None, "ACTIVE"))
    assert seen == ["p1"] * 4
