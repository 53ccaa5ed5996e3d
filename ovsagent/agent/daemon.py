"""``ovsagent`` after configuration: connect everything, run, stop promptly.

Order: the RPC side (transport, push cache, consumers, then the details of
the ports the previous process saved pulled in the background) on its own
thread, first; once it has asked for the saved ports (or after 2 s; at
once when nothing was saved), the OpenFlow listener and OVSDB, which
connects and syncs (retried with a clear message while the
socket is missing); then physical bridges checked, the plugged ports the
saved list missed pulled, the agent core (bridges, base flows, loop),
tunnel_sync, the heartbeat. SIGTERM/SIGINT stop the agent leaving flows in
place (exit 0) within a few seconds (:mod:`ovsagent.stopping`); SIGHUP
reloads the logging options.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from types import FrameType
from typing import TYPE_CHECKING, Any

from oslo_config import cfg

from ovsagent.agent import portlist
from ovsagent.agent.callbacks import AgentRpcCallbacks
from ovsagent.agent.core import AgentCore
from ovsagent.agent.health import OvsStatus
from ovsagent.agent.heartbeat import Heartbeat
from ovsagent.agent.ops import OpsEndpoints, make_metrics
from ovsagent.agent.rpcside import RpcSide, in_background, start_rpc
from ovsagent.agent.settings import AgentSettings
from ovsagent.agent.view import AgentView
from ovsagent.config import startup, validate
from ovsagent.ovs import ovsdb
from ovsagent.ovs.openflow.base import OpenFlowDriver
from ovsagent.ovs.openflow.factory import make_driver
from ovsagent.rpc.plugin_api import PluginApi
from ovsagent.rpc.state import AgentState, AgentStateConfig
from ovsagent.stopping import stop_in_parallel

if TYPE_CHECKING:
    from ovsagent.metrics import AgentMetrics

LOG = logging.getLogger(__name__)

OVSDB_RETRY_SECONDS = 2.0
#: tunnel_sync waits (at most this long) for the first pass: at start the server is
#: answering the pull of every plugged port, and one tunnel_sync per tunnel type
#: would compete with it on its RPC workers. A restart's tunnels are restored from
#: OVSDB (with l2pop the FDB makes them) and its endpoint is registered already.
TUNNEL_SYNC_WAIT = 10.0
#: a stop lets an iteration in progress finish (its flows go in bundles, so cutting
#: it short would lose nothing, but finishing it saves the next start the work)
LOOP_STOP_GRACE = 5.0
#: at most this long the OVSDB sync and the OpenFlow listener wait for the RPC
#: side to ask for the saved ports (a broker that is slow or down must not hold
#: up the bridges)
RPC_FIRST_WAIT = 2.0


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


def prefetch_unsaved(prefetch: Callable[[list[str]], object], client: ovsdb.OvsdbClient,
                     bridge: str, saved: list[str] | None) -> list[str]:
    """Pull the ports plugged on ``bridge`` that the saved list did not name (all of
    them without a list) and return them. Called once the consumers listen, so no
    push after the answer is missed; saved ports no longer plugged were pulled for
    nothing (the loop ignores them)."""
    vifs = plugged_port_ids(client, bridge)
    unsaved = sorted(set(vifs) - set(saved or ()))
    if saved is not None:
        LOG.info("%d ports plugged: %d in the saved list, %d not (pulled now); %d saved "
                 "ports are gone", len(vifs), len(vifs) - len(unsaved), len(unsaved),
                 len(set(saved) - set(vifs)))
    if unsaved:
        prefetch(unsaved)
    return unsaved


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
        saved_path = portlist.port_list_path(s.state_path, s.host) if s.state_path else None
        saved = portlist.load(saved_path, s.integration_bridge) if saved_path else None
        metrics = make_metrics(s)
        asked = threading.Event()  # set once the saved ports' pull is on its way

        def start() -> RpcSide:
            try:
                return start_rpc(self.conf, s, metrics, saved or [])
            finally:
                asked.set()

        rpc_start = in_background(start, "rpc-start")
        # The server's answer for the saved ports is the longest wait of a restart:
        # the RPC side has the interpreter to itself until it has asked (both sides
        # are Python; side by side, asking came 0.3 s later on a loaded machine).
        # The bridges' setup and the OVSDB sync then fit in the server's time.
        # Nothing saved (first start, taking over from the reference): the ports to
        # pull come from OVSDB, so its sync goes side by side with the RPC start.
        if saved:
            asked.wait(RPC_FIRST_WAIT)
        driver = make_driver(self.conf)
        try:
            client = connect_ovsdb(s, self.stop_event)
            try:
                rpc = rpc_start.result()
            except BaseException:  # a bad transport_url, ...: as when it was built here
                if client is not None:
                    client.close()
                raise
            try:
                if client is None:
                    return 0
                try:
                    return self._run(rpc, client, driver, saved, saved_path, metrics)
                finally:
                    client.close()
            finally:
                rpc.stop()
        finally:
            driver.close()

    def _run(self, rpc: RpcSide, client: ovsdb.OvsdbClient, driver: OpenFlowDriver,
             saved: list[str] | None, saved_path: str | None,
             metrics: AgentMetrics | None) -> int:
        s = self.settings
        errors = validate.check_bridges_exist(self.conf, ovsdb.list_bridges(client))
        if errors:
            for error in errors:
                LOG.error("configuration error: %s", error)
            return 1
        prefetch_unsaved(rpc.server_api.prefetch, client, s.integration_bridge, saved)
        core = AgentCore(s, rpc.server_api, driver, client, observer=metrics)
        if saved_path:
            core.port_list = portlist.PortListWriter(saved_path, s.integration_bridge, saved)
        rpc.callbacks.attach(AgentRpcCallbacks(core))
        plugin = rpc.plugin
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
        view.heartbeat, view.broker = heartbeat, rpc.consumers
        ops = OpsEndpoints(s, view, metrics)
        try:
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
            stop_in_parallel({"ovsagent-ctl and metrics": ops.stop, "heartbeat": heartbeat.stop,
                              "rpc_loop": core.stop}, grace=LOOP_STOP_GRACE)
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
        if core.loop is not None:  # see TUNNEL_SYNC_WAIT
            core.loop.first_pass_done.wait(TUNNEL_SYNC_WAIT)
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
