"""The ``agent_state`` dict of ``report_state`` (reference/04 §8). Pure.

:class:`AgentStateConfig` holds what does not change between reports;
:class:`AgentState` adds the per-report keys and drops ``resource_versions``
after the first successful report and ``start_flag`` once the agent has
synced (as the reference's heartbeat does).
"""

from __future__ import annotations

import socket
import threading
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from ovsagent.rpc.topics import RESOURCE_VERSIONS

BINARY = "neutron-openvswitch-agent"
AGENT_TYPE = "Open vSwitch agent"
TOPIC = "N/A"
TUNNELLED_RP_NAME = "rp_tunnelled"

_INVENTORY_DEFAULTS: Mapping[str, float | int] = MappingProxyType(
    {"allocation_ratio": 1.0, "min_unit": 1, "step_size": 1, "reserved": 0})


def hypervisor_name() -> str:
    """This host's canonical name (the reference's default resource provider hypervisor)."""
    name = socket.gethostname()
    try:
        info = socket.getaddrinfo(name, None, flags=socket.AI_CANONNAME)
        return info[0][3] or name
    except OSError:
        return name


def parse_rp_bandwidths(entries: Sequence[str]) -> dict[str, dict[str, int | None]]:
    """``["br:egress:ingress", ...]`` (kbps, either may be empty) -> the report's dict."""
    out: dict[str, dict[str, int | None]] = {}
    for entry in entries:
        bridge, _, rest = entry.partition(":")
        egress, _, ingress = rest.partition(":")
        out[bridge.strip()] = {"egress": int(egress) if egress.strip() else None,
                               "ingress": int(ingress) if ingress.strip() else None}
    return out


@dataclass(frozen=True)
class AgentStateConfig:
    """The static part of the report (from config and the OVS capabilities)."""

    host: str
    bridge_mappings: Mapping[str, str] = field(default_factory=dict)
    integration_bridge: str = "br-int"
    tunnel_types: Sequence[str] = ()
    tunneling_ip: str | None = None
    l2_population: bool = False
    arp_responder_enabled: bool = False
    enable_distributed_routing: bool = False
    log_agent_heartbeats: bool = False
    extensions: Sequence[str] = ()
    datapath_type: str = "system"
    ovs_capabilities: Mapping[str, Sequence[str]] = field(
        default_factory=lambda: {"datapath_types": [], "iface_types": []})
    vhostuser_socket_dir: str = "/var/run/openvswitch"
    ovs_hybrid_plug: bool = False
    baremetal_smartnic: bool = False
    resource_provider_bandwidths: Mapping[str, Mapping[str, int | None]] = field(
        default_factory=dict)
    resource_provider_inventory_defaults: Mapping[str, float | int] = field(
        default_factory=lambda: dict(_INVENTORY_DEFAULTS))
    resource_provider_packet_processing_without_direction: Mapping[str, Any] = field(
        default_factory=dict)
    resource_provider_packet_processing_with_direction: Mapping[str, Any] = field(
        default_factory=dict)
    resource_provider_packet_processing_inventory_defaults: Mapping[str, float | int] = field(
        default_factory=lambda: dict(_INVENTORY_DEFAULTS))
    resource_provider_hypervisors: Mapping[str, str] = field(default_factory=dict)
    default_hypervisor: str | None = None  # None: this host's canonical name

    def hypervisors(self) -> dict[str, str]:
        """Every mapped bridge and ``rp_tunnelled`` -> its hypervisor (configured or default)."""
        default = self.default_hypervisor or hypervisor_name()
        devices = {*self.bridge_mappings.values(), TUNNELLED_RP_NAME}
        return {d: self.resource_provider_hypervisors.get(d) or default for d in sorted(devices)}

    def configurations(self) -> dict[str, Any]:
        return {
            "bridge_mappings": dict(self.bridge_mappings),
            "resource_provider_bandwidths": {k: dict(v) for k, v in
                                             self.resource_provider_bandwidths.items()},
            "resource_provider_inventory_defaults": dict(self.resource_provider_inventory_defaults),
            "resource_provider_packet_processing_without_direction":
                dict(self.resource_provider_packet_processing_without_direction),
            "resource_provider_packet_processing_with_direction":
                dict(self.resource_provider_packet_processing_with_direction),
            "resource_provider_packet_processing_inventory_defaults":
                dict(self.resource_provider_packet_processing_inventory_defaults),
            "resource_provider_hypervisors": self.hypervisors(),
            "integration_bridge": self.integration_bridge,
            "tunnel_types": list(self.tunnel_types),
            "tunneling_ip": self.tunneling_ip,
            "l2_population": self.l2_population,
            "arp_responder_enabled": self.arp_responder_enabled,
            "enable_distributed_routing": self.enable_distributed_routing,
            "log_agent_heartbeats": self.log_agent_heartbeats,
            "extensions": list(self.extensions),
            "datapath_type": self.datapath_type,
            "ovs_capabilities": {k: list(v) for k, v in self.ovs_capabilities.items()},
            "vhostuser_socket_dir": self.vhostuser_socket_dir,
            "ovs_hybrid_plug": self.ovs_hybrid_plug,
            "baremetal_smartnic": self.baremetal_smartnic,
        }


class AgentState:
    """Builds each report; remembers what the server has already been told."""

    def __init__(self, config: AgentStateConfig) -> None:
        self.config = config
        self._configurations = config.configurations()
        self._lock = threading.Lock()
        self._start_flag = True
        self._send_versions = True

    def build(self, *, devices: int = 0, in_distributed_mode: bool = False) -> dict[str, Any]:
        """The dict to pass to ``PluginApi.report_state`` (fresh ``uuid`` each time)."""
        conf = dict(self._configurations, devices=devices,
                    in_distributed_mode=in_distributed_mode)
        state: dict[str, Any] = {
            "binary": BINARY, "host": self.config.host, "topic": TOPIC,
            "agent_type": AGENT_TYPE, "configurations": conf, "uuid": str(uuid.uuid4()),
        }
        with self._lock:
            if self._send_versions:
                state["resource_versions"] = dict(RESOURCE_VERSIONS)
            if self._start_flag:
                state["start_flag"] = True
        return state

    def reported(self, *, synced: bool) -> None:
        """A report succeeded: drop ``resource_versions``; drop ``start_flag`` once
        ``synced`` (the reference: after iteration 0 of its loop)."""
        with self._lock:
            self._send_versions = False
            if synced:
                self._start_flag = False

    def restarted(self) -> None:
        """Send ``start_flag`` again (OVS restarted; the server refreshes segments)."""
        with self._lock:
            self._start_flag = True

    @property
    def first_report_done(self) -> bool:
        with self._lock:
            return not self._send_versions
