"""Sample OVO primitives and FDB payloads shaped like neutron-server 29's (reference/04 §6-7).

Imported by the other test_rpc_* modules (``from test_rpc_samples import ...``).
Addresses: tenant 198.19.0.0/16, tunnel endpoints 198.18.0.0/16.
"""

from __future__ import annotations

import copy
import json
from typing import Any

NET = "5f0c3c1e-8d4a-4c55-9a0b-1d2e3f405061"
SUBNET = "0b8e4c1d-6b1f-4f51-8f0e-2c9a7d6e5f41"
PORT = "9a1d2f3e-4b5c-4d6e-8f70-0a1b2c3d4e5f"
SEG = "7c6b5a49-3827-4615-9c0d-e1f2a3b4c5d6"
SG = "1f2e3d4c-5b6a-4978-8a9b-c0d1e2f3a4b5"
HOST = "host-a"


def ovo(name: str, version: str, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "versioned_object.name": name,
        "versioned_object.namespace": "versionedobjects",
        "versioned_object.version": version,
        "versioned_object.data": data,
        "versioned_object.changes": sorted(data),
    }


def segment(network_type: str = "vxlan", segmentation_id: int | None = 1001,
            physical_network: str | None = None, seg_id: str = SEG,
            net: str = NET) -> dict[str, Any]:
    return ovo("NetworkSegment", "1.0", {
        "id": seg_id, "network_id": net, "name": None, "network_type": network_type,
        "physical_network": physical_network, "segmentation_id": segmentation_id,
        "is_dynamic": False, "segment_index": 0, "hosts": [HOST],
    })


def port(port_id: str = PORT, *, revision: int = 3, host: str = HOST,
         seg: dict[str, Any] | None = None, **overrides: Any) -> dict[str, Any]:
    """A bound compute port on a vxlan network, as bulk_pull/push send it."""
    seg = seg if seg is not None else segment()
    data: dict[str, Any] = {
        "id": port_id, "project_id": "d1e2f3a4b5c6", "name": "vm1-port",
        "network_id": NET, "mac_address": "fa:16:3e:12:34:56", "admin_state_up": True,
        "device_id": "0e1f2a3b-4c5d-4e6f-8a9b-0c1d2e3f4a5b", "device_owner": "compute:nova",
        "status": "DOWN", "revision_number": revision, "description": "",
        "created_at": "2026-08-01T10:00:00+00:00", "updated_at": "2026-08-01T10:00:05+00:00",
        "fixed_ips": [ovo("IPAllocation", "1.0", {
            "port_id": port_id, "subnet_id": SUBNET, "network_id": NET,
            "ip_address": "198.19.1.5"})],
        "allowed_address_pairs": [ovo("AllowedAddressPair", "1.1", {
            "id": 1, "port_id": port_id, "mac_address": "fa:16:3e:00:00:01",
            "ip_address": "198.19.1.128/25"})],
        "bindings": [ovo("PortBinding", "1.0", {
            "port_id": port_id, "host": host, "profile": "{}", "vif_type": "ovs",
            "vif_details": json.dumps({"port_filter": True, "connectivity": "l2",
                                       "ovs_hybrid_plug": False, "datapath_type": "netdev",
                                       "bridge_name": "br-int"}),
            "vnic_type": "normal", "status": "ACTIVE"})],
        "binding_levels": [ovo("PortBindingLevel", "1.1", {
            "port_id": port_id, "host": host, "level": 0, "driver": "openvswitch",
            "segment": seg, "segment_id": seg["versioned_object.data"]["id"]})],
        "security": ovo("PortSecurity", "1.0", {"id": port_id, "port_security_enabled": True}),
        "security_group_ids": [SG],
        "dhcp_options": [], "distributed_bindings": [], "dns": None,
        "data_plane_status": None, "hints": None, "qos_policy_id": None,
        "qos_network_policy_id": None, "numa_affinity_policy": None, "device_profile": None,
        "hardware_offload_type": None, "trusted": None, "pvlan_type": None,
        "pvlan_community": None, "some_future_field": {"ignored": True},
    }
    data.update(overrides)
    return ovo("Port", "1.11", data)


def network(net_id: str = NET, *, revision: int = 2, mtu: int = 1450,
            segments: list[dict[str, Any]] | None = None, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": net_id, "project_id": "d1e2f3a4b5c6", "name": "net1", "status": "ACTIVE",
        "admin_state_up": True, "vlan_transparent": None, "qinq": None,
        "availability_zone_hints": [], "shared": False, "mtu": mtu, "security": None,
        "segments": segments if segments is not None else [segment()],
        "dns_domain": None, "qos_policy_id": None, "revision_number": revision,
        "description": "", "created_at": "2026-08-01T09:00:00+00:00",
        "updated_at": "2026-08-01T09:00:00+00:00",
    }
    data.update(overrides)
    return ovo("Network", "1.3", data)


def deleted(name: str, obj_id: str) -> dict[str, Any]:
    """A ``deleted`` push carries only the id."""
    return ovo(name, "1.11" if name == "Port" else "1.3", {"id": obj_id})


def with_data(primitive: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """A deep copy with top-level data keys changed (``DROP`` removes a key)."""
    out = copy.deepcopy(primitive)
    data = out["versioned_object.data"]
    for key, value in changes.items():
        if value is DROP:
            data.pop(key, None)
        else:
            data[key] = value
    return out


DROP = object()

FDB_ADD = {
    NET: {
        "segment_id": 1001, "network_type": "vxlan",
        "ports": {
            "198.18.0.2": [["00:00:00:00:00:00", "0.0.0.0"], ["fa:16:3e:aa:bb:cc", "198.19.1.7"]],
            "198.18.0.3": [["00:00:00:00:00:00", "0.0.0.0"]],
        },
    },
}

FDB_UPDATE = {
    "chg_ip": {
        NET: {
            "198.18.0.2": {
                "before": [["fa:16:3e:aa:bb:cc", "198.19.1.7"]],
                "after": [["fa:16:3e:aa:bb:cc", "198.19.1.9"]],
            },
        },
    },
}


def test_samples_are_json() -> None:
    for sample in (port(), network(), deleted("Port", PORT), FDB_ADD, FDB_UPDATE):
        assert json.loads(json.dumps(sample)) == sample
