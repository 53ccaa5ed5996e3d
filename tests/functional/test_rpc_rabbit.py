"""The RPC layer against a real, private RabbitMQ node (started with ``ovsagent.lab``).

Checks the round trip over AMQP, the broker footprint of the agent side
(connections, channels, queues, counted by the broker for the agent's own
user) against the one-server-per-topic layout of the reference, and that a
broker outage never freezes a call and consumption resumes afterwards.
Skipped when RabbitMQ is not installed.
"""

from __future__ import annotations

import os
import queue
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import oslo_messaging
import pytest
from oslo_config import cfg

from ovsagent.lab import procs, services
from ovsagent.lab.state import LabPaths
from ovsagent.rpc import topics
from ovsagent.rpc.cache import CacheEvent, ResourceCache
from ovsagent.rpc.consumers import RpcConsumers
from ovsagent.rpc.errors import PayloadError, RpcError
from ovsagent.rpc.l2pop import FdbIpChange, FdbNetwork
from ovsagent.rpc.plugin_api import PluginApi
from ovsagent.rpc.settings import RpcSettings
from ovsagent.rpc.state import AgentState, AgentStateConfig
from ovsagent.rpc.transport import build_transport

pytestmark = pytest.mark.skipif(not (services.RABBIT_BIN / "rabbitmq-server").exists(),
                                reason="RabbitMQ is not installed")

NET = "5f0c3c1e-8d4a-4c55-9a0b-1d2e3f405061"
PORT_ID = "9a1d2f3e-4b5c-4d6e-8f70-0a1b2c3d4e5f"
WAIT = 10.0


@dataclass
class Broker:
    paths: LabPaths
    run_id: str
    port: int
    epmd: int

    def ctl(self, *args: str) -> str:
        return services.rabbitmqctl(self.paths, self.run_id, self.port, self.epmd, *args)

    def url(self, user: str = "guest", password: str = "guest") -> str:
        return f"rabbit://{user}:{password}@127.0.0.1:{self.port}/"

    def add_user(self, user: str) -> str:
        self.ctl("add_user", user, user)
        self.ctl("set_permissions", "-p", "/", user, ".*", ".*", ".*")
        return self.url(user, user)

    def rows(self, what: str, *fields: str) -> list[list[str]]:
        out = self.ctl(what, "--no-table-headers", "--quiet", *fields)
        return [line.split("\t") for line in out.splitlines() if line.strip()]

    def queues(self) -> set[str]:
        return {r[0] for r in self.rows("list_queues", "name")}

    def footprint(self, user: str) -> tuple[int, int]:
        """(connections, channels) the broker counts for ``user``."""
        rows = [r for r in self.rows("list_connections", "user", "channels") if r[0] == user]
        return len(rows), sum(int(r[1]) for r in rows)


@pytest.fixture(scope="module")
def broker() -> Iterator[Broker]:
    if os.geteuid() != 0:
        pytest.skip("starting a private RabbitMQ node needs root")
    root = Path(tempfile.mkdtemp(prefix="ovsagent-rpc-rabbit-"))
    root.chmod(0o755)  # the node runs as the rabbitmq user
    paths = LabPaths(root)
    paths.logs.mkdir(parents=True)
    port = procs.free_port(25672 + os.getpid() % 5000,
                           also_free=lambda p: all(procs.port_free(p + d)
                                                   for d in (20000, 20001, 20002)))
    epmd = procs.free_port(port + 1, taken=(port,))
    run_id = f"rpctest{port}"
    started = services.start_rabbit(paths, run_id, port, epmd, lambda _msg: None)
    try:
        yield Broker(paths, run_id, port, epmd)
    finally:
        for proc in (started["rabbitmq"], started["epmd"]):
            procs.stop(proc, timeout=30)
        shutil.rmtree(root, ignore_errors=True)


class Recorder:
    def __init__(self) -> None:
        self.q: queue.Queue[tuple[str, Any]] = queue.Queue()

    def tunnel_update(self, tunnel_ip: str, tunnel_type: str | None) -> None:
        self.q.put(("tunnel_update", tunnel_ip))

    def tunnel_delete(self, tunnel_ip: str, tunnel_type: str | None) -> None:
        self.q.put(("tunnel_delete", tunnel_ip))

    def fdb_add(self, networks: tuple[FdbNetwork, ...]) -> None:
        self.q.put(("fdb_add", networks))

    def fdb_remove(self, networks: tuple[FdbNetwork, ...]) -> None:
        self.q.put(("fdb_remove", networks))

    def fdb_update(self, changes: tuple[FdbIpChange, ...]) -> None:
        self.q.put(("fdb_update", changes))

    def resource_changed(self, event: CacheEvent) -> None:
        self.q.put(("resource_changed", event))

    def payload_error(self, method: str, error: PayloadError) -> None:
        self.q.put(("payload_error", error))

    def next(self) -> tuple[str, Any]:
        return self.q.get(timeout=WAIT)


def port_primitive(revision: int = 1, admin_state_up: bool = True) -> dict[str, Any]:
    def ovo(name: str, data: dict[str, Any]) -> dict[str, Any]:
        return {"versioned_object.name": name, "versioned_object.version": "1.0",
                "versioned_object.namespace": "versionedobjects", "versioned_object.data": data}
    seg = ovo("NetworkSegment", {"id": "s1", "network_id": NET, "network_type": "vxlan",
                                 "physical_network": None, "segmentation_id": 1001})
    return ovo("Port", {
        "id": PORT_ID, "network_id": NET, "mac_address": "fa:16:3e:12:34:56",
        "admin_state_up": admin_state_up, "status": "DOWN", "device_id": "vm1",
        "device_owner": "compute:nova", "revision_number": revision,
        "bindings": [ovo("PortBinding", {"port_id": PORT_ID, "host": "h", "profile": "{}",
                                         "vif_type": "ovs", "vif_details": "{}",
                                         "vnic_type": "normal", "status": "ACTIVE"})],
        "binding_levels": [ovo("PortBindingLevel", {"host": "h", "level": 0, "segment": seg})],
    })


class Server:
    """The server side: q-plugin and q-reports-plugin, plus casts to agents."""

    target = oslo_messaging.Target(version="1.9")

    def __init__(self, url: str) -> None:
        conf = cfg.ConfigOpts()
        conf([], project="ovsagent-test-server")
        self.transport = build_transport(conf, url=url)
        self.servers = [oslo_messaging.get_rpc_server(
            self.transport.rpc, oslo_messaging.Target(topic=t, server="server-1"), [self])
            for t in (topics.PLUGIN, topics.REPORTS)]
        for s in self.servers:
            s.start()

    def report_state(self, ctx: Any, **kw: Any) -> str:
        return "alive"

    def has_alive_neutron_server(self, ctx: Any, **kw: Any) -> bool:
        return True

    def bulk_pull(self, ctx: Any, **kw: Any) -> list[Any]:
        return [port_primitive()] if PORT_ID in kw["filter_kwargs"]["id"] else []

    def update_device_list(self, ctx: Any, **kw: Any) -> dict[str, Any]:
        return {"devices_up": kw["devices_up"], "failed_devices_up": [],
                "devices_down": [], "failed_devices_down": []}

    def cast(self, topic: str, method: str, *, server: str | None = None, **kw: Any) -> None:
        client = oslo_messaging.get_rpc_client(self.transport.rpc, oslo_messaging.Target(
            topic=topic, fanout=server is None, server=server, version="1.1"))
        client.cast({"is_admin": True}, method, **kw)

    def close(self) -> None:
        for s in self.servers:
            s.stop()
            s.wait()
        self.transport.cleanup()


class Agent:
    def __init__(self, url: str, host: str, *, shared: bool = True) -> None:
        conf = cfg.ConfigOpts()
        conf([], project="ovsagent-test-agent")
        self.transport = build_transport(conf, url=url)
        self.api = PluginApi(self.transport, RpcSettings(host=host, response_timeout=5,
                                                         report_interval=5))
        self.cache = ResourceCache(self.api)
        self.events = Recorder()
        self.consumers = RpcConsumers(self.transport, host, self.events, self.cache,
                                      l2_population=True, shared_connection=shared)
        assert self.consumers.start(timeout=WAIT)
        self.state = AgentState(AgentStateConfig(host=host, tunnel_types=("vxlan",),
                                                 tunneling_ip="198.18.0.1",
                                                 default_hypervisor="hv"))

    def exercise(self) -> None:
        """What the agent does in steady state: heartbeat, pulls, device updates."""
        assert self.api.report_state(self.state.build()) == "alive"
        assert PORT_ID in self.cache.fetch_ports([PORT_ID]).found
        assert self.events.next()[0] == "resource_changed"
        assert self.api.update_device_list([PORT_ID], []).devices_up == (PORT_ID,)

    def close(self) -> None:
        self.consumers.stop()
        self.transport.cleanup()


@pytest.fixture(scope="module")
def server(broker: Broker) -> Iterator[Server]:
    s = Server(broker.url())
    yield s
    s.close()


def test_round_trip_and_footprint(broker: Broker, server: Server) -> None:
    before = broker.queues()
    agent = Agent(broker.add_user("agent1"), "host-1")
    try:
        agent.exercise()
        server.cast("neutron-vo-Port-1.11", "push", event_type="updated",
                    resource_list=[port_primitive(2, admin_state_up=False)])
        server.cast(topics.L2POP_UPDATE, "add_fdb_entries", fdb_entries={NET: {
            "segment_id": 1001, "network_type": "vxlan",
            "ports": {"198.18.0.2": [["00:00:00:00:00:00", "0.0.0.0"]]}}})
        server.cast(topics.L2POP_UPDATE, "remove_fdb_entries", server="host-1",
                    fdb_entries={NET: {"segment_id": 1001, "network_type": "vxlan",
                                       "ports": {"198.18.0.2": []}}})
        server.cast(topics.TUNNEL_UPDATE, "tunnel_update", tunnel_ip="198.18.0.2",
                    tunnel_type="vxlan")
        got = [agent.events.next()[0] for _ in range(4)]
        assert got == ["resource_changed", "fdb_add", "fdb_remove", "tunnel_update"]

        connections, channels = broker.footprint("agent1")
        queues = broker.queues() - before
        print(f"\nshared listener: {connections} connections, {channels} channels, "
              f"{len(queues)} queues")
        assert connections == 3 and channels == 3
        # a fanout queue per topic, the l2pop host queue, the reply queue
        assert len(queues) == len(agent.consumers.specs) + 2
        assert [q for q in queues if q.endswith(".host-1")] == [f"{topics.L2POP_UPDATE}.host-1"]
    finally:
        agent.close()


def test_reference_layout_footprint_for_comparison(broker: Broker, server: Server) -> None:
    before = broker.queues()
    agent = Agent(broker.add_user("agent2"), "host-2", shared=False)
    try:
        agent.exercise()
        connections, channels = broker.footprint("agent2")
        queues = broker.queues() - before
        print(f"\none server per topic: {connections} connections, {channels} channels, "
              f"{len(queues)} queues")
        assert connections == len(agent.consumers.specs) + 2
    finally:
        agent.close()


def test_broker_outage_never_freezes_and_recovers(broker: Broker, server: Server) -> None:
    agent = Agent(broker.add_user("agent3"), "host-3")
    try:
        agent.exercise()
        broker.ctl("stop_app")
        try:
            t0 = time.monotonic()
            with pytest.raises(RpcError) as info:
                agent.api.report_state(agent.state.build())
            failed_after = time.monotonic() - t0
            print(f"\nreport_state during the outage failed after {failed_after:.1f} s: "
                  f"{info.value}")
            assert failed_after < 20
        finally:
            broker.ctl("start_app")
        broker.ctl("await_startup")
        t0 = time.monotonic()
        # calls and consumers come back without any action from the agent
        deadline = 30.0
        end = time.monotonic() + deadline
        while True:
            try:
                assert agent.api.report_state(agent.state.build()) == "alive"
                print(f"report_state ok {time.monotonic() - t0:.1f} s after the broker is back")
                break
            except RpcError:
                if time.monotonic() > end:
                    raise
                time.sleep(1)
        end = time.monotonic() + deadline
        while True:
            server.cast(topics.TUNNEL_DELETE, "tunnel_delete", tunnel_ip="198.18.0.9",
                        tunnel_type="vxlan")
            try:
                assert agent.events.q.get(timeout=2) == ("tunnel_delete", "198.18.0.9")
                print(f"consuming again {time.monotonic() - t0:.1f} s after the broker is back")
                break
            except queue.Empty:
                if time.monotonic() > end:
                    raise
    finally:
        agent.close()
