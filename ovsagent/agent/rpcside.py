"""The agent's RPC side, started on its own thread next to the OVSDB sync.

Transport, push cache, consumers (listening before anything is pulled, so
that no push made after the server read a port is missed), then the
prefetch of the ports the previous process saved (:mod:`ovsagent.agent.portlist`):
the server's answer for them, the longest wait of a restart, starts while
OVSDB is still syncing and the bridges are being set up.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from oslo_config import cfg

from ovsagent.agent.callbacks import LateCallbacks
from ovsagent.agent.details import RpcServerApi
from ovsagent.agent.settings import AgentSettings
from ovsagent.rpc.cache import ResourceCache
from ovsagent.rpc.consumers import RpcConsumers
from ovsagent.rpc.plugin_api import PluginApi
from ovsagent.rpc.settings import RpcSettings
from ovsagent.rpc.transport import RpcTransport, build_transport
from ovsagent.stopping import stop_in_parallel

if TYPE_CHECKING:
    from ovsagent.metrics import AgentMetrics

LOG = logging.getLogger(__name__)

#: bulk_pull batches (100 ports each) in flight at once, so that several RPC workers
#: can answer them side by side; with one worker no gain was measurable (500 ports:
#: 1.7-2.5 s against 1.8-3.3 s one batch after the other, docs/performance.md)
PULL_PARALLEL = 4
CONSUMERS_START_TIMEOUT = 5.0  # then they keep trying in the background
#: how long a stop waits for the consumers and connections to close cleanly: idle,
#: oslo.messaging's polls notice it only up to 5 s later (the whole stop took 6-10 s)
STOP_GRACE = 1.0

T = TypeVar("T")


@dataclass
class RpcSide:
    transport: RpcTransport
    plugin: PluginApi
    cache: ResourceCache
    server_api: RpcServerApi
    consumers: RpcConsumers
    callbacks: LateCallbacks

    def stop(self, grace: float = STOP_GRACE) -> None:
        """Consumers and transport side by side, for at most ``grace`` s (the
        daemon caps call timeouts before; see :mod:`ovsagent.stopping`)."""
        stop_in_parallel({"RPC consumers": self.consumers.stop,
                          "RPC transport": self.transport.close},
                         grace=grace)


def start_rpc(conf: cfg.ConfigOpts, settings: AgentSettings, metrics: AgentMetrics | None,
              prefetch: list[str]) -> RpcSide:
    """Build and start the RPC side; pull ``prefetch`` once the consumers listen
    (in the background, as the broker may be slow to accept them)."""
    transport = build_transport(conf)
    plugin = PluginApi(transport, RpcSettings.from_conf(conf),
                       observe=metrics.rpc_call if metrics else None)
    cache = ResourceCache(puller=plugin, pull_parallel=PULL_PARALLEL)
    server_api = RpcServerApi(cache, plugin, settings.host)
    callbacks = LateCallbacks()
    consumers = RpcConsumers(transport, settings.host, callbacks, cache,
                             l2_population=settings.l2_population)
    consumers.start(timeout=CONSUMERS_START_TIMEOUT)
    if prefetch:
        LOG.info("asking for the details of the %d ports saved by the previous run",
                 len(prefetch))
        server_api.prefetch(prefetch)
    return RpcSide(transport, plugin, cache, server_api, consumers, callbacks)


def in_background(fn: Callable[[], T], name: str) -> Future[T]:
    """Run ``fn`` on a daemon thread; its result (or exception) in the future."""
    future: Future[T] = Future()

    def run() -> None:
        try:
            future.set_result(fn())
        except BaseException as exc:  # handed to whoever waits for the result
            future.set_exception(exc)

    threading.Thread(target=run, name=name, daemon=True).start()
    return future
