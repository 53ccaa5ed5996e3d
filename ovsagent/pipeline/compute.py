"""Desired flows of every bridge, computed from the host's state (pure).

The whole flow set is recomputed from :class:`HostState` whenever it
changes and diffed against what is installed
(:func:`ovsagent.pipeline.reconcile.diff_flows`), so there is no per-event
flow bookkeeping to get wrong: the state is the single source of truth.
"""

from __future__ import annotations

import ipaddress

from ovsagent.pipeline import antispoof, br_int, br_phys, br_tun
from ovsagent.pipeline.flow import Flow
from ovsagent.pipeline.state import HostState, LocalNetwork, Topology

FLOODING_ENTRY = ("00:00:00:00:00:00", "0.0.0.0")


def compute_flows(state: HostState, topo: Topology, int_bridge: str = "br-int",
                  tun_bridge: str = "br-tun") -> dict[str, list[Flow]]:
    """Bridge name -> the flows it must hold, every one stamped with ``topo.cookie``."""
    result = {int_bridge: _br_int_flows(state, topo)}
    if topo.patch_int_ofport is not None:
        result[tun_bridge] = _br_tun_flows(state, topo)
    for phys in topo.physnets:
        flows = br_phys.default_flows(phys.phys_ofport)
        for net in _networks_on(state, phys.physnet):
            seg = net.segment
            if seg.network_type == "vlan" and seg.segmentation_id is not None:
                flows.append(br_phys.vlan_out(phys.phys_ofport, net.lvid, seg.segmentation_id))
            elif seg.network_type == "flat":
                flows.append(br_phys.flat_out(phys.phys_ofport, net.lvid))
        result[phys.bridge] = flows
    return {name: [f.with_cookie(topo.cookie) for f in flows] for name, flows in result.items()}


def _networks_on(state: HostState, physnet: str) -> list[LocalNetwork]:
    return sorted((n for n in state.networks.values()
                   if n.segment.physical_network == physnet
                   and n.segment.network_type in ("vlan", "flat")), key=lambda n: n.lvid)


def _br_int_flows(state: HostState, topo: Topology) -> list[Flow]:
    flows = br_int.default_flows()
    for phys in topo.physnets:
        flows.append(br_int.physnet_patch_drop(phys.int_ofport))
        for net in _networks_on(state, phys.physnet):
            seg = net.segment
            if seg.network_type == "vlan" and seg.segmentation_id is not None:
                flows.append(br_int.physnet_vlan_in(phys.int_ofport, seg.segmentation_id,
                                                    net.lvid))
            elif seg.network_type == "flat":
                flows.append(br_int.physnet_flat_in(phys.int_ofport, net.lvid))
    flows.extend(br_int.dead_port_drop(ofport) for ofport in sorted(state.dead_ports.values())
                 if ofport > 0)
    for port in sorted(state.ports.values(), key=lambda p: p.ofport):
        if port.ofport > 0:
            flows.extend(antispoof.port_flows(port.ofport, port.mac, port.security))
    return flows


def flood_ofports(state: HostState, topo: Topology, net: LocalNetwork) -> list[int]:
    """Tunnel ports a network floods to: l2pop FLOODING_ENTRYs, else every tunnel of its type."""
    seg = net.segment
    if topo.l2_population:
        remotes = state.fdb.get(net.network_id, {})
        return sorted({t.ofport for (ttype, ip), t in state.tunnels.items()
                       if ttype == seg.network_type and FLOODING_ENTRY in remotes.get(ip, ())})
    return sorted({t.ofport for (ttype, _), t in state.tunnels.items()
                   if ttype == seg.network_type})


def _br_tun_flows(state: HostState, topo: Topology) -> list[Flow]:
    assert topo.patch_int_ofport is not None
    responder = topo.arp_responder and topo.l2_population
    flows = br_tun.default_flows(topo.patch_int_ofport, topo.cookie, responder)
    for tunnel in sorted(state.tunnels.values(), key=lambda t: t.ofport):
        flows.append(br_tun.tunnel_in(tunnel.ofport, tunnel.tunnel_type))
    for net in sorted(state.networks.values(), key=lambda n: n.lvid):
        seg = net.segment
        if not seg.is_tunnel or seg.segmentation_id is None:
            continue
        flows.append(br_tun.tunnel_to_local_vlan(seg.network_type, seg.segmentation_id, net.lvid))
        ports = flood_ofports(state, topo, net)
        if ports:
            flows.append(br_tun.flood(net.lvid, seg.segmentation_id, ports))
        if not topo.l2_population:
            continue
        for remote_ip, entries in sorted(state.fdb.get(net.network_id, {}).items()):
            remote = state.tunnels.get((seg.network_type, remote_ip))
            if remote is None:
                continue
            for mac, ip in sorted(entries - {FLOODING_ENTRY}):
                flows.append(br_tun.unicast_to_tunnel(net.lvid, mac, seg.segmentation_id,
                                                      remote.ofport))
                if responder and ipaddress.ip_address(ip).version == 4:
                    flows.append(br_tun.arp_responder(net.lvid, ip, mac))
    return flows
