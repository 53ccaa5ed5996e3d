"""The oslo.messaging transport every RPC client and consumer of the agent shares.

One RPC transport means one rabbit driver, hence one connection pool:

* send pool: at most ``[oslo_messaging_rabbit] rpc_conn_pool_size``
  connections, which ovsagent defaults to 1 (publishing holds a connection
  for about a millisecond; calls then wait for their reply elsewhere);
* one reply connection, opened by the first call;
* one listener connection for all consumer topics (:mod:`ovsagent.rpc.listener`).

The notification transport is only built on demand (the agent core sends no
notifications), so it opens nothing. Works with a private ``cfg.ConfigOpts``
as well as the global one: the option groups oslo.messaging reads but does
not register itself are registered here.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import oslo_messaging
from oslo_config import cfg
from oslo_messaging import opts as messaging_opts

from ovsagent.rpc.topics import CONTROL_EXCHANGE
from ovsagent.stopping import stop_in_parallel

LOG = logging.getLogger(__name__)

RABBIT_GROUP = "oslo_messaging_rabbit"
SEND_POOL_SIZE = 1


class _PoolLimitFilter(logging.Filter):
    """Drops oslo.messaging's warning for a sender waiting on the (size 1) pool:
    with ovsagent's pool size that wait is by design, not a misconfiguration."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Connection pool limit exceeded")


def _extra_groups() -> list[tuple[str, list[cfg.Opt]]]:
    """Groups the client/server read but only register on the global CONF."""
    groups: list[tuple[str, list[cfg.Opt]]] = []
    try:
        from oslo_messaging._tracing import client as tracing
        groups.append(("oslo_messaging_tracing", tracing.oslo_messaging_tracing))
    except (ImportError, AttributeError):  # older oslo.messaging: nothing to register
        pass
    try:
        from oslo_messaging._metrics import client as metrics
        groups.append(("oslo_messaging_metrics", metrics.oslo_messaging_metrics))
    except (ImportError, AttributeError):
        pass
    return groups


def prepare_conf(conf: cfg.ConfigOpts) -> None:
    """Register what a transport on ``conf`` needs; control exchange defaults to ``neutron``."""
    oslo_messaging.set_transport_defaults(control_exchange=CONTROL_EXCHANGE)
    for group, opts in _extra_groups():
        conf.register_opts(opts, group=group)
    for group, opts in messaging_opts.list_opts():
        if group == RABBIT_GROUP:
            conf.register_opts(opts, group=group)
    conf.set_default("rpc_conn_pool_size", SEND_POOL_SIZE, group=RABBIT_GROUP)
    conf.set_default("conn_pool_min_size", SEND_POOL_SIZE, group=RABBIT_GROUP)
    for name in ("oslo.messaging._drivers.pool", "oslo_messaging._drivers.pool"):  # oslo.log
        logger = logging.getLogger(name)  # renames oslo_* loggers oslo.*
        if not any(isinstance(f, _PoolLimitFilter) for f in logger.filters):
            logger.addFilter(_PoolLimitFilter())


@dataclass
class RpcTransport:
    """The shared RPC transport (and, lazily, a notification transport)."""

    conf: cfg.ConfigOpts
    rpc: Any  # oslo_messaging.Transport
    url: str | None = None
    _notification: Any = field(default=None, repr=False)

    @property
    def driver_name(self) -> str:
        """``rabbit``, ``fake``, ... (the transport URL's scheme)."""
        url = self.url or str(self.conf.transport_url or "rabbit://")
        return url.split(":", 1)[0].split("+", 1)[0]

    def notification_transport(self) -> Any:
        """Built on first use (``[oslo_messaging_notifications] transport_url`` or ours)."""
        if self._notification is None:
            self._notification = oslo_messaging.get_notification_transport(self.conf, url=self.url)
        return self._notification

    def cleanup(self, timeout: float = 5.0) -> bool:
        """Close every connection (stop the consumers first). Bounded: oslo.messaging's
        reply listener notices the close only when its poll wakes (up to 5 s when
        idle), and during a broker outage its cleanup can wait on a connection
        attempt that never ends; after ``timeout`` s the rest is left to a daemon
        thread (:mod:`ovsagent.stopping`). Returns whether cleanup finished."""
        return not stop_in_parallel({"RPC transport": self.close}, grace=timeout)

    def close(self) -> None:
        """Close every connection, however long oslo.messaging takes (see cleanup)."""
        targets = [t for t in (self._notification, self.rpc) if t is not None]
        self._notification = None
        for target in targets:
            target.cleanup()


def build_transport(conf: cfg.ConfigOpts, url: str | None = None) -> RpcTransport:
    """The RPC transport for ``url`` (default: ``[DEFAULT] transport_url``)."""
    prepare_conf(conf)
    rpc = oslo_messaging.get_rpc_transport(conf, url=url)
    LOG.debug("RPC transport %s ready", (url or "transport_url").split("@")[-1])
    return RpcTransport(conf, rpc, url)
