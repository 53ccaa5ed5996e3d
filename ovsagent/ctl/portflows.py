"""Which installed flows belong to one port (pure).

A flow belongs to the port when it names the port itself — its ofport as
``in_port`` or output on the integration bridge, its MAC as source or
destination anywhere — or its network's local VLAN (a ``vlan_vid`` match or
a ``vlan_vid`` rewrite to it on any bridge: translation, flooding, l2pop).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ovsagent.pipeline.flow import OFPVID_PRESENT, Flow, Output, SetField

MAC_FIELDS = ("eth_src", "eth_dst", "arp_sha", "arp_tha")


@dataclass(frozen=True)
class PortKey:
    """What identifies a port's flows."""

    ofport: int
    mac: str
    lvid: int | None  # None: not wired (dead or pending)


@dataclass(frozen=True)
class PortFlow:
    bridge: str
    flow: Flow
    reason: str  # "port" or "network"


def _vid(value: object) -> int | None:
    return value & 0xFFF if isinstance(value, int) and value & OFPVID_PRESENT else None


def reason(flow: Flow, key: PortKey, kind: str) -> str | None:
    """``"port"``, ``"network"`` or None (the flow is not about this port).

    ``kind``: ``br-int``, ``br-tun`` or ``br-phys``. A flow that rewrites the
    VLAN translates between segment and local VLAN: on br-int/br-tun the
    rewritten value is the local VLAN, on a physical bridge the matched one.
    """
    m = flow.match
    if kind == "br-int" and (m.get("in_port") == key.ofport or any(
            isinstance(a, Output) and a.port == key.ofport for a in flow.actions)):
        return "port"
    if any(m.get(name) == key.mac for name in MAC_FIELDS):
        return "port"
    if key.lvid is None:
        return None
    sets = [_vid(a.value) for a in flow.actions
            if isinstance(a, SetField) and a.field == "vlan_vid"]
    local = sets if sets and kind != "br-phys" else [_vid(m.get("vlan_vid"))]
    return "network" if key.lvid in local else None


def select(installed: Mapping[str, Sequence[Flow]], key: PortKey,
           kinds: Mapping[str, str]) -> list[PortFlow]:
    """The port's flows, by bridge (as given), table, then priority (highest first).

    ``kinds``: bridge name -> ``br-int``/``br-tun``/``br-phys``."""
    found: list[PortFlow] = []
    for bridge, flows in installed.items():
        kind = kinds.get(bridge, "br-phys")
        mine = [(f, r) for f in flows if (r := reason(f, key, kind)) is not None]
        mine.sort(key=lambda fr: (fr[0].table, -fr[0].priority))
        found.extend(PortFlow(bridge, f, r) for f, r in mine)
    return found
