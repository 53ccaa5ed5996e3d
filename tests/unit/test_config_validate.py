"""Start-up validation: one error per problem, naming [section] option and the value."""

from __future__ import annotations

import ipaddress
import textwrap
from pathlib import Path

import pytest
from oslo_config import cfg

from ovsagent.config import hostaddr, startup
from ovsagent.config.validate import (
    ConfigError,
    check_bridges_exist,
    config_warnings,
    parse_mappings,
    validate,
)

LOCAL = "198.18.0.2"


def addresses() -> set[hostaddr.Address]:
    return {ipaddress.ip_address(a) for a in ("127.0.0.1", LOCAL, "::1")}


def load(tmp_path: Path, text: str) -> cfg.ConfigOpts:
    path = tmp_path / "agent.ini"
    path.write_text(textwrap.dedent(text))
    return startup.load_config(["--config-file", str(path)],
                               default_config_files=[], default_config_dirs=[])


def lines(errors: list[ConfigError]) -> list[str]:
    return [str(e) for e in errors]


def test_defaults_are_valid(tmp_path: Path) -> None:
    assert validate(load(tmp_path, ""), addresses) == []
    assert config_warnings(load(tmp_path, "")) == []


def test_lab_config_is_valid(tmp_path: Path) -> None:
    conf = load(tmp_path, f"""
        [ovs]
        integration_bridge = br-int
        tunnel_bridge = br-tun
        datapath_type = netdev
        local_ip = {LOCAL}
        bridge_mappings = physnet1:br-phys1
        ovsdb_connection = tcp:127.0.0.1:6640
        [agent]
        tunnel_types = vxlan
        l2_population = True
        arp_responder = True
        [securitygroup]
        firewall_driver = noop
        """)
    assert validate(conf, addresses) == []
    assert config_warnings(conf) == []


def test_bad_tunnel_type(tmp_path: Path) -> None:
    conf = load(tmp_path, f"[ovs]\nlocal_ip = {LOCAL}\n[agent]\ntunnel_types = vxlan, udp\n")
    assert lines(validate(conf, addresses)) == [
        "[agent] tunnel_types = 'udp': not a tunnel type (allowed: gre, vxlan, geneve)"]


@pytest.mark.parametrize("types", ["gre", "vxlan", "geneve", "vxlan,gre,geneve"])
def test_good_tunnel_types(tmp_path: Path, types: str) -> None:
    conf = load(tmp_path, f"[ovs]\nlocal_ip = {LOCAL}\n[agent]\ntunnel_types = {types}\n")
    assert validate(conf, addresses) == []


def test_local_ip_required_with_tunnels(tmp_path: Path) -> None:
    conf = load(tmp_path, "[agent]\ntunnel_types = vxlan\n")
    assert lines(validate(conf, addresses)) == [
        "[ovs] local_ip: required when [agent] tunnel_types is set (vxlan)"]


def test_local_ip_not_on_host(tmp_path: Path) -> None:
    conf = load(tmp_path, "[ovs]\nlocal_ip = 198.18.9.9\n[agent]\ntunnel_types = vxlan\n")
    assert lines(validate(conf, addresses)) == [
        "[ovs] local_ip = '198.18.9.9': not configured on any interface of this host "
        "(needed for [agent] tunnel_types = vxlan)"]


def test_local_ip_ignored_without_tunnels(tmp_path: Path) -> None:
    conf = load(tmp_path, "[ovs]\nlocal_ip = 198.18.9.9\n")
    assert validate(conf, addresses) == []


def test_local_ip_ipv6(tmp_path: Path) -> None:
    conf = load(tmp_path, "[ovs]\nlocal_ip = 0:0::1\n[agent]\ntunnel_types = geneve\n")
    assert validate(conf, addresses) == []


def test_local_ip_lookup_failure_is_an_error(tmp_path: Path) -> None:
    def broken() -> set[hostaddr.Address]:
        raise OSError("netlink refused")

    conf = load(tmp_path, f"[ovs]\nlocal_ip = {LOCAL}\n[agent]\ntunnel_types = vxlan\n")
    assert lines(validate(conf, broken)) == [
        f"[ovs] local_ip = '{LOCAL}': cannot list this host's addresses: netlink refused"]


def test_local_ip_checked_against_real_interfaces(tmp_path: Path) -> None:
    """No mock: 198.18.255.254 is on no interface of the test host."""
    assert ipaddress.ip_address("127.0.0.1") in hostaddr.host_addresses()
    conf = load(tmp_path, "[ovs]\nlocal_ip = 198.18.255.254\n[agent]\ntunnel_types = vxlan\n")
    errors = validate(conf)
    assert [(e.section, e.option, e.value) for e in errors] == [
        ("ovs", "local_ip", "198.18.255.254")]
    conf = load(tmp_path, "[ovs]\nlocal_ip = 127.0.0.1\n[agent]\ntunnel_types = vxlan\n")
    assert validate(conf) == []


def test_ip_command_fallback_agrees_with_netlink() -> None:
    # netlink also yields the peer address of point-to-point links
    assert hostaddr._via_ip_command() <= hostaddr._via_netlink()


@pytest.mark.parametrize(("mappings", "expected"), [
    ("physnet1", "[ovs] bridge_mappings = 'physnet1': not a <physical_network>:<bridge> pair"),
    ("a:b:c", "[ovs] bridge_mappings = 'a:b:c': not a <physical_network>:<bridge> pair"),
    (":br-ex", "[ovs] bridge_mappings = ':br-ex': physical network name missing"),
    ("physnet1:", "[ovs] bridge_mappings = 'physnet1:': bridge name missing"),
    ("physnet1:br-a,physnet1:br-b",
     "[ovs] bridge_mappings = 'physnet1:br-b': physical network 'physnet1' is mapped twice"),
    ("physnet1:br-a,physnet2:br-a",
     "[ovs] bridge_mappings = 'physnet2:br-a': bridge 'br-a' is already mapped to "
     "physical network 'physnet1'"),
    ("physnet1:br-0123456789abc",
     "[ovs] bridge_mappings = 'physnet1:br-0123456789abc': bridge name is longer than "
     "15 characters"),
    ("physnet1:br-int",
     "[ovs] bridge_mappings = 'physnet1:br-int': bridge is the [ovs] integration_bridge"),
])
def test_bad_bridge_mappings(tmp_path: Path, mappings: str, expected: str) -> None:
    conf = load(tmp_path, f"[ovs]\nbridge_mappings = {mappings}\n")
    assert lines(validate(conf, addresses)) == [expected]


def test_bridge_mapping_to_tunnel_bridge_only_matters_with_tunnels(tmp_path: Path) -> None:
    assert validate(load(tmp_path, "[ovs]\nbridge_mappings = p:br-tun\n"), addresses) == []
    conf = load(tmp_path, f"[ovs]\nbridge_mappings = p:br-tun\nlocal_ip = {LOCAL}\n"
                          "[agent]\ntunnel_types = vxlan\n")
    assert lines(validate(conf, addresses)) == [
        "[ovs] bridge_mappings = 'p:br-tun': bridge is the [ovs] tunnel_bridge"]


def test_bridge_mappings_parse_like_the_reference() -> None:
    mapping, errors = parse_mappings([" physnet1 : br-ex ", "", "physnet2:br-vlan"])
    assert mapping == {"physnet1": "br-ex", "physnet2": "br-vlan"}
    assert errors == []


def test_long_bridge_name_warns(tmp_path: Path) -> None:
    conf = load(tmp_path, "[ovs]\nbridge_mappings = physnet1:br-provider1\n")
    assert validate(conf, addresses) == []
    assert config_warnings(conf) == [
        "[ovs] bridge_mappings: bridge name 'br-provider1' is longer than 11 characters; "
        "its patch port names will be shortened with a hash"]


def test_bad_own_bridge_names(tmp_path: Path) -> None:
    conf = load(tmp_path, f"""
        [ovs]
        integration_bridge = br-integration-1
        tunnel_bridge = br-integration-1
        int_peer_patch_port = patch-x
        tun_peer_patch_port = patch-x
        local_ip = {LOCAL}
        [agent]
        tunnel_types = vxlan
        """)
    assert lines(validate(conf, addresses)) == [
        "[ovs] integration_bridge = 'br-integration-1': bridge name is longer than 15 "
        "characters",
        "[ovs] tunnel_bridge = 'br-integration-1': bridge name is longer than 15 characters",
        "[ovs] tunnel_bridge = 'br-integration-1': same bridge as [ovs] integration_bridge",
        "[ovs] tun_peer_patch_port = 'patch-x': same name as [ovs] int_peer_patch_port",
    ]


@pytest.mark.parametrize(("text", "expected"), [
    ("[ovs]\nof_interface = openflow\n",
     "[ovs] of_interface = 'openflow': Valid values are [native, ovs-ofctl], but found "
     "'openflow'"),
    ("[ovs]\ndatapath_type = dpdk\n",
     "[ovs] datapath_type = 'dpdk': Valid values are [system, netdev], but found 'dpdk'"),
    ("[agent]\npolling_interval = 0\n",
     "[agent] polling_interval = '0': Should be greater than or equal to 1"),
    ("[agent]\ndscp = 64\n", "[agent] dscp = '64': Should be less than or equal to 63"),
    ("[agent]\nvxlan_udp_port = 70000\n",
     "[agent] vxlan_udp_port = '70000': Should be less than or equal to 65535"),
    ("[agent]\nl2_population = maybe\n",
     "[agent] l2_population = 'maybe': Unexpected boolean value 'maybe'"),
    ("[ovs]\nof_connect_timeout = 0\n",
     "[ovs] of_connect_timeout = '0': Should be greater than or equal to 1"),
    ("[ovs]\novsdb_connection = 127.0.0.1:6640\n",
     "[ovs] ovsdb_connection = '127.0.0.1:6640': Value '127.0.0.1:6640' doesn't match "
     "regex '^(tcp|ssl|unix):.+'"),
    ("[ovs]\nlocal_ip = 198.18.1\n",
     "[ovs] local_ip = '198.18.1': 198.18.1 is not IPv4 or IPv6 address"),
    ("[DEFAULT]\nrpc_response_max_timeout = 0\n",
     "[DEFAULT] rpc_response_max_timeout = '0': Should be greater than or equal to 1"),
])
def test_value_rejected_by_oslo_config(tmp_path: Path, text: str, expected: str) -> None:
    assert lines(validate(load(tmp_path, text), addresses)) == [expected]


def test_every_problem_reported_at_once(tmp_path: Path) -> None:
    conf = load(tmp_path, """
        [ovs]
        of_interface = foo
        bridge_mappings = nocolon
        [agent]
        polling_interval = -1
        tunnel_types = vxlan
        """)
    assert [(e.section, e.option) for e in validate(conf, addresses)] == [
        ("agent", "polling_interval"), ("ovs", "of_interface"),
        ("ovs", "bridge_mappings"), ("ovs", "local_ip")]


def test_value_error_names_the_last_file_setting_it(tmp_path: Path) -> None:
    first = tmp_path / "a.ini"
    first.write_text("[agent]\npolling_interval = 5\n")
    second = tmp_path / "b.ini"
    second.write_text("[AGENT]\npolling_interval = zero\n")
    conf = startup.load_config(["--config-file", str(first), "--config-file", str(second)],
                               default_config_files=[], default_config_dirs=[])
    assert lines(validate(conf, addresses)) == [
        "[agent] polling_interval = 'zero': invalid literal for int() with base 10: 'zero'"]


def test_ssl_connection_needs_the_three_files(tmp_path: Path) -> None:
    conf = load(tmp_path, "[ovs]\novsdb_connection = ssl:198.18.0.1:6640\n"
                          "ssl_cert_file = /etc/ssl/x.pem\n")
    assert lines(validate(conf, addresses)) == [
        "[ovs] ssl_key_file: required with [ovs] ovsdb_connection = 'ssl:198.18.0.1:6640'",
        "[ovs] ssl_ca_cert_file: required with [ovs] ovsdb_connection = "
        "'ssl:198.18.0.1:6640'"]


def test_dvr_with_tunnels_needs_l2pop(tmp_path: Path) -> None:
    conf = load(tmp_path, f"[ovs]\nlocal_ip = {LOCAL}\n[agent]\ntunnel_types = vxlan\n"
                          "enable_distributed_routing = True\n")
    assert lines(validate(conf, addresses)) == [
        "[agent] l2_population = 'False': DVR with tunnels ([agent] "
        "enable_distributed_routing) requires l2_population"]


def test_packet_processing_options_mutually_exclusive(tmp_path: Path) -> None:
    conf = load(tmp_path, """
        [ovs]
        resource_provider_packet_processing_without_direction = :1000
        resource_provider_packet_processing_with_direction = :1000:1000
        """)
    assert lines(validate(conf, addresses)) == [
        "[ovs] resource_provider_packet_processing_with_direction = ':1000:1000': mutually "
        "exclusive with [ovs] resource_provider_packet_processing_without_direction"]


def test_negative_report_interval(tmp_path: Path) -> None:
    conf = load(tmp_path, "[agent]\nreport_interval = -5\n")
    assert lines(validate(conf, addresses)) == [
        "[agent] report_interval = '-5': must be >= 0 (0 disables state reports)"]


@pytest.mark.parametrize(("text", "expected"), [
    ("[agent]\narp_responder = True\n",
     "[agent] arp_responder = True has no effect without [agent] l2_population = True"),
    ("[agent]\ndscp = 10\ndscp_inherit = True\n",
     "[agent] dscp = 10 is ignored: [agent] dscp_inherit = True takes precedence"),
    ("[agent]\nreport_interval = 0\n",
     "[agent] report_interval = 0: no state reports, the server will consider this agent "
     "dead and bind no port to it"),
    ("[agent]\nreport_interval = 90\n",
     "[agent] report_interval = 90: not below the server's default agent_down_time (75 s)"),
    ("[ovs]\nof_interface = ovs-ofctl\nof_listen_port = 6653\n",
     "[ovs] of_listen_port = 6653 is unused with [ovs] of_interface = ovs-ofctl"),
])
def test_warnings(tmp_path: Path, text: str, expected: str) -> None:
    conf = load(tmp_path, text)
    assert validate(conf, addresses) == []
    assert config_warnings(conf) == [expected]


def test_check_bridges_exist(tmp_path: Path) -> None:
    conf = load(tmp_path, "[ovs]\nbridge_mappings = physnet1:br-ex,physnet2:br-vlan\n")
    assert check_bridges_exist(conf, ["br-int", "br-ex", "br-vlan"]) == []
    assert lines(check_bridges_exist(conf, ["br-int", "br-ex"])) == [
        "[ovs] bridge_mappings = 'physnet2:br-vlan': bridge 'br-vlan' does not exist in OVSDB"]
