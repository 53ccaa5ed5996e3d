"""Device details from the push cache (reference/04 §5), and the loop's server API.

neutron-server 29 no longer builds device details: the agent derives them
from the cached Port object (pulled with ``bulk_pull`` on first sight, kept
fresh by pushes). This module is that derivation plus the small adapter the
loop calls (:class:`ServerApi`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from typing import Protocol

from ovsagent.agent.wiring import DeviceDetails
from ovsagent.pipeline.state import Segment
from ovsagent.rpc.cache import ResourceCache
from ovsagent.rpc.errors import RpcError
from ovsagent.rpc.ovo import NetworkInfo, PortInfo, SegmentInfo
from ovsagent.rpc.topics import NETWORK

LOG = logging.getLogger(__name__)


class NoActiveBinding(Exception):
    """The port has bindings but none ACTIVE: counted as failed and retried."""


def current_segment(seg: SegmentInfo, network: NetworkInfo | None) -> SegmentInfo:
    """The port's bound segment as its network now has it.

    A provider update of a network's segmentation id is pushed as a Network
    only: the cached Port keeps the old copy in its binding levels (the
    reference asks ``get_network_details`` in ``network_update`` for the
    same reason). The network's segment with the same id wins; without ids,
    the single segment of the same type and physnet.
    """
    if network is None:
        return seg
    if seg.id is not None:
        return next((s for s in network.segments if s.id == seg.id), seg)
    if len(network.segments) == 1:
        only = network.segments[0]
        if (only.network_type, only.physical_network) == (seg.network_type,
                                                          seg.physical_network):
            return only
    return seg


def device_details(port_id: str, port: PortInfo | None, host: str,
                   network: NetworkInfo | None = None) -> DeviceDetails:
    """What the loop needs to wire ``port_id`` on ``host``.

    Unknown port, no binding levels or no bottom segment -> unbound (dead
    VLAN); a compute port actively bound elsewhere -> ``no_active_binding``.
    ``network`` (the cached Network of the port, if any) supplies the
    current segmentation id.
    """
    if port is None or port.segment is None or port.bound_levels == 0:
        return DeviceDetails(port_id)
    binding = port.active_binding
    if binding is None:
        raise NoActiveBinding(f"port {port_id} has no ACTIVE binding")
    migrating_to = port.migrating_to
    if migrating_to is None and port.is_compute:
        others = [h for h in port.inactive_binding_hosts() if h != host]
        migrating_to = others[0] if others else None
    if port.is_compute and migrating_to is None and binding.host != host:
        return DeviceDetails(port_id, port.network_id, no_active_binding=True)
    seg = current_segment(port.segment, network)
    return DeviceDetails(
        port_id, port.network_id,
        Segment(seg.network_type, seg.physical_network, seg.segmentation_id),
        admin_state_up=port.admin_state_up, mac_address=port.mac_address,
        device_owner=port.device_owner,
        fixed_ips=tuple(ip.ip_address for ip in port.fixed_ips),
        allowed_address_pairs=tuple((p.mac_address or port.mac_address, p.ip_address)
                                    for p in port.allowed_address_pairs),
        port_security_enabled=port.port_security_enabled,
        migrating_to=migrating_to if migrating_to and migrating_to != host else None)


class DeviceReporter(Protocol):
    def update_device_list(self, devices_up: list[str], devices_down: list[str], *,
                           refresh_tunnels: bool = False) -> object: ...


class RpcServerApi:
    """The loop's :class:`~ovsagent.agent.loop.ServerApi` over the push cache and RPC."""

    def __init__(self, cache: ResourceCache, plugin: DeviceReporter, host: str) -> None:
        self.cache = cache
        self.plugin = plugin
        self.host = host

    def prefetch(self, port_ids: list[str]) -> threading.Thread:
        """Pull ``port_ids`` in the background (at start, while the bridges are set
        up): the loop's first pass then waits for this answer instead of asking."""

        def pull() -> None:
            start = time.monotonic()
            try:
                self.cache.fetch_ports(port_ids)
            except RpcError as exc:
                LOG.warning("prefetch of %d ports failed: %s (the loop asks again)",
                            len(port_ids), exc)
                return
            except Exception:
                LOG.exception("prefetch of %d ports failed (the loop asks again)",
                              len(port_ids))
                return
            LOG.info("prefetched %d ports' details in %.3f s", len(port_ids),
                     time.monotonic() - start)

        thread = threading.Thread(target=pull, name="prefetch", daemon=True)
        thread.start()
        return thread

    def get_device_details(self, port_ids: list[str], refresh: bool = False
                           ) -> Mapping[str, DeviceDetails | None]:
        try:  # one bulk_pull for the unknown ones (for all of them with refresh)
            pulled = self.cache.fetch_ports(port_ids, force=refresh)
        except RpcError as exc:
            LOG.warning("could not fetch %d ports: %s", len(port_ids), exc)
            return dict.fromkeys(port_ids)
        result: dict[str, DeviceDetails | None] = {}
        for port_id in port_ids:
            if port_id in pulled.failed:
                LOG.warning("port %s: bad payload: %s", port_id, pulled.failed[port_id])
                result[port_id] = None
                continue
            found = pulled.found.get(port_id)
            port = found if isinstance(found, PortInfo) else None
            if port is not None and self.cache.is_deleted(NETWORK, port.network_id):
                LOG.info("port %s: its network %s was deleted", port_id, port.network_id)
                port = None  # treated as unknown: dead VLAN, network reclaimed
            network = self.cache.get_network(port.network_id) if port is not None else None
            try:
                result[port_id] = device_details(port_id, port, self.host, network)
            except NoActiveBinding as exc:
                LOG.info("%s; will retry", exc)
                result[port_id] = None
        return result

    def update_device_list(self, up: list[str], down: list[str], refresh_tunnels: bool
                           ) -> list[str]:
        try:
            reply = self.plugin.update_device_list(up, down, refresh_tunnels=refresh_tunnels)
        except RpcError as exc:
            LOG.warning("update_device_list failed: %s", exc)
            return up + down
        failed_up = getattr(reply, "failed_devices_up", ())
        failed_down = getattr(reply, "failed_devices_down", ())
        return [*failed_up, *failed_down]
