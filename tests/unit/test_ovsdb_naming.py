"""Port names derived by the OVSDB layer."""

from __future__ import annotations

import hashlib
import string

import pytest

from ovsagent.ovs.ovsdb import int_patch_name, interface_name, phy_patch_name, tunnel_port_name


def test_short_names_are_prefix_plus_name() -> None:
    assert int_patch_name("br-phys1") == "int-br-phys1"
    assert phy_patch_name("br-phys1") == "phy-br-phys1"
    assert interface_name("exactly15chars!") == "exactly15chars!"


def test_long_names_are_cut_and_hashed() -> None:
    bridge = "br-very-long-physical"
    name = int_patch_name(bridge)
    assert len(name) == 15
    digest = hashlib.sha1(bridge.encode()).hexdigest()[:6]
    assert name == "int-" + bridge[:5] + digest
    assert int_patch_name(bridge) != int_patch_name(bridge + "2")


def test_prefix_too_long_is_refused() -> None:
    with pytest.raises(ValueError):
        interface_name("x" * 20, prefix="p" * 12)


def test_ipv4_tunnel_names_are_hex_addresses() -> None:
    assert tunnel_port_name("vxlan", "198.18.0.2") == "vxlan-c6120002"
    assert tunnel_port_name("gre", "198.19.255.1") == "gre-c613ff01"
    assert tunnel_port_name("geneve", "198.18.0.10") == "geneve-c612000a"


@pytest.mark.parametrize("tunnel_type", ["vxlan", "gre", "geneve"])
def test_ipv6_tunnel_names_fit_and_are_stable(tunnel_type: str) -> None:
    name = tunnel_port_name(tunnel_type, "2001:db8::1")
    assert len(name) == 15 and name.startswith(tunnel_type + "-")
    assert set(name[len(tunnel_type) + 1:]) <= set(string.ascii_lowercase + "234567")
    assert name == tunnel_port_name(tunnel_type, "2001:db8::1")
    assert name != tunnel_port_name(tunnel_type, "2001:db8::2")


def test_bad_address_is_refused() -> None:
    with pytest.raises(ValueError):
        tunnel_port_name("vxlan", "not-an-ip")
