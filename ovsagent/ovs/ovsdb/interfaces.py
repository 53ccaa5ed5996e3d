"""Interface rows as immutable values, and reads of a bridge's interfaces/VIFs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from ovsagent.ovs.ovsdb.connection import OvsdbClient
from ovsagent.ovs.ovsdb.db import DbView, optional, parse_ofport, plain_value, str_map
from ovsagent.ovs.ovsdb.vifscan import ATTACHED_MAC, IFACE_ID, VifRow, scan_vifs

# more external_ids keys of VIFs (iface-id and attached-mac: see vifscan)
IFACE_STATUS = "iface-status"
VM_UUID = "vm-uuid"

_EMPTY: Mapping[str, str] = MappingProxyType({})


def frozen_map(value: Mapping[str, str] | None) -> Mapping[str, str]:
    """A read-only copy of ``value``."""
    return MappingProxyType(dict(value)) if value else _EMPTY


@dataclass(frozen=True)
class InterfaceInfo:
    """What the agent needs to know about one Interface row."""

    name: str
    uuid: str = ""
    type: str = ""
    ofport: int | None = None
    external_ids: Mapping[str, str] = field(default_factory=lambda: _EMPTY, hash=False)
    mac_in_use: str | None = None

    @property
    def iface_id(self) -> str | None:
        """Neutron port id (``external_ids:iface-id``), None for non-VIFs."""
        return self.external_ids.get(IFACE_ID)

    @property
    def attached_mac(self) -> str | None:
        """``external_ids:attached-mac``."""
        return self.external_ids.get(ATTACHED_MAC)

    @property
    def iface_status(self) -> str | None:
        """``external_ids:iface-status`` (``active`` once plugged)."""
        return self.external_ids.get(IFACE_STATUS)

    @property
    def vm_uuid(self) -> str | None:
        """``external_ids:vm-uuid``."""
        return self.external_ids.get(VM_UUID)

    @property
    def is_vif(self) -> bool:
        """True when the interface carries a Neutron port id."""
        return bool(self.iface_id)


def _column(row: Any, column: str) -> Any:
    """``plain_value``, or None for a column the row does not have (a frozen copy)."""
    try:
        return plain_value(row, column)
    except AttributeError:
        return None


def interface_info(row: Any) -> InterfaceInfo:
    """Build an :class:`InterfaceInfo` from an IDL row or a frozen row copy (the
    event stream builds one per Interface change, in the IDL thread)."""
    mac = optional(_column(row, "mac_in_use"))
    return InterfaceInfo(
        name=str(row.name),
        uuid=str(row.uuid),
        type=str(_column(row, "type") or ""),
        ofport=parse_ofport(_column(row, "ofport")),
        external_ids=frozen_map(str_map(_column(row, "external_ids"))),
        mac_in_use=str(mac) if mac else None,
    )


def _bridge_interfaces(db: DbView, bridge: str) -> list[InterfaceInfo]:
    result: list[InterfaceInfo] = []
    for port in db.bridge(bridge).ports:
        if port.name == bridge:
            continue
        result.extend(interface_info(iface) for iface in port.interfaces)
    return sorted(result, key=lambda info: info.name)


def list_interfaces(client: OvsdbClient, bridge: str) -> list[InterfaceInfo]:
    """Every interface on ``bridge`` except its own internal port, by name."""
    return client.read(lambda db: _bridge_interfaces(db, bridge))


def get_vifs(client: OvsdbClient, bridge: str) -> list[InterfaceInfo]:
    """Interfaces on ``bridge`` that carry ``external_ids:iface-id``."""
    return [info for info in list_interfaces(client, bridge) if info.is_vif]


def vif_rows(client: OvsdbClient, bridge: str) -> list[VifRow]:
    """``(iface-id, interface name, ofport, attached-mac)`` of every VIF on ``bridge``
    that has both ids and a valid ofport: what the loop reads every pass, without
    building an :class:`InterfaceInfo` per interface (unordered)."""
    return client.read(lambda db: scan_vifs(db, bridge))


def get_interface(client: OvsdbClient, name: str) -> InterfaceInfo:
    """The Interface ``name``; :class:`PortNotFound` if absent."""
    return client.read(lambda db: interface_info(db.interface(name)))
