"""Flow <-> os-ken OpenFlow 1.3 messages, through the wire format and back.

Each flow is encoded as an OFPFlowMod, serialized, parsed back by os-ken,
re-framed as the OFPFlowStats entry a switch would report for it (same match
and instruction bytes) and decoded: the result must equal the original.
The flows are those of reference/03-flow-pipeline.md.
"""

from __future__ import annotations

import struct

import pytest
from os_ken.ofproto import ofproto_parser, ofproto_v1_3, ofproto_v1_3_parser

from ovsagent.ovs.openflow import native_codec as codec
from ovsagent.pipeline.flow import (
    OFPP_ANY,
    OFPP_CONTROLLER,
    OFPP_IN_PORT,
    OFPP_NORMAL,
    OFPTT_ALL,
    AddFlow,
    DeleteFlows,
    Flow,
    FlowFilter,
    Learn,
    LearnLoad,
    LearnMatch,
    LearnOutput,
    Masked,
    Match,
    ModifyFlow,
    Move,
    Output,
    PopVlan,
    PushVlan,
    SetField,
    flow,
    ip_match,
)

ofp = ofproto_v1_3
parser = ofproto_v1_3_parser
DP = codec.protocol_desc()
COOKIE = 0x5E5E_1234_ABCD_0001


def vid(n: int) -> int:
    return 0x1000 | n


def tun_learn() -> Learn:
    return Learn(table=20, priority=1, hard_timeout=300, cookie=COOKIE, specs=(
        LearnMatch("vlan_tci", 12),
        LearnMatch("eth_dst", 48, src="eth_src"),
        LearnLoad("vlan_tci", 16, value=0),
        LearnLoad("tunnel_id", 64, src="tunnel_id"),
        LearnOutput("in_port", 32),
    ))


def arp_responder(lvid: int, ip: str, mac: str) -> Flow:
    return flow(21, 1, {"vlan_vid": vid(lvid), "eth_type": 0x0806, "arp_tpa": ip}, [
        SetField("arp_op", 2), Move("arp_sha", "arp_tha", 48), Move("arp_spa", "arp_tpa", 32),
        SetField("arp_sha", mac), SetField("arp_spa", ip), Move("eth_src", "eth_dst", 48),
        SetField("eth_src", mac), Output(OFPP_IN_PORT)])


REFERENCE_FLOWS: list[Flow] = [
    # br-int defaults
    flow(23, 0),                                                  # canary: drop
    flow(0, 0, goto=58), flow(58, 0, goto=59), flow(59, 0, goto=60),
    flow(60, 1, actions=[Output(OFPP_NORMAL)]),
    flow(0, 65535, {"vlan_vid": vid(4095)}),
    flow(62, 3, actions=[Output(OFPP_NORMAL)]),
    flow(0, 2, {"in_port": 7}),
    # local VLAN provisioning: vlan and flat
    flow(0, 3, {"in_port": 7, "vlan_vid": vid(193)}, [SetField("vlan_vid", vid(1))], goto=58),
    flow(0, 3, {"in_port": 7, "vlan_vid": Masked(0, 0x1FFF)},
         [PushVlan(0x8100), SetField("vlan_vid", vid(2))], goto=58),
    # anti-spoofing
    flow(25, 2, {"in_port": 5, "eth_src": "FA:16:3E:00:00:05"}, goto=30),
    flow(0, 9, {"in_port": 5}, goto=25),
    flow(24, 2, {"in_port": 5, "eth_type": 0x86DD, "ip_proto": 58, "icmpv6_type": 136,
                 "ipv6_nd_target": "fd00::5"}, goto=58),
    flow(24, 2, {"in_port": 5, "eth_type": 0x86DD, "ip_proto": 58, "icmpv6_type": 136,
                 "ipv6_nd_target": ip_match("fe80::/64")}, goto=58),
    flow(0, 10, {"in_port": 5, "eth_type": 0x86DD, "ip_proto": 58, "icmpv6_type": 136},
         goto=24),
    flow(24, 2, {"in_port": 5, "eth_type": 0x0806, "arp_spa": "198.19.0.5"}, goto=25),
    flow(24, 2, {"in_port": 5, "eth_type": 0x0806, "arp_spa": ip_match("198.19.8.0/22")},
         goto=25),
    flow(0, 10, {"in_port": 5, "eth_type": 0x0806}, goto=24),
    # br-tun
    flow(0, 1, {"in_port": 1}, goto=2),
    flow(2, 1, {"eth_type": 0x0806, "eth_dst": "ff:ff:ff:ff:ff:ff"}, goto=21),
    flow(2, 0, {"eth_dst": Masked("00:00:00:00:00:00", "01:00:00:00:00:00")}, goto=20),
    flow(2, 0, {"eth_dst": Masked("01:00:00:00:00:00", "01:00:00:00:00:00")}, goto=22),
    flow(10, 2, {"eth_type": 0x0806, "arp_tha": "ff:ff:ff:ff:ff:ff"},
         [tun_learn(), Output(1)]),
    flow(10, 2, {"eth_type": 0x86DD, "ip_proto": 58, "icmpv6_type": 134},
         [tun_learn(), Output(1)]),
    flow(10, 1, actions=[tun_learn(), Output(1)]),
    flow(4, 1, {"tunnel_id": 0x653}, [PushVlan(), SetField("vlan_vid", vid(1))], goto=10),
    flow(22, 1, {"vlan_vid": vid(1)},
         [PopVlan(), SetField("tunnel_id", 0x653)] + [Output(p) for p in range(2, 42)]),
    flow(20, 2, {"vlan_vid": vid(1), "eth_dst": "fa:16:3e:6e:f4:4a"},
         [PopVlan(), SetField("tunnel_id", 0x653), Output(2)]),
    arp_responder(1, "198.19.0.7", "FA:16:3E:6E:F4:4A"),
    # br-phys
    flow(0, 4, {"in_port": 2, "vlan_vid": vid(2)}, [SetField("vlan_vid", vid(193)),
                                                    Output(OFPP_NORMAL)]),
    flow(0, 4, {"in_port": 2, "vlan_vid": vid(3)}, [PopVlan(), Output(OFPP_NORMAL)]),
    # odds and ends the model supports
    flow(60, 9, {"in_port": 5, "eth_src": "fa:16:3e:00:00:05"},
         [SetField("reg6", 3)], goto=61),
    flow(61, 12, {"reg6": 3, "eth_dst": "fa:16:3e:00:00:06"}, [Output(5)]),
    flow(5, 7, {"metadata": Masked(0x10, 0xF0), "eth_type": 0x0800, "ip_proto": 1,
                "icmpv4_type": 8, "ipv4_src": ip_match("198.18.0.0/16"),
                "ipv4_dst": "198.18.0.9", "vlan_pcp": 3, "vlan_vid": vid(9)},
         [Output(OFPP_CONTROLLER, 128)]),
    flow(6, 1, {"eth_type": 0x86DD, "ipv6_src": ip_match("fd00:1::/48"), "ipv6_dst": "fd00::1"},
         [Output(3)]),
    flow(7, 1, {"eth_type": 0x0806, "arp_op": 1, "arp_sha": "fa:16:3e:00:00:01",
                "arp_tpa": "198.19.0.1", "arp_tha": "00:00:00:00:00:00", "reg5": 9},
         [Output(4)]),
    Flow(20, 1, Match.of({"vlan_vid": vid(1), "eth_dst": "fa:16:3e:6e:f4:4a"}),
         (Output(2),), cookie=COOKIE, idle_timeout=10, hard_timeout=300),
    Flow(30, 0, goto=58, cookie=0xFFFF_FFFF_FFFF_FFFF),
    # what a learned br-tun flow looks like
    Flow(20, 1, Match.of({"vlan_vid": Masked(5, 0xFFF), "eth_dst": "fa:16:3e:12:34:56"}),
         (SetField("vlan_tci", 0), SetField("tunnel_id", 0x653), Output(2)),
         cookie=COOKIE, hard_timeout=300),
]


def wire_roundtrip(msg: object) -> object:
    """Serialize an os-ken message and parse the bytes back with os-ken."""
    msg.set_xid(0x1234)  # type: ignore[attr-defined]
    msg.serialize()  # type: ignore[attr-defined]
    buf = bytes(msg.buf)  # type: ignore[attr-defined]
    version, msg_type, msg_len, xid = ofproto_parser.header(buf)
    assert msg_len == len(buf)
    return ofproto_parser.msg(DP, version, msg_type, msg_len, xid, buf)


def as_flow_stats(fm_bytes: bytes) -> object:
    """The OFPFlowStats entry a switch reports for the flow a flow-mod installed."""
    (cookie, _cmask, table, _cmd, idle, hard, prio, _buf, _outp, _outg,
     flags) = struct.unpack_from(ofp.OFP_FLOW_MOD_PACK_STR0, fm_bytes, ofp.OFP_HEADER_SIZE)
    tail = fm_bytes[ofp.OFP_FLOW_MOD_SIZE - ofp.OFP_MATCH_SIZE:]  # match + instructions
    head = struct.pack(ofp.OFP_FLOW_STATS_0_PACK_STR, ofp.OFP_FLOW_STATS_0_SIZE + len(tail),
                       table, 1, 500, prio, idle, hard, flags, cookie, 10, 640)
    return parser.OFPFlowStats.parser(head + tail, 0)


def roundtrip(f: Flow) -> Flow:
    fm = codec.encode_flow_mod(DP, AddFlow(f))
    parsed = wire_roundtrip(fm)
    assert isinstance(parsed, parser.OFPFlowMod)
    assert (parsed.table_id, parsed.priority, parsed.cookie, parsed.command) == (
        f.table, f.priority, f.cookie, ofp.OFPFC_ADD)
    return codec.flow_from_stats(as_flow_stats(bytes(fm.buf)))


@pytest.mark.parametrize("f", REFERENCE_FLOWS, ids=lambda f: f"t{f.table}p{f.priority}")
def test_flow_roundtrip(f: Flow) -> None:
    assert roundtrip(f) == f


@pytest.mark.parametrize("f", REFERENCE_FLOWS[:8], ids=lambda f: f"t{f.table}p{f.priority}")
def test_roundtrip_keeps_cookie(f: Flow) -> None:
    assert roundtrip(f.with_cookie(COOKIE)) == f.with_cookie(COOKIE)


def test_flood_flow_with_many_outputs_keeps_order() -> None:
    ports = [9, 3, 200, 4, 65000, 17]
    f = flow(22, 1, {"vlan_vid": vid(5)},
             [PopVlan(), SetField("tunnel_id", 0xFFFFFF)] + [Output(p) for p in ports])
    back = roundtrip(f)
    assert [a.port for a in back.actions if isinstance(a, Output)] == ports


def test_learn_fields_are_encoded_as_given() -> None:
    fm = codec.encode_flow_mod(DP, AddFlow(flow(10, 1, actions=[tun_learn()])))
    learn = fm.instructions[0].actions[0]
    assert isinstance(learn, parser.NXActionLearn)
    assert (learn.table_id, learn.priority, learn.hard_timeout, learn.idle_timeout) == (
        20, 1, 300, 0)
    assert learn.cookie == COOKIE
    kinds = [type(s).__name__ for s in learn.specs]
    assert kinds == ["NXFlowSpecMatch", "NXFlowSpecMatch", "NXFlowSpecLoad",
                     "NXFlowSpecLoad", "NXFlowSpecOutput"]
    assert learn.specs[0].src == learn.specs[0].dst == ("vlan_tci", 0)
    assert learn.specs[1].src == ("eth_src", 0) and learn.specs[1].dst == ("eth_dst", 0)
    assert learn.specs[2].src == 0 and learn.specs[2].n_bits == 16
    assert learn.specs[4].src == ("in_port", 0) and learn.specs[4].n_bits == 32


def test_empty_flow_is_drop_without_instructions() -> None:
    fm = codec.encode_flow_mod(DP, AddFlow(flow(23, 0)))
    assert fm.instructions == []
    assert roundtrip(flow(23, 0)).actions == ()


def test_instruction_order_apply_then_goto() -> None:
    fm = codec.encode_flow_mod(DP, AddFlow(flow(4, 1, {"tunnel_id": 5}, [PushVlan()], goto=10)))
    assert [type(i).__name__ for i in fm.instructions] == [
        "OFPInstructionActions", "OFPInstructionGotoTable"]
    assert fm.instructions[0].type == ofp.OFPIT_APPLY_ACTIONS


# --------------------------------------------------------- decode normalisation


def stats_with(actions: list[object], match: object | None = None) -> object:
    return parser.OFPFlowStats(table_id=3, priority=9, idle_timeout=0, hard_timeout=0, flags=0,
                               cookie=1, match=match or parser.OFPMatch(),
                               instructions=[parser.OFPInstructionActions(
                                   ofp.OFPIT_APPLY_ACTIONS, actions)])


def test_nxm_names_from_the_switch_map_to_model_names() -> None:
    """OVS reports move/learn fields with NXM headers (os-ken: ``*_nxm``)."""
    acts = [parser.NXActionRegMove("eth_src_nxm", "eth_dst_nxm", 48),
            parser.NXActionLearn(table_id=20, priority=1, hard_timeout=300, specs=[
                parser.NXFlowSpecMatch(src=("vlan_tci", 0), dst=("vlan_tci", 0), n_bits=12),
                parser.NXFlowSpecMatch(src=("eth_src_nxm", 0), dst=("eth_dst_nxm", 0),
                                       n_bits=48),
                parser.NXFlowSpecLoad(src=0, dst=("vlan_tci", 0), n_bits=16),
                parser.NXFlowSpecLoad(src=("tunnel_id_nxm", 0), dst=("tunnel_id_nxm", 0),
                                      n_bits=64),
                parser.NXFlowSpecOutput(src=("in_port", 0), dst="", n_bits=32)])]
    got = codec.flow_from_stats(stats_with(acts))
    assert got.actions == (Move("eth_src", "eth_dst", 48),
                           Learn(table=20, priority=1, hard_timeout=300,
                                 specs=tun_learn().specs))


def test_full_width_register_load_is_a_set_field() -> None:
    """OVS reports ``load:0->NXM_OF_VLAN_TCI[]`` (learned flows) as NXAST_REG_LOAD."""
    acts = [parser.NXActionRegLoad(ofs_nbits=(0 << 6) | 15, dst="vlan_tci", value=0),
            parser.NXActionRegLoad(ofs_nbits=63, dst="tunnel_id_nxm", value=0x653),
            parser.NXActionRegLoad(ofs_nbits=31, dst="reg6", value=7)]
    got = codec.flow_from_stats(stats_with(acts))
    assert got.actions == (SetField("vlan_tci", 0), SetField("tunnel_id", 0x653),
                           SetField("reg6", 7))
    with pytest.raises(codec.CodecError):  # a partial load has no model equivalent
        codec.flow_from_stats(stats_with([parser.NXActionRegLoad(
            ofs_nbits=(4 << 6) | 7, dst="reg6", value=1)]))


def test_field_bits() -> None:
    assert [codec.field_bits(n) for n in ("vlan_tci", "tunnel_id", "in_port", "in_port_nxm",
                                          "reg6", "eth_dst_nxm")] == [16, 64, 32, 16, 32, 48]


def test_in_port_nxm_is_kept_distinct() -> None:
    # NXM_OF_IN_PORT (16 bits) and OXM_OF_IN_PORT (32 bits) are different OVS fields.
    assert codec.canonical_field("in_port_nxm") == "in_port_nxm"
    assert codec.canonical_field("arp_sha_nxm") == "arp_sha"
    assert codec.canonical_field("nd_target") == "ipv6_nd_target"
    assert codec.canonical_field("reg6") == "reg6"


def test_output_max_len_only_kept_for_controller() -> None:
    got = codec.flow_from_stats(stats_with([parser.OFPActionOutput(3, 0),
                                            parser.OFPActionOutput(OFPP_CONTROLLER, 0)]))
    assert got.actions == (Output(3), Output(OFPP_CONTROLLER, 0))


def test_masked_match_from_switch_is_normalised() -> None:
    m = parser.OFPMatch(vlan_vid=(0x1005, 0x1FFF), eth_dst=("FA:16:3E:00:00:01",
                                                           "ff:ff:ff:ff:ff:ff"),
                        arp_spa=("198.19.0.0", "255.255.255.0"), eth_type=0x0806)
    got = codec.flow_from_stats(stats_with([], m))
    assert got.match == Match.of({"vlan_vid": vid(5), "eth_dst": "fa:16:3e:00:00:01",
                                  "eth_type": 0x0806, "arp_spa": ip_match("198.19.0.0/24")})


@pytest.mark.parametrize("inst", [
    parser.OFPInstructionActions(ofp.OFPIT_WRITE_ACTIONS, [parser.OFPActionOutput(1)]),
    parser.OFPInstructionWriteMetadata(1, 1),
])
def test_unsupported_instructions_raise(inst: object) -> None:
    st = parser.OFPFlowStats(table_id=0, priority=1, idle_timeout=0, hard_timeout=0, flags=0,
                             cookie=0, match=parser.OFPMatch(), instructions=[inst])
    with pytest.raises(codec.CodecError):
        codec.flow_from_stats(st)


def test_unsupported_action_raises() -> None:
    with pytest.raises(codec.CodecError):
        codec.flow_from_stats(stats_with([parser.OFPActionGroup(1)]))
    with pytest.raises(codec.CodecError):
        codec.flow_from_stats(stats_with([parser.NXActionResubmitTable(in_port=0xFFF8,
                                                                       table_id=3)]))


def test_unsupported_match_field_raises() -> None:
    with pytest.raises(codec.CodecError):
        codec.flow_from_stats(stats_with([], parser.OFPMatch(tcp_dst=80, ip_proto=6,
                                                             eth_type=0x0800)))


# ------------------------------------------------------------------ flow mods


def test_modify_is_strict_and_keeps_cookie_out_of_the_selection() -> None:
    f = flow(0, 3, {"in_port": 7}, [Output(2)], cookie=COOKIE)
    fm = wire_roundtrip(codec.encode_flow_mod(DP, ModifyFlow(f)))
    assert fm.command == ofp.OFPFC_MODIFY_STRICT
    assert (fm.table_id, fm.priority, fm.cookie_mask) == (0, 3, 0)
    assert dict(fm.match.items()) == {"in_port": 7}


@pytest.mark.parametrize(("mod", "expect"), [
    (DeleteFlows(FlowFilter()),
     dict(command=ofp.OFPFC_DELETE, table_id=OFPTT_ALL, cookie=0, cookie_mask=0,
          out_port=OFPP_ANY, match={})),
    (DeleteFlows(FlowFilter(table=24, match=Match.of(in_port=5), cookie=COOKIE,
                            cookie_mask=0xFFFFFFFFFFFFFFFF)),
     dict(command=ofp.OFPFC_DELETE, table_id=24, cookie=COOKIE,
          cookie_mask=0xFFFFFFFFFFFFFFFF, out_port=OFPP_ANY, match={"in_port": 5})),
    (DeleteFlows(FlowFilter(table=0, priority=2, match=Match.of(in_port=5)), strict=True),
     dict(command=ofp.OFPFC_DELETE_STRICT, table_id=0, priority=2, match={"in_port": 5})),
    (DeleteFlows(FlowFilter(out_port=9)),
     dict(command=ofp.OFPFC_DELETE, out_port=9, table_id=OFPTT_ALL)),
    (DeleteFlows(FlowFilter(table=21, match=Match.of(vlan_vid=vid(1), eth_type=0x0806))),
     dict(command=ofp.OFPFC_DELETE, table_id=21,
          match={"vlan_vid": vid(1), "eth_type": 0x0806})),
])
def test_delete_encoding(mod: DeleteFlows, expect: dict[str, object]) -> None:
    fm = wire_roundtrip(codec.encode_flow_mod(DP, mod))
    assert fm.instructions == []
    assert fm.out_group == codec.OFPG_ANY
    for key, value in expect.items():
        got = dict(fm.match.items()) if key == "match" else getattr(fm, key)
        assert got == value, key


def test_stats_request_encoding() -> None:
    flt = FlowFilter(table=22, match=Match.of(vlan_vid=vid(1)), cookie=COOKIE,
                     cookie_mask=0xFFFF)
    req = codec.encode_stats_request(DP, flt)
    req.set_xid(7)
    req.serialize()
    assert (req.table_id, req.cookie, req.cookie_mask, req.out_port) == (
        22, COOKIE, 0xFFFF, OFPP_ANY)
    assert dict(req.match.items()) == {"vlan_vid": vid(1)}
    everything = codec.encode_stats_request(DP, None)
    assert (everything.table_id, everything.cookie_mask) == (OFPTT_ALL, 0)
    assert dict(everything.match.items()) == {}


def test_encode_is_fresh_each_time() -> None:
    """A serialized os-ken message must not be sent twice: every call builds a new one."""
    mod = AddFlow(flow(0, 1, {"in_port": 1}, [Output(2)]))
    a, b = codec.encode_flow_mod(DP, mod), codec.encode_flow_mod(DP, mod)
    assert a is not b
    a.set_xid(1)
    a.serialize()
    b.set_xid(2)
    b.serialize()
    assert bytes(a.buf)[8:] == bytes(b.buf)[8:]


def test_bundle_add_carries_the_flow_mod() -> None:
    fm = codec.encode_flow_mod(DP, AddFlow(REFERENCE_FLOWS[-3]))
    add = parser.ONFBundleAddMsg(DP, 5, ofp.ONF_BF_ATOMIC | ofp.ONF_BF_ORDERED, fm, [])
    add.set_xid(99)
    add.serialize()
    inner = bytes(add.buf)[ofp.OFP_EXPERIMENTER_HEADER_SIZE + ofp.ONF_BUNDLE_ADD_MSG_SIZE:]
    version, msg_type, msg_len, xid = ofproto_parser.header(inner)
    assert (msg_type, xid) == (ofp.OFPT_FLOW_MOD, 99)
    back = ofproto_parser.msg(DP, version, msg_type, msg_len, xid, inner[:msg_len])
    assert codec.flow_from_stats(as_flow_stats(bytes(back.buf))) == REFERENCE_FLOWS[-3]


@pytest.mark.parametrize("f", REFERENCE_FLOWS, ids=lambda f: f"t{f.table}p{f.priority}")
def test_fast_match_serializes_like_os_ken(f: Flow) -> None:
    fast = codec.encode_match(DP, f.match)
    stock = parser.OFPMatch(**{k: (v.value, v.mask) if isinstance(v, Masked) else v
                               for k, v in f.match.fields})
    a, b = bytearray(), bytearray()
    assert fast.serialize(a, 0) == stock.serialize(b, 0)
    assert a == b
    assert fast.length == stock.length
