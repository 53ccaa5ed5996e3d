"""Flows <-> os-ken OpenFlow 1.3 messages (pure: no sockets, no threads).

``encode_*`` build os-ken message objects for a datapath (anything with
``ofproto``/``ofproto_parser`` of OpenFlow 1.3, e.g. a connected
``Datapath`` or :func:`protocol_desc`); :func:`flow_from_stats` turns an
``OFPFlowStats`` entry of a flow-stats reply back into a :class:`Flow` so
that a flow installed and dumped back compares equal.

Field names: the model uses os-ken's OXM names (``eth_src``, ``tunnel_id``,
``in_port`` ...) plus NXM-only names (``vlan_tci``, ``reg6``). Open vSwitch
reports the fields of NX actions (move, learn) with their older NXM headers,
which os-ken names ``<oxm name>_nxm``; those are mapped back here.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from os_ken.lib.pack_utils import msg_pack_into
from os_ken.ofproto import ofproto_protocol, ofproto_v1_3, ofproto_v1_3_parser

from ovsagent.pipeline.flow import (
    OFPP_ANY,
    OFPP_CONTROLLER,
    OFPTT_ALL,
    Action,
    AddFlow,
    DeleteFlows,
    Flow,
    FlowFilter,
    FlowMod,
    Learn,
    LearnLoad,
    LearnMatch,
    LearnOutput,
    LearnSpec,
    Masked,
    Match,
    ModifyFlow,
    Move,
    Output,
    PopVlan,
    PushVlan,
    SetField,
)

# os-ken message objects are untyped.
Msg = Any
Datapath = Any

OFPG_ANY = 0xFFFFFFFF
OFP_NO_BUFFER = 0xFFFFFFFF
DEFAULT_MAX_LEN = Output(0).max_len

# NXM header names os-ken gives fields that also have an OXM name.
_NXM_ALIASES = {"nd_target": "ipv6_nd_target"}
# ... except where Open vSwitch keeps two distinct fields: NXM_OF_IN_PORT is
# 16 bits wide, OXM_OF_IN_PORT 32 bits; each round-trips under its own name.
_KEEP_NXM = frozenset({"in_port_nxm"})


class CodecError(ValueError):
    """A flow (or a dumped entry) cannot be expressed in the other form."""


def protocol_desc() -> Datapath:
    """A stand-in datapath for building/parsing OpenFlow 1.3 messages offline."""
    return ofproto_protocol.ProtocolDesc(version=ofproto_v1_3.OFP_VERSION)


def canonical_field(name: str) -> str:
    """``eth_src_nxm`` -> ``eth_src``, ``nd_target`` -> ``ipv6_nd_target``; else unchanged."""
    if name.endswith("_nxm") and name not in _KEEP_NXM:
        return name[: -len("_nxm")]
    return _NXM_ALIASES.get(name, name)


def field_bits(name: str) -> int:
    """Width in bits of an OXM/NXM field as os-ken names it (from its header length)."""
    buf = bytearray()
    ofproto_v1_3.oxm_serialize_header(ofproto_v1_3.oxm_from_user_header(name), buf, 0)
    return int(buf[-1]) * 8  # the header's payload length, in bytes


# ------------------------------------------------------------------ match


@functools.lru_cache(maxsize=65536)
def _oxm_tlv(name: str, value: object) -> tuple[int, bytes]:
    """(sort key, wire bytes) of one match field; fields repeat a lot, hence the cache."""
    n, v, m = ofproto_v1_3.oxm_from_user(name, value)
    buf = bytearray()
    ofproto_v1_3.oxm_serialize(n, v, m, buf, 0)
    return (n[0] if isinstance(n, tuple) else n), bytes(buf)


class _WireMatch(ofproto_v1_3_parser.OFPMatch):  # type: ignore[misc]
    """An ``OFPMatch`` serialized from cached per-field bytes.

    os-ken's own constructor normalises every value through its converters
    twice (about half of the time of building a flow-mod); the bytes are the
    same: fields sorted by OXM type so that prerequisites come first.
    """

    def __init__(self, fields: list[tuple[str, object]]) -> None:
        tlvs = sorted((_oxm_tlv(k, v) + (k, v) for k, v in fields), key=lambda t: t[0])
        super().__init__(_ordered_fields=[(k, v) for _, _, k, v in tlvs])
        self._wire = b"".join(t[1] for t in tlvs)

    def serialize(self, buf: bytearray, offset: int) -> int:
        length = 4 + len(self._wire)
        pad = -length % 8
        msg_pack_into(f"!HH{len(self._wire)}s{pad}x", buf, offset,
                      ofproto_v1_3.OFPMT_OXM, length, self._wire)
        self.length = length
        return length + pad


def encode_match(dp: Datapath, match: Match) -> Msg:
    fields: list[tuple[str, object]] = [
        (name, (value.value, value.mask) if isinstance(value, Masked) else value)
        for name, value in match.fields]
    if dp.ofproto is ofproto_v1_3:
        return _WireMatch(fields)
    return dp.ofproto_parser.OFPMatch(**dict(fields))


def decode_match(ofmatch: Msg) -> Match:
    items: dict[str, object] = {}
    for name, value in ofmatch.items():
        items[canonical_field(name)] = tuple(value) if isinstance(value, (tuple, list)) else value
    try:
        return Match.of(items)
    except ValueError as exc:
        raise CodecError(f"unsupported match: {exc}") from exc


# ---------------------------------------------------------------- actions


def _learn_spec_to_ofp(parser: Any, spec: LearnSpec) -> Msg:
    if isinstance(spec, LearnMatch):
        src = (spec.src, spec.src_ofs) if spec.src is not None else (spec.field, spec.ofs)
        return parser.NXFlowSpecMatch(src=src, dst=(spec.field, spec.ofs), n_bits=spec.n_bits)
    if isinstance(spec, LearnLoad):
        if spec.value is not None:
            lsrc: object = spec.value
        elif spec.src is not None:
            lsrc = (spec.src, spec.src_ofs)
        else:
            raise CodecError(f"learn load into {spec.dst} needs a value or a src")
        return parser.NXFlowSpecLoad(src=lsrc, dst=(spec.dst, spec.dst_ofs), n_bits=spec.n_bits)
    return parser.NXFlowSpecOutput(src=(spec.src, spec.src_ofs), n_bits=spec.n_bits, dst="")


def _learn_spec_from_ofp(spec: Msg) -> LearnSpec:
    kind = type(spec).__name__
    src = spec.src
    if kind == "NXFlowSpecMatch":
        if not isinstance(src, tuple):
            raise CodecError("learn match against an immediate value is not supported")
        field, ofs = canonical_field(spec.dst[0]), int(spec.dst[1])
        sfield, sofs = canonical_field(src[0]), int(src[1])
        if (sfield, sofs) == (field, ofs):
            return LearnMatch(field, spec.n_bits, ofs)
        return LearnMatch(field, spec.n_bits, ofs, sfield, sofs)
    if kind == "NXFlowSpecLoad":
        dst, dst_ofs = canonical_field(spec.dst[0]), int(spec.dst[1])
        if isinstance(src, tuple):
            return LearnLoad(dst, spec.n_bits, dst_ofs, canonical_field(src[0]), int(src[1]))
        return LearnLoad(dst, spec.n_bits, dst_ofs, value=int(src))
    if kind == "NXFlowSpecOutput":
        return LearnOutput(canonical_field(src[0]), spec.n_bits, int(src[1]))
    raise CodecError(f"unknown learn spec {kind}")


def encode_actions(dp: Datapath, actions: Sequence[Action]) -> list[Msg]:
    parser = dp.ofproto_parser
    out: list[Msg] = []
    for a in actions:
        if isinstance(a, Output):
            out.append(parser.OFPActionOutput(a.port, a.max_len))
        elif isinstance(a, PushVlan):
            out.append(parser.OFPActionPushVlan(a.ethertype))
        elif isinstance(a, PopVlan):
            out.append(parser.OFPActionPopVlan())
        elif isinstance(a, SetField):
            out.append(parser.OFPActionSetField(**{a.field: a.value}))
        elif isinstance(a, Move):
            out.append(parser.NXActionRegMove(src_field=a.src, dst_field=a.dst, n_bits=a.n_bits,
                                              src_ofs=a.src_ofs, dst_ofs=a.dst_ofs))
        elif isinstance(a, Learn):
            out.append(parser.NXActionLearn(
                table_id=a.table, specs=[_learn_spec_to_ofp(parser, s) for s in a.specs],
                idle_timeout=a.idle_timeout, hard_timeout=a.hard_timeout,
                priority=a.priority, cookie=a.cookie, flags=0,
                fin_idle_timeout=a.fin_idle_timeout, fin_hard_timeout=a.fin_hard_timeout))
        else:  # pragma: no cover - exhaustive over Action
            raise CodecError(f"unsupported action {a!r}")
    return out


def decode_action(act: Msg) -> Action:
    kind = type(act).__name__
    if kind == "OFPActionOutput":
        max_len = act.max_len if act.port == OFPP_CONTROLLER else DEFAULT_MAX_LEN
        return Output(act.port, max_len)
    if kind == "OFPActionPushVlan":
        return PushVlan(act.ethertype)
    if kind == "OFPActionPopVlan":
        return PopVlan()
    if kind == "OFPActionSetField":
        try:
            return SetField(canonical_field(act.key), act.value)
        except ValueError as exc:
            raise CodecError(f"unsupported set_field: {exc}") from exc
    if kind == "NXActionRegLoad":
        # OVS reports a full-width write of an NXM-only field (e.g. the
        # learned ``load:0->NXM_OF_VLAN_TCI[]``) as a register load.
        ofs, n_bits = act.ofs_nbits >> 6, (act.ofs_nbits & 0x3F) + 1
        field = canonical_field(act.dst)
        if ofs != 0 or n_bits != field_bits(act.dst):
            raise CodecError(f"partial register load into {act.dst}[{ofs}..{ofs + n_bits - 1}]")
        try:
            return SetField(field, act.value)
        except ValueError as exc:
            raise CodecError(f"unsupported load: {exc}") from exc
    if kind == "NXActionRegMove":
        return Move(canonical_field(act.src_field), canonical_field(act.dst_field), act.n_bits,
                    act.src_ofs, act.dst_ofs)
    if kind == "NXActionLearn":
        return Learn(table=act.table_id,
                     specs=tuple(_learn_spec_from_ofp(s) for s in act.specs),
                     priority=act.priority, idle_timeout=act.idle_timeout,
                     hard_timeout=act.hard_timeout, cookie=act.cookie,
                     fin_idle_timeout=act.fin_idle_timeout,
                     fin_hard_timeout=act.fin_hard_timeout)
    raise CodecError(f"unsupported action {kind}")


# ----------------------------------------------------------- instructions


def encode_instructions(dp: Datapath, flow: Flow) -> list[Msg]:
    parser, ofp = dp.ofproto_parser, dp.ofproto
    inst: list[Msg] = []
    if flow.actions:
        inst.append(parser.OFPInstructionActions(ofp.OFPIT_APPLY_ACTIONS,
                                                 encode_actions(dp, flow.actions)))
    if flow.goto is not None:
        inst.append(parser.OFPInstructionGotoTable(flow.goto))
    return inst


def decode_instructions(instructions: Sequence[Msg]) -> tuple[tuple[Action, ...], int | None]:
    actions: list[Action] = []
    goto: int | None = None
    for inst in instructions:
        kind = type(inst).__name__
        if kind == "OFPInstructionActions" and inst.type == ofproto_v1_3.OFPIT_APPLY_ACTIONS:
            actions.extend(decode_action(a) for a in inst.actions)
        elif kind == "OFPInstructionGotoTable":
            goto = inst.table_id
        else:
            raise CodecError(f"unsupported instruction {kind} (type {inst.type})")
    return tuple(actions), goto


# -------------------------------------------------------------- flow mods


def encode_flow(dp: Datapath, flow: Flow, command: int) -> Msg:
    return dp.ofproto_parser.OFPFlowMod(
        dp, cookie=flow.cookie, cookie_mask=0, table_id=flow.table, command=command,
        idle_timeout=flow.idle_timeout, hard_timeout=flow.hard_timeout,
        priority=flow.priority, buffer_id=OFP_NO_BUFFER, out_port=OFPP_ANY,
        out_group=OFPG_ANY, flags=0, match=encode_match(dp, flow.match),
        instructions=encode_instructions(dp, flow))


def encode_flow_mod(dp: Datapath, mod: FlowMod) -> Msg:
    """A fresh ``OFPFlowMod`` for ``mod`` (never reuse one: serializing is one-shot)."""
    ofp = dp.ofproto
    if isinstance(mod, AddFlow):
        return encode_flow(dp, mod.flow, ofp.OFPFC_ADD)
    if isinstance(mod, ModifyFlow):
        return encode_flow(dp, mod.flow, ofp.OFPFC_MODIFY_STRICT)
    if isinstance(mod, DeleteFlows):
        f = mod.filter
        return dp.ofproto_parser.OFPFlowMod(
            dp, cookie=f.cookie, cookie_mask=f.cookie_mask,
            table_id=OFPTT_ALL if f.table is None else f.table,
            command=ofp.OFPFC_DELETE_STRICT if mod.strict else ofp.OFPFC_DELETE,
            priority=f.priority if f.priority is not None else 0,
            buffer_id=OFP_NO_BUFFER, out_port=OFPP_ANY if f.out_port is None else f.out_port,
            out_group=OFPG_ANY, flags=0, match=encode_match(dp, f.match))
    raise CodecError(f"unsupported flow mod {mod!r}")


def encode_stats_request(dp: Datapath, flt: FlowFilter | None) -> Msg:
    f = flt or FlowFilter()
    return dp.ofproto_parser.OFPFlowStatsRequest(
        dp, flags=0, table_id=OFPTT_ALL if f.table is None else f.table,
        out_port=OFPP_ANY if f.out_port is None else f.out_port, out_group=OFPG_ANY,
        cookie=f.cookie, cookie_mask=f.cookie_mask, match=encode_match(dp, f.match))


def flow_from_stats(stats: Msg) -> Flow:
    """``OFPFlowStats`` (one entry of a flow-stats reply) -> :class:`Flow`."""
    actions, goto = decode_instructions(stats.instructions)
    return Flow(table=stats.table_id, priority=stats.priority, match=decode_match(stats.match),
                actions=actions, goto=goto, cookie=stats.cookie,
                idle_timeout=stats.idle_timeout, hard_timeout=stats.hard_timeout)
