"""Typed client of the server's agent-facing RPC (reference/04 §3).

Every call is bounded (timeout + ``retry``, see :mod:`ovsagent.rpc.calls`)
and raises only :class:`~ovsagent.rpc.errors.RpcError` subclasses. As in
the reference, the timeout of each method starts at ``rpc_response_timeout``
and doubles after each timeout up to ``rpc_response_max_timeout``;
``report_state`` uses ``report_interval`` instead.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import oslo_messaging

from ovsagent.rpc import topics
from ovsagent.rpc.calls import FirstCallGuard, call
from ovsagent.rpc.errors import ReplyError, RpcError, RpcRemoteError, RpcTimeout
from ovsagent.rpc.settings import RpcSettings
from ovsagent.rpc.transport import RpcTransport
from ovsagent.rpc.values import normalize_ip

LOG = logging.getLogger(__name__)

AGENT_STATUSES = frozenset({"new", "alive", "revived"})
_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%f"

#: (method, seconds, error class name or None): called after every RPC call
CallObserver = Callable[[str, float, str | None], None]


@dataclass(frozen=True)
class DeviceDown:
    device: str
    exists: bool


@dataclass(frozen=True)
class DeviceListResult:
    devices_up: tuple[str, ...] = ()
    failed_devices_up: tuple[str, ...] = ()
    devices_down: tuple[DeviceDown, ...] = ()
    failed_devices_down: tuple[str, ...] = ()


@dataclass(frozen=True)
class TunnelEndpoint:
    ip_address: str
    host: str | None
    udp_port: int | None = None


def _str_list(method: str, reply: Mapping[str, Any], key: str) -> tuple[str, ...]:
    value = reply.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ReplyError(f"{method}: {key!r} is not a list of ids")
    return tuple(value)


def _device_down(method: str, item: object) -> DeviceDown:
    if not (isinstance(item, dict) and isinstance(item.get("device"), str)):
        raise ReplyError(f"{method}: bad devices_down entry {item!r}")
    return DeviceDown(item["device"], bool(item.get("exists", False)))


def _parse_device_list(reply: object) -> DeviceListResult:
    method = "update_device_list"
    if not isinstance(reply, dict):
        raise ReplyError(f"{method}: reply is not an object")
    down = reply.get("devices_down", [])
    if not isinstance(down, list):
        raise ReplyError(f"{method}: 'devices_down' is not a list")
    return DeviceListResult(
        _str_list(method, reply, "devices_up"), _str_list(method, reply, "failed_devices_up"),
        tuple(_device_down(method, d) for d in down),
        _str_list(method, reply, "failed_devices_down"))


def _parse_tunnels(reply: object) -> tuple[TunnelEndpoint, ...]:
    tunnels = reply.get("tunnels") if isinstance(reply, dict) else None
    if not isinstance(tunnels, list):
        raise ReplyError("tunnel_sync: reply has no 'tunnels' list")
    out = []
    for t in tunnels:
        ip = normalize_ip(t.get("ip_address")) if isinstance(t, dict) else None
        if ip is None:
            raise ReplyError(f"tunnel_sync: bad tunnel entry {t!r}")
        port = t.get("udp_port")
        host = t.get("host")
        out.append(TunnelEndpoint(ip, host if isinstance(host, str) else None,
                                  port if isinstance(port, int) else None))
    return tuple(out)


class PluginApi:
    """Calls to ``q-plugin`` and ``q-reports-plugin`` on behalf of one agent host."""

    def __init__(self, transport: RpcTransport, settings: RpcSettings,
                 observe: CallObserver | None = None) -> None:
        self.settings = settings
        self.observe = observe
        self.host = settings.host
        self.agent_id = topics.agent_id(settings.host)
        rpc = transport.rpc
        self._plugin = oslo_messaging.get_rpc_client(
            rpc, oslo_messaging.Target(topic=topics.PLUGIN, version=topics.PLUGIN_API_VERSION))
        self._reports = oslo_messaging.get_rpc_client(
            rpc, oslo_messaging.Target(topic=topics.REPORTS, version=topics.REPORT_STATE_VERSION))
        self._guard = FirstCallGuard()
        self._lock = threading.Lock()
        self._timeouts: dict[str, float] = {}
        self._cap: float | None = None

    # ------------------------------------------------------------- timeouts
    def timeout_for(self, method: str) -> float:
        with self._lock:
            t = self._timeouts.get(method, self.settings.response_timeout)
            return min(t, self._cap) if self._cap else t

    def _timed_out(self, method: str, timeout: float) -> None:
        new = min(timeout * 2, self.settings.response_max_timeout)
        with self._lock:
            if new > self._timeouts.get(method, self.settings.response_timeout):
                LOG.warning("Increasing the timeout of %s calls to %g s", method, new)
                self._timeouts[method] = new

    def cap_timeouts(self, seconds: float | None = None) -> None:
        """Bound every call by ``seconds`` (default ``quitting_rpc_timeout``): agent stopping."""
        with self._lock:
            self._cap = seconds if seconds is not None else self.settings.quitting_timeout

    def _call(self, client: Any, method: str, api_version: str, *, timeout: float | None = None,
              backoff: bool = True, **kwargs: Any) -> Any:
        t = timeout if timeout is not None else self.timeout_for(method)
        if self._cap:
            t = min(t, self._cap)
        start = time.monotonic()
        try:
            reply = call(client, self._guard, method, api_version=api_version, timeout=t,
                         retry=self.settings.retry, **kwargs)
        except RpcError as exc:
            self._observed(method, start, type(exc).__name__)
            if backoff and isinstance(exc, RpcTimeout):
                self._timed_out(method, t)
            raise
        self._observed(method, start, None)
        return reply

    def _observed(self, method: str, start: float, error: str | None) -> None:
        if self.observe is not None:
            self.observe(method, time.monotonic() - start, error)

    # ---------------------------------------------------------------- calls
    def has_alive_neutron_server(self) -> bool:
        """True when the server answers and reaches its database."""
        return bool(self._call(self._reports, "has_alive_neutron_server",
                               topics.REPORT_STATE_VERSION))

    def report_state(self, agent_state: Mapping[str, Any]) -> str | None:
        """Heartbeat (call, timeout ``report_interval``): ``new``/``alive``/``revived``,
        or None when the server considers the message older than its start."""
        now = dt.datetime.now(dt.UTC).strftime(_TIME_FORMAT)
        reply = self._call(self._reports, "report_state", topics.REPORT_STATE_VERSION,
                           timeout=self.settings.report_interval, backoff=False,
                           agent_state={"agent_state": dict(agent_state)}, time=now)
        if reply is not None and reply not in AGENT_STATUSES:
            raise ReplyError(f"report_state: unexpected status {reply!r}")
        return reply  # type: ignore[no-any-return]

    def update_device_list(self, devices_up: Iterable[str], devices_down: Iterable[str], *,
                           refresh_tunnels: bool = False) -> DeviceListResult:
        """Report ports up/down, ``processing_step`` ids per call (results merged).

        A chunk the server failed on (remote error) counts its ids as failed and
        the next chunks still go; a timeout or broker error fails the rest too.
        Raises only if no chunk succeeded."""
        up, down = list(devices_up), list(devices_down)
        step = self.settings.processing_step
        results: list[DeviceListResult] = []
        error: RpcError | None = None
        succeeded = 0
        for i in range(0, max(len(up), len(down)), step):
            chunk_up, chunk_down = up[i:i + step], down[i:i + step]
            if error is not None and not isinstance(error, RpcRemoteError):
                results.append(DeviceListResult(failed_devices_up=tuple(chunk_up),
                                                failed_devices_down=tuple(chunk_down)))
                continue
            try:
                reply = self._call(self._plugin, "update_device_list", "1.9",
                                   devices_up=chunk_up, devices_down=chunk_down,
                                   agent_id=self.agent_id, host=self.host,
                                   refresh_tunnels=refresh_tunnels)
                results.append(_parse_device_list(reply))
                succeeded += 1
            except RpcError as e:
                LOG.warning("update_device_list failed for %d up / %d down: %s",
                            len(chunk_up), len(chunk_down), e)
                error = e
                results.append(DeviceListResult(failed_devices_up=tuple(chunk_up),
                                                failed_devices_down=tuple(chunk_down)))
        if error is not None and not succeeded:
            raise error
        return DeviceListResult(
            tuple(d for r in results for d in r.devices_up),
            tuple(d for r in results for d in r.failed_devices_up),
            tuple(d for r in results for d in r.devices_down),
            tuple(d for r in results for d in r.failed_devices_down))

    def update_device_down(self, device: str) -> DeviceDown:
        """One port down (the reference uses it for admin-down ports)."""
        reply = self._call(self._plugin, "update_device_down", "1.9", device=device,
                           agent_id=self.agent_id, host=self.host)
        return _device_down("update_device_down", reply)

    def tunnel_sync(self, tunnel_ip: str, tunnel_type: str) -> tuple[TunnelEndpoint, ...]:
        """Register this host's endpoint for one tunnel type; returns all endpoints."""
        reply = self._call(self._plugin, "tunnel_sync", "1.4", tunnel_ip=tunnel_ip,
                           tunnel_type=tunnel_type, host=self.host)
        return _parse_tunnels(reply)

    def bulk_pull(self, resource_type: str, filter_kwargs: Mapping[str, Any]) -> list[Any]:
        """OVO primitives of ``resource_type`` matching ``filter_kwargs`` (e.g.
        ``{"id": [...]}``), at the version this agent reports for that type."""
        reply = self._call(self._plugin, "bulk_pull", topics.RESOURCES_PULL_VERSION,
                           resource_type=resource_type,
                           version=topics.RESOURCE_VERSIONS[resource_type],
                           filter_kwargs={k: list(v) if isinstance(v, list | tuple | set) else v
                                          for k, v in filter_kwargs.items()})
        if not isinstance(reply, list):
            raise ReplyError(f"bulk_pull: reply for {resource_type} is not a list")
        return reply
