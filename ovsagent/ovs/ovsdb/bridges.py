"""Bridges: ensure (idempotent, one transaction), read back, datapath ids.

Map columns (``other_config``, ``external_ids``) are merged key by key and
``protocols`` is a set union: whatever an operator added is kept.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ovsagent.ovs.ovsdb.connection import OvsdbClient
from ovsagent.ovs.ovsdb.db import DbView, Row, TxnView, merge_map, optional, set_if_changed
from ovsagent.ovs.ovsdb.interfaces import frozen_map

DEFAULT_PROTOCOLS = ("OpenFlow10", "OpenFlow13", "OpenFlow14")
FAIL_MODE_SECURE = "secure"
DISABLE_IN_BAND = "disable-in-band"


#: ovs-vswitchd's default is 8000 ms; a controller (the agent) that restarts is
#: listening again within about a second, so retry every second at most
CONTROLLER_MAX_BACKOFF_MS = 1000


def controller_target(address: str, port: int, proto: str = "tcp") -> str:
    """``tcp:127.0.0.1:6633``; IPv6 addresses are bracketed (``tcp:[::1]:6633``)."""
    if ipaddress.ip_address(address).version == 6:
        address = f"[{address}]"
    return f"{proto}:{address}:{port}"


def format_datapath_id(dpid: int) -> str:
    """A datapath id as ``other_config:datapath-id`` wants it (16 hex digits)."""
    if not 0 <= dpid < 1 << 64:
        raise ValueError(f"datapath id {dpid:#x} out of range")
    return f"{dpid:016x}"


def parse_datapath_id(value: Any) -> int | None:
    """``Bridge.datapath_id`` (``["0000d230f70c6841"]``, ``[]``, str) -> int or None."""
    value = optional(value)
    return int(value, 16) if value else None


@dataclass(frozen=True)
class EnsureBridgeResult:
    """What :func:`ensure_bridge` had to change."""

    name: str
    created: bool
    protocols_added: tuple[str, ...] = ()
    controller_replaced: bool = False


@dataclass(frozen=True)
class BridgeInfo:
    """A Bridge row as plain values."""

    name: str
    datapath_type: str
    datapath_id: int | None
    protocols: tuple[str, ...]
    fail_mode: str | None
    controllers: tuple[str, ...]
    inactivity_probes: tuple[int | None, ...]
    other_config: Mapping[str, str] = field(hash=False)
    external_ids: Mapping[str, str] = field(hash=False)
    ports: tuple[str, ...] = ()


def _bridge_info(row: Row) -> BridgeInfo:
    controllers = sorted(row.controller, key=lambda c: str(c.target))
    return BridgeInfo(
        name=str(row.name),
        datapath_type=str(row.datapath_type),
        datapath_id=parse_datapath_id(row.datapath_id),
        protocols=tuple(sorted(row.protocols)),
        fail_mode=optional(row.fail_mode),
        controllers=tuple(str(c.target) for c in controllers),
        inactivity_probes=tuple(optional(c.inactivity_probe) for c in controllers),
        other_config=frozen_map(row.other_config),
        external_ids=frozen_map(row.external_ids),
        ports=tuple(sorted(str(p.name) for p in row.ports)),
    )


def _create_bridge(tx: TxnView, name: str, datapath_type: str) -> Row:
    bridge = tx.insert("Bridge")
    bridge.name = name
    bridge.datapath_type = datapath_type
    iface = tx.insert("Interface")
    iface.name = name
    iface.type = "internal"
    tx.expect_interface(iface)
    port = tx.insert("Port")
    port.name = name
    port.interfaces = [iface]
    bridge.ports = [port]
    tx.open_vswitch().addvalue("bridges", bridge)
    return bridge


def _ensure_controller(tx: TxnView, bridge: Row, target: str | None,
                       inactivity_probe_ms: int | None, max_backoff_ms: int | None) -> bool:
    controllers = list(getattr(bridge, "controller", None) or [])
    replaced = False
    if target is not None and target not in {c.target for c in controllers}:
        row = tx.insert("Controller")
        row.target = target
        bridge.controller = [row]
        controllers, replaced = [row], True
    for row in controllers:
        if inactivity_probe_ms is not None:
            set_if_changed(row, "inactivity_probe", [inactivity_probe_ms])
        if max_backoff_ms is not None and target is not None:
            set_if_changed(row, "max_backoff", [max_backoff_ms])
    return replaced


def ensure_bridge(client: OvsdbClient, name: str, *, datapath_type: str,
                  protocols: Iterable[str] = DEFAULT_PROTOCOLS,
                  other_config: Mapping[str, str] | None = None,
                  external_ids: Mapping[str, str] | None = None,
                  fail_mode: str | None = None,
                  controller: str | None = None,
                  inactivity_probe_ms: int | None = None,
                  max_backoff_ms: int | None = CONTROLLER_MAX_BACKOFF_MS) -> EnsureBridgeResult:
    """Create or update bridge ``name`` in ONE transaction.

    Creates it (with its internal port) if missing, else only rewrites
    ``datapath_type``; adds ``protocols`` to the set; merges ``other_config``
    and ``external_ids``; sets ``fail_mode`` if given. With ``controller``, the
    controller list is replaced by exactly that target unless it is already
    one of them, and ``other_config:disable-in-band=true`` is merged;
    ``inactivity_probe_ms`` and ``max_backoff_ms`` are written on every Controller
    row (the latter caps ovs-vswitchd's reconnection back-off: without it a
    restarted agent waits up to 8 s for its bridges to connect again).
    """
    wanted_protocols = tuple(dict.fromkeys(protocols))
    config = dict(other_config or {})
    if controller is not None:
        config[DISABLE_IN_BAND] = "true"

    def op(tx: TxnView) -> EnsureBridgeResult:
        bridge = tx.lookup("Bridge", name)
        created = bridge is None
        if bridge is None:
            bridge = _create_bridge(tx, name, datapath_type)
            bridge.protocols = list(wanted_protocols)
            added = wanted_protocols
        else:
            set_if_changed(bridge, "datapath_type", datapath_type)
            present = set(bridge.protocols)
            added = tuple(p for p in wanted_protocols if p not in present)
            for protocol in added:
                bridge.addvalue("protocols", protocol)
        merge_map(bridge, "other_config", config)
        merge_map(bridge, "external_ids", external_ids or {})
        if fail_mode is not None:
            set_if_changed(bridge, "fail_mode", [fail_mode])
        replaced = _ensure_controller(tx, bridge, controller, inactivity_probe_ms,
                                      max_backoff_ms)
        return EnsureBridgeResult(name, created, added, replaced)

    result: EnsureBridgeResult = client.transact(op)[0]
    return result


def update_bridge(client: OvsdbClient, name: str, *,
                  other_config: Mapping[str, str] | None = None,
                  external_ids: Mapping[str, str] | None = None,
                  wait_vswitchd: bool | None = None,
                  **columns: Any) -> None:
    """Merge map columns and overwrite plain ``columns`` of an existing bridge.

    ``wait_vswitchd=False``: return once committed, not once ovs-vswitchd applied it
    (for values only the agent reads: reconfiguring a userspace switch with 500
    ports took ~0.5 s)."""

    def op(tx: TxnView) -> None:
        bridge = tx.bridge(name)
        merge_map(bridge, "other_config", other_config or {})
        merge_map(bridge, "external_ids", external_ids or {})
        for column, value in columns.items():
            set_if_changed(bridge, column, value)

    client.transact(op, wait_vswitchd=wait_vswitchd)


def set_datapath_id(client: OvsdbClient, name: str, dpid: int) -> None:
    """Ask vswitchd for a specific datapath id (``other_config:datapath-id``)."""
    update_bridge(client, name, other_config={"datapath-id": format_datapath_id(dpid)})


def delete_bridge(client: OvsdbClient, name: str, if_exists: bool = True) -> None:
    """Remove bridge ``name`` (its ports go with it)."""

    def op(tx: TxnView) -> None:
        bridge = tx.lookup("Bridge", name)
        if bridge is None:
            if if_exists:
                return
            bridge = tx.bridge(name)  # raises BridgeNotFound
        tx.open_vswitch().delvalue("bridges", bridge)

    client.transact(op)


def bridge_exists(client: OvsdbClient, name: str) -> bool:
    """True if a Bridge named ``name`` exists."""
    return client.read(lambda db: db.lookup("Bridge", name) is not None)


def list_bridges(client: OvsdbClient) -> list[str]:
    """Names of all bridges, sorted."""
    return client.read(lambda db: sorted(str(b.name) for b in db.rows("Bridge")))


def get_bridge(client: OvsdbClient, name: str) -> BridgeInfo:
    """Bridge ``name`` as a :class:`BridgeInfo`; :class:`BridgeNotFound` if absent."""
    return client.read(lambda db: _bridge_info(db.bridge(name)))


def get_datapath_id(client: OvsdbClient, name: str, timeout: float | None = None) -> int:
    """``Bridge.datapath_id`` as an int, waiting (default: client timeout) until set.

    :class:`BridgeNotFound` if the bridge does not exist, :class:`OvsdbTimeout`
    if vswitchd never fills it in.
    """

    def dpid(db: DbView) -> int | None:
        return parse_datapath_id(db.bridge(name).datapath_id)

    return client.wait_for(dpid, timeout, what=f"datapath_id of {name}")
