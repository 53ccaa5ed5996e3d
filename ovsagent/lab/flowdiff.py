"""Normalised flow dumps: compare two agents' dataplanes flow for flow.

``ovs-ofctl -O OpenFlow13 dump-flows --no-stats --names BR`` of the same
scenario differs between two runs in things that carry no meaning: the
cookie (a random number per agent process and bridge), the OpenFlow port
numbers of VIFs (already shown as names by ``--names``, but a VIF's name
comes from its port id, so it is mapped to the VM's name), the host-local
VLAN ids (mapped to the name of their network) and the flows br-tun's
table 10 *learns* from traffic (table 20 with a hard timeout). Everything
else must be identical.

:func:`normalise` turns a dump into sorted lines such as::

  table=22 priority=1 dl_vlan=LV(vx) actions=pop_vlan,set_field:0x76c->tun_id,output:vxlan-c6120002

and :func:`diff` prints a unified diff of two snapshots
(``{(host, bridge): lines}``). Pure, except :func:`dump_flows` and
:func:`host_symbols`, which ask a simulated host.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from ovsagent.testbench import SimHost

TUNNEL_BRIDGE = "br-tun"
INTEGRATION_BRIDGE = "br-int"
LEARNED_TABLE = 20  # br-tun UCAST_TO_TUN: what table 10's learn action writes

# Head items of a dump line that are not part of the flow's identity.
_VOLATILE = frozenset({"cookie", "duration", "n_packets", "n_bytes", "idle_age", "hard_age"})
_SET_VID = re.compile(r"set_field:(\d+)->vlan_vid")
_DL_VLAN = re.compile(r"(?<![a-z_])dl_vlan=(\d+)")
_LEARN_COOKIE = re.compile(r"cookie=0x[0-9a-f]+")
_PORT_REF = re.compile(r"(in_port=|output:)([^,()\s]+)")


@dataclass(frozen=True)
class FlowLine:
    """One dumped flow, split into what identifies it and what it does."""

    table: int
    priority: int
    match: str  # comma-joined, as OVS prints it (canonical order)
    actions: str
    timeouts: str = ""  # "hard_timeout=300" etc., kept: part of the flow

    def render(self) -> str:
        head = f"table={self.table} priority={self.priority}"
        if self.timeouts:
            head += f" {self.timeouts}"
        if self.match:
            head += f" {self.match}"
        return f"{head} actions={self.actions}"


def parse_line(line: str) -> FlowLine | None:
    """A ``dump-flows`` line (stats and cookie ignored); None for reply headers."""
    text = line.strip().replace('"', "")  # --names quotes names with '-'
    if not text or "actions=" not in text or re.match(r"(OFPST|NXST)_FLOW", text):
        return None
    head, actions = text.split(" actions=", 1) if " actions=" in text else text.split(
        "actions=", 1)
    table, priority = 0, 32768  # OpenFlow's default priority is omitted by OVS
    timeouts, match = [], []
    for item in (p.strip() for p in head.split(",")):
        if not item:
            continue
        key, _, value = item.partition("=")
        if key in _VOLATILE:
            continue
        if key == "table":
            table = int(value)
        elif key == "priority":
            priority = int(value)
        elif key in ("idle_timeout", "hard_timeout", "importance"):
            timeouts.append(item)
        else:
            match.append(item)
    return FlowLine(table, priority, ",".join(match), actions.strip(), " ".join(timeouts))


@dataclass(frozen=True)
class Symbols:
    """Per-host names for what differs between runs."""

    ports: Mapping[str, str] = field(default_factory=dict)  # OVS port name -> symbol
    lvids: Mapping[int, str] = field(default_factory=dict)  # local VLAN id -> network label

    def lvid(self, vlan: int) -> str:
        label = self.lvids.get(vlan)
        return f"LV({label})" if label else f"LV?{vlan}"


def bridge_kind(bridge: str) -> str:
    if bridge == INTEGRATION_BRIDGE:
        return "int"
    if bridge == TUNNEL_BRIDGE:
        return "tun"
    return "phys"


# Where a local VLAN id appears, by bridge kind (reference/03 §2.2, §3.3, §4):
# br-int only *sets* it (physnet VID -> lvid; its dl_vlan matches are segment
# ids or 4095), br-phys only *matches* it (its set_field is the segment id),
# br-tun does both.
_LVID_IN_MATCH = {"int": False, "tun": True, "phys": True}
_LVID_IN_SET = {"int": True, "tun": True, "phys": False}


def symbolise(flow: FlowLine, bridge: str, symbols: Symbols) -> FlowLine:
    """Replace VIF names, local VLAN ids and learn cookies by symbols."""
    kind = bridge_kind(bridge)

    def port(m: re.Match[str]) -> str:
        return m.group(1) + symbols.ports.get(m.group(2), m.group(2))

    def set_vid(m: re.Match[str]) -> str:
        vid = int(m.group(1))
        if not vid & 0x1000:
            return m.group(0)
        return f"set_field:{symbols.lvid(vid & 0xFFF)}->vlan_vid"

    match, actions = _PORT_REF.sub(port, flow.match), _PORT_REF.sub(port, flow.actions)
    if _LVID_IN_MATCH[kind]:
        match = _DL_VLAN.sub(lambda m: f"dl_vlan={symbols.lvid(int(m.group(1)))}", match)
    if _LVID_IN_SET[kind]:
        actions = _SET_VID.sub(set_vid, actions)
    actions = _LEARN_COOKIE.sub("cookie=<cookie>", actions)
    return FlowLine(flow.table, flow.priority, match, actions, flow.timeouts)


def is_learned(flow: FlowLine, bridge: str) -> bool:
    """A flow br-tun learned from traffic (table 20 with a hard timeout): dropped."""
    return (bridge_kind(bridge) == "tun" and flow.table == LEARNED_TABLE
            and "hard_timeout" in flow.timeouts)


@dataclass(frozen=True)
class Exclusion:
    """Flows left out of a comparison, with the reason printed next to the result."""

    reason: str
    applies: Callable[[str, FlowLine], bool]  # (bridge, symbolised flow) -> excluded?


def normalise(text: str, bridge: str, symbols: Symbols,
              exclude: Sequence[Exclusion] = ()) -> list[str]:
    """Sorted normalised lines of one bridge's dump (learned and excluded flows dropped)."""
    out = []
    for line in text.splitlines():
        parsed = parse_line(line)
        if parsed is None or is_learned(parsed, bridge):
            continue
        flow = symbolise(parsed, bridge, symbols)
        if not any(e.applies(bridge, flow) for e in exclude):
            out.append(flow.render())
    return sorted(out, key=_sort_key)


def _sort_key(line: str) -> tuple[int, int, str]:
    m = re.match(r"table=(\d+) priority=(\d+)", line)
    assert m is not None
    return int(m.group(1)), -int(m.group(2)), line


Snapshot = dict[tuple[str, str], list[str]]  # (host, bridge) -> normalised lines


def diff(left: Snapshot, right: Snapshot, left_name: str = "reference",
         right_name: str = "ovsagent") -> str:
    """Unified diff per (host, bridge); empty when both snapshots are equal."""
    chunks: list[str] = []
    for key in sorted(set(left) | set(right)):
        a, b = left.get(key, []), right.get(key, [])
        if a == b:
            continue
        host, bridge = key
        chunks.extend(difflib.unified_diff(a, b, f"{left_name} {host} {bridge}",
                                           f"{right_name} {host} {bridge}", n=2, lineterm=""))
    return "\n".join(chunks)


def diff_summary(left: Snapshot, right: Snapshot) -> str:
    """``h1 br-tun: -2 +1`` per differing bridge."""
    parts = []
    for key in sorted(set(left) | set(right)):
        a, b = set(left.get(key, [])), set(right.get(key, []))
        if a != b:
            parts.append(f"{key[0]} {key[1]}: -{len(a - b)} +{len(b - a)}")
    return "; ".join(parts)


# ----------------------------------------------------------------- reading hosts
def dump_flows(host: SimHost, bridge: str) -> str:
    return host.ofctl("dump-flows", "--no-stats", "--names", bridge)


@dataclass(frozen=True)
class Vif:
    """A VM's interface on br-int and what to call it and its network."""

    ifname: str
    name: str
    network: str  # label
    network_id: str = ""


def host_symbols(host: SimHost, vifs: Iterable[Vif]) -> Symbols:
    """VIF names -> ``vm:<name>``, each VIF's Port.tag -> its network's label."""
    ports, lvids = {}, {}
    for vif in vifs:
        ports[vif.ifname] = f"vm:{vif.name}"
        tag = host.vsctl("--if-exists", "get", "Port", vif.ifname, "tag")
        if tag.isdigit() and int(tag) not in (0, 4095):
            lvids[int(tag)] = vif.network
    return Symbols(ports, lvids)


def snapshot(hosts: Mapping[str, SimHost], bridges: Sequence[str],
             vifs: Mapping[str, Sequence[Vif]], exclude: Sequence[Exclusion] = ()) -> Snapshot:
    """Normalised flows of ``bridges`` on every host (``vifs``: host name -> its VIFs)."""
    out: Snapshot = {}
    for name, host in hosts.items():
        symbols = host_symbols(host, vifs.get(name, ()))
        for bridge in bridges:
            out[(name, bridge)] = normalise(dump_flows(host, bridge), bridge, symbols, exclude)
    return out


# ----------------------------------------------------------------------- OVSDB
def _ovsdb_value(value: object) -> object:
    """OVSDB JSON (``["map", …]``, ``["set", …]``, ``["uuid", …]``) -> Python."""
    if isinstance(value, list) and len(value) == 2 and isinstance(value[0], str):
        kind, body = value
        if kind == "map":
            return {str(k): _ovsdb_value(v) for k, v in body}
        if kind == "set":
            return [_ovsdb_value(v) for v in body]
        if kind in ("uuid", "named-uuid"):
            return f"<{kind}>"
    return value


def _vsctl_rows(host: SimHost, table: str, columns: str) -> list[dict[str, object]]:
    data = json.loads(host.vsctl("--format=json", f"--columns={columns}", "list", table))
    heads = data["headings"]
    return [{h: _ovsdb_value(v) for h, v in zip(heads, row, strict=True)} for row in data["data"]]


def ovsdb_ports(host: SimHost, bridge: str, symbols: Symbols,
                networks: Mapping[str, str]) -> list[str]:
    """One line per Port of ``bridge``: name, tag, other_config, Interface type and options.

    VIF names, local VLAN ids and network ids (``networks``: id -> label) become
    symbols, as in :func:`normalise`; the bridge's own internal port is left out.
    """
    names = set(host.vsctl("list-ports", bridge).split())
    ifaces = {str(r["name"]): r for r in _vsctl_rows(host, "Interface", "name,type,options")}
    out = []
    for port in _vsctl_rows(host, "Port", "name,tag,other_config"):
        name = str(port["name"])
        if name not in names:
            continue
        tag = port["tag"]
        tag_text = symbols.lvid(tag) if isinstance(tag, int) and tag != 4095 else str(tag)
        config = dict(port["other_config"]) if isinstance(port["other_config"], dict) else {}
        if "net_uuid" in config:
            config["net_uuid"] = networks.get(str(config["net_uuid"]), "?net")
        if "tag" in config and str(config["tag"]).isdigit():
            config["tag"] = symbols.lvid(int(str(config["tag"])))
        iface = ifaces.get(name, {})
        raw = iface.get("options")
        options: Mapping[str, object] = raw if isinstance(raw, dict) else {}
        itype = iface.get("type") or "system"
        out.append(f"port {symbols.ports.get(name, name)} tag={tag_text} "
                   f"other_config={_kv(config)} type={itype} options={_kv(options)}")
    return sorted(out)


def _kv(mapping: Mapping[str, object]) -> str:
    return "{" + ",".join(f"{k}={v}" for k, v in sorted(mapping.items())) + "}"


def ovsdb_snapshot(hosts: Mapping[str, SimHost], bridges: Sequence[str],
                   vifs: Mapping[str, Sequence[Vif]]) -> Snapshot:
    """:func:`ovsdb_ports` of ``bridges`` on every host, keyed ``(host, "ovsdb <bridge>")``."""
    out: Snapshot = {}
    for name, host in hosts.items():
        mine = vifs.get(name, ())
        symbols = host_symbols(host, mine)
        networks = {v.network_id: v.network for v in mine if v.network_id}
        for bridge in bridges:
            out[(name, f"ovsdb {bridge}")] = ovsdb_ports(host, bridge, symbols, networks)
    return out
