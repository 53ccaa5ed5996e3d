"""Ports: add (one or many per transaction), patch and tunnel ports, delete, ofports.

Adding a port that exists (by name) keeps the Port row but rewrites its
Interface ``type`` and ``options``. Deleting many ports removes them from
``Bridge.ports`` in one mutation; ovsdb-server garbage-collects the rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from ovsagent.ovs.ovsdb.connection import OvsdbClient, TxnOp
from ovsagent.ovs.ovsdb.db import (
    INVALID_OFPORT,
    DbView,
    Row,
    TxnView,
    is_valid_ofport,
    merge_map,
    parse_ofport,
    set_if_changed,
    set_plain_if_changed,
)
from ovsagent.ovs.ovsdb.errors import OvsdbError, OvsdbTimeout, PortNotFound
from ovsagent.ovs.ovsdb.tunnels import tunnel_interface_type, tunnel_options

NONEXISTENT_PEER = "nonexistent-peer"


@dataclass(frozen=True)
class PortSpec:
    """A Port with one Interface of the same name.

    ``options`` replaces the Interface options (``None``: leave them);
    ``external_ids`` is merged into the Interface's; ``tag`` sets Port.tag.
    """

    name: str
    type: str = ""
    options: Mapping[str, str] | None = field(default=None, hash=False)
    external_ids: Mapping[str, str] | None = field(default=None, hash=False)
    tag: int | None = None


def write_tag(port: Row, tag: int) -> None:
    """Set Port.tag and clear ``vlan_mode``/``trunks`` (undoes a dead-port trunk)."""
    if not 0 <= tag <= 4095:
        raise ValueError(f"bad VLAN tag {tag}")
    set_plain_if_changed(port, "tag", [tag])
    set_plain_if_changed(port, "vlan_mode", [])
    set_plain_if_changed(port, "trunks", [])


def _new_port(tx: TxnView, bridge: Row, spec: PortSpec) -> None:
    iface = tx.insert("Interface")
    iface.name = spec.name
    if spec.type:
        iface.type = spec.type
    if spec.options:
        iface.options = dict(spec.options)
    if spec.external_ids:
        iface.external_ids = dict(spec.external_ids)
    tx.expect_interface(iface)
    port = tx.insert("Port")
    port.name = spec.name
    port.interfaces = [iface]
    if spec.tag is not None:
        port.tag = [spec.tag]
    bridge.addvalue("ports", port)


def _ensure_port(tx: TxnView, bridge: Row, members: set[Row], spec: PortSpec) -> bool:
    port = tx.lookup("Port", spec.name)
    if port is None:
        _new_port(tx, bridge, spec)
        return True
    if port not in members:
        owner = tx.bridge_of_port(port)
        where = owner.name if owner is not None else "another bridge"
        raise OvsdbError(f"port {spec.name} already exists on {where}, not {bridge.name}")
    iface = tx.lookup("Interface", spec.name) or port.interfaces[0]
    set_if_changed(iface, "type", spec.type)
    if spec.options is not None:
        set_if_changed(iface, "options", dict(spec.options))
    merge_map(iface, "external_ids", spec.external_ids or {})
    if spec.tag is not None:
        write_tag(port, spec.tag)
    return False


def add_ports(client: OvsdbClient, bridge: str, specs: Iterable[PortSpec]) -> int:
    """Add (or rewrite) all ``specs`` on ``bridge`` in ONE transaction; returns # created."""
    wanted = list(specs)

    def op(tx: TxnView) -> int:
        bridge_row = tx.bridge(bridge)
        members = set(bridge_row.ports)
        return sum(_ensure_port(tx, bridge_row, members, spec) for spec in wanted)

    created: int = client.transact(op)[0]
    return created


def add_port(client: OvsdbClient, bridge: str, name: str, *, type: str = "",
             options: Mapping[str, str] | None = None,
             external_ids: Mapping[str, str] | None = None,
             tag: int | None = None) -> bool:
    """Add port ``name`` to ``bridge`` (see :class:`PortSpec`); True if created."""
    spec = PortSpec(name, type, options, external_ids, tag)
    return add_ports(client, bridge, [spec]) == 1


def add_patch_port(client: OvsdbClient, bridge: str, name: str, peer: str) -> bool:
    """Add patch port ``name`` with ``options:peer``; an existing one is re-pointed."""
    return add_port(client, bridge, name, type="patch", options={"peer": peer})


def add_patch_pair(client: OvsdbClient, bridge_a: str, port_a: str,
                   bridge_b: str, port_b: str) -> None:
    """Both ends of a patch link (``port_a`` on ``bridge_a`` <-> ``port_b``) in one transaction."""

    def end(bridge: str, name: str, peer: str) -> TxnOp:
        spec = PortSpec(name, "patch", {"peer": peer})

        def op(tx: TxnView) -> bool:
            row = tx.bridge(bridge)
            return _ensure_port(tx, row, set(row.ports), spec)

        return op

    client.transact(end(bridge_a, port_a, port_b), end(bridge_b, port_b, port_a))


def set_patch_peer(client: OvsdbClient, name: str, peer: str) -> None:
    """Point existing patch port ``name`` at ``peer``."""
    client.transact(lambda tx: merge_map(tx.interface(name), "options", {"peer": peer}))


def add_tunnel_port(client: OvsdbClient, bridge: str, name: str, tunnel_type: str,
                    local_ip: str, remote_ip: str, *, dst_port: int | None = None,
                    csum: bool = False, df_default: bool = True, tos: str | None = None,
                    clear_pkt_mark: bool = True,
                    extra_options: Mapping[str, str] | None = None) -> bool:
    """Add (or rewrite) a flow-keyed tunnel port; True if created.

    Options come from :func:`tunnel_options`; an existing port's options are
    replaced by exactly these.
    """
    options = tunnel_options(tunnel_type, local_ip, remote_ip, dst_port=dst_port, csum=csum,
                             df_default=df_default, tos=tos, clear_pkt_mark=clear_pkt_mark,
                             extra=extra_options)
    iface_type = tunnel_interface_type(tunnel_type, local_ip, remote_ip)
    return add_port(client, bridge, name, type=iface_type, options=options)


def delete_ports(client: OvsdbClient, bridge: str, names: Iterable[str]) -> int:
    """Remove ports ``names`` from ``bridge`` in one mutation; returns # removed.

    Names that are absent (or on another bridge) are skipped.
    """
    wanted = list(names)

    def op(tx: TxnView) -> int:
        bridge_row = tx.bridge(bridge)
        members = set(bridge_row.ports)
        removed = 0
        for name in wanted:
            port = tx.lookup("Port", name)
            if port is not None and port in members:
                bridge_row.delvalue("ports", port)
                members.discard(port)
                removed += 1
        return removed

    count: int = client.transact(op)[0]
    return count


def delete_port(client: OvsdbClient, name: str, bridge: str | None = None,
                if_exists: bool = True) -> bool:
    """Remove port ``name`` (from ``bridge`` or whichever holds it); True if removed."""

    def op(tx: TxnView) -> bool:
        port = tx.lookup("Port", name)
        owner = tx.bridge_of_port(port) if port is not None else None
        if port is None or owner is None or (bridge is not None and owner.name != bridge):
            if if_exists:
                return False
            raise PortNotFound(name)
        owner.delvalue("ports", port)
        return True

    removed: bool = client.transact(op)[0]
    return removed


def port_exists(client: OvsdbClient, name: str) -> bool:
    """True if a Port named ``name`` exists."""
    return client.read(lambda db: db.lookup("Port", name) is not None)


def get_ofport(client: OvsdbClient, name: str, timeout: float | None = None) -> int:
    """OpenFlow port number of interface ``name``, waiting until vswitchd assigned one.

    Waits up to ``timeout`` (default: client timeout; 0 = no wait) for a valid
    number and returns :data:`INVALID_OFPORT` (-1) if none came. Raises
    :class:`PortNotFound` if the interface does not exist.
    """

    def valid(db: DbView) -> int | None:
        ofport = parse_ofport(db.interface(name).ofport)
        return ofport if is_valid_ofport(ofport) else None

    try:
        return client.wait_for(valid, timeout, what=f"ofport of {name}")
    except OvsdbTimeout:
        return INVALID_OFPORT


def get_ofports(client: OvsdbClient, names: Iterable[str]) -> dict[str, int | None]:
    """Current ofports (no waiting) of existing interfaces among ``names``."""
    wanted = list(names)

    def read(db: DbView) -> dict[str, int | None]:
        result: dict[str, int | None] = {}
        for name in wanted:
            iface = db.lookup("Interface", name)
            if iface is not None:
                result[name] = parse_ofport(iface.ofport)
        return result

    return client.read(read)
