"""RPC consumers: the server's casts to the agent, parsed into typed callbacks.

Topics (reference/04 §4.1): ``q-agent-notifier-tunnel-update`` and
``-tunnel-delete`` (fanout), ``q-agent-notifier-l2population-update``
(fanout + ``.<host>``, only with l2_population) and the push topics
``neutron-vo-<Type>-<version>`` of :data:`~ovsagent.rpc.topics.PUSHED_TYPES`
(fanout). Not consumed: ``-dvr-update`` (no DVR) and the legacy
port/network/security-group notifier topics (the OVS agent derives those
events from the push cache).

Consumers hold no agent logic: they parse, feed pushes into the
:class:`~ovsagent.rpc.cache.ResourceCache` and call :class:`AgentCallbacks`.
All topics share one listener connection and one dispatch thread, so
messages are handled one at a time in arrival order; callbacks must be
quick (record the event, wake the loop).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import oslo_messaging
from oslo_messaging.rpc import dispatcher as rpc_dispatcher

from ovsagent.rpc import topics
from ovsagent.rpc.cache import CacheEvent, ResourceCache
from ovsagent.rpc.errors import PayloadError
from ovsagent.rpc.l2pop import (
    FdbIpChange,
    FdbNetwork,
    FdbParse,
    parse_fdb_entries,
    parse_fdb_update,
)
from ovsagent.rpc.listener import MultiTopicServer, TopicSpec, supports_shared_listener
from ovsagent.rpc.ovo import PARSERS, parse_deleted_id
from ovsagent.rpc.transport import RpcTransport
from ovsagent.rpc.values import NAME, normalize_ip

LOG = logging.getLogger(__name__)


class AgentCallbacks(Protocol):
    """What the agent is told. Called on the consumer thread; must not block."""

    def tunnel_update(self, tunnel_ip: str, tunnel_type: str | None) -> None: ...

    def tunnel_delete(self, tunnel_ip: str, tunnel_type: str | None) -> None: ...

    def fdb_add(self, networks: tuple[FdbNetwork, ...]) -> None: ...

    def fdb_remove(self, networks: tuple[FdbNetwork, ...]) -> None: ...

    def fdb_update(self, changes: tuple[FdbIpChange, ...]) -> None: ...

    def resource_changed(self, event: CacheEvent) -> None:
        """A cache change (from a push or from one of the agent's own pulls)."""

    def payload_error(self, method: str, error: PayloadError) -> None:
        """A malformed payload was dropped (already logged); ``error.resource_id``
        names the port/network concerned when known."""


def topic_specs(*, l2_population: bool,
                push_types: Sequence[str] = topics.PUSHED_TYPES) -> tuple[TopicSpec, ...]:
    specs = [TopicSpec(topics.TUNNEL_UPDATE), TopicSpec(topics.TUNNEL_DELETE)]
    if l2_population:
        specs.append(TopicSpec(topics.L2POP_UPDATE, direct=True))
    specs.extend(TopicSpec(topics.push_topic(t)) for t in push_types)
    return tuple(specs)


class AgentEndpoint:
    """Every method the server casts to an OVS agent (dispatch by name; namespace None)."""

    target = oslo_messaging.Target(version=topics.AGENT_ENDPOINT_VERSION)

    def __init__(self, host: str, cache: ResourceCache, callbacks: AgentCallbacks,
                 push_types: Sequence[str] = topics.PUSHED_TYPES) -> None:
        self._host = host
        self._cache = cache
        self._callbacks = callbacks
        self._push_types = frozenset(push_types)

    def _bad(self, method: str, error: PayloadError) -> None:
        LOG.warning("Dropped malformed %s payload: %s", method, error)
        self._guarded(method, self._callbacks.payload_error, method, error)

    @staticmethod
    def _guarded(method: str, fn: Callable[..., None], *args: Any) -> None:
        try:
            fn(*args)
        except Exception:
            LOG.exception("Agent callback for %s failed", method)

    # ------------------------------------------------------------ push cache
    def push(self, context: Any, **kwargs: Any) -> None:
        resources, event_type = kwargs.get("resource_list"), kwargs.get("event_type")
        if not isinstance(resources, list) or not isinstance(event_type, str):
            self._bad("push", PayloadError("push", None, "resource_list/event_type", "missing"))
            return
        if not resources:
            return
        first = resources[0]
        rtype = first.get(NAME) if isinstance(first, dict) else None
        if not isinstance(rtype, str) or rtype not in self._push_types:
            LOG.debug("Ignoring push of %r resources", rtype)
            return
        parsed: list[Any] = []
        for primitive in resources:
            try:
                if event_type == "deleted":
                    parsed.append(parse_deleted_id(rtype, primitive))
                else:
                    parsed.append(PARSERS[rtype](primitive))
            except PayloadError as e:
                if e.resource_id:  # our copy is outdated: pull it afresh next time
                    self._cache.forget(rtype, e.resource_id)
                self._bad("push", e)
        try:
            self._cache.apply_push(rtype, event_type, parsed)
        except Exception:
            LOG.exception("Applying a push of %d %s failed", len(parsed), rtype)

    # --------------------------------------------------------------- tunnels
    def _tunnel(self, method: str, kwargs: dict[str, Any],
                fn: Callable[[str, str | None], None]) -> None:
        ip, ttype = normalize_ip(kwargs.get("tunnel_ip")), kwargs.get("tunnel_type")
        if ip is None or not (ttype is None or isinstance(ttype, str)):
            self._bad(method, PayloadError("tunnel", None, "tunnel_ip/tunnel_type",
                                           f"got {kwargs.get('tunnel_ip')!r}/{ttype!r}"))
            return
        self._guarded(method, fn, ip, ttype)

    def tunnel_update(self, context: Any, **kwargs: Any) -> None:
        self._tunnel("tunnel_update", kwargs, self._callbacks.tunnel_update)

    def tunnel_delete(self, context: Any, **kwargs: Any) -> None:
        self._tunnel("tunnel_delete", kwargs, self._callbacks.tunnel_delete)

    # ---------------------------------------------------------------- l2pop
    def _fdb(self, method: str, kwargs: dict[str, Any], parse: Callable[[object], FdbParse],
             deliver: Callable[[FdbParse], None]) -> None:
        host = kwargs.get("host")
        if host and host != self._host:
            return
        result = parse(kwargs.get("fdb_entries"))
        for error in result.errors:
            self._bad(method, error)
        if result.networks or result.changes:
            self._guarded(method, deliver, result)

    def add_fdb_entries(self, context: Any, **kwargs: Any) -> None:
        self._fdb("add_fdb_entries", kwargs, parse_fdb_entries,
                  lambda r: self._callbacks.fdb_add(r.networks))

    def remove_fdb_entries(self, context: Any, **kwargs: Any) -> None:
        self._fdb("remove_fdb_entries", kwargs, parse_fdb_entries,
                  lambda r: self._callbacks.fdb_remove(r.networks))

    def update_fdb_entries(self, context: Any, **kwargs: Any) -> None:
        self._fdb("update_fdb_entries", kwargs, parse_fdb_update,
                  lambda r: self._callbacks.fdb_update(r.changes))

    def dvr_mac_address_update(self, context: Any, **kwargs: Any) -> None:
        LOG.debug("Ignoring dvr_mac_address_update (no DVR)")


class IgnoreUnknown:
    """Last endpoint: any other method is logged and ignored (reference/04 §9.5)."""

    target = oslo_messaging.Target(version=topics.AGENT_ENDPOINT_VERSION)

    def __getattr__(self, name: str) -> Callable[..., None]:
        if name.startswith(("_", "oslo_")):
            raise AttributeError(name)

        def ignore(context: Any, **kwargs: Any) -> None:
            LOG.warning("Ignoring unknown RPC method %s (arguments: %s)", name,
                        ", ".join(sorted(kwargs)))
        return ignore


class RpcConsumers:
    """Starts/stops the RPC server(s) for every topic this agent consumes.

    With ``shared_connection`` (default, when the driver allows it) one server
    and one AMQP connection carry all topics; otherwise one public
    ``get_rpc_server`` per topic, like the reference. Wires the cache's
    listener to ``callbacks.resource_changed``.
    """

    def __init__(self, transport: RpcTransport, host: str, callbacks: AgentCallbacks,
                 cache: ResourceCache, *, l2_population: bool,
                 push_types: Sequence[str] = topics.PUSHED_TYPES,
                 shared_connection: bool = True) -> None:
        self.host = host
        self.specs = topic_specs(l2_population=l2_population, push_types=push_types)
        self.endpoint = AgentEndpoint(host, cache, callbacks, push_types)
        cache.set_listener(callbacks.resource_changed)
        self._transport = transport.rpc
        self.shared = shared_connection and supports_shared_listener(self._transport)
        self._servers: list[Any] = []
        self._started = threading.Event()
        self._stop_requested = False
        self._stop_lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def _dispatcher(self) -> Any:
        return rpc_dispatcher.RPCDispatcher([self.endpoint, IgnoreUnknown()], None)

    def _build(self) -> list[Any]:
        if self.shared:
            return [MultiTopicServer(self._transport, self.specs, self.host, self._dispatcher())]
        return [oslo_messaging.get_rpc_server(
            self._transport, oslo_messaging.Target(topic=s.topic, server=self.host),
            [self.endpoint, IgnoreUnknown()]) for s in self.specs]

    def _run_start(self) -> None:
        try:
            for server in self._servers:
                server.start(override_pool_size=1)  # one dispatch thread: arrival order
        except Exception:
            LOG.exception("Starting the RPC consumers failed")
            return
        self._started.set()
        if self._stop_requested:  # stop() came while the broker was unreachable
            self.stop()
            return
        LOG.info("Consuming %d RPC topics on %d server(s): %s", len(self.specs),
                 len(self._servers), ", ".join(s.topic for s in self.specs))

    def start(self, timeout: float | None = None) -> bool:
        """Start consuming; waits at most ``timeout`` s (None: until the broker
        accepted the consumers). Returns whether consumption has started; if
        not, it starts in the background once the broker is reachable."""
        if self._thread is None:
            self._servers = self._build()
            self._thread = threading.Thread(target=self._run_start, daemon=True,
                                            name="rpc-consumers-start")
            self._thread.start()
        return self._started.wait(timeout)

    @property
    def started(self) -> bool:
        return self._started.is_set()

    def stop(self) -> None:
        """Stop consuming and wait for in-flight messages (if still starting, the
        consumers stop as soon as they have started)."""
        with self._stop_lock:
            self._stop_requested = True
            if not self._started.is_set():
                return
            for server in self._servers:
                server.stop()
            for server in self._servers:
                server.wait()
            self._started.clear()
