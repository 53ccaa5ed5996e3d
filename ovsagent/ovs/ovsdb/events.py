"""A change stream of Interface rows: add / update / delete, pushed by the IDL.

:class:`InterfaceMonitor` registers an ovsdbapp row event on the client's
event handler; rows are converted to immutable :class:`InterfaceEvent`
values in the handler's thread and handed to a callback or a queue.

The stream stays consistent across ovsdb-server restarts: the IDL re-dumps
the database after a reconnect without reporting rows that vanished, so the
monitor buffers the re-dump, emits DELETE for every known interface missing
from it, then only real differences (ADD/UPDATE) from the re-dump.
"""

from __future__ import annotations

import logging
import queue
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields
from enum import StrEnum
from typing import Any

from ovsdbapp.backend.ovs_idl import event as ovsdbapp_event

from ovsagent.ovs.ovsdb.connection import OvsdbClient
from ovsagent.ovs.ovsdb.interfaces import InterfaceInfo, interface_info

LOG = logging.getLogger(__name__)

# Columns whose change is reported as UPDATE (others are ignored).
WATCHED_COLUMNS = ("name", "type", "ofport", "external_ids", "mac_in_use")

_SNAPSHOT, _DOWN, _UP = "_snapshot", "_down", "_up"


class EventKind(StrEnum):
    """What happened to an interface."""

    ADD = "add"
    UPDATE = "update"
    DELETE = "delete"


@dataclass(frozen=True)
class InterfaceEvent:
    """One change of one Interface row.

    ``interface`` is the state after the change (the last state for DELETE);
    ``old`` the previous state (UPDATE/DELETE); ``changed`` the watched fields
    that differ (UPDATE); ``received_at`` is ``time.monotonic()`` at delivery.
    """

    kind: EventKind
    interface: InterfaceInfo
    old: InterfaceInfo | None = None
    changed: frozenset[str] = frozenset()
    received_at: float = 0.0

    @property
    def name(self) -> str:
        """Interface name."""
        return self.interface.name

    @property
    def ofport(self) -> int | None:
        """OpenFlow port number (None while unassigned, -1 on failure)."""
        return self.interface.ofport

    @property
    def iface_id(self) -> str | None:
        """Neutron port id, None for non-VIFs."""
        return self.interface.iface_id


_INFO_FIELDS = tuple(f.name for f in fields(InterfaceInfo) if f.name != "uuid")


def changed_fields(old: InterfaceInfo, new: InterfaceInfo) -> frozenset[str]:
    """Names of the :class:`InterfaceInfo` fields that differ."""
    return frozenset(f for f in _INFO_FIELDS if getattr(old, f) != getattr(new, f))


class _InterfaceRowEvent(ovsdbapp_event.RowEvent):  # type: ignore[misc]
    """Forwards Interface create/delete and watched-column updates to a monitor."""

    def __init__(self, monitor: InterfaceMonitor) -> None:
        super().__init__((self.ROW_CREATE, self.ROW_UPDATE, self.ROW_DELETE), "Interface", None)
        self.monitor = monitor

    def __eq__(self, other: object) -> bool:  # one registration per monitor
        return self is other

    def __hash__(self) -> int:
        return id(self)

    def matches(self, event: str, row: Any, old: Any = None) -> bool:
        # Not ovsdbapp's matches(): it formats every matched row for a debug log.
        if event not in self.events or row._table.name != self.table:
            return False
        if event != self.ROW_UPDATE:
            return True
        return old is not None and any(hasattr(old, col) for col in WATCHED_COLUMNS)

    def convert_row(self, event: str, row: Any, old: Any) -> InterfaceInfo:
        return interface_info(row)

    def run(self, event: str, row: Any, old: Any) -> None:
        self.monitor._handle(event, row)


class InterfaceMonitor:
    """Pushes :class:`InterfaceEvent` to ``callback`` or, without one, to :attr:`queue`.

    With ``initial`` every existing interface is first reported as ADD.
    Callbacks run in the client's event thread: keep them short.
    """

    def __init__(self, client: OvsdbClient,
                 callback: Callable[[InterfaceEvent], None] | None = None, *,
                 initial: bool = True) -> None:
        self._client = client
        self._callback = callback
        self._initial = initial
        self.queue: queue.Queue[InterfaceEvent] = queue.Queue()
        self._row_event = _InterfaceRowEvent(self)
        # Only touched in the event thread:
        self._known: dict[str, InterfaceInfo] = {}
        self._resyncing = False
        self._buffer: list[tuple[str, InterfaceInfo]] = []
        self._started = False

    # -- lifecycle (caller's thread) ---------------------------------------

    def start(self) -> InterfaceMonitor:
        """Start watching (snapshot and registration are atomic w.r.t. updates)."""
        if self._started:
            return self
        self._client.wait_until_up()
        handler = self._client.events
        with self._client.lock:
            rows = self._client.api.idl.tables["Interface"].rows.values()
            snapshot = [interface_info(row) for row in rows]
            handler.notifications.put((self._row_event, _SNAPSHOT, snapshot, None))
            handler.watch_event(self._row_event)
            self._client.add_connection_listener(self._on_connection)
        self._started = True
        return self

    def stop(self) -> None:
        """Stop watching; events already queued may still be delivered."""
        if not self._started:
            return
        self._started = False
        self._client.events.unwatch_event(self._row_event)
        self._client.remove_connection_listener(self._on_connection)

    def __enter__(self) -> InterfaceMonitor:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def get(self, timeout: float | None = None) -> InterfaceEvent | None:
        """Next queued event (no callback mode), None after ``timeout`` seconds."""
        try:
            return self.queue.get(timeout=timeout)
        except queue.Empty:
            return None

    # -- connection thread -------------------------------------------------

    def _on_connection(self, up: bool) -> None:
        if up:
            rows = self._client.api.idl.tables["Interface"].rows
            payload: Any = frozenset(str(uuid) for uuid in rows)
            self._client.events.notifications.put((self._row_event, _UP, payload, None))
        else:
            self._client.events.notifications.put((self._row_event, _DOWN, None, None))

    # -- event thread ------------------------------------------------------

    def _handle(self, event: str, row: Any) -> None:
        try:
            if event == _SNAPSHOT:
                self._seed(row)
            elif event == _DOWN:
                self._resyncing = True
            elif event == _UP:
                self._resync(row)
            elif self._resyncing:
                self._buffer.append((event, row))
            else:
                self._apply(event, row)
        except Exception:
            LOG.exception("interface event %s not processed", event)

    def _seed(self, infos: Iterable[InterfaceInfo]) -> None:
        self._known, self._buffer, self._resyncing = {}, [], False  # (re)start: fresh state
        for info in infos:
            self._known[info.uuid] = info
            if self._initial:
                self._emit(EventKind.ADD, info)

    def _resync(self, present: frozenset[str]) -> None:
        for uuid in [u for u in self._known if u not in present]:
            old = self._known.pop(uuid)
            self._emit(EventKind.DELETE, old, old)
        buffered, self._buffer, self._resyncing = self._buffer, [], False
        for event, info in buffered:
            self._apply(event, info)

    def _apply(self, event: str, info: InterfaceInfo) -> None:
        previous = self._known.get(info.uuid)
        if event == _InterfaceRowEvent.ROW_DELETE:
            if previous is not None:
                del self._known[info.uuid]
                self._emit(EventKind.DELETE, info, previous)
            return
        self._known[info.uuid] = info
        if previous is None:
            self._emit(EventKind.ADD, info)
            return
        changed = changed_fields(previous, info)
        if changed:
            self._emit(EventKind.UPDATE, info, previous, changed)

    def _emit(self, kind: EventKind, info: InterfaceInfo, old: InterfaceInfo | None = None,
              changed: frozenset[str] = frozenset()) -> None:
        event = InterfaceEvent(kind, info, old, changed, time.monotonic())
        if self._callback is None:
            self.queue.put(event)
            return
        try:
            self._callback(event)
        except Exception:
            LOG.exception("interface event callback failed on %s %s", kind, info.name)
