"""Flows as plain immutable data.

A :class:`Flow` says *what* should be in a switch table; drivers decide how
to get it there (os-ken messages or ovs-ofctl text). Match fields use the
OpenFlow 1.3 OXM names that os-ken uses (``eth_type``, ``vlan_vid``,
``tunnel_id`` ...), values are normalised on construction so that two flows
meaning the same thing compare equal, whichever driver dumped them.

Values:
- integers for numeric fields (``vlan_vid`` includes the OFPVID_PRESENT bit
  0x1000, as on the wire);
- MAC addresses as lowercase ``aa:bb:cc:dd:ee:ff``;
- IPv4/IPv6 addresses as their canonical text (``198.19.0.5``, ``fd00::1``);
- a masked value is a :class:`Masked` (value, mask) of the same kinds.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

# Special OpenFlow ports (OF1.3 numbering).
OFPP_IN_PORT = 0xFFFFFFF8
OFPP_TABLE = 0xFFFFFFF9
OFPP_NORMAL = 0xFFFFFFFA
OFPP_FLOOD = 0xFFFFFFFB
OFPP_ALL = 0xFFFFFFFC
OFPP_CONTROLLER = 0xFFFFFFFD
OFPP_LOCAL = 0xFFFFFFFE
OFPP_ANY = 0xFFFFFFFF

OFPVID_PRESENT = 0x1000
OFPTT_ALL = 0xFF

ETH_TYPE_IP = 0x0800
ETH_TYPE_ARP = 0x0806
ETH_TYPE_8021Q = 0x8100
ETH_TYPE_IPV6 = 0x86DD
IP_PROTO_ICMP = 1
IP_PROTO_ICMPV6 = 58

FieldValue = int | str


@dataclass(frozen=True, order=True)
class Masked:
    """A masked match value, e.g. ``Masked(0x1000, 0x1000)`` for "any VLAN"."""

    value: FieldValue
    mask: FieldValue


MatchValue = int | str | Masked

# field name -> value kind.  The drivers support exactly these fields.
FIELD_KINDS: dict[str, str] = {
    "in_port": "int",
    "eth_dst": "mac",
    "eth_src": "mac",
    "eth_type": "int",
    "vlan_vid": "int",
    "vlan_pcp": "int",
    "ip_proto": "int",
    "ipv4_src": "ipv4",
    "ipv4_dst": "ipv4",
    "ipv6_src": "ipv6",
    "ipv6_dst": "ipv6",
    "arp_op": "int",
    "arp_spa": "ipv4",
    "arp_tpa": "ipv4",
    "arp_sha": "mac",
    "arp_tha": "mac",
    "icmpv4_type": "int",
    "icmpv6_type": "int",
    "ipv6_nd_target": "ipv6",
    "tunnel_id": "int",
    "metadata": "int",
    "reg5": "int",
    "reg6": "int",
    # NXM 16-bit TCI (PCP|CFI|VID): learned br-tun flows load 0 into it.
    "vlan_tci": "int",
}

# Canonical order of match fields (used for rendering and sorting).
FIELD_ORDER: dict[str, int] = {name: i for i, name in enumerate(FIELD_KINDS)}


def normalize_value(field_name: str, value: FieldValue) -> FieldValue:
    """Return ``value`` in the canonical form for ``field_name``'s kind."""
    kind = FIELD_KINDS.get(field_name)
    if kind is None:
        raise ValueError(f"unknown match field {field_name!r}")
    if kind == "int":
        if isinstance(value, str):
            return int(value, 0)
        return int(value)
    if isinstance(value, str):
        return _normalize_address(field_name, kind, value)
    return _normalize_address.__wrapped__(field_name, kind, value)


@functools.lru_cache(maxsize=16384)
def _normalize_address(field_name: str, kind: str, value: FieldValue) -> FieldValue:
    """A MAC or IP address in canonical form; cached, since a port's addresses
    appear in several of its flows and every flow computation normalizes them
    again (a fifth of computing 500 ports' flows was ``ipaddress`` parsing)."""
    if kind == "mac":
        text = str(value).lower().replace("-", ":")
        parts = text.split(":")
        if len(parts) != 6:
            raise ValueError(f"{field_name}: bad MAC address {value!r}")
        return ":".join(f"{int(p, 16):02x}" for p in parts)
    if kind == "ipv4":
        return str(ipaddress.IPv4Address(value))
    return str(ipaddress.IPv6Address(value))


def normalize_match_value(field_name: str,
                          value: MatchValue | tuple[FieldValue, FieldValue]) -> MatchValue:
    if isinstance(value, tuple):
        value = Masked(*value)
    if isinstance(value, Masked):
        v = normalize_value(field_name, value.value)
        m = normalize_value(field_name, value.mask)
        full = _full_mask(field_name)
        if m == full:
            return v
        # A switch keeps only the bits under the mask (OVS dumps value & mask).
        return Masked(_and(field_name, v, m), m)
    return normalize_value(field_name, value)


# Widths of the integer fields, for "all ones" masks.
_INT_BITS = {"in_port": 32, "eth_type": 16, "vlan_pcp": 3, "ip_proto": 8, "arp_op": 16,
             "icmpv4_type": 8, "icmpv6_type": 8, "tunnel_id": 64, "metadata": 64,
             "reg5": 32, "reg6": 32, "vlan_tci": 16}


def _and(field_name: str, value: FieldValue, mask: FieldValue) -> FieldValue:
    kind = FIELD_KINDS[field_name]
    if kind == "int":
        return int(value) & int(mask)
    if kind == "mac":
        return ":".join(f"{int(a, 16) & int(b, 16):02x}"
                        for a, b in zip(str(value).split(":"), str(mask).split(":"), strict=True))
    addr = ipaddress.ip_address(value)
    return str(ipaddress.ip_address(int(addr) & int(ipaddress.ip_address(mask))))


def _full_mask(field_name: str) -> FieldValue | None:
    kind = FIELD_KINDS[field_name]
    if kind == "mac":
        return "ff:ff:ff:ff:ff:ff"
    if kind == "ipv4":
        return "255.255.255.255"
    if kind == "ipv6":
        return "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"
    if field_name == "vlan_vid":
        return 0x1FFF
    bits = _INT_BITS.get(field_name)
    return (1 << bits) - 1 if bits else None


@functools.lru_cache(maxsize=16384)
def ip_match(address: str) -> MatchValue:
    """``198.19.0.0/24`` -> Masked(net, netmask); a host address -> plain text
    (cached: the result is immutable)."""
    net = ipaddress.ip_network(address, strict=False)
    if net.prefixlen == net.max_prefixlen:
        return str(net.network_address)
    return Masked(str(net.network_address), str(net.netmask))


@dataclass(frozen=True)
class Match:
    """An immutable, canonically ordered set of ``field=value`` pairs."""

    fields: tuple[tuple[str, MatchValue], ...] = ()

    @classmethod
    def of(cls, items: Mapping[str, object] | None = None, **kwargs: object) -> Match:
        merged: dict[str, object] = dict(items or {})
        merged.update(kwargs)
        norm = [(k, normalize_match_value(k, v)) for k, v in merged.items()]  # type: ignore[arg-type]
        norm.sort(key=lambda kv: FIELD_ORDER[kv[0]])
        return cls(tuple(norm))

    def get(self, name: str) -> MatchValue | None:
        for k, v in self.fields:
            if k == name:
                return v
        return None

    def as_dict(self) -> dict[str, MatchValue]:
        return dict(self.fields)

    def names(self) -> frozenset[str]:
        return frozenset(k for k, _ in self.fields)

    def __bool__(self) -> bool:
        return bool(self.fields)


# ---------------------------------------------------------------- actions


@dataclass(frozen=True)
class Output:
    port: int
    max_len: int = 0xFFE5  # OFPCML_MAX (drivers ignore it for non-controller ports)


@dataclass(frozen=True)
class PushVlan:
    ethertype: int = ETH_TYPE_8021Q


@dataclass(frozen=True)
class PopVlan:
    pass


@dataclass(frozen=True)
class SetField:
    field: str
    value: FieldValue

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", normalize_value(self.field, self.value))


@dataclass(frozen=True)
class Move:
    """NXAST_REG_MOVE: copy ``n_bits`` from ``src`` to ``dst`` (OXM/NXM field names)."""

    src: str
    dst: str
    n_bits: int
    src_ofs: int = 0
    dst_ofs: int = 0


@dataclass(frozen=True)
class LearnMatch:
    """Learned flow matches ``field[ofs:ofs+n_bits]`` == packet's ``src`` (default same field)."""

    field: str
    n_bits: int
    ofs: int = 0
    src: str | None = None
    src_ofs: int = 0


@dataclass(frozen=True)
class LearnLoad:
    """Learned flow loads into ``dst``: a constant ``value`` or the packet's ``src`` field."""

    dst: str
    n_bits: int
    dst_ofs: int = 0
    src: str | None = None
    src_ofs: int = 0
    value: int | None = None


@dataclass(frozen=True)
class LearnOutput:
    """Learned flow outputs to the port held in the packet's ``src`` field."""

    src: str
    n_bits: int = 32
    src_ofs: int = 0


LearnSpec = LearnMatch | LearnLoad | LearnOutput


@dataclass(frozen=True)
class Learn:
    """NXAST_LEARN. Fields mirror ovs-actions(7) ``learn(...)``."""

    table: int
    specs: tuple[LearnSpec, ...]
    priority: int = 0x8000
    idle_timeout: int = 0
    hard_timeout: int = 0
    cookie: int = 0
    fin_idle_timeout: int = 0
    fin_hard_timeout: int = 0


Action = Output | PushVlan | PopVlan | SetField | Move | Learn


# ----------------------------------------------------------------- flows


@dataclass(frozen=True)
class Flow:
    """One flow entry: table, priority, match and instructions.

    ``actions`` are the apply-actions; ``goto`` a goto-table instruction.
    Both empty means drop.
    """

    table: int
    priority: int
    match: Match = field(default_factory=Match)
    actions: tuple[Action, ...] = ()
    goto: int | None = None
    cookie: int = 0
    idle_timeout: int = 0
    hard_timeout: int = 0

    @property
    def key(self) -> tuple[int, int, Match]:
        """What identifies the entry in the switch (adding the same key overwrites)."""
        return (self.table, self.priority, self.match)

    def with_cookie(self, cookie: int) -> Flow:
        return Flow(self.table, self.priority, self.match, self.actions, self.goto, cookie,
                    self.idle_timeout, self.hard_timeout)


def flow(table: int, priority: int, match: Mapping[str, object] | None = None,
         actions: Iterable[Action] = (), goto: int | None = None, cookie: int = 0) -> Flow:
    """Shorthand constructor: ``flow(0, 10, {"in_port": 3}, goto=24)``."""
    return Flow(table, priority, Match.of(match), tuple(actions), goto, cookie)


# ------------------------------------------------------------ flow mods


@dataclass(frozen=True)
class FlowFilter:
    """Selects flows for deletion or dumping.

    ``table=None`` means all tables. ``priority`` only matters for strict
    deletes. ``cookie_mask=0`` means any cookie.
    """

    table: int | None = None
    match: Match = field(default_factory=Match)
    priority: int | None = None
    cookie: int = 0
    cookie_mask: int = 0
    out_port: int | None = None


@dataclass(frozen=True)
class AddFlow:
    flow: Flow


@dataclass(frozen=True)
class ModifyFlow:
    """Replace the actions of the flow with ``flow.key`` (strict) ."""

    flow: Flow


@dataclass(frozen=True)
class DeleteFlows:
    filter: FlowFilter
    strict: bool = False


FlowMod = AddFlow | ModifyFlow | DeleteFlows


def describe(mod: FlowMod | Flow) -> str:
    """A short human description used in error messages."""
    if isinstance(mod, Flow):
        m = ",".join(f"{k}={v}" for k, v in mod.match.fields)
        return f"table={mod.table},priority={mod.priority}" + (f",{m}" if m else "")
    if isinstance(mod, DeleteFlows):
        f = mod.filter
        m = ",".join(f"{k}={v}" for k, v in f.match.fields)
        return (f"delete{'_strict' if mod.strict else ''} table={f.table} "
                f"priority={f.priority} cookie={f.cookie:#x}/{f.cookie_mask:#x} {m}")
    verb = "add" if isinstance(mod, AddFlow) else "modify"
    return f"{verb} {describe(mod.flow)}"


def flow_in_port(f: Flow) -> int | None:
    """The exact ``in_port`` a flow matches, if any."""
    value = f.match.get("in_port")
    return value if isinstance(value, int) else None


def flow_vlans(f: Flow) -> set[int]:
    """The VLAN ids a flow is about: an exact ``vlan_vid`` match and any VID it sets."""
    vlans = set()
    value = f.match.get("vlan_vid")
    if isinstance(value, int) and value & OFPVID_PRESENT:
        vlans.add(value & 0xFFF)
    for action in f.actions:
        if isinstance(action, SetField) and action.field == "vlan_vid" \
                and isinstance(action.value, int):
            vlans.add(action.value & 0xFFF)
    return vlans
