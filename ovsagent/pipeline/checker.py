"""Verify flows against the table declarations (Faucet's idea).

A flow that uses a match field its table never declared, sets a field it
may not set, jumps where it may not, or lacks an OpenFlow prerequisite
(``arp_spa`` without ``eth_type=0x0806`` ...) fails here, in a unit test,
instead of in a switch.
"""

from __future__ import annotations

from collections.abc import Iterable

from ovsagent.pipeline.flow import (
    ETH_TYPE_ARP,
    ETH_TYPE_IP,
    ETH_TYPE_IPV6,
    IP_PROTO_ICMP,
    IP_PROTO_ICMPV6,
    Flow,
    Learn,
    Masked,
    SetField,
)
from ovsagent.pipeline.tables import BridgePipeline


class FlowCheckError(ValueError):
    """A flow breaks its table's declaration or an OpenFlow prerequisite."""


# field -> (prerequisite field, allowed values)
_PREREQUISITES: dict[str, tuple[str, frozenset[int]]] = {
    "arp_op": ("eth_type", frozenset({ETH_TYPE_ARP})),
    "arp_spa": ("eth_type", frozenset({ETH_TYPE_ARP})),
    "arp_tpa": ("eth_type", frozenset({ETH_TYPE_ARP})),
    "arp_sha": ("eth_type", frozenset({ETH_TYPE_ARP})),
    "arp_tha": ("eth_type", frozenset({ETH_TYPE_ARP})),
    "ipv4_src": ("eth_type", frozenset({ETH_TYPE_IP})),
    "ipv4_dst": ("eth_type", frozenset({ETH_TYPE_IP})),
    "ipv6_src": ("eth_type", frozenset({ETH_TYPE_IPV6})),
    "ipv6_dst": ("eth_type", frozenset({ETH_TYPE_IPV6})),
    "ip_proto": ("eth_type", frozenset({ETH_TYPE_IP, ETH_TYPE_IPV6})),
    "icmpv4_type": ("ip_proto", frozenset({IP_PROTO_ICMP})),
    "icmpv6_type": ("ip_proto", frozenset({IP_PROTO_ICMPV6})),
    "ipv6_nd_target": ("icmpv6_type", frozenset({135, 136})),
}


def _prerequisite_errors(flow: Flow) -> list[str]:
    """Each field's prerequisite must be matched exactly; chains are covered
    because the prerequisite field is itself checked when present."""
    fields = flow.match.as_dict()
    errors = []
    for name in fields:
        pre = _PREREQUISITES.get(name)
        if pre is None:
            continue
        pre_field, allowed = pre
        value = fields.get(pre_field)
        if isinstance(value, Masked) or value not in allowed:
            errors.append(f"{name} needs {pre_field} in {sorted(allowed)}")
    return errors


def check_flow(pipeline: BridgePipeline, flow: Flow) -> None:
    """Raise :class:`FlowCheckError` if ``flow`` does not fit ``pipeline``."""
    where = f"{pipeline.kind} table {flow.table} priority {flow.priority}"
    try:
        table = pipeline.table(flow.table)
    except KeyError as exc:
        raise FlowCheckError(f"{where}: no such table") from exc
    problems: list[str] = []
    extra = flow.match.names() - table.matches
    if extra:
        problems.append(f"match fields {sorted(extra)} not declared for {table.name}")
    for action in flow.actions:
        if isinstance(action, SetField) and action.field not in table.sets:
            problems.append(f"sets {action.field}, not declared for {table.name}")
        if isinstance(action, Learn) and action.table < 0:
            problems.append("learn into a negative table")
    if flow.goto is not None:
        if flow.goto <= flow.table:
            problems.append(f"goto {flow.goto} does not move forward")
        elif flow.goto not in table.gotos:
            problems.append(f"goto {flow.goto} not declared for {table.name}")
    if not 0 <= flow.priority <= 0xFFFF:
        problems.append(f"priority {flow.priority} out of range")
    problems.extend(_prerequisite_errors(flow))
    if problems:
        raise FlowCheckError(f"{where}: " + "; ".join(dict.fromkeys(problems)))


def check_flows(pipeline: BridgePipeline, flows: Iterable[Flow]) -> None:
    for f in flows:
        check_flow(pipeline, f)
