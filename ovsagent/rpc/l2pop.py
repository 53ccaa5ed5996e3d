"""Parse l2population FDB payloads (reference/04 §7) into typed entries. Pure.

add/remove::

    {<network_id>: {"segment_id": 1001, "network_type": "vxlan",
                    "ports": {<agent tunneling_ip>: [[mac, ip], ...]}}}

update::

    {"chg_ip": {<network_id>: {<agent ip>: {"before": [[mac, ip]], "after": [[mac, ip]]}}}}

``["00:00:00:00:00:00", "0.0.0.0"]`` is the flooding entry. Each network is
parsed on its own: a malformed one is reported in ``errors`` and the others
are still returned, so one bad entry never hides the rest of a message.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from ovsagent.rpc.errors import PayloadError
from ovsagent.rpc.ovo import check_segmentation_id
from ovsagent.rpc.values import Reader, normalize_ip, normalize_mac

FLOODING_MAC = "00:00:00:00:00:00"
FLOODING_IP = "0.0.0.0"
RESOURCE = "FDB"


@dataclass(frozen=True)
class MacIp:
    mac_address: str
    ip_address: str

    @property
    def is_flooding(self) -> bool:
        return self.mac_address == FLOODING_MAC and self.ip_address == FLOODING_IP


FLOODING_ENTRY = MacIp(FLOODING_MAC, FLOODING_IP)


@dataclass(frozen=True)
class FdbNetwork:
    """One network of an add/remove message: remote endpoint IP -> its entries."""

    network_id: str
    segment_id: int | None
    network_type: str | None
    ports: Mapping[str, tuple[MacIp, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class FdbIpChange:
    """chg_ip of one port's endpoint in one network (ARP responder entries)."""

    network_id: str
    agent_ip: str
    before: tuple[MacIp, ...]
    after: tuple[MacIp, ...]


@dataclass(frozen=True)
class FdbParse:
    """Entries that parsed, and one error per malformed network."""

    networks: tuple[FdbNetwork, ...] = ()
    changes: tuple[FdbIpChange, ...] = ()
    errors: tuple[PayloadError, ...] = ()


def _endpoint_ip(net_id: str, key: str, value: object) -> str:
    ip = normalize_ip(value)
    if ip is None:
        raise PayloadError(RESOURCE, net_id, key, f"{value!r} is not an IP address")
    return ip


def _mac_ips(net_id: str, key: str, value: object) -> tuple[MacIp, ...]:
    if not isinstance(value, list | tuple):
        raise PayloadError(RESOURCE, net_id, key, "expected a list of [mac, ip] pairs")
    out = []
    for i, pair in enumerate(value):
        where = f"{key}[{i}]"
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            raise PayloadError(RESOURCE, net_id, where, f"expected [mac, ip], got {pair!r}")
        mac, ip = normalize_mac(pair[0]), normalize_ip(pair[1])
        if mac is None:
            raise PayloadError(RESOURCE, net_id, where, f"{pair[0]!r} is not a MAC address")
        if ip is None:
            raise PayloadError(RESOURCE, net_id, where, f"{pair[1]!r} is not an IP address")
        out.append(MacIp(mac, ip))
    return tuple(out)


def _network(net_id: str, value: object) -> FdbNetwork:
    if not isinstance(value, dict):
        raise PayloadError(RESOURCE, net_id, net_id, "expected an object")
    r = Reader(RESOURCE, net_id, value)
    ntype = r.opt_text("network_type")
    segid = r.opt_integer("segment_id")
    check_segmentation_id(r, "segment_id", ntype, segid)
    ports = value.get("ports")
    if not isinstance(ports, dict):
        raise r.error("ports", "expected an object of endpoint IP -> [[mac, ip], ...]")
    parsed = {_endpoint_ip(net_id, f"ports.{ip}", ip): _mac_ips(net_id, f"ports.{ip}", entries)
              for ip, entries in ports.items()}
    return FdbNetwork(net_id, segid, ntype, MappingProxyType(parsed))


def parse_fdb_entries(payload: object) -> FdbParse:
    """An add_fdb_entries / remove_fdb_entries payload."""
    if not isinstance(payload, dict):
        return FdbParse(errors=(PayloadError(RESOURCE, None, "fdb_entries", "expected an object"),))
    nets, errors = [], []
    for net_id, value in payload.items():
        if net_id == "chg_ip":  # tolerated here; update messages are parsed below
            continue
        try:
            nets.append(_network(str(net_id), value))
        except PayloadError as e:
            errors.append(e)
    return FdbParse(networks=tuple(nets), errors=tuple(errors))


def _changes(net_id: str, value: object) -> list[FdbIpChange]:
    if not isinstance(value, dict):
        raise PayloadError(RESOURCE, net_id, f"chg_ip.{net_id}", "expected an object")
    out = []
    for agent_ip, state in value.items():
        key = f"chg_ip.{net_id}.{agent_ip}"
        ip = _endpoint_ip(net_id, key, agent_ip)
        if not isinstance(state, dict):
            raise PayloadError(RESOURCE, net_id, key, "expected {before, after}")
        before = _mac_ips(net_id, key + ".before", state.get("before", []))
        after = _mac_ips(net_id, key + ".after", state.get("after", []))
        out.append(FdbIpChange(net_id, ip, before, after))
    return out


def parse_fdb_update(payload: object) -> FdbParse:
    """An update_fdb_entries payload (only the ``chg_ip`` action exists)."""
    if not isinstance(payload, dict):
        return FdbParse(errors=(PayloadError(RESOURCE, None, "fdb_entries", "expected an object"),))
    changes: list[FdbIpChange] = []
    errors = [PayloadError(RESOURCE, None, action, "unknown update action")
              for action in payload if action != "chg_ip"]
    chg = payload.get("chg_ip", {})
    if not isinstance(chg, dict):
        errors.append(PayloadError(RESOURCE, None, "chg_ip", "expected an object"))
        chg = {}
    for net_id, value in chg.items():
        try:
            changes.extend(_changes(str(net_id), value))
        except PayloadError as e:
            errors.append(e)
    return FdbParse(changes=tuple(changes), errors=tuple(errors))
