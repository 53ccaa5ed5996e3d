"""The immutable flow model: normalisation and identity."""

from __future__ import annotations

import pytest

from ovsagent.pipeline.flow import Masked, Match, SetField, flow, ip_match


def test_match_normalises_and_orders() -> None:
    a = Match.of({"eth_dst": "FA:16:3E:0:0:1", "in_port": "0x3"})
    b = Match.of(in_port=3, eth_dst="fa:16:3e:00:00:01")
    assert a == b
    assert [k for k, _ in a.fields] == ["in_port", "eth_dst"]


def test_full_mask_collapses_to_exact_value() -> None:
    assert Match.of(vlan_vid=(0x1001, 0x1FFF)) == Match.of(vlan_vid=0x1001)
    assert Match.of(arp_spa=("198.19.0.1", "255.255.255.255")) == Match.of(arp_spa="198.19.0.1")
    assert Match.of(vlan_vid=(0x1000, 0x1000)).get("vlan_vid") == Masked(0x1000, 0x1000)


def test_ip_match_cidr_and_host() -> None:
    assert ip_match("198.19.0.0/24") == Masked("198.19.0.0", "255.255.255.0")
    assert ip_match("198.19.0.7") == "198.19.0.7"
    assert ip_match("fd00::/64") == Masked("fd00::", "ffff:ffff:ffff:ffff::")


def test_unknown_field_and_bad_mac_rejected() -> None:
    with pytest.raises(ValueError, match="unknown match field"):
        Match.of(nw_src="198.19.0.1")
    with pytest.raises(ValueError, match="bad MAC"):
        Match.of(eth_src="fa:16:3e")


def test_flow_key_ignores_actions_and_cookie() -> None:
    f1 = flow(22, 1, {"vlan_vid": 0x1001}, [SetField("tunnel_id", 5)], cookie=1)
    f2 = flow(22, 1, {"vlan_vid": 0x1001}, [SetField("tunnel_id", 6)], cookie=2)
    assert f1.key == f2.key and f1 != f2
    assert f1.with_cookie(9).cookie == 9 and f1.with_cookie(9).actions == f1.actions


def test_ping_parse_counts_gaps_not_packets_in_flight() -> None:
    from ovsagent.testbench.vm import parse_ping

    lines = [f"64 bytes from 198.19.0.2: icmp_seq={i} ttl=64 time=0.5 ms" for i in (1, 2, 4, 5)]
    out = "\n".join([*lines, "6 packets transmitted, 4 received, 33% packet loss"])
    result = parse_ping(out)
    assert (result.sent, result.received, result.lost) == (6, 4, 1)  # seq 3 lost, 6 in flight
    quiet = parse_ping("3 packets transmitted, 2 received, 33% packet loss")
    assert quiet.lost == 1
