"""The flow-dump normaliser of the flow-equality test (ovsagent.lab.flowdiff). Pure."""

from __future__ import annotations

from ovsagent.lab import flowdiff as fd

SYMBOLS = fd.Symbols(ports={"tap1234": "vm:a"}, lvids={3: "vx", 4: "vl"})

TUN_DUMP = """\
 cookie=0xe486901113e6c988, duration=1.2s, table=0, n_packets=3, n_bytes=4, priority=1,in_port="patch-int" actions=goto_table:2
 cookie=0xe486901113e6c988, table=4, priority=1,tun_id=0x41a actions=push_vlan:0x8100,set_field:4099->vlan_vid,goto_table:10
 cookie=0xe486901113e6c988, table=10, priority=1 actions=learn(table=20,hard_timeout=300,priority=1,cookie=0xe486901113e6c988,NXM_OF_VLAN_TCI[0..11],NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],load:0->NXM_OF_VLAN_TCI[],load:NXM_NX_TUN_ID[]->NXM_NX_TUN_ID[],output:OXM_OF_IN_PORT[]),output:"patch-int"
 cookie=0xe486901113e6c988, table=20, priority=2,dl_vlan=3,dl_dst=fa:16:3e:f1:ba:4d actions=pop_vlan,set_field:0x41a->tun_id,output:"vxlan-c6120002"
 cookie=0xe486901113e6c988, table=20, hard_timeout=300, priority=1,vlan_tci=0x0003/0x0fff,dl_dst=fa:16:3e:f1:ba:4d actions=load:0->NXM_OF_VLAN_TCI[],load:0x41a->NXM_NX_TUN_ID[],output:"vxlan-c6120002"
 cookie=0xe486901113e6c988, table=22, priority=1,dl_vlan=9 actions=pop_vlan,set_field:0x41a->tun_id,output:"vxlan-c6120002"
"""  # noqa: E501


def test_tunnel_bridge_dump_normalised() -> None:
    assert fd.normalise(TUN_DUMP, "br-tun", SYMBOLS) == [
        "table=0 priority=1 in_port=patch-int actions=goto_table:2",
        "table=4 priority=1 tun_id=0x41a actions=push_vlan:0x8100,"
        "set_field:LV(vx)->vlan_vid,goto_table:10",
        "table=10 priority=1 actions=learn(table=20,hard_timeout=300,priority=1,"
        "cookie=<cookie>,NXM_OF_VLAN_TCI[0..11],NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],"
        "load:0->NXM_OF_VLAN_TCI[],load:NXM_NX_TUN_ID[]->NXM_NX_TUN_ID[],"
        "output:OXM_OF_IN_PORT[]),output:patch-int",
        "table=20 priority=2 dl_vlan=LV(vx),dl_dst=fa:16:3e:f1:ba:4d actions=pop_vlan,"
        "set_field:0x41a->tun_id,output:vxlan-c6120002",
        # unknown local VLAN kept visible; the learned flow (hard timeout) is gone
        "table=22 priority=1 dl_vlan=LV?9 actions=pop_vlan,set_field:0x41a->tun_id,"
        "output:vxlan-c6120002",
    ]


def test_lvids_only_where_they_are_lvids() -> None:
    """br-int matches segment ids and sets lvids; br-phys matches lvids and sets segment ids."""
    int_line = (' cookie=0x1, priority=3,in_port="int-br-phys1",dl_vlan=4 '
                "actions=set_field:4100->vlan_vid,goto_table:58")
    phys_line = (' cookie=0x1, priority=4,in_port="phy-br-phys1",dl_vlan=4 '
                 "actions=set_field:4100->vlan_vid,NORMAL")
    assert fd.normalise(int_line, "br-int", SYMBOLS) == [
        "table=0 priority=3 in_port=int-br-phys1,dl_vlan=4 "
        "actions=set_field:LV(vl)->vlan_vid,goto_table:58"]
    assert fd.normalise(phys_line, "br-phys1", SYMBOLS) == [
        "table=0 priority=4 in_port=phy-br-phys1,dl_vlan=LV(vl) "
        "actions=set_field:4100->vlan_vid,NORMAL"]


def test_vif_names_become_vm_names_and_exclusions_apply_to_symbols() -> None:
    dump = (" cookie=0x1, priority=9,in_port=tap1234 actions=goto_table:25\n"
            " cookie=0x1, priority=2,in_port=tap1234 actions=drop\n")
    drop_p9 = fd.Exclusion("p9", lambda br, f: f.priority == 9 and f.match == "in_port=vm:a")
    assert fd.normalise(dump, "br-int", SYMBOLS, [drop_p9]) == [
        "table=0 priority=2 in_port=vm:a actions=drop"]


def test_reply_headers_and_blank_lines_ignored() -> None:
    assert fd.parse_line("OFPST_FLOW reply (OF1.3) (xid=0x2):") is None
    assert fd.parse_line("   ") is None


def test_diff_and_summary() -> None:
    a = {("h1", "br-tun"): ["table=0 priority=0 actions=drop", "x"]}
    b = {("h1", "br-tun"): ["table=0 priority=0 actions=drop", "y"]}
    assert fd.diff(a, a) == ""
    text = fd.diff(a, b)
    assert "--- reference h1 br-tun" in text and "-x" in text and "+y" in text
    assert fd.diff_summary(a, b) == "h1 br-tun: -1 +1"
