"""Decide what each VIF becomes, and update the host state accordingly.

Pure bookkeeping: given what OVSDB says is plugged (:class:`Vif`) and what
the server says about each port (:class:`DeviceDetails`, built from the push
cache as reference/04 §5 describes), move ports between *wired* (tagged with
their network's local VLAN), *dead* (tag 4095 plus a drop flow) and gone,
allocating and reclaiming local VLANs. The caller turns the returned
:class:`WiringResult` into one OVSDB transaction, one flow sync and one
``update_device_list``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from ovsagent.agent.settings import AgentSettings
from ovsagent.agent.vlans import DEAD_VLAN, LocalVlanAllocator, NetworkKey
from ovsagent.pipeline.state import HostState, LocalNetwork, PortSecurity, Segment, WiredPort

LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class Vif:
    """A br-int interface carrying ``external_ids:iface-id`` and ``attached-mac``."""

    port_id: str
    name: str
    ofport: int
    mac: str


@dataclass(frozen=True)
class DeviceDetails:
    """What the agent needs to know of one port (reference/04 §5)."""

    port_id: str
    network_id: str | None = None
    segment: Segment | None = None  # None: unbound / unknown to the server
    admin_state_up: bool = True
    mac_address: str | None = None
    device_owner: str = ""
    fixed_ips: tuple[str, ...] = ()
    allowed_address_pairs: tuple[tuple[str, str], ...] = ()  # (mac, ip or CIDR)
    port_security_enabled: bool = True
    no_active_binding: bool = False
    migrating_to: str | None = None


@dataclass(frozen=True)
class PortWrite:
    """OVSDB write for one br-int Port: its tag and other_config keys."""

    tag: int
    other_config: Mapping[str, str] = field(default_factory=dict)


@dataclass
class WiringResult:
    up: list[str] = field(default_factory=list)
    down: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    writes: dict[str, PortWrite] = field(default_factory=dict)  # by interface name
    reclaimed: list[str] = field(default_factory=list)  # network ids


class PortWiring:
    """Applies VIF and details changes to a :class:`HostState`."""

    def __init__(self, settings: AgentSettings, state: HostState,
                 vlans: LocalVlanAllocator) -> None:
        self.s = settings
        self.state = state
        self.vlans = vlans
        self._physnets = {physnet for physnet, _ in settings.bridge_mappings}

    def process(self, vifs: Mapping[str, Vif], details: Mapping[str, DeviceDetails | None],
                removed: Iterable[str] = ()) -> WiringResult:
        """Wire/kill every port in ``details``; forget every port in ``removed``."""
        result = WiringResult()
        for port_id in removed:
            was_dead = self.state.dead_ports.pop(port_id, None) is not None
            if self._unwire(port_id, result) or was_dead:
                result.down.append(port_id)
        for port_id, det in details.items():
            vif = vifs.get(port_id)
            if vif is None:
                result.skipped.append(port_id)  # gone from br-int meanwhile
            elif det is None:
                result.failed.append(port_id)
            else:
                self._process_one(vif, det, result)
        return result

    def _process_one(self, vif: Vif, det: DeviceDetails, result: WiringResult) -> None:
        if det.no_active_binding or (det.migrating_to and det.migrating_to != self.s.host):
            result.skipped.append(vif.port_id)
            return
        problem = self._unwireable(det)
        if problem is not None:
            LOG.info("port %s (%s) put on the dead VLAN: %s", vif.port_id, vif.name, problem)
            self._kill(vif, result)
            return
        if not det.admin_state_up:
            self._kill(vif, result)
            result.down.append(vif.port_id)
            return
        assert det.segment is not None and det.network_id is not None
        self._wire(vif, det.network_id, det.segment, _security(det), result)
        result.up.append(vif.port_id)

    def _unwireable(self, det: DeviceDetails) -> str | None:
        seg = det.segment
        if seg is None or det.network_id is None:
            return "not bound (no segment)"
        if seg.is_tunnel:
            if seg.network_type not in self.s.tunnel_types:
                return f"tunnel type {seg.network_type} not enabled ([agent] tunnel_types)"
            if seg.segmentation_id is None:
                return "tunnel network without segmentation id"
        elif seg.network_type in ("vlan", "flat"):
            if seg.physical_network not in self._physnets:
                return f"physical network {seg.physical_network} not in [ovs] bridge_mappings"
            if seg.network_type == "vlan" and not (1 <= (seg.segmentation_id or 0) <= 4094):
                return f"VLAN segmentation id {seg.segmentation_id} out of range"
        elif seg.network_type != "local":
            return f"unknown network type {seg.network_type}"
        return None

    def _wire(self, vif: Vif, network_id: str, seg: Segment, security: PortSecurity,
              result: WiringResult) -> None:
        old = self.state.ports.get(vif.port_id)
        if old is not None and old.network_id != network_id:
            self._unwire(vif.port_id, result)
        net = self.state.networks.get(network_id)
        if net is not None and net.segment != seg:
            # network_update changed the segment: keep the local VLAN, re-provision
            self.vlans.release(NetworkKey(network_id, net.segment.segmentation_id))
            self.vlans.restore_hint(NetworkKey(network_id, seg.segmentation_id), net.lvid)
            net = None
        if net is None:
            lvid = self.vlans.allocate(NetworkKey(network_id, seg.segmentation_id))
            net = LocalNetwork(network_id, seg, lvid)
            self.state.networks[network_id] = net
        self.state.dead_ports.pop(vif.port_id, None)
        self.state.ports[vif.port_id] = WiredPort(vif.port_id, vif.ofport, vif.mac, network_id,
                                                   net.lvid, security)
        other_config = {
            "net_uuid": network_id, "network_type": seg.network_type,
            "physical_network": str(seg.physical_network), "tag": str(net.lvid)}
        if seg.segmentation_id is not None:
            other_config["segmentation_id"] = str(seg.segmentation_id)
        result.writes[vif.name] = PortWrite(net.lvid, other_config)

    def _kill(self, vif: Vif, result: WiringResult) -> None:
        self._unwire(vif.port_id, result)
        self.state.dead_ports[vif.port_id] = vif.ofport
        result.writes[vif.name] = PortWrite(DEAD_VLAN)

    def _unwire(self, port_id: str, result: WiringResult) -> bool:
        port = self.state.ports.pop(port_id, None)
        if port is None:
            return False
        if not any(p.network_id == port.network_id for p in self.state.ports.values()):
            net = self.state.networks.pop(port.network_id)
            self.vlans.release(NetworkKey(net.network_id, net.segment.segmentation_id))
            self.state.fdb.pop(port.network_id, None)
            result.reclaimed.append(port.network_id)
        return True


def _security(det: DeviceDetails) -> PortSecurity:
    """What the anti-spoofing flows of the port depend on (reference/03 §2.4)."""
    return PortSecurity(
        fixed_ips=tuple(sorted(set(det.fixed_ips))),
        allowed_address_pairs=tuple(sorted(set(det.allowed_address_pairs))),
        port_security_enabled=det.port_security_enabled,
        device_owner=det.device_owner)
