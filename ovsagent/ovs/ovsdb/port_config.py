"""Per-port state the agent writes and reads back: VLAN tag and other_config."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ovsagent.ovs.ovsdb.connection import OvsdbClient
from ovsagent.ovs.ovsdb.db import DbView, Row, TxnView, merge_map, optional, str_map
from ovsagent.ovs.ovsdb.interfaces import frozen_map
from ovsagent.ovs.ovsdb.ports import write_tag

DEAD_VLAN_TAG = 4095


@dataclass(frozen=True)
class PortInfo:
    """A Port row as plain values."""

    name: str
    tag: int | None
    vlan_mode: str | None
    trunks: tuple[int, ...]
    other_config: Mapping[str, str] = field(hash=False)
    interfaces: tuple[str, ...] = ()


def _port_info(row: Row) -> PortInfo:
    return PortInfo(
        name=str(row.name),
        tag=optional(row.tag),
        vlan_mode=optional(row.vlan_mode),
        trunks=tuple(sorted(row.trunks)),
        other_config=frozen_map(str_map(row.other_config)),
        interfaces=tuple(sorted(str(i.name) for i in row.interfaces)),
    )


def set_port_tags(client: OvsdbClient, tags: Mapping[str, int]) -> None:
    """Set Port.tag of every port in ``tags`` (clearing vlan_mode/trunks), one transaction."""
    wanted = dict(tags)

    def op(tx: TxnView) -> None:
        for name, tag in wanted.items():
            write_tag(tx.port(name), tag)

    client.transact(op)


def set_port_tag(client: OvsdbClient, name: str, tag: int) -> None:
    """Set Port.tag of ``name`` (clearing vlan_mode/trunks)."""
    set_port_tags(client, {name: tag})


def get_port_tag(client: OvsdbClient, name: str) -> int | None:
    """Port.tag of ``name``, None when untagged."""

    def tag(db: DbView) -> int | None:
        value = optional(db.port(name).tag)
        return None if value is None else int(value)

    return client.read(tag)


def set_port_other_config(client: OvsdbClient, name: str, values: Mapping[str, str],
                          tag: int | None = None) -> None:
    """Merge ``values`` into Port.other_config (and set the tag in the same transaction)."""

    def op(tx: TxnView) -> None:
        port = tx.port(name)
        if tag is not None:
            write_tag(port, tag)
        merge_map(port, "other_config", values)

    client.transact(op)


def get_port_other_config(client: OvsdbClient, name: str) -> dict[str, str]:
    """Port.other_config of ``name``."""
    return client.read(lambda db: str_map(db.port(name).other_config))


def set_interface_other_config(client: OvsdbClient, name: str,
                               values: Mapping[str, str] | None) -> None:
    """Replace Interface.other_config of ``name`` (empty/None clears the column)."""
    new = {str(k): str(v) for k, v in (values or {}).items()}

    def op(tx: TxnView) -> None:
        iface = tx.interface(name)
        if str_map(iface.other_config) != new:
            iface.other_config = new

    client.transact(op)


def get_interface_other_config(client: OvsdbClient, name: str) -> dict[str, str]:
    """Interface.other_config of ``name``."""
    return client.read(lambda db: str_map(db.interface(name).other_config))


def get_port(client: OvsdbClient, name: str) -> PortInfo:
    """Port ``name`` as a :class:`PortInfo`."""
    return client.read(lambda db: _port_info(db.port(name)))


def list_ports(client: OvsdbClient, bridge: str) -> list[PortInfo]:
    """Every port of ``bridge`` except its internal port, by name."""

    def read(db: DbView) -> list[PortInfo]:
        rows = [p for p in db.bridge(bridge).ports if p.name != bridge]
        return sorted((_port_info(p) for p in rows), key=lambda info: info.name)

    return client.read(read)
