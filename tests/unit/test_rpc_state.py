"""The report_state dict (reference/04 §8)."""

from __future__ import annotations

import json

from ovsagent.rpc.state import AgentState, AgentStateConfig, parse_rp_bandwidths
from ovsagent.rpc.topics import RESOURCE_VERSIONS

CONFIG_KEYS = {
    "bridge_mappings", "resource_provider_bandwidths", "resource_provider_inventory_defaults",
    "resource_provider_packet_processing_without_direction",
    "resource_provider_packet_processing_with_direction",
    "resource_provider_packet_processing_inventory_defaults", "resource_provider_hypervisors",
    "integration_bridge", "tunnel_types", "tunneling_ip", "l2_population",
    "arp_responder_enabled", "enable_distributed_routing", "log_agent_heartbeats", "extensions",
    "datapath_type", "ovs_capabilities", "vhostuser_socket_dir", "ovs_hybrid_plug",
    "baremetal_smartnic", "devices", "in_distributed_mode",
}


def config() -> AgentStateConfig:
    return AgentStateConfig(
        host="host-a", bridge_mappings={"physnet1": "br-phys1"}, tunnel_types=("vxlan",),
        tunneling_ip="198.18.0.1", l2_population=True, arp_responder_enabled=True,
        datapath_type="netdev",
        ovs_capabilities={"datapath_types": ["netdev", "system"],
                          "iface_types": ["geneve", "gre", "internal", "vxlan"]},
        default_hypervisor="hv-a")


def test_first_report_shape() -> None:
    state = AgentState(config()).build(devices=3)
    assert set(state) == {"binary", "host", "topic", "agent_type", "configurations", "uuid",
                          "resource_versions", "start_flag"}
    assert state["binary"] == "neutron-openvswitch-agent"
    assert state["agent_type"] == "Open vSwitch agent"
    assert state["topic"] == "N/A" and state["host"] == "host-a"
    assert state["start_flag"] is True
    assert state["resource_versions"] == dict(RESOURCE_VERSIONS)
    assert len(state["resource_versions"]) == 15
    assert state["resource_versions"]["Port"] == "1.11"
    assert state["resource_versions"]["Network"] == "1.3"
    conf = state["configurations"]
    assert set(conf) == CONFIG_KEYS
    assert conf["bridge_mappings"] == {"physnet1": "br-phys1"}
    assert conf["tunnel_types"] == ["vxlan"] and conf["tunneling_ip"] == "198.18.0.1"
    assert conf["l2_population"] is True and conf["arp_responder_enabled"] is True
    assert conf["enable_distributed_routing"] is False
    assert conf["integration_bridge"] == "br-int" and conf["datapath_type"] == "netdev"
    assert conf["ovs_hybrid_plug"] is False
    assert conf["ovs_capabilities"]["iface_types"] == ["geneve", "gre", "internal", "vxlan"]
    assert conf["resource_provider_hypervisors"] == {"br-phys1": "hv-a", "rp_tunnelled": "hv-a"}
    assert conf["resource_provider_inventory_defaults"] == {
        "allocation_ratio": 1.0, "min_unit": 1, "step_size": 1, "reserved": 0}
    assert conf["resource_provider_bandwidths"] == {}
    assert conf["devices"] == 3 and conf["in_distributed_mode"] is False
    assert json.loads(json.dumps(state)) == state


def test_flags_dropped_after_success_and_start_flag_after_sync() -> None:
    agent = AgentState(config())
    first = agent.build()
    agent.reported(synced=False)
    second = agent.build()
    assert "resource_versions" not in second and second["start_flag"] is True
    assert second["uuid"] != first["uuid"]
    assert agent.first_report_done
    agent.reported(synced=True)
    third = agent.build()
    assert "start_flag" not in third and "resource_versions" not in third
    agent.restarted()
    assert agent.build()["start_flag"] is True


def test_no_tunnels_reports_null_tunneling_ip() -> None:
    conf = AgentState(AgentStateConfig(host="h", default_hypervisor="x")).build()["configurations"]
    assert conf["tunneling_ip"] is None and conf["tunnel_types"] == []
    assert conf["bridge_mappings"] == {} and conf["resource_provider_hypervisors"] == {
        "rp_tunnelled": "x"}


def test_configured_hypervisor_and_bandwidths() -> None:
    cfg = AgentStateConfig(host="h", bridge_mappings={"p1": "br-p1", "p2": "br-p2"},
                           resource_provider_hypervisors={"br-p2": "other"},
                           resource_provider_bandwidths=parse_rp_bandwidths(
                               ["br-p1:1000:2000", "br-p2::500"]),
                           default_hypervisor="hv")
    conf = cfg.configurations()
    assert conf["resource_provider_hypervisors"] == {"br-p1": "hv", "br-p2": "other",
                                                     "rp_tunnelled": "hv"}
    assert conf["resource_provider_bandwidths"] == {
        "br-p1": {"egress": 1000, "ingress": 2000}, "br-p2": {"egress": None, "ingress": 500}}
