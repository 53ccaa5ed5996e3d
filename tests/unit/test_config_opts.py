"""Option definitions: reference names, sections, types and defaults (reference/01)."""

from __future__ import annotations

import socket

import pytest
from oslo_config import cfg

from ovsagent.config import list_opts, opts, support
from ovsagent.config.startup import build_conf


@pytest.fixture(scope="module")
def conf() -> cfg.ConfigOpts:
    c = build_conf()
    c([], project="neutron", default_config_files=[], default_config_dirs=[])
    return c


@pytest.mark.parametrize(("group", "name", "default"), [
    ("ovs", "integration_bridge", "br-int"),
    ("ovs", "tunnel_bridge", "br-tun"),
    ("ovs", "int_peer_patch_port", "patch-tun"),
    ("ovs", "tun_peer_patch_port", "patch-int"),
    ("ovs", "local_ip", None),
    ("ovs", "bridge_mappings", []),
    ("ovs", "datapath_type", "system"),
    ("ovs", "vhostuser_socket_dir", "/var/run/openvswitch"),
    ("ovs", "of_interface", "native"),
    ("ovs", "of_listen_address", "127.0.0.1"),
    ("ovs", "of_listen_port", 6633),
    ("ovs", "of_connect_timeout", 300),
    ("ovs", "of_request_timeout", 300),
    ("ovs", "of_inactivity_probe", 10),
    ("ovs", "openflow_processed_per_port", False),
    ("ovs", "qos_meter_bandwidth", False),
    ("ovs", "trunk_enabled", True),
    ("ovs", "resource_provider_bandwidths", []),
    ("ovs", "resource_provider_hypervisors", {}),
    ("ovs", "resource_provider_packet_processing_without_direction", []),
    ("ovs", "resource_provider_packet_processing_with_direction", []),
    ("ovs", "resource_provider_default_hypervisor", None),
    ("ovs", "resource_provider_inventory_defaults",
     {"allocation_ratio": 1.0, "min_unit": 1, "step_size": 1, "reserved": 0}),
    ("ovs", "resource_provider_packet_processing_inventory_defaults",
     {"allocation_ratio": 1.0, "min_unit": 1, "step_size": 1, "reserved": 0}),
    ("ovs", "ovsdb_connection", "tcp:127.0.0.1:6640"),
    ("ovs", "ssl_key_file", None),
    ("ovs", "ssl_cert_file", None),
    ("ovs", "ssl_ca_cert_file", None),
    ("ovs", "ovsdb_debug", False),
    ("ovs", "ovsdb_timeout", 10),
    ("ovs", "bridge_mac_table_size", 50000),
    ("ovs", "igmp_snooping_enable", False),
    ("ovs", "igmp_flood", False),
    ("ovs", "igmp_flood_reports", True),
    ("ovs", "igmp_flood_unregistered", False),
    ("agent", "polling_interval", 2),
    ("agent", "minimize_polling", True),
    ("agent", "ovsdb_monitor_respawn_interval", 30),
    ("agent", "tunnel_types", []),
    ("agent", "vxlan_udp_port", 4789),
    ("agent", "l2_population", False),
    ("agent", "arp_responder", False),
    ("agent", "dont_fragment", True),
    ("agent", "enable_distributed_routing", False),
    ("agent", "drop_flows_on_start", False),
    ("agent", "tunnel_csum", False),
    ("agent", "dscp", None),
    ("agent", "dscp_inherit", False),
    ("agent", "baremetal_smartnic", False),
    ("agent", "explicitly_egress_direct", False),
    ("agent", "quitting_rpc_timeout", 10),
    ("agent", "report_interval", 30.0),
    ("agent", "log_agent_heartbeats", False),
    ("agent", "extensions", []),
    ("agent", "root_helper", "sudo"),
    ("agent", "root_helper_daemon", None),
    ("securitygroup", "firewall_driver", None),
    ("securitygroup", "enable_security_group", True),
    ("securitygroup", "enable_ipset", True),
    ("securitygroup", "permitted_ethertypes", []),
    ("ml2", "tunnelled_network_rp_name", "rp_tunnelled"),
])
def test_reference_default(conf: cfg.ConfigOpts, group: str, name: str,
                           default: object) -> None:
    assert conf[group][name] == default


def test_default_section(conf: cfg.ConfigOpts) -> None:
    assert conf.host == socket.gethostname()
    assert conf.rpc_response_max_timeout == 600
    assert conf.rpc_resources_processing_step == 20
    assert conf.state_path == "/var/lib/neutron"


def test_messaging_options_come_from_oslo_messaging(conf: cfg.ConfigOpts) -> None:
    from oslo_messaging import opts as messaging_opts

    library = {o.dest: o.default for g, group in messaging_opts.list_opts() if g is None
               for o in group}
    assert conf.rpc_response_timeout == 60 == library["rpc_response_timeout"]
    assert conf.transport_url == library["transport_url"]
    assert conf.control_exchange == "neutron"  # forced, as the reference does
    assert "oslo_messaging_rabbit" in conf


def test_oslo_messaging_can_register_its_own_options_again() -> None:
    import oslo_messaging

    c = build_conf()
    c([], project="neutron", default_config_files=[], default_config_dirs=[])
    transport = oslo_messaging.get_rpc_transport(c, url="fake:")
    try:
        target = oslo_messaging.Target(topic="q-plugin")
        oslo_messaging.get_rpc_client(transport, target)  # registers client options
    finally:
        transport.cleanup()


def test_logging_cli_options_registered(conf: cfg.ConfigOpts) -> None:
    for name in ("debug", "log_file", "log_dir", "use_syslog", "log_config_append"):
        assert name in conf


def test_removed_option_still_loads(conf: cfg.ConfigOpts) -> None:
    assert conf.ovs.use_veth_interconnection is False


def test_choices() -> None:
    by_name = {o.dest: o for _, group in list_opts() for o in group}
    assert list(by_name["of_interface"].type.choices) == ["native", "ovs-ofctl"]
    assert list(by_name["datapath_type"].type.choices) == ["system", "netdev"]
    assert (by_name["dscp"].type.min, by_name["dscp"].type.max) == (0, 63)


def test_list_opts_groups_and_no_duplicates() -> None:
    groups = [g for g, _ in list_opts()]
    assert groups == ["DEFAULT", "securitygroup", "ml2", "agent", "ovs"]
    for _, group_opts in list_opts():
        names = [o.dest for o in group_opts]
        assert len(names) == len(set(names))


def test_register_is_idempotent() -> None:
    c = cfg.ConfigOpts()
    opts.register(c)
    opts.register(c)


def test_supported_keys_exist() -> None:
    known = {(g, o.dest) for g, group_opts in list_opts() for o in group_opts}
    assert known >= support.SUPPORTED
    assert set(support.SUPPORTED_VALUES) <= support.SUPPORTED
    assert set(support.NOTES) <= known


def test_core_options_are_supported() -> None:
    for key in [("DEFAULT", "host"), ("ovs", "local_ip"), ("ovs", "bridge_mappings"),
                ("ovs", "of_interface"), ("agent", "tunnel_types"),
                ("agent", "l2_population"), ("agent", "report_interval")]:
        assert key in support.SUPPORTED
    for key in [("agent", "extensions"), ("agent", "enable_distributed_routing"),
                ("ovs", "qos_meter_bandwidth"), ("ovs", "use_veth_interconnection")]:
        assert key not in support.SUPPORTED
