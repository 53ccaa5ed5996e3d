"""Tunnel Interface type/options building."""

from __future__ import annotations

import pytest

from ovsagent.ovs.ovsdb import tunnel_interface_type, tunnel_options

BASE = {"local_ip": "198.18.0.1", "remote_ip": "198.18.0.2", "in_key": "flow",
        "out_key": "flow", "df_default": "true", "egress_pkt_mark": "0"}


@pytest.mark.parametrize("tunnel_type", ["vxlan", "gre", "geneve"])
def test_defaults(tunnel_type: str) -> None:
    assert tunnel_options(tunnel_type, "198.18.0.1", "198.18.0.2") == BASE
    assert tunnel_interface_type(tunnel_type, "198.18.0.1", "198.18.0.2") == tunnel_type


def test_dst_port_only_when_not_default() -> None:
    assert "dst_port" not in tunnel_options("vxlan", "198.18.0.1", "198.18.0.2", dst_port=4789)
    assert tunnel_options("vxlan", "198.18.0.1", "198.18.0.2",
                          dst_port=4790)["dst_port"] == "4790"
    assert "dst_port" not in tunnel_options("geneve", "198.18.0.1", "198.18.0.2", dst_port=6081)
    assert tunnel_options("geneve", "198.18.0.1", "198.18.0.2",
                          dst_port=6082)["dst_port"] == "6082"
    with pytest.raises(ValueError):
        tunnel_options("gre", "198.18.0.1", "198.18.0.2", dst_port=4789)
    with pytest.raises(ValueError):
        tunnel_options("vxlan", "198.18.0.1", "198.18.0.2", dst_port=70000)


def test_csum_df_tos_and_extra() -> None:
    options = tunnel_options("vxlan", "198.18.0.1", "198.18.0.2", csum=True, df_default=False,
                             tos="inherit", extra={"egress_pkt_mark": "0", "in_key": "5"})
    assert options == {**BASE, "csum": "true", "df_default": "false", "tos": "inherit",
                       "egress_pkt_mark": "0", "in_key": "5"}
    assert "csum" not in tunnel_options("vxlan", "198.18.0.1", "198.18.0.2", csum=False)


def test_gre_over_ipv6_is_ip6gre_with_legacy_l2() -> None:
    assert tunnel_interface_type("gre", "fd00::1", "fd00::2") == "ip6gre"
    assert tunnel_options("gre", "fd00::1", "fd00::2")["packet_type"] == "legacy_l2"
    assert tunnel_interface_type("vxlan", "fd00::1", "fd00::2") == "vxlan"
    assert "packet_type" not in tunnel_options("vxlan", "fd00::1", "fd00::2")


def test_unknown_type_and_bad_addresses() -> None:
    with pytest.raises(ValueError):
        tunnel_options("stt", "198.18.0.1", "198.18.0.2")
    with pytest.raises(ValueError):
        tunnel_options("vxlan", "198.18.0.1", "nope")
    with pytest.raises(ValueError):
        tunnel_options("gre", "198.18.0.1", "fd00::2")


def test_pkt_mark_is_left_alone_with_hardware_offload() -> None:
    assert "egress_pkt_mark" not in tunnel_options("vxlan", "198.18.0.1", "198.18.0.2",
                                                   clear_pkt_mark=False)
