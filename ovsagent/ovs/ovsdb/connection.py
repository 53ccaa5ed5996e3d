"""``OvsdbClient``: one native-IDL connection to ovsdb-server.

Writes are *ops* (functions of a :class:`TxnView`) committed together as one
OVSDB transaction; reads are functions of a :class:`DbView` run under the
IDL lock; waits re-evaluate a function after every IDL change (no polling).
The IDL reconnects by itself; every call first waits (up to ``timeout``)
for the replica to be in sync, then raises :class:`OvsdbConnectionError`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any, TypeVar

from ovs import poller
from ovsdbapp import exceptions as ovsdbapp_exceptions
from ovsdbapp.backend.ovs_idl import command as ovsdbapp_command
from ovsdbapp.backend.ovs_idl import connection as ovsdbapp_connection
from ovsdbapp.backend.ovs_idl import event as ovsdbapp_event
from ovsdbapp.schema.open_vswitch import impl_idl

from ovsagent.ovs.ovsdb import fastjson
from ovsagent.ovs.ovsdb.db import DbView, TxnView
from ovsagent.ovs.ovsdb.errors import (
    OvsdbConnectionError,
    OvsdbError,
    OvsdbTimeout,
    OvsdbTransactionError,
)
from ovsagent.ovs.ovsdb.idl import ConnectionListener, Idl, fetch_schema, schema_helper

LOG = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 10.0

T = TypeVar("T")
TxnOp = Callable[[TxnView], Any]


class _Transaction(impl_idl.OvsVsctlTransaction):  # type: ignore[misc]
    """vsctl-style transaction; waits (bounded) for vswitchd, logs without tracebacks."""

    wait_vswitchd = True

    def pre_commit(self, txn: Any) -> None:
        txn.expected_ifaces = set()
        if self.wait_vswitchd:
            self.api._ovs.increment("next_cfg")

    def post_commit(self, txn: Any) -> None:
        for command in self.commands:
            command.post_commit(txn)
        if self.wait_vswitchd:
            self._wait_vswitchd(txn, time.monotonic() + self.timeout / 2)

    def _wait_vswitchd(self, txn: Any, deadline: float) -> None:
        idl = self.api.idl
        try:
            next_cfg = txn.get_increment_new_value()
            while self.api._ovs.cur_cfg < next_cfg:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    LOG.warning("ovs-vswitchd has not applied cfg %d yet", next_cfg)
                    return
                waiter = poller.Poller()
                idl.wait(waiter)
                waiter.timer_wait(int(remaining * 1000) + 1)
                waiter.block()
                idl.run()
            failed = self.post_commit_failed_interfaces(txn)
        except (IndexError, AttributeError):  # replica cleared by a reconnect
            return
        if failed:
            LOG.warning("ovs-vswitchd could not create interfaces: %s", ", ".join(failed))


class _Api(impl_idl.OvsdbIdl):  # type: ignore[misc]
    """ovsdbapp's Open_vSwitch API with our transaction class."""

    def create_transaction(self, check_error: bool = False, log_errors: bool = True,
                           **kwargs: Any) -> _Transaction:
        return _Transaction(self, self.ovsdb_connection,
                            check_error=check_error, log_errors=log_errors)


def _new_api(connection: ovsdbapp_connection.Connection) -> _Api:
    # ovsdbapp stores the connection on the *class*; one class per client.
    cls = type("_ClientApi", (_Api,), {"_ovsdb_connection": None})
    api: _Api = cls(connection, start=False)
    return api


class EventHandler(ovsdbapp_event.RowEventHandler):  # type: ignore[misc]
    """ovsdbapp's row event handler; an event with ``convert_row(event, row, old)``
    gets that (cheap, built in the IDL thread) instead of a copy of every column."""

    def notify(self, event: str, row: Any, updates: Any = None) -> None:
        matching = self.matching_events(event, row, updates)
        frozen = None
        for match in matching:
            convert = getattr(match, "convert_row", None)
            if convert is not None:
                self.notifications.put((match, event, convert(event, row, updates), updates))
                continue
            if frozen is None:
                frozen = self._on_matching(event, row, updates)
            self.notifications.put((match, event, frozen, updates))


class _OpCommand(ovsdbapp_command.BaseCommand):  # type: ignore[misc]
    """Runs one op inside the transaction; its return value is the result."""

    def __init__(self, api: _Api, op: TxnOp) -> None:
        super().__init__(api)
        self.op = op

    def run_idl(self, txn: Any) -> None:
        self.result = self.op(TxnView(self.api.idl, txn))

    def __str__(self) -> str:
        return f"op {getattr(self.op, '__qualname__', repr(self.op))}"


class OvsdbClient:
    """A connection to ``endpoint`` (``unix:/path``, ``tcp:127.0.0.1:6640``).

    Connects in the constructor (:class:`OvsdbConnectionError` if ovsdb-server
    does not answer within ``timeout`` seconds). With ``wait_for_vswitchd``
    a write returns once ovs-vswitchd applied it (at most ``timeout / 2``),
    so ofports of new interfaces are known right after.
    """

    def __init__(self, endpoint: str, timeout: float = DEFAULT_TIMEOUT, *,
                 wait_for_vswitchd: bool = True) -> None:
        fastjson.install()
        self.endpoint = endpoint
        self.timeout = timeout
        self._closed = False
        self._idl = Idl(endpoint, schema_helper(fetch_schema(endpoint, timeout)))
        self._conn = ovsdbapp_connection.Connection(self._idl, timeout)
        self._idl.changed = threading.Condition(self._conn.lock)
        self.events = EventHandler()
        self._idl.notify = self.events.notify
        self._api = _new_api(self._conn)
        self.wait_for_vswitchd = wait_for_vswitchd
        try:
            self._conn.start()
        except Exception as exc:
            self._idl.close()
            self.events.shutdown()
            self._closed = True
            reason = (f"no database dump within {timeout} s"
                      if isinstance(exc, ovsdbapp_exceptions.TimeoutException) else repr(exc))
            raise OvsdbConnectionError(endpoint, reason) from exc

    # -- lifecycle ---------------------------------------------------------

    def close(self) -> None:
        """Stop the connection thread and the event thread (idempotent)."""
        if self._closed:
            return
        self._closed = True
        self._conn.stop(timeout=self.timeout)
        self.events.shutdown()

    def __enter__(self) -> OvsdbClient:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    @property
    def is_up(self) -> bool:
        """True when connected and the replica is in sync."""
        return not self._closed and self._idl.is_up()

    @property
    def change_seqno(self) -> int:
        """Changes whenever the replica changes: a reader that saw the same number
        before may reuse what it computed from the replica then."""
        return int(self._idl.change_seqno)

    @property
    def api(self) -> Any:
        """The underlying ovsdbapp API (escape hatch; prefer this module's functions)."""
        return self._api

    @property
    def lock(self) -> threading.RLock:
        """The IDL lock (held while the replica is read or changed)."""
        lock: threading.RLock = self._conn.lock
        return lock

    def add_connection_listener(self, listener: ConnectionListener) -> None:
        """Call ``listener(up)`` (in the connection thread) on every up/down change."""
        with self._conn.lock:
            self._idl.listeners.append(listener)

    def remove_connection_listener(self, listener: ConnectionListener) -> None:
        """Undo :meth:`add_connection_listener` (no error if absent)."""
        with self._conn.lock:
            if listener in self._idl.listeners:
                self._idl.listeners.remove(listener)

    def wait_until_up(self, timeout: float | None = None) -> None:
        """Wait for a synced replica; :class:`OvsdbConnectionError` after ``timeout``."""
        if self._closed:
            raise OvsdbConnectionError(self.endpoint, "client is closed")
        if self._idl.is_up():
            return
        limit = self.timeout if timeout is None else timeout
        changed = self._changed()
        with changed:
            if changed.wait_for(self._idl.is_up, limit):
                return
        raise OvsdbConnectionError(self.endpoint, f"not connected (waited {limit} s)")

    # -- reads, waits, writes ----------------------------------------------

    def read(self, fn: Callable[[DbView], T]) -> T:
        """Run ``fn`` on the in-sync replica under the IDL lock."""
        self.wait_until_up()
        with self._conn.lock:
            return fn(DbView(self._idl))

    def wait_for(self, fn: Callable[[DbView], T | None], timeout: float | None = None,
                 what: str = "condition") -> T:
        """Return ``fn``'s first non-None result, re-checked after each IDL change.

        Raises :class:`OvsdbTimeout` (or :class:`OvsdbConnectionError` if the
        connection is down at the end) when ``timeout`` passes first.
        """
        if self._closed:
            raise OvsdbConnectionError(self.endpoint, "client is closed")
        limit = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + limit
        changed = self._changed()
        with changed:
            while True:
                if self._idl.is_up():
                    result = fn(DbView(self._idl))
                    if result is not None:
                        return result
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                changed.wait(remaining)
        if not self.is_up:
            raise OvsdbConnectionError(self.endpoint, f"connection lost waiting for {what}")
        raise OvsdbTimeout(f"{what}: not reached within {limit} s")

    def transact(self, *ops: TxnOp, wait_vswitchd: bool | None = None) -> list[Any]:
        """Commit ``ops`` as ONE transaction; returns their results in order.

        ``wait_vswitchd`` overrides the client's ``wait_for_vswitchd``.
        """
        self.wait_until_up()
        txn = self._api.create_transaction(check_error=True, log_errors=False)
        txn.wait_vswitchd = self.wait_for_vswitchd if wait_vswitchd is None else wait_vswitchd
        commands = [txn.add(_OpCommand(self._api, op)) for op in ops]
        try:
            txn.commit()
        except OvsdbError:
            raise
        except ovsdbapp_exceptions.TimeoutException as exc:
            raise self._timeout_error() from exc
        except RuntimeError as exc:
            if "timed out" in str(exc):
                raise self._timeout_error() from exc
            raise OvsdbTransactionError(str(exc)) from exc
        return [command.result for command in commands]

    def sync_vswitchd(self, timeout: float | None = None) -> None:
        """Wait until ovs-vswitchd applied every change committed so far.

        :class:`OvsdbTimeout` if it did not within ``timeout`` (default: client's).
        """

        def bump(tx: TxnView) -> int:
            row = tx.open_vswitch()
            row.verify("next_cfg")
            target = int(row.next_cfg) + 1
            row.next_cfg = target
            return target

        target: int = self.transact(bump, wait_vswitchd=False)[0]
        self.wait_for(lambda db: True if db.open_vswitch().cur_cfg >= target else None,
                      timeout, what="ovs-vswitchd to apply the configuration")

    def _timeout_error(self) -> OvsdbError:
        if not self.is_up:
            return OvsdbConnectionError(self.endpoint, "connection lost during transaction")
        return OvsdbTimeout(f"OVSDB transaction on {self.endpoint} exceeded {self.timeout} s")

    def _changed(self) -> threading.Condition:
        changed = self._idl.changed
        assert changed is not None
        return changed
