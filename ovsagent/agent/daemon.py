"""``ovsagent`` after configuration: connect everything, run, stop cleanly.

Order: OVSDB (retried with a clear message while the socket is missing),
physical bridges checked, OpenFlow driver, RPC transport + push cache +
consumers, the details of the ports already on br-int pulled in the
background, the agent core (bridges, base flows, loop), tunnel_sync, the
heartbeat. SIGTERM/SIGINT stop the agent leaving flows in place (exit 0);
SIGHUP reloads the logging options.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from types import FrameType
from typing import Any

from oslo_config import cfg

from ovsagent.agent.callbacks import AgentRpcCallbacks
from ovsagent.agent.core import AgentCore
from ovsagent.agent.details import RpcServerApi
from ovsagent.agent.health import OvsStatus
from ovsagent.agent.heartbeat import Heartbeat
from ovsagent.agent.ops import OpsEndpoints, make_metrics
from ovsagent.agent.settings import AgentSettings
from ovsagent.agent.view import AgentView
from ovsagent.config import startup, validate
from ovsagent.ovs import ovsdb
from ovsagent.ovs.openflow.factory import make_driver
from ovsagent.rpc.cache import ResourceCache
from ovsagent.rpc.consumers import RpcConsumers
from ovsagent.rpc.plugin_api import PluginApi
from ovsagent.rpc.settings import RpcSettings
from ovsagent.rpc.state import AgentState, AgentStateConfig
from ovsagent.rpc.transport import build_transport

LOG = logging.getLogger(__name__)

OVSDB_RETRY_SECONDS = 2.0
#: bulk_pull batches (100 ports each) in flight at once, so that several RPC workers
#: can answer them side by side; with one worker no gain was measurable (500 ports:
#: 1.7-2.5 s against 1.8-3.3 s one batch after the other, docs/performance.md)
PULL_PARALLEL = 4


def connect_ovsdb(settings: AgentSettings, stop: threading.Event) -> ovsdb.OvsdbClient | None:
    """Connect to OVSDB, retrying (one log line per attempt) until it answers or stop."""
    attempt = 0
    while not stop.is_set():
        attempt += 1
        try:
            return ovsdb.OvsdbClient(settings.ovsdb_connection, timeout=settings.ovsdb_timeout)
        except ovsdb.OvsdbError as exc:
            LOG.error("OVSDB not reachable (attempt %d): %s; retrying in %.0f s", attempt, exc,
                      OVSDB_RETRY_SECONDS)
            stop.wait(OVSDB_RETRY_SECONDS)
    return None


def ovs_capabilities(client: ovsdb.OvsdbClient) -> dict[str, list[str]]:
    def read(db: Any) -> dict[str, list[str]]:
        row = db.open_vswitch()
        return {"datapath_types": sorted(row.datapath_types),
                "iface_types": sorted(row.iface_types)}

    return client.read(read)


def plugged_port_ids(client: ovsdb.OvsdbClient, bridge: str) -> list[str]:
    """The iface-ids of the VIFs on ``bridge`` (none before it exists)."""
    if not ovsdb.bridge_exists(client, bridge):
        return []
    return sorted(row[0] for row in ovsdb.vif_rows(client, bridge))


def state_config(settings: AgentSettings, conf: cfg.ConfigOpts,
                 client: ovsdb.OvsdbClient) -> AgentStateConfig:
    return AgentStateConfig(
        host=settings.host, bridge_mappings=dict(settings.bridge_mappings),
        integration_bridge=settings.integration_bridge, tunnel_types=settings.tunnel_types,
        tunneling_ip=settings.local_ip if settings.tunnelling else None,
        l2_population=settings.l2_population,
        arp_responder_enabled=settings.arp_responder and settings.l2_population,
        datapath_type=settings.datapath_type, ovs_capabilities=ovs_capabilities(client),
        vhostuser_socket_dir=conf.ovs.vhostuser_socket_dir)


class Daemon:
    """Everything one running agent owns, started and stopped in order."""

    def __init__(self, conf: cfg.ConfigOpts) -> None:
        self.conf = conf
        self.settings = AgentSettings.from_conf(conf)
        self.stop_event = threading.Event()
        self.reload_event = threading.Event()
        self.tunnels_done = threading.Event()

    def run(self) -> int:
        s = self.settings
        client = connect_ovsdb(s, self.stop_event)
        if client is None:
            return 0
        errors = validate.check_bridges_exist(self.conf, ovsdb.list_bridges(client))
        if errors:
            for error in errors:
                LOG.error("configuration error: %s", error)
            return 1
        driver = make_driver(self.conf)
        transport = build_transport(self.conf)
        metrics = make_metrics(s)
        plugin = PluginApi(transport, RpcSettings.from_conf(self.conf),
                           observe=metrics.rpc_call if metrics else None)
        cache = ResourceCache(puller=plugin, pull_parallel=PULL_PARALLEL)
        server_api = RpcServerApi(cache, plugin, s.host)
        core = AgentCore(s, server_api, driver, client, observer=metrics)
        consumers = RpcConsumers(transport, s.host, AgentRpcCallbacks(core), cache,
                                 l2_population=s.l2_population)
        agent_state = AgentState(state_config(s, self.conf, client))
        heartbeat = Heartbeat(
            plugin, agent_state, s.report_interval,
            devices=lambda: len(core.state.ports),
            synced=lambda: core.loop is not None and core.loop.iteration > 0,
            on_revived=lambda: self._resync(core, "revived"),
            ovs_dead=lambda: core.loop is not None and core.loop.ovs_status is OvsStatus.DEAD)

        def ovs_restarted() -> None:  # start_flag + immediate report: l2pop resends FDB
            agent_state.restarted()
            heartbeat.kick()

        core.ovs_restart_listeners.append(ovs_restarted)
        view = AgentView(core)
        view.heartbeat, view.broker = heartbeat, consumers
        ops = OpsEndpoints(s, view, metrics)
        try:
            consumers.start(timeout=5)  # keeps trying in the background if the broker is down
            # once pushes are consumed (none is missed after the answer): the server's
            # answer for the ports already plugged comes while the bridges are set up
            vifs = plugged_port_ids(client, s.integration_bridge)
            if vifs:
                server_api.prefetch(vifs)
            core.start()
            ops.start()
            heartbeat.start()
            threading.Thread(target=self._tunnel_sync, args=(plugin, core), daemon=True,
                             name="tunnel_sync").start()
            LOG.info("ovsagent started on host %s (of_interface=%s, cookie %#x)", s.host,
                     s.of_interface, core.cookie)
            self._wait()
        finally:
            LOG.info("ovsagent stopping; flows and ports stay in place")
            plugin.cap_timeouts()
            ops.stop()
            heartbeat.stop()
            consumers.stop()
            core.stop()
            driver.close()
            transport.cleanup()
            client.close()
        return 0

    @staticmethod
    def _resync(core: AgentCore, cause: str) -> None:
        if core.loop is not None:
            core.loop.request_full_sync(refresh_cache=True, cause=cause)

    def _wait(self) -> None:
        while not self.stop_event.is_set():
            self.stop_event.wait(1.0)
            if self.reload_event.is_set():
                self.reload_event.clear()
                self.conf.mutate_config_files()
                startup.setup_logging(self.conf)
                startup.log_effective_options(self.conf, LOG)

    def _tunnel_sync(self, plugin: PluginApi, core: AgentCore) -> None:
        """Register our endpoint per tunnel type; without l2pop, tunnel to every peer."""
        s = self.settings
        if not s.tunnelling or not s.local_ip:
            self.tunnels_done.set()
            return
        pending = list(s.tunnel_types)
        delay = 1.0
        while pending and not self.stop_event.is_set():
            ttype = pending[0]
            try:
                endpoints = plugin.tunnel_sync(s.local_ip, ttype)
            except Exception as exc:
                LOG.warning("tunnel_sync(%s) failed: %s; retrying in %.0f s", ttype, exc, delay)
                self.stop_event.wait(delay)
                delay = min(delay * 2, 30.0)
                continue
            pending.pop(0)
            if not s.l2_population:
                for ep in endpoints:
                    core.on_tunnel_update(ttype, ep.ip_address)
            LOG.info("tunnel_sync(%s): %d endpoints", ttype, len(endpoints))
        if not pending:
            self.tunnels_done.set()

    def install_signal_handlers(self) -> None:
        def on_stop(signum: int, frame: FrameType | None) -> None:
            LOG.info("signal %d: stopping", signum)
            self.stop_event.set()

        def on_hup(signum: int, frame: FrameType | None) -> None:
            self.reload_event.set()

        signal.signal(signal.SIGTERM, on_stop)
        signal.signal(signal.SIGINT, on_stop)
        signal.signal(signal.SIGHUP, on_hup)


def run(conf: cfg.ConfigOpts) -> int:
    daemon = Daemon(conf)
    daemon.install_signal_handlers()
    start = time.monotonic()
    rc = daemon.run()
    LOG.info("ovsagent exited after %.1f s", time.monotonic() - start)
    return rc
