"""OVO primitive parsing: Port and Network, including malformed payloads."""

from __future__ import annotations

import json
from typing import Any

import pytest
from test_rpc_samples import (
    DROP,
    NET,
    PORT,
    SEG,
    SG,
    SUBNET,
    deleted,
    network,
    ovo,
    port,
    segment,
    with_data,
)

from ovsagent.rpc.errors import PayloadError
from ovsagent.rpc.ovo import (
    AddressPair,
    FixedIp,
    SegmentInfo,
    parse_deleted_id,
    parse_network,
    parse_port,
)


def test_port_fields() -> None:
    p = parse_port(port())
    assert p.id == PORT and p.network_id == NET and p.revision_number == 3
    assert p.mac_address == "fa:16:3e:12:34:56"
    assert p.admin_state_up is True and p.status == "DOWN"
    assert p.device_owner == "compute:nova" and p.is_compute
    assert p.fixed_ips == (FixedIp("198.19.1.5", SUBNET),)
    assert p.allowed_address_pairs == (AddressPair("198.19.1.128/25", "fa:16:3e:00:00:01"),)
    assert p.segment == SegmentInfo("vxlan", None, 1001, SEG)
    assert p.bound_levels == 1
    assert p.port_security_enabled is True
    assert p.security_group_ids == (SG,)
    assert p.qos_policy_id is None and p.hints is None
    b = p.active_binding
    assert b is not None and b.host == "host-a" and b.vif_type == "ovs"
    assert b.vnic_type == "normal" and dict(b.profile) == {}
    assert b.vif_details is not None and b.vif_details["bridge_name"] == "br-int"
    assert p.binding_host == "host-a" and p.migrating_to is None


def test_port_mac_is_normalized_and_json_fields_accept_dicts() -> None:
    raw = port(mac_address="FA-16-3E-AB-CD-EF")
    binding = raw["versioned_object.data"]["bindings"][0]["versioned_object.data"]
    binding["profile"] = {"migrating_to": "host-b"}
    binding["vif_details"] = ""
    p = parse_port(raw)
    assert p.mac_address == "fa:16:3e:ab:cd:ef"
    assert p.migrating_to == "host-b"
    assert p.active_binding is not None and p.active_binding.vif_details is None


def test_port_optional_fields_absent() -> None:
    raw = with_data(port(), fixed_ips=DROP, allowed_address_pairs=DROP, bindings=DROP,
                    binding_levels=DROP, security=DROP, security_group_ids=DROP,
                    qos_policy_id=DROP, hints=DROP)
    p = parse_port(raw)
    assert p.fixed_ips == () and p.bindings == () and p.segment is None
    assert p.bound_levels == 0 and p.port_security_enabled is True
    assert p.active_binding is None and p.binding_host is None


def test_port_unbound_level_without_segment_and_last_level_wins() -> None:
    levels = [
        ovo("PortBindingLevel", "1.1", {"port_id": PORT, "host": "h", "level": 0,
                                        "driver": "x", "segment": segment("vxlan", 1001)}),
        ovo("PortBindingLevel", "1.1", {"port_id": PORT, "host": "h", "level": 1,
                                        "driver": "openvswitch",
                                        "segment": segment("vlan", 100, "physnet1")}),
    ]
    assert parse_port(port(binding_levels=levels)).segment == SegmentInfo(
        "vlan", "physnet1", 100, SEG)
    levels[1]["versioned_object.data"]["segment"] = None
    assert parse_port(port(binding_levels=levels)).segment is None


def test_port_hints_security_and_inactive_binding() -> None:
    inactive = ovo("PortBinding", "1.0", {"port_id": PORT, "host": "host-b", "profile": "",
                                          "vif_type": "unbound", "vif_details": None,
                                          "vnic_type": "normal", "status": "INACTIVE"})
    raw = port()
    data = raw["versioned_object.data"]
    data["bindings"].append(inactive)
    data["hints"] = ovo("PortHints", "1.0", {"port_id": PORT,
                                             "hints": json.dumps({"openvswitch": {"x": 1}})})
    data["security"] = ovo("PortSecurity", "1.0", {"id": PORT, "port_security_enabled": False})
    p = parse_port(raw)
    assert p.inactive_binding_hosts() == ("host-b",)
    assert p.hints == {"openvswitch": {"x": 1}}
    assert p.port_security_enabled is False


def test_network_fields() -> None:
    n = parse_network(network(segments=[segment("vlan", 100, "physnet1"),
                                        segment("vxlan", 2000, seg_id="s2")]))
    assert n.id == NET and n.mtu == 1450 and n.revision_number == 2
    assert n.admin_state_up is True
    assert n.segments == (SegmentInfo("vlan", "physnet1", 100, SEG),
                          SegmentInfo("vxlan", None, 2000, "s2"))


def test_flat_network_has_no_segmentation_id() -> None:
    n = parse_network(network(segments=[segment("flat", None, "physnet1")]))
    assert n.segments == (SegmentInfo("flat", "physnet1", None, SEG),)


def test_deleted_id() -> None:
    assert parse_deleted_id("Port", deleted("Port", PORT)) == PORT


def _error(fn: Any, primitive: Any) -> PayloadError:
    with pytest.raises(PayloadError) as info:
        fn(primitive)
    return info.value


@pytest.mark.parametrize("key", ["network_id", "mac_address", "admin_state_up", "device_owner",
                                 "device_id", "status", "revision_number"])
def test_port_missing_required_key(key: str) -> None:
    e = _error(parse_port, with_data(port(), **{key: DROP}))
    assert e.resource_type == "Port" and e.resource_id == PORT and e.key == key
    assert "missing" in str(e) and PORT in str(e)


@pytest.mark.parametrize(("key", "value"), [
    ("admin_state_up", "yes"), ("revision_number", "3"), ("revision_number", True),
    ("mac_address", "fa:16:3e:12:34"), ("network_id", 7), ("security_group_ids", "sg"),
    ("fixed_ips", {"ip_address": "198.19.1.5"}), ("bindings", [{"host": "h"}]),
])
def test_port_wrong_types(key: str, value: Any) -> None:
    e = _error(parse_port, with_data(port(), **{key: value}))
    assert e.resource_id == PORT and e.key.startswith(key)


def test_nested_errors_name_the_path() -> None:
    raw = port()
    data = raw["versioned_object.data"]
    data["fixed_ips"][0]["versioned_object.data"]["ip_address"] = "198.19.1.300"
    assert _error(parse_port, raw).key == "fixed_ips[0].ip_address"
    raw = port()
    raw["versioned_object.data"]["bindings"][0]["versioned_object.data"]["profile"] = "{bad"
    e = _error(parse_port, raw)
    assert e.key == "bindings[0].profile" and "JSON" in e.reason
    raw = port()
    raw["versioned_object.data"]["bindings"][0]["versioned_object.data"]["profile"] = "[1]"
    assert _error(parse_port, raw).key == "bindings[0].profile"


@pytest.mark.parametrize(("ntype", "segid"), [
    ("vlan", 0), ("vlan", 4095), ("vxlan", 2**24), ("geneve", 0), ("gre", 2**32),
    ("other", -1),
])
def test_out_of_range_segmentation_ids(ntype: str, segid: int) -> None:
    e = _error(parse_port, port(seg=segment(ntype, segid)))
    assert e.key == "binding_levels[0].segment.segmentation_id"
    assert str(segid) in e.reason
    e = _error(parse_network, network(segments=[segment(ntype, segid)]))
    assert e.key == "segments[0].segmentation_id" and e.resource_type == "Network"


def test_in_range_edges() -> None:
    for ntype, segid in (("vlan", 1), ("vlan", 4094), ("vxlan", 2**24 - 1), ("gre", 2**32 - 1)):
        assert parse_port(port(seg=segment(ntype, segid))).segment is not None


@pytest.mark.parametrize("primitive", [None, [], "Port", {"versioned_object.data": None}])
def test_not_a_primitive(primitive: Any) -> None:
    e = _error(parse_port, primitive)
    assert e.resource_id is None


def test_wrong_object_name_and_bad_id() -> None:
    e = _error(parse_port, network())
    assert e.key == "versioned_object.name" and e.resource_id == NET
    e = _error(parse_port, with_data(port(), id=DROP))
    assert e.key == "id" and e.resource_id is None
    e = _error(parse_port, with_data(port(), id=""))
    assert e.key == "id"


def test_network_malformed() -> None:
    assert _error(parse_network, network(mtu=0)).key == "mtu"
    assert _error(parse_network, network(mtu="1500")).key == "mtu"
    assert _error(parse_network, with_data(network(), revision_number=DROP)).key == \
        "revision_number"
    assert _error(parse_network, network(segments="vxlan")).key == "segments"
    assert _error(parse_network, network(admin_state_up=1)).key == "admin_state_up"


def test_unknown_extra_keys_ignored() -> None:
    raw = port()
    raw["unexpected_envelope_key"] = 1
    raw["versioned_object.data"]["fixed_ips"][0]["versioned_object.data"]["extra"] = [1]
    assert parse_port(raw).id == PORT


def test_parsed_objects_are_immutable() -> None:
    p = parse_port(port())
    with pytest.raises(AttributeError):
        p.mac_address = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        p.active_binding.profile["x"] = 1  # type: ignore[index,union-attr]
