"""One RPC server consuming many topics on one AMQP connection.

oslo.messaging's ``get_rpc_server`` takes a single target and its rabbit
driver opens one connection per server (the reference agent: one per topic,
~14 in all). A server's message dispatch does not depend on the topic a
message came from, so :class:`MultiTopicServer` builds its listener itself:
one listener connection (one channel) carrying every consumer, then the
standard dispatcher and threading executor.

Building the listener uses driver internals (``RpcAMQPListener``,
``Connection.declare_*_consumer``, ``FakeListener``) that have been stable
for years; :func:`supports_shared_listener` says when they are present, and
callers fall back to one public ``get_rpc_server`` per topic otherwise.

Queues per topic (rabbit): a fanout queue ``<topic>_fanout_<uuid>`` (auto-
delete), and for topics the server addresses per host a ``<topic>.<host>``
queue. The shared ``<topic>`` queue the reference also declares is skipped
unless asked for: the server never sends to it (reference/04 §1).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import oslo_messaging
from oslo_messaging.rpc import server as rpc_server


@dataclass(frozen=True)
class TopicSpec:
    topic: str
    fanout: bool = True  # <topic>_fanout exchange: casts to every agent
    direct: bool = False  # <topic>.<host>: casts to this host only
    shared: bool = False  # <topic>: round-robin among agents (unused by the server)


def _driver(transport: Any) -> Any:
    return getattr(transport, "_driver", None)


def _rabbit_parts() -> tuple[Any, Any, Any, Any] | None:
    try:
        from oslo_messaging._drivers import amqpdriver, base, impl_rabbit
        from oslo_messaging._drivers import common as driver_common
    except ImportError:
        return None
    needed = (hasattr(amqpdriver, "RpcAMQPListener") and hasattr(base, "PollStyleListenerAdapter")
              and hasattr(impl_rabbit.Connection, "declare_fanout_consumer"))
    return (amqpdriver, base, impl_rabbit, driver_common) if needed else None


def _fake_parts() -> tuple[Any, Any] | None:
    try:
        from oslo_messaging._drivers import base, impl_fake
    except ImportError:
        return None
    return (base, impl_fake) if hasattr(impl_fake, "FakeListener") else None


def supports_shared_listener(transport: Any) -> bool:
    """True when the transport's driver lets one listener carry several topics."""
    driver = _driver(transport)
    rabbit, fake = _rabbit_parts(), _fake_parts()
    if rabbit is not None and isinstance(driver, rabbit[2].RabbitDriver):
        return hasattr(driver, "_get_connection")
    if fake is not None and isinstance(driver, fake[1].FakeDriver):
        return hasattr(driver, "_exchange_manager")
    return False


def _rabbit_listener(driver: Any, specs: Sequence[TopicSpec], host: str) -> Any:
    parts = _rabbit_parts()
    assert parts is not None
    amqpdriver, base, _, common = parts
    conn = driver._get_connection(common.PURPOSE_LISTEN)
    listener = amqpdriver.RpcAMQPListener(driver, conn)
    exchange = driver._default_exchange
    for spec in specs:
        if spec.shared:
            conn.declare_topic_consumer(exchange_name=exchange, topic=spec.topic,
                                        callback=listener)
        if spec.direct:
            conn.declare_topic_consumer(exchange_name=exchange, topic=f"{spec.topic}.{host}",
                                        callback=listener)
        if spec.fanout:
            conn.declare_fanout_consumer(spec.topic, listener)
    return base.PollStyleListenerAdapter(listener, 1, None)


def _fake_listener(driver: Any, specs: Sequence[TopicSpec], host: str) -> Any:
    parts = _fake_parts()
    assert parts is not None
    base, impl_fake = parts
    exchange = driver._default_exchange
    targets = []
    for spec in specs:
        # the fake driver delivers fanout and direct casts to the per-server queue
        targets.append(oslo_messaging.Target(topic=spec.topic, server=host, exchange=exchange))
        if spec.shared:
            targets.append(oslo_messaging.Target(topic=spec.topic, exchange=exchange))
    listener = impl_fake.FakeListener(driver._exchange_manager, targets)
    return base.PollStyleListenerAdapter(listener, 1, None)


class MultiTopicServer(rpc_server.RPCServer):  # type: ignore[misc]
    """An RPCServer whose listener consumes every topic of ``specs``."""

    def __init__(self, transport: Any, specs: Sequence[TopicSpec], host: str,
                 dispatcher: Any) -> None:
        if not specs:
            raise ValueError("no topics to consume")
        super().__init__(transport, oslo_messaging.Target(topic=specs[0].topic, server=host),
                         dispatcher)
        self._specs = tuple(specs)
        self._host = host

    def _create_listener(self) -> Any:
        driver = _driver(self.transport)
        rabbit, fake = _rabbit_parts(), _fake_parts()
        if rabbit is not None and isinstance(driver, rabbit[2].RabbitDriver):
            return _rabbit_listener(driver, self._specs, self._host)
        if fake is not None and isinstance(driver, fake[1].FakeDriver):
            return _fake_listener(driver, self._specs, self._host)
        raise RuntimeError(f"driver {type(driver).__name__} cannot share a listener")
