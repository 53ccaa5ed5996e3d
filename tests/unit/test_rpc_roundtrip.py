"""End to end over oslo.messaging's in-memory ``fake://`` transport.

A fake "server" answers report_state, bulk_pull, update_device_list and
tunnel_sync, and casts push notifications and l2pop FDB messages; the agent
side (PluginApi, ResourceCache, RpcConsumers) receives typed events.
"""

from __future__ import annotations

import queue
import uuid
from collections.abc import Iterator
from typing import Any

import oslo_messaging
import pytest
from oslo_config import cfg
from test_rpc_samples import FDB_ADD, FDB_UPDATE, NET, PORT, deleted, network, port, with_data

from ovsagent.rpc import topics
from ovsagent.rpc.cache import CacheEvent, ChangeKind, ResourceCache, Source
from ovsagent.rpc.consumers import RpcConsumers
from ovsagent.rpc.errors import PayloadError, RpcRemoteError, RpcTimeout
from ovsagent.rpc.l2pop import FdbIpChange, FdbNetwork
from ovsagent.rpc.plugin_api import DeviceDown, PluginApi, TunnelEndpoint
from ovsagent.rpc.settings import RpcSettings
from ovsagent.rpc.state import AgentState, AgentStateConfig
from ovsagent.rpc.transport import RpcTransport, build_transport

P2 = "9a1d2f3e-4b5c-4d6e-8f70-0a1b2c3d4e60"
WAIT = 5.0


class Recorder:
    """AgentCallbacks that queue what they are told."""

    def __init__(self) -> None:
        self.q: queue.Queue[tuple[str, Any]] = queue.Queue()

    def tunnel_update(self, tunnel_ip: str, tunnel_type: str | None) -> None:
        self.q.put(("tunnel_update", (tunnel_ip, tunnel_type)))

    def tunnel_delete(self, tunnel_ip: str, tunnel_type: str | None) -> None:
        self.q.put(("tunnel_delete", (tunnel_ip, tunnel_type)))

    def fdb_add(self, networks: tuple[FdbNetwork, ...]) -> None:
        self.q.put(("fdb_add", networks))

    def fdb_remove(self, networks: tuple[FdbNetwork, ...]) -> None:
        self.q.put(("fdb_remove", networks))

    def fdb_update(self, changes: tuple[FdbIpChange, ...]) -> None:
        self.q.put(("fdb_update", changes))

    def resource_changed(self, event: CacheEvent) -> None:
        self.q.put(("resource_changed", event))

    def payload_error(self, method: str, error: PayloadError) -> None:
        self.q.put(("payload_error", (method, error)))

    def next(self) -> tuple[str, Any]:
        return self.q.get(timeout=WAIT)

    def empty_after(self, seconds: float = 0.3) -> bool:
        try:
            self.q.get(timeout=seconds)
        except queue.Empty:
            return True
        return False


class FakeServer:
    """The server side of the contract, in-process."""

    target = oslo_messaging.Target(version="1.9")

    def __init__(self) -> None:
        self.objects = [port(PORT), port(P2, mac_address="fa:16:3e:00:00:02"), network()]
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.contexts: list[dict[str, Any]] = []
        self.statuses = iter(["new", "alive", "revived"])

    def _record(self, ctx: dict[str, Any], method: str, kwargs: dict[str, Any]) -> None:
        self.contexts.append(ctx)
        self.calls.append((method, kwargs))

    def has_alive_neutron_server(self, ctx: dict[str, Any], **kw: Any) -> bool:
        self._record(ctx, "has_alive_neutron_server", kw)
        return True

    def report_state(self, ctx: dict[str, Any], **kw: Any) -> str:
        self._record(ctx, "report_state", kw)
        return next(self.statuses)

    def bulk_pull(self, ctx: dict[str, Any], **kw: Any) -> list[Any]:
        self._record(ctx, "bulk_pull", kw)
        ids = kw["filter_kwargs"]["id"]
        return [o for o in self.objects if o["versioned_object.name"] == kw["resource_type"]
                and o["versioned_object.data"]["id"] in ids]

    def update_device_list(self, ctx: dict[str, Any], **kw: Any) -> dict[str, Any]:
        self._record(ctx, "update_device_list", kw)
        if "explode" in kw["devices_up"]:
            raise ValueError("server bug")
        return {"devices_up": [d for d in kw["devices_up"] if d != "unknown"],
                "failed_devices_up": [d for d in kw["devices_up"] if d == "unknown"],
                "devices_down": [{"device": d, "exists": True} for d in kw["devices_down"]],
                "failed_devices_down": []}

    def update_device_down(self, ctx: dict[str, Any], **kw: Any) -> dict[str, Any]:
        self._record(ctx, "update_device_down", kw)
        return {"device": kw["device"], "exists": False}

    def tunnel_sync(self, ctx: dict[str, Any], **kw: Any) -> dict[str, Any]:
        self._record(ctx, "tunnel_sync", kw)
        return {"tunnels": [{"ip_address": "198.18.0.1", "host": "host-a", "udp_port": 4789},
                            {"ip_address": "198.18.0.2", "host": "host-b"}]}


class Env:
    def __init__(self, transport: RpcTransport, host: str, server: FakeServer) -> None:
        self.transport = transport
        self.host = host
        self.server = server
        self.settings = RpcSettings(host=host, response_timeout=5.0, processing_step=2)
        self.api = PluginApi(transport, self.settings)
        self.cache = ResourceCache(self.api)
        self.callbacks = Recorder()

    def consumers(self, **kw: Any) -> RpcConsumers:
        c = RpcConsumers(self.transport, self.host, self.callbacks, self.cache,
                         l2_population=True, **kw)
        assert c.start(timeout=WAIT)
        self._started.append(c)
        return c

    _started: list[RpcConsumers]

    def cast(self, topic: str, method: str, *, fanout: bool = True, server: str | None = None,
             version: str = "1.0", **kwargs: Any) -> None:
        client = oslo_messaging.get_rpc_client(
            self.transport.rpc, oslo_messaging.Target(topic=topic, fanout=fanout, server=server,
                                                      version=version))
        client.cast({"is_admin": True}, method, **kwargs)


@pytest.fixture(scope="module")
def bus() -> Iterator[tuple[RpcTransport, FakeServer]]:
    """One fake:// transport and one fake server for the module (stopping servers is slow)."""
    conf = cfg.ConfigOpts()  # private: exercises the extra option groups
    conf([], project="ovsagent-test")
    transport = build_transport(conf, url="fake://")
    fake = FakeServer()
    servers = [oslo_messaging.get_rpc_server(
        transport.rpc, oslo_messaging.Target(topic=t, server="server-1"), [fake])
        for t in (topics.PLUGIN, topics.REPORTS)]
    for s in servers:
        s.start()
    yield transport, fake
    for s in servers:
        s.stop()
        s.wait()
    assert transport.cleanup()


@pytest.fixture
def env(bus: tuple[RpcTransport, FakeServer]) -> Iterator[Env]:
    transport, fake = bus
    fake.__init__()  # type: ignore[misc]  # fresh calls and statuses
    e = Env(transport, f"host-{uuid.uuid4().hex[:8]}", fake)
    e._started = []
    yield e
    for c in e._started:
        c.stop()


def test_calls_round_trip(env: Env) -> None:
    api = env.api
    assert api.has_alive_neutron_server() is True
    state = AgentState(AgentStateConfig(host=env.host, tunnel_types=("vxlan",),
                                        tunneling_ip="198.18.0.1", default_hypervisor="hv"))
    assert api.report_state(state.build()) == "new"
    method, kw = env.server.calls[-1]
    assert method == "report_state"
    sent = kw["agent_state"]["agent_state"]
    assert sent["agent_type"] == "Open vSwitch agent" and sent["host"] == env.host
    assert sent["resource_versions"]["Port"] == "1.11"
    assert kw["time"][10] == "T" and len(kw["time"]) == 26
    state.reported(synced=True)
    assert api.report_state(state.build()) == "alive"
    assert "resource_versions" not in env.server.calls[-1][1]["agent_state"]["agent_state"]
    assert api.report_state(state.build()) == "revived"

    ctx = env.server.contexts[-1]
    assert ctx["is_admin"] is True and ctx["request_id"].startswith("req-")

    assert api.tunnel_sync("198.18.0.1", "vxlan") == (
        TunnelEndpoint("198.18.0.1", "host-a", 4789), TunnelEndpoint("198.18.0.2", "host-b"))
    assert env.server.calls[-1][1] == {"tunnel_ip": "198.18.0.1", "tunnel_type": "vxlan",
                                       "host": env.host}
    assert api.update_device_down(PORT) == DeviceDown(PORT, False)


def test_update_device_list_is_chunked_and_merged(env: Env) -> None:
    result = env.api.update_device_list(["a", "b", "unknown", "c"], ["d"], refresh_tunnels=True)
    assert result.devices_up == ("a", "b", "c") and result.failed_devices_up == ("unknown",)
    assert result.devices_down == (DeviceDown("d", True),) and result.failed_devices_down == ()
    calls = [kw for m, kw in env.server.calls if m == "update_device_list"]
    assert [c["devices_up"] for c in calls] == [["a", "b"], ["unknown", "c"]]
    assert [c["devices_down"] for c in calls] == [["d"], []]
    assert all(c["refresh_tunnels"] is True and c["agent_id"] == f"ovs-agent-{env.host}"
               and c["host"] == env.host for c in calls)


def test_update_device_list_server_error_fails_only_its_chunk(env: Env) -> None:
    result = env.api.update_device_list(["a", "explode", "b"], [])
    assert result.devices_up == ("b",) and result.failed_devices_up == ("a", "explode")
    with pytest.raises(RpcRemoteError) as info:
        env.api.update_device_list(["explode"], [])
    assert info.value.exc_type == "ValueError" and "server bug" in info.value.value


def test_bulk_pull_feeds_the_cache(env: Env) -> None:
    env.consumers()  # wires cache events to the recorder
    result = env.cache.fetch_ports([PORT, P2, "missing"])
    assert set(result.found) == {PORT, P2}
    pulls = [kw for m, kw in env.server.calls if m == "bulk_pull"]
    assert pulls == [{"resource_type": "Port", "version": "1.11",
                      "filter_kwargs": {"id": [PORT, P2, "missing"]}}]
    kinds = {env.callbacks.next()[1].resource_id for _ in range(2)}
    assert kinds == {PORT, P2}
    assert env.cache.fetch_networks([NET]).found[NET].mtu == 1450


def test_push_and_l2pop_reach_the_agent(env: Env) -> None:
    consumers = env.consumers()
    assert consumers.shared and consumers.started
    assert [s.executor_type for s in consumers._servers] == ["threading"]
    assert [s.topic for s in consumers.specs] == [
        topics.TUNNEL_UPDATE, topics.TUNNEL_DELETE, topics.L2POP_UPDATE,
        "neutron-vo-Port-1.11", "neutron-vo-Network-1.3"]

    env.cast("neutron-vo-Port-1.11", "push", version="1.1", resource_list=[port(PORT)],
             event_type="updated")
    kind, event = env.callbacks.next()
    assert kind == "resource_changed" and event.kind is ChangeKind.CREATED
    assert event.source is Source.PUSH and event.new.mac_address == "fa:16:3e:12:34:56"

    env.cast("neutron-vo-Port-1.11", "push", version="1.1",
             resource_list=[port(PORT, revision=4, admin_state_up=False)], event_type="updated")
    kind, event = env.callbacks.next()
    assert event.kind is ChangeKind.UPDATED and event.changed_fields == {"admin_state_up"}
    assert event.old.admin_state_up is True and event.new.admin_state_up is False

    env.cast("neutron-vo-Network-1.3", "push", version="1.1", resource_list=[network()],
             event_type="updated")
    assert env.callbacks.next()[1].resource_type == "Network"

    env.cast(topics.L2POP_UPDATE, "add_fdb_entries", fdb_entries=FDB_ADD)
    kind, networks = env.callbacks.next()
    assert kind == "fdb_add" and networks[0].network_id == NET
    assert networks[0].ports["198.18.0.2"][0].is_flooding

    # direct cast to this host's queue; one for another host is ignored
    env.cast(topics.L2POP_UPDATE, "remove_fdb_entries", fanout=False, server=env.host,
             fdb_entries=FDB_ADD)
    assert env.callbacks.next()[0] == "fdb_remove"
    env.cast(topics.L2POP_UPDATE, "add_fdb_entries", fdb_entries=FDB_ADD, host="other-host")
    env.cast(topics.L2POP_UPDATE, "update_fdb_entries", fdb_entries=FDB_UPDATE)
    kind, changes = env.callbacks.next()
    assert kind == "fdb_update" and changes[0].after[0].ip_address == "198.19.1.9"

    env.cast(topics.TUNNEL_UPDATE, "tunnel_update", tunnel_ip="198.18.0.7", tunnel_type="vxlan")
    assert env.callbacks.next() == ("tunnel_update", ("198.18.0.7", "vxlan"))
    env.cast(topics.TUNNEL_DELETE, "tunnel_delete", tunnel_ip="198.18.0.7", tunnel_type="vxlan")
    assert env.callbacks.next() == ("tunnel_delete", ("198.18.0.7", "vxlan"))

    env.cast("neutron-vo-Port-1.11", "push", version="1.1", resource_list=[deleted("Port", PORT)],
             event_type="deleted")
    kind, event = env.callbacks.next()
    assert event.kind is ChangeKind.DELETED and event.old.id == PORT
    assert env.callbacks.empty_after()


def test_bad_input_is_logged_and_reported(env: Env, caplog: pytest.LogCaptureFixture) -> None:
    env.consumers()
    env.cast("neutron-vo-Port-1.11", "push", version="1.1",
             resource_list=[with_data(port(PORT), mac_address="bad"), port(P2)],
             event_type="updated")
    kind, (method, error) = env.callbacks.next()
    assert kind == "payload_error" and method == "push"
    assert error.resource_id == PORT and error.key == "mac_address"
    kind, event = env.callbacks.next()  # the good object of the same message still applied
    assert kind == "resource_changed" and event.resource_id == P2

    env.cast(topics.L2POP_UPDATE, "add_fdb_entries",
             fdb_entries={NET: {"segment_id": 2**24, "network_type": "vxlan", "ports": {}}})
    kind, (method, error) = env.callbacks.next()
    assert method == "add_fdb_entries" and error.key == "segment_id"
    env.cast(topics.TUNNEL_UPDATE, "tunnel_update", tunnel_ip="not-an-ip", tunnel_type="vxlan")
    assert env.callbacks.next()[1][0] == "tunnel_update"
    env.cast(topics.TUNNEL_UPDATE, "some_future_method", x=1)
    env.cast(topics.TUNNEL_UPDATE, "dvr_mac_address_update", dvr_macs=[])
    env.cast(topics.TUNNEL_UPDATE, "tunnel_update", version="2.0", tunnel_ip="198.18.0.9")
    env.cast(topics.TUNNEL_UPDATE, "tunnel_update", tunnel_ip="198.18.0.8", tunnel_type="gre")
    assert env.callbacks.next() == ("tunnel_update", ("198.18.0.8", "gre"))
    assert "Ignoring unknown RPC method some_future_method" in caplog.text


def test_one_server_per_topic_fallback(env: Env) -> None:
    consumers = env.consumers(shared_connection=False)
    assert not consumers.shared and len(consumers._servers) == len(consumers.specs)
    env.cast(topics.TUNNEL_DELETE, "tunnel_delete", tunnel_ip="198.18.0.5", tunnel_type="vxlan")
    assert env.callbacks.next() == ("tunnel_delete", ("198.18.0.5", "vxlan"))
    env.cast("neutron-vo-Network-1.3", "push", version="1.1", resource_list=[network()],
             event_type="updated")
    assert env.callbacks.next()[1].resource_id == NET


def test_no_l2pop_topic_without_l2_population(env: Env) -> None:
    c = RpcConsumers(env.transport, env.host, env.callbacks, env.cache, l2_population=False)
    assert topics.L2POP_UPDATE not in [s.topic for s in c.specs]


def test_timeout_backs_off_per_method(env: Env) -> None:
    api = PluginApi(env.transport, RpcSettings(host=env.host, response_timeout=0.2,
                                               response_max_timeout=0.5))
    api._plugin = oslo_messaging.get_rpc_client(
        env.transport.rpc, oslo_messaging.Target(topic="nobody-listens", version="1.9"))
    with pytest.raises(RpcTimeout):
        api.tunnel_sync("198.18.0.1", "vxlan")
    assert api.timeout_for("tunnel_sync") == 0.4
    with pytest.raises(RpcTimeout):
        api.tunnel_sync("198.18.0.1", "vxlan")
    assert api.timeout_for("tunnel_sync") == 0.5  # capped at response_max_timeout
    assert api.timeout_for("bulk_pull") == 0.2
    api.cap_timeouts(0.1)
    assert api.timeout_for("tunnel_sync") == 0.1
