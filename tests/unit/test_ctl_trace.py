"""Parsing ovs-appctl ofproto/trace (OVS 3.1 output) and building trace packets."""

from __future__ import annotations

from pathlib import Path

import pytest

from ovsagent.ctl.trace import TraceError, appctl_target, parse_trace, trace_flow

# br-int -> patch -> br-tun (nested, with the underlay bridge nested once more), then br-phys1
SAMPLE = """\
Flow: icmp,in_port=3,vlan_tci=0x0000,dl_src=fa:16:3e:00:00:01,dl_dst=fa:16:3e:00:00:02

bridge("br-int")
----------------
 0. in_port=3, priority 9, cookie 0xa9e000000000001
    goto_table:25
25. in_port=3,dl_src=fa:16:3e:00:00:01, priority 2, cookie 0xa9e000000000001
    goto_table:30
60. priority 1, cookie 0xa9e000000000001
    NORMAL
     -> no learned MAC for destination, flooding

    bridge("br-tun")
    ----------------
         0. in_port=1, priority 1, cookie 0xa9e000000000001
            goto_table:2
        22. dl_vlan=1, priority 1, cookie 0xa9e000000000001
            pop_vlan
            set_field:0x3e8->tun_id
            output:2
             -> output to native tunnel

        bridge("br-underlay")
        ---------------------
         0. priority 0
            NORMAL
             -> forwarding to learned port

bridge("br-phys1")
------------------
 0. in_port=2, priority 2, cookie 0xa9e000000000001
    drop

Final flow: unchanged
Megaflow: recirc_id=0,eth,ip,in_port=3,nw_frag=no
Datapath actions: push_vlan(vid=1,pcp=0),5,pop_vlan
"""

NO_MATCH = """\
Flow: icmp,in_port=3,vlan_tci=0x0000,dl_src=fa:16:3e:00:00:09

bridge("br-int")
----------------
 0. in_port=3, priority 9, cookie 0xa9e000000000001
    goto_table:25
25. No match.
    drop

Final flow: unchanged
Megaflow: recirc_id=0,eth,ip,in_port=3,dl_src=fa:16:3e:00:00:09,nw_frag=no
Datapath actions: drop
"""


def test_steps_follow_the_packet_across_bridges() -> None:
    t = parse_trace(SAMPLE, "in_port=3")
    assert [(s.bridge, s.table) for s in t.steps] == [
        ("br-int", 0), ("br-int", 25), ("br-int", 60), ("br-tun", 0), ("br-tun", 22),
        ("br-underlay", 0), ("br-phys1", 0)]
    first = t.steps[0]
    assert (first.match, first.priority, first.cookie) == ("in_port=3", 9, "0xa9e000000000001")
    assert t.steps[2].match == "" and t.steps[2].actions == [
        "NORMAL", "-> no learned MAC for destination, flooding"]
    assert t.steps[4].actions[:3] == ["pop_vlan", "set_field:0x3e8->tun_id", "output:2"]
    assert t.steps[5].cookie is None
    assert t.steps[6].actions == ["drop"]
    assert t.summary == {"Final flow": "unchanged",
                         "Megaflow": "recirc_id=0,eth,ip,in_port=3,nw_frag=no",
                         "Datapath actions": "push_vlan(vid=1,pcp=0),5,pop_vlan"}


def test_table_miss() -> None:
    t = parse_trace(NO_MATCH)
    assert t.steps[1].match is None and t.steps[1].actions == ["drop"]
    assert t.summary["Datapath actions"] == "drop"


def test_garbage_is_an_error() -> None:
    with pytest.raises(TraceError):
        parse_trace("ovs-appctl: something went wrong\n")


@pytest.mark.parametrize(("dst_mac", "dst_ip", "expected"), [
    (None, None, "in_port=5,dl_src=fa:16:3e:00:00:01,dl_dst=ff:ff:ff:ff:ff:ff"),
    ("fa:16:3e:00:00:02", None, "in_port=5,dl_src=fa:16:3e:00:00:01,dl_dst=fa:16:3e:00:00:02"),
    (None, "198.19.1.2", "in_port=5,dl_src=fa:16:3e:00:00:01,dl_dst=ff:ff:ff:ff:ff:ff,arp,"
     "arp_op=1,arp_spa=198.19.1.1,arp_tpa=198.19.1.2,arp_sha=fa:16:3e:00:00:01"),
    ("fa:16:3e:00:00:02", "198.19.1.2", "in_port=5,dl_src=fa:16:3e:00:00:01,"
     "dl_dst=fa:16:3e:00:00:02,icmp,nw_src=198.19.1.1,nw_dst=198.19.1.2,icmp_type=8"),
    (None, "fd00::2", "in_port=5,dl_src=fa:16:3e:00:00:01,dl_dst=33:33:ff:00:00:02,icmp6,"
     "ipv6_src=fd00::1,ipv6_dst=ff02::1:ff00:2,icmp_type=135,icmp_code=0,nd_target=fd00::2,"
     "nw_ttl=255"),
    ("fa:16:3e:00:00:02", "fd00::2", "in_port=5,dl_src=fa:16:3e:00:00:01,"
     "dl_dst=fa:16:3e:00:00:02,icmp6,ipv6_src=fd00::1,ipv6_dst=fd00::2,icmp_type=128,"
     "icmp_code=0"),
])
def test_trace_flow(dst_mac: str | None, dst_ip: str | None, expected: str) -> None:
    assert trace_flow(5, "fa:16:3e:00:00:01", ("198.19.1.1", "fd00::1"), dst_mac,
                      dst_ip) == expected


def test_trace_flow_without_fixed_ip_uses_unspecified_source() -> None:
    assert "nw_src=0.0.0.0" in trace_flow(5, "fa:16:3e:00:00:01", (), "fa:16:3e:00:00:02",
                                          "198.19.1.2")


def test_appctl_target(tmp_path: Path) -> None:
    assert appctl_target(tmp_path) == "ovs-vswitchd"
    (tmp_path / "ovs-vswitchd.pid").write_text("4242\n")
    assert appctl_target(tmp_path) == str(tmp_path / "ovs-vswitchd.4242.ctl")
    (tmp_path / "ovs-vswitchd.ctl").touch()  # --unixctl=RUNDIR/ovs-vswitchd.ctl wins
    assert appctl_target(tmp_path) == str(tmp_path / "ovs-vswitchd.ctl")
