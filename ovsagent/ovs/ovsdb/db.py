"""Views over the IDL replica handed to read and transaction functions.

A *read function* gets a :class:`DbView` while the client holds the IDL
lock; a *transaction op* gets a :class:`TxnView` inside one OVSDB
transaction. Both must return plain Python data, never IDL rows (rows are
only valid while the lock is held).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ovs.db import data as ovs_data
from ovs.db.idl import Row as IdlRow
from ovsdbapp.backend.ovs_idl import idlutils

from ovsagent.ovs.ovsdb.errors import BridgeNotFound, PortNotFound

Row = Any  # ovs.db.idl.Row (untyped library)

INVALID_OFPORT = -1


def optional(value: Any) -> Any:
    """An optional IDL column (``[]`` or ``[x]``) -> ``None`` or ``x``."""
    if isinstance(value, list):
        return value[0] if value else None
    return value


def parse_ofport(value: Any) -> int | None:
    """``ofport`` as read anywhere (``[3]``, ``[]``, ``3``, ``-1``) -> int or None.

    ``None`` means "not assigned yet", :data:`INVALID_OFPORT` means vswitchd
    failed to create the interface.
    """
    value = optional(value)
    if value is None or value == "":
        return None
    return int(value)


def is_valid_ofport(ofport: int | None) -> bool:
    """True for a usable OpenFlow port number (1 .. 0xfeff)."""
    return ofport is not None and 0 < ofport < 0xFF00


def _keep(value: Any, base: Any) -> Any:
    return value


def plain_value(row: Row, column: str) -> Any:
    """``getattr(row, column)`` in the same shape (scalar, list, dict) but with
    references left as UUIDs, converted once from the column's Datum.

    python-ovs' ``Row.__getattr__`` converts set and map columns three times
    (to a list, back to a Datum, to Python); reading hundreds of rows a pass
    made that the loop's main cost. A column written in the transaction being
    built reads as written; one with pending mutations (``addvalue``) is read
    through ``getattr`` (always right)."""
    data = getattr(row, "_data", None)  # None also for rows that are not python-ovs'
    if data is None or column not in data:
        return _uuids(getattr(row, column))
    changes, mutations = row._changes, row._mutations
    if changes is None or (mutations and any(column in m for m in mutations.values())):
        return _uuids(getattr(row, column))  # deleted, or a mutation of this column
    datum = changes.get(column)  # written in the transaction being built
    return (data[column] if datum is None else datum).to_python(_keep)


def _uuids(value: Any) -> Any:
    """Rows in a ``getattr`` value -> their UUIDs (what :func:`plain_value` returns)."""
    if isinstance(value, IdlRow):
        return value.uuid
    if isinstance(value, list):
        return [_uuids(v) for v in value]
    if isinstance(value, dict):
        return {_uuids(k): _uuids(v) for k, v in value.items()}
    return value


def str_map(value: Any) -> dict[str, str]:
    """A map column -> a fresh ``dict[str, str]`` copy."""
    return {str(k): str(v) for k, v in (value or {}).items()}


class DbView:
    """Read access to the replica (valid only while the IDL lock is held)."""

    def __init__(self, idl: Any) -> None:
        self.idl = idl

    def rows(self, table: str) -> Iterable[Row]:
        """All rows of ``table``."""
        return self.idl.tables[table].rows.values()  # type: ignore[no-any-return]

    def lookup(self, table: str, name: str) -> Row | None:
        """The row of ``table`` whose ``name`` is ``name`` (indexed), or None."""
        return idlutils.row_by_value(self.idl, table, "name", name, None)

    def bridge(self, name: str) -> Row:
        """The Bridge row ``name``; :class:`BridgeNotFound` if absent."""
        row = self.lookup("Bridge", name)
        if row is None:
            raise BridgeNotFound(name)
        return row

    def port(self, name: str) -> Row:
        """The Port row ``name``; :class:`PortNotFound` if absent."""
        row = self.lookup("Port", name)
        if row is None:
            raise PortNotFound(name)
        return row

    def interface(self, name: str) -> Row:
        """The Interface row ``name``; :class:`PortNotFound` if absent."""
        row = self.lookup("Interface", name)
        if row is None:
            raise PortNotFound(name)
        return row

    def open_vswitch(self) -> Row:
        """The single Open_vSwitch row."""
        return next(iter(self.rows("Open_vSwitch")))

    def bridge_of_port(self, port: Row) -> Row | None:
        """The Bridge holding ``port`` (a scan over bridges, not ports)."""
        for bridge in self.rows("Bridge"):
            if port in bridge.ports:
                return bridge
        return None


class TxnView(DbView):
    """A :class:`DbView` inside an open OVSDB transaction."""

    def __init__(self, idl: Any, txn: Any) -> None:
        super().__init__(idl)
        self.txn = txn

    def insert(self, table: str) -> Row:
        """A new row of ``table`` (written on commit)."""
        return self.txn.insert(self.idl.tables[table])

    def expect_interface(self, iface: Row) -> None:
        """Have the commit warn if vswitchd cannot create ``iface``."""
        expected = getattr(self.txn, "expected_ifaces", None)
        if expected is not None:
            expected.add(iface.uuid)


def merge_map(row: Row, column: str, values: Mapping[str, str]) -> bool:
    """Merge ``values`` into map column ``column`` key by key; True if it changed.

    Other keys are kept. The old value is verified, so a concurrent writer
    makes the transaction retry instead of losing its keys.
    """
    try:
        value = plain_value(row, column)  # maps of strings: no references
    except AttributeError:  # a column not set yet in a row this transaction inserts
        value = None
    current = str_map(value)
    merged = {**current, **{str(k): str(v) for k, v in values.items()}}
    if merged == current:
        return False
    row.verify(column)
    write_column(row, column, merged)
    return True


def set_if_changed(row: Row, column: str, value: Any) -> bool:
    """Write ``value`` into ``column`` unless it already holds it; True if written."""
    if getattr(row, column, None) == value:
        return False
    setattr(row, column, value)
    return True


def set_plain_if_changed(row: Row, column: str, value: Any) -> bool:
    """:func:`set_if_changed` for a column without references (compared through
    :func:`plain_value`: one conversion instead of python-ovs' three)."""
    if plain_value(row, column) == value:
        return False
    write_column(row, column, value)
    return True


def _uuid_of(value: Any) -> Any:
    return value.uuid if isinstance(value, IdlRow) else value


def write_column(row: Row, column: str, value: Any) -> None:
    """``setattr(row, column, value)`` in a transaction, without what python-ovs'
    ``Row.__setattr__`` does first for any column: ``hasattr(row, column)``,
    a full conversion of the old value (for ``other_config`` of 500 ports,
    most of the time spent building the transaction), only to keep indexes
    right. Columns an index covers (``name``), read-only ones and rows that
    are not python-ovs' go through ``setattr``."""
    table: Any = getattr(row, "_table", None)
    idl: Any = getattr(row, "_idl", None)
    txn = getattr(idl, "txn", None)
    if table is None or txn is None or column in idl.readonly.get(table.name, ()) \
            or any(column in (c.column for c in idx.columns)
                   for idx in table.rows.indexes.values()):
        setattr(row, column, value)
        return
    spec = table.columns[column]
    txn._write(row, spec, ovs_data.Datum.from_python(spec.type, value, _uuid_of))
