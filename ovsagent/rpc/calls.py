"""Bounded RPC calls: timeout, retry, error mapping, and the first-call guard.

Every call is prepared with a timeout and ``retry=`` so a broker outage
makes it fail instead of blocking. One case ``retry`` does not cover:
oslo.messaging opens the reply connection on the first call with unbounded
reconnection attempts. Until one call has completed, calls therefore run on
a helper thread and the caller waits at most the call's timeout.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any, TypeVar

import oslo_messaging

from ovsagent.rpc.errors import RpcError, RpcRemoteError, RpcTimeout, RpcUnavailable

LOG = logging.getLogger(__name__)
T = TypeVar("T")

#: seconds a caller waits beyond its own timeout for the first call's helper thread
_GUARD_SLACK = 2.0


def admin_context() -> dict[str, Any]:
    """The serialized admin context the reference agent sends with every message."""
    return {
        "user_id": None, "project_id": None, "tenant_id": None, "domain_id": None,
        "user_domain_id": None, "project_domain_id": None,
        "is_admin": True, "is_advsvc": True, "roles": ["admin", "member", "reader"],
        "read_only": False, "show_deleted": False, "auth_token": None,
        "request_id": f"req-{uuid.uuid4()}", "global_request_id": None,
        "timestamp": str(dt.datetime.now(dt.UTC).replace(tzinfo=None)),
        "tenant_name": None, "project_name": None, "user_name": None,
    }


_TRANSPORT_ERRORS: tuple[type[BaseException], ...] = (
    oslo_messaging.MessagingException, OSError, ConnectionError)
try:
    import kombu.exceptions

    _TRANSPORT_ERRORS += (kombu.exceptions.KombuError,)
except ImportError:  # pragma: no cover - kombu comes with oslo.messaging
    pass


def map_error(method: str, exc: BaseException, timeout: float) -> RpcError:
    """oslo.messaging/kombu/socket errors, and exceptions re-raised from the
    server (``RemoteError``, or builtin ones oslo.messaging recreates as
    ``<Name>_Remote``), -> our exception types."""
    if isinstance(exc, RpcError):
        return exc
    if isinstance(exc, oslo_messaging.MessagingTimeout):
        return RpcTimeout(f"{method}: no reply within {timeout:g}s")
    if isinstance(exc, oslo_messaging.RemoteError):
        return RpcRemoteError(method, str(exc.exc_type), str(exc.value))
    remote = type(exc).__name__.endswith("_Remote")
    if isinstance(exc, _TRANSPORT_ERRORS) and not remote:
        return RpcUnavailable(f"{method}: {type(exc).__name__}: {exc}")
    name = type(exc).__name__.removesuffix("_Remote")
    text = str(exc).splitlines()
    return RpcRemoteError(method, name, text[0] if text else "")


class FirstCallGuard:
    """Runs calls on a helper thread with a hard deadline until one has completed."""

    def __init__(self) -> None:
        self._ready = threading.Event()
        self._lock = threading.Lock()
        self._pending: Future[Any] | None = None

    @property
    def ready(self) -> bool:
        return self._ready.is_set()

    def run(self, fn: Callable[[], T], deadline: float, method: str) -> T:
        if self._ready.is_set():
            return fn()
        with self._lock:
            pending = self._pending
            mine = pending is None or pending.done()
            if mine:
                pending = self._pending = Future()
                threading.Thread(target=self._probe, args=(fn, pending), daemon=True,
                                 name=f"rpc-first-call-{method}").start()
        assert pending is not None
        try:
            result = pending.result(timeout=deadline)
        except FutureTimeout:
            raise RpcUnavailable(f"{method}: broker not reachable within {deadline:g}s") from None
        except Exception:
            if mine:
                raise
            result = None
        if mine:
            return result  # type: ignore[no-any-return]
        return fn()  # another caller's call opened the way; now make ours

    def _probe(self, fn: Callable[[], Any], fut: Future[Any]) -> None:
        try:
            result = fn()
        except BaseException as e:  # handed to the waiting caller
            self._ready.set()
            fut.set_exception(e)
        else:
            self._ready.set()
            fut.set_result(result)


def call(client: Any, guard: FirstCallGuard, method: str, *, api_version: str, timeout: float,
         retry: int, **kwargs: Any) -> Any:
    """One bounded call; raises RpcTimeout / RpcUnavailable / RpcRemoteError."""
    cctxt = client.prepare(version=api_version, timeout=timeout, retry=retry)

    def send() -> Any:
        try:
            return cctxt.call(admin_context(), method, **kwargs)
        except Exception as e:
            raise map_error(method, e, timeout) from e

    return guard.run(send, timeout + _GUARD_SLACK, method)
