"""Ensure br-int, br-tun and the physical bridges, and learn their topology.

Follows reference/02: every bridge gets datapath_type, protocols,
mac-table-size, fail_mode secure and (native driver) our controller; br-tun
is patched to br-int; each ``bridge_mappings`` bridge must already exist
and is patched to br-int through ``int-<br>``/``phy-<br>``, which are only
connected once both sides drop everything by default. Flows are not
installed here: the caller computes them from the returned
:class:`~ovsagent.pipeline.state.Topology`.
"""

from __future__ import annotations

import logging

from ovsagent.agent.settings import AgentSettings
from ovsagent.ovs import ovsdb
from ovsagent.ovs.openflow.base import OpenFlowDriver
from ovsagent.pipeline.state import PhysnetBridge, Topology

LOG = logging.getLogger(__name__)


class BridgeSetupError(RuntimeError):
    """A bridge cannot be set up (missing physical bridge, invalid patch port)."""


class BridgeSetup:
    """Creates/updates the agent's bridges and returns the resulting topology."""

    def __init__(self, settings: AgentSettings, client: ovsdb.OvsdbClient,
                 driver: OpenFlowDriver) -> None:
        self.s = settings
        self.client = client
        self.driver = driver

    def managed_bridges(self) -> list[str]:
        names = [self.s.integration_bridge]
        if self.s.tunnelling:
            names.append(self.s.tunnel_bridge)
        names.extend(bridge for _, bridge in self.s.bridge_mappings)
        return names

    def setup(self, cookie: int) -> Topology:
        """Ensure every bridge and patch port; connect the driver to each bridge."""
        self._ensure(self.s.integration_bridge)
        ovsdb.update_bridge(  # reference/02 §2 step 2
            self.client, self.s.integration_bridge,
            other_config={"mcast-snooping-disable-flood-unregistered":
                          str(not self.s.igmp_flood_unregistered).lower()},
            mcast_snooping_enable=self.s.igmp_snooping_enable)
        patch_int_ofport = self._setup_tunnel_bridge() if self.s.tunnelling else None
        physnets = tuple(self._setup_physical_bridge(physnet, bridge)
                         for physnet, bridge in self.s.bridge_mappings)
        return Topology(cookie=cookie, physnets=physnets, patch_int_ofport=patch_int_ofport,
                        arp_responder=self.s.arp_responder,
                        l2_population=self.s.l2_population)

    def connect_physnet_patches(self, topo: Topology) -> None:
        """Point int-<br>/phy-<br> at each other (after their drop flows are in)."""
        for phys in topo.physnets:
            int_name = ovsdb.int_patch_name(phys.bridge)
            phy_name = ovsdb.phy_patch_name(phys.bridge)
            ovsdb.set_patch_peer(self.client, int_name, phy_name)
            ovsdb.set_patch_peer(self.client, phy_name, int_name)

    # ----------------------------------------------------------------- parts
    def _ensure(self, name: str) -> None:
        ovsdb.ensure_bridge(
            self.client, name, datapath_type=self.s.datapath_type,
            other_config={"mac-table-size": str(self.s.bridge_mac_table_size)},
            fail_mode=ovsdb.FAIL_MODE_SECURE, controller=self.s.controller_target,
            inactivity_probe_ms=self.s.of_inactivity_probe * 1000)
        dpid = ovsdb.get_datapath_id(self.client, name, timeout=self.s.ovsdb_timeout)
        self.driver.add_bridge(name, dpid, timeout=self.s.of_connect_timeout)

    def _ofport(self, name: str) -> int:
        ofport = ovsdb.get_ofport(self.client, name, timeout=self.s.ovsdb_timeout)
        if ofport <= 0:
            raise BridgeSetupError(f"port {name} has no valid ofport ({ofport}); "
                                   "check the Open vSwitch logs")
        return ofport

    def _setup_tunnel_bridge(self) -> int:
        s = self.s
        self._ensure(s.tunnel_bridge)
        ovsdb.add_patch_pair(self.client, s.integration_bridge, s.int_peer_patch_port,
                             s.tunnel_bridge, s.tun_peer_patch_port)
        self._set_igmp_flood(s.int_peer_patch_port)
        self._ofport(s.int_peer_patch_port)
        return self._ofport(s.tun_peer_patch_port)

    def _setup_physical_bridge(self, physnet: str, bridge: str) -> PhysnetBridge:
        if not ovsdb.bridge_exists(self.client, bridge):
            raise BridgeSetupError(
                f"[ovs] bridge_mappings: bridge {bridge} for physical network {physnet} "
                "does not exist; create it (and add its NIC) before starting the agent")
        self._ensure(bridge)
        int_name, phy_name = ovsdb.int_patch_name(bridge), ovsdb.phy_patch_name(bridge)
        for br, name in ((self.s.integration_bridge, int_name), (bridge, phy_name)):
            if not ovsdb.port_exists(self.client, name):
                ovsdb.add_patch_port(self.client, br, name, ovsdb.NONEXISTENT_PEER)
        self._set_igmp_flood(int_name)
        return PhysnetBridge(physnet, bridge, int_ofport=self._ofport(int_name),
                             phys_ofport=self._ofport(phy_name))

    def _set_igmp_flood(self, port: str) -> None:
        ovsdb.set_port_other_config(self.client, port, {
            "mcast-snooping-flood-reports": str(self.s.igmp_flood_reports).lower(),
            "mcast-snooping-flood": str(self.s.igmp_flood).lower(),
        })
