"""The IDL underneath the client: schema fetch, column selection, up/down tracking.

The ``ovs`` IDL reconnects by itself after ovsdb-server restarts; this
subclass only *observes* it: after every ``run()`` it tells listeners when
the replica became usable (monitoring) or unusable (disconnected), and wakes
threads waiting on :attr:`Idl.changed` so they never poll.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ovs import jsonrpc, poller, stream
from ovs.db import idl as ovs_idl
from ovsdbapp.backend.ovs_idl import connection as ovsdbapp_connection

from ovsagent.ovs.ovsdb.errors import OvsdbConnectionError

LOG = logging.getLogger(__name__)

SCHEMA_NAME = "Open_vSwitch"

# Columns never replicated: vswitchd rewrites them every few seconds, which
# would turn into a steady stream of useless updates (one per interface).
EXCLUDED_COLUMNS: frozenset[str] = frozenset({"statistics"})

# Interface columns ovs-vswitchd fills in as it brings a port up and keeps
# refreshing; the agent reads none of them. Not replicating them spares the
# IDL thread most of the update stream of a burst of new ports (parsing it
# held the replica lock for ~0.2 s while 500 ports were plugged).
EXCLUDED_TABLE_COLUMNS: Mapping[str, frozenset[str]] = {
    "Interface": frozenset({
        "admin_state", "bfd_status", "cfm_fault", "cfm_fault_status", "cfm_flap_count",
        "cfm_health", "cfm_remote_mpids", "cfm_remote_opstate", "duplex", "ifindex",
        "lacp_current", "link_resets", "link_speed", "link_state", "mtu", "status"}),
}

ConnectionListener = Callable[[bool], None]


def split_endpoints(endpoint: str) -> list[str]:
    """``"unix:/a,tcp:127.0.0.1:6640"`` -> each remote, stripped, empty ones dropped."""
    return [part.strip() for part in endpoint.split(",") if part.strip()]


def selected_columns(schema_json: Mapping[str, Any],
                     excluded: Iterable[str] = EXCLUDED_COLUMNS,
                     per_table: Mapping[str, frozenset[str]] = EXCLUDED_TABLE_COLUMNS,
                     ) -> dict[str, list[str]]:
    """Map every table of ``schema_json`` to its columns minus ``excluded`` (in every
    table) and minus ``per_table[table]``."""
    drop = set(excluded)
    return {
        table: sorted(col for col in spec.get("columns", {})
                      if col not in drop and col not in per_table.get(table, ()))
        for table, spec in schema_json.get("tables", {}).items()
    }


def _transact_block(rpc: jsonrpc.Connection, request: jsonrpc.Message,
                    deadline: float) -> tuple[int, jsonrpc.Message | None]:
    """``rpc.transact_block`` with a deadline (``time.monotonic()`` based)."""
    error = rpc.send(request)
    while not error:
        rpc.run()
        error, reply = rpc.recv()
        if error == errno.EAGAIN:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return errno.ETIMEDOUT, None
            waiter = poller.Poller()
            rpc.wait(waiter)
            rpc.recv_wait(waiter)
            waiter.timer_wait(int(remaining * 1000) + 1)
            waiter.block()
            error = 0
            continue
        if reply is not None and reply.id == request.id and reply.type in (
                jsonrpc.Message.T_REPLY, jsonrpc.Message.T_ERROR):
            return 0, reply
    return error, None


def fetch_schema(endpoint: str, timeout: float) -> dict[str, Any]:
    """Download the Open_vSwitch schema from the first remote that answers."""
    deadline = time.monotonic() + timeout
    reasons: list[str] = []
    for remote in split_endpoints(endpoint):
        remaining_ms = max(0, int((deadline - time.monotonic()) * 1000))
        err, strm = stream.Stream.open_block(stream.Stream.open(remote), remaining_ms)
        if err:
            reasons.append(f"{remote}: {os.strerror(err)}")
            continue
        rpc = jsonrpc.Connection(strm)
        try:
            request = jsonrpc.Message.create_request("get_schema", [SCHEMA_NAME])
            err, reply = _transact_block(rpc, request, deadline)
        finally:
            rpc.close()
        if err or reply is None:
            reasons.append(f"{remote}: {os.strerror(err) if err > 0 else 'end of file'}")
        elif reply.error:
            reasons.append(f"{remote}: get_schema failed: {reply.error}")
        else:
            result: dict[str, Any] = reply.result
            return result
    raise OvsdbConnectionError(endpoint, "; ".join(reasons) or "no remote given")


def schema_helper(schema_json: dict[str, Any]) -> ovs_idl.SchemaHelper:
    """A schema helper registering every table, without the excluded columns."""
    helper = ovs_idl.SchemaHelper(None, schema_json)
    for table, columns in selected_columns(schema_json).items():
        helper.register_columns(table, columns)
    return helper


class Idl(ovsdbapp_connection.OvsdbIdl):  # type: ignore[misc]
    """An ovsdbapp IDL that reports connection state changes and wakes waiters."""

    def __init__(self, remote: str, helper: ovs_idl.SchemaHelper) -> None:
        super().__init__(remote, helper)
        self.changed: threading.Condition | None = None
        self.listeners: list[ConnectionListener] = []
        self._up = False

    def cooperative_yield(self) -> None:
        """No yield per row update (python-ovs' default). ovsdbapp's ``time.sleep(0)``
        is for eventlet, which the agent does not use: with threads it handed the
        GIL to whichever thread wanted it once per row, and parsing the update of
        500 plugged ports took several times longer (the OVSDB lock held all along)."""

    def is_up(self) -> bool:
        """True when connected and the replica is in sync (monitoring)."""
        return bool(self.state == self.IDL_S_MONITORING and self._session.is_connected())

    def run(self) -> bool:
        """Process server messages, then publish state changes and wake waiters."""
        changed = bool(super().run())
        up = self.is_up()
        if up != self._up:
            self._up = up
            LOG.info("OVSDB %s %s", self.session_name(), "in sync" if up else "disconnected")
            for listener in list(self.listeners):
                try:
                    listener(up)
                except Exception:
                    LOG.exception("OVSDB connection listener failed")
        if self.changed is not None:
            # RuntimeError: run() outside the connection lock, so nobody waits.
            with contextlib.suppress(RuntimeError):
                self.changed.notify_all()
        return changed
