"""ovs-ofctl text -> flows. Pure.

Reads the lines of ``ovs-ofctl -O OpenFlow13 dump-flows`` (with or without
``--no-stats``) as Open vSwitch 3.1 prints them, e.g.::

     cookie=0x1234, duration=0.005s, table=4, n_packets=0, n_bytes=0, \
priority=1,tun_id=0x653 actions=push_vlan:0x8100,set_field:4097->vlan_vid,goto_table:10

including the dump shorthands (``arp``, ``icmp6``, ``dl_vlan=N``,
``vlan_tci=V/M``, ``dl_src``, ``nw_src``, ``tun_id``, ``nd_target``,
context-dependent ``icmp_type``) and the text of :mod:`ofctl_render`, so
that ``parse_flow(render_flow(f)) == f``. Anything the model cannot express
raises :class:`OfctlSyntaxError` rather than being dropped.
"""

from __future__ import annotations

import ipaddress
import re

from ovsagent.ovs.openflow.ofctl_fields import (
    OFCTL_NAMES,
    PROTOCOLS,
    OfctlSyntaxError,
    canonical_nx_field,
    nx_field,
    parse_port,
)
from ovsagent.pipeline.flow import (
    ETH_TYPE_IPV6,
    FIELD_KINDS,
    OFPP_CONTROLLER,
    Action,
    FieldValue,
    Flow,
    Learn,
    LearnLoad,
    LearnMatch,
    LearnOutput,
    LearnSpec,
    Masked,
    Match,
    Move,
    Output,
    PopVlan,
    PushVlan,
    SetField,
)

# Head items of a dump line that describe the entry, not its match.
_STATS = frozenset({"duration", "n_packets", "n_bytes", "idle_age", "hard_age", "importance"})
_FLAGS = frozenset({"send_flow_rem", "check_overlap", "reset_counts", "no_packet_counts",
                    "no_byte_counts"})
_SUBFIELD = re.compile(r"^([A-Za-z0-9_]+)\[(?:(\d+)(?:\.\.(\d+))?)?\]$")


def split_top(text: str, sep: str = ",") -> list[str]:
    """Split at ``sep`` outside parentheses (``learn(a,b),output:1``)."""
    if "(" not in text:
        return [p for p in text.split(sep) if p]
    parts: list[str] = []
    depth, start = 0, 0
    for i, ch in enumerate(text):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == sep and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return [p for p in parts if p]


def _int(text: str) -> int:
    try:
        return int(text, 0)
    except ValueError:
        raise OfctlSyntaxError(f"bad number {text!r}") from None


# ------------------------------------------------------------------ match


def _value(field: str, text: str) -> FieldValue | Masked:
    kind = FIELD_KINDS.get(field, "int")
    value, _, mask = text.partition("/")
    if field == "in_port":
        if mask:
            raise OfctlSyntaxError("masked in_port")
        return parse_port(value)
    if kind == "int":
        return Masked(_int(value), _int(mask)) if mask else _int(value)
    if not mask:
        return value
    if kind in ("ipv4", "ipv6") and mask.isdigit():  # prefix length
        net = ipaddress.ip_network(f"{value}/{mask}", strict=False)
        return Masked(str(net.network_address), str(net.netmask))
    return Masked(value, mask)


def parse_match(items: list[str]) -> Match:
    """``arp``, ``dl_vlan=1``, ``arp_tpa=198.19.0.0/24`` ... -> :class:`Match`."""
    fields: dict[str, object] = {}
    tci_value = tci_mask = 0
    icmp_type: str | None = None
    for item in items:
        key, eq, text = item.partition("=")
        if not eq:
            if key not in PROTOCOLS:
                raise OfctlSyntaxError(f"unknown match keyword {key!r}")
            eth_type, proto = PROTOCOLS[key]
            fields["eth_type"] = eth_type
            if proto is not None:
                fields["ip_proto"] = proto
            continue
        if key in ("dl_vlan", "dl_vlan_pcp", "vlan_tci", "vlan_vid", "vlan_pcp"):
            v, m = _tci_bits(key, text)
            tci_value, tci_mask = tci_value | v, tci_mask | m
        elif key == "icmp_type":
            icmp_type = text
        elif key in OFCTL_NAMES:
            name = OFCTL_NAMES[key]
            fields[name] = _value(name, text)
        elif re.fullmatch(r"reg\d+", key):
            fields[key] = _value(key, text)
        else:
            raise OfctlSyntaxError(f"unsupported match field {key!r}")
    if icmp_type is not None:
        name = "icmpv6_type" if fields.get("eth_type") == ETH_TYPE_IPV6 else "icmpv4_type"
        fields[name] = _value(name, icmp_type)
    if tci_mask:
        if tci_mask & 0x1FFF:
            fields["vlan_vid"] = Masked(tci_value & 0x1FFF, tci_mask & 0x1FFF)
        if tci_mask & 0xE000 == 0xE000:
            fields["vlan_pcp"] = tci_value >> 13
        elif tci_mask & 0xE000:
            raise OfctlSyntaxError("partially masked VLAN PCP")
    try:
        return Match.of({k: (v.value, v.mask) if isinstance(v, Masked) else v
                         for k, v in fields.items()})
    except ValueError as exc:
        raise OfctlSyntaxError(str(exc)) from None


def _tci_bits(key: str, text: str) -> tuple[int, int]:
    """A VLAN item as (value, mask) bits of the 16-bit TCI (0x1000 = tag present)."""
    value, _, mask = text.partition("/")
    v = _int(value)
    if key == "dl_vlan":
        return 0x1000 | v, 0x1FFF
    if key in ("dl_vlan_pcp", "vlan_pcp"):  # OF1.3: a PCP match implies a tag
        return (v << 13) | 0x1000, 0xF000
    if key == "vlan_vid":
        return v, _int(mask) if mask else 0x1FFF
    return v, _int(mask) if mask else 0xFFFF  # vlan_tci


# ---------------------------------------------------------------- actions


def _subfield(text: str) -> tuple[str, int, int]:
    """``NXM_NX_REG6[0..11]`` -> (model field, ofs, n_bits)."""
    m = _SUBFIELD.match(text)
    if not m:
        raise OfctlSyntaxError(f"bad subfield {text!r}")
    name = canonical_nx_field(m.group(1))
    width = nx_field(name)[1]
    if m.group(2) is None:
        return name, 0, width
    start = int(m.group(2))
    end = int(m.group(3)) if m.group(3) is not None else start
    return name, start, end - start + 1


def _learn(body: str) -> Learn:
    opts: dict[str, int] = {}
    specs: list[LearnSpec] = []
    for item in split_top(body):
        key, eq, text = item.partition("=")
        if eq and key in ("table", "idle_timeout", "hard_timeout", "fin_idle_timeout",
                          "fin_hard_timeout", "priority", "cookie"):
            opts[key] = _int(text)
        elif item.startswith("load:"):
            src, arrow, dst = item[5:].partition("->")
            if not arrow:
                raise OfctlSyntaxError(f"bad learn load {item!r}")
            dfield, dofs, n_bits = _subfield(dst)
            if "[" in src:
                sfield, sofs, _ = _subfield(src)
                specs.append(LearnLoad(dfield, n_bits, dofs, src=sfield, src_ofs=sofs))
            else:
                specs.append(LearnLoad(dfield, n_bits, dofs, value=_int(src)))
        elif item.startswith("output:"):
            sfield, sofs, n_bits = _subfield(item[7:])
            specs.append(LearnOutput(sfield, n_bits, sofs))
        elif eq:
            dfield, dofs, n_bits = _subfield(key)
            if "[" not in text:
                raise OfctlSyntaxError(f"learn match on an immediate value: {item!r}")
            sfield, sofs, _ = _subfield(text)
            specs.append(LearnMatch(dfield, n_bits, dofs, sfield, sofs))
        elif "[" in item:
            dfield, dofs, n_bits = _subfield(item)
            specs.append(LearnMatch(dfield, n_bits, dofs))
        else:
            raise OfctlSyntaxError(f"unsupported learn argument {item!r}")
    if "table" not in opts:
        opts["table"] = 1  # OVS's default
    return Learn(specs=tuple(specs), **opts)


def _set_field(text: str) -> SetField:
    value, arrow, key = text.partition("->")
    if not arrow or "/" in value:
        raise OfctlSyntaxError(f"unsupported set_field {text!r}")
    name = OFCTL_NAMES.get(key) or (key if re.fullmatch(r"reg\d+", key) else None)
    if name is None:
        raise OfctlSyntaxError(f"unsupported set_field target {key!r}")
    try:
        return SetField(name, _int(value) if FIELD_KINDS.get(name) == "int" else value)
    except ValueError as exc:
        raise OfctlSyntaxError(str(exc)) from None


def _load(text: str) -> SetField:
    """``load:V->FIELD[]`` of a whole field (OVS's spelling of some set-fields)."""
    value, arrow, dst = text.partition("->")
    name, ofs, n_bits = _subfield(dst)
    if not arrow or ofs or n_bits != nx_field(name)[1] or name not in FIELD_KINDS:
        raise OfctlSyntaxError(f"unsupported partial load {text!r}")
    v = _int(value)
    kind = FIELD_KINDS[name]
    if kind == "mac":
        return SetField(name, ":".join(f"{b:02x}" for b in v.to_bytes(6, "big")))
    if kind == "ipv4":
        return SetField(name, str(ipaddress.IPv4Address(v)))
    if kind == "ipv6":
        return SetField(name, str(ipaddress.IPv6Address(v)))
    return SetField(name, v)


def parse_action(text: str) -> Action:
    word, colon, arg = text.partition(":")
    upper = text.upper()
    if upper in ("NORMAL", "IN_PORT", "LOCAL", "FLOOD", "ALL", "TABLE"):
        return Output(parse_port(upper))
    if word.upper() == "CONTROLLER":
        return Output(OFPP_CONTROLLER, _int(arg)) if colon else Output(OFPP_CONTROLLER)
    if text.isdigit():
        return Output(int(text))
    if word == "output" and colon:
        return parse_action(arg) if not arg.isdigit() else Output(int(arg))
    if word == "push_vlan":
        return PushVlan(_int(arg))
    if text in ("pop_vlan", "strip_vlan"):
        return PopVlan()
    if word == "set_field":
        return _set_field(arg)
    if word == "load":
        return _load(arg)
    if word == "move":
        src, arrow, dst = arg.partition("->")
        sfield, sofs, n_bits = _subfield(src)
        dfield, dofs, dbits = _subfield(dst)
        if not arrow or n_bits != dbits:
            raise OfctlSyntaxError(f"bad move {text!r}")
        return Move(sfield, dfield, n_bits, sofs, dofs)
    if text.startswith("learn(") and text.endswith(")"):
        return _learn(text[6:-1])
    raise OfctlSyntaxError(f"unsupported action {text!r}")


def parse_instructions(text: str) -> tuple[tuple[Action, ...], int | None]:
    """``actions=`` value -> (apply-actions, goto table)."""
    actions: list[Action] = []
    goto: int | None = None
    for item in split_top(text):
        if goto is not None:
            raise OfctlSyntaxError(f"action after goto_table in {text!r}")
        if item == "drop":
            continue
        if item.startswith("goto_table:"):
            goto = _int(item[len("goto_table:"):])
        else:
            actions.append(parse_action(item))
    return tuple(actions), goto


# ------------------------------------------------------------------ flows


def parse_flow(line: str) -> Flow:
    """One ``dump-flows`` line (or a ``render_flow`` text) -> :class:`Flow`."""
    head, sep, acts = line.strip().partition(" actions=")
    if not sep:
        if not line.strip().startswith("actions="):
            raise OfctlSyntaxError(f"no actions in {line!r}")
        head, acts = "", line.strip()[len("actions="):]
    table = cookie = idle = hard = 0
    priority = 0x8000  # OVS omits the default priority
    match_items: list[str] = []
    for item in re.split(r"[,\s]+", head):
        key, _, text = item.partition("=")
        if not item or key in _STATS or key in _FLAGS:
            continue
        if key == "table":
            table = _int(text)
        elif key == "priority":
            priority = _int(text)
        elif key == "cookie":
            cookie = _int(text)
        elif key == "idle_timeout":
            idle = _int(text)
        elif key == "hard_timeout":
            hard = _int(text)
        else:
            match_items.append(item)
    actions, goto = parse_instructions(acts)
    return Flow(table, priority, parse_match(match_items), actions, goto, cookie, idle, hard)


def parse_dump(text: str) -> list[Flow]:
    """All flows of a ``dump-flows`` output (reply header lines are skipped)."""
    return [parse_flow(line) for line in text.splitlines()
            if line.strip() and not re.match(r"\s*(OFPST|NXST)_FLOW reply", line)]
