"""Flows, flow-mods and filters -> ovs-ofctl (OpenFlow 1.3) text. Pure.

One flow-mod is one line of an ``ovs-ofctl --bundle add-flows BR -`` file::

    add table=22,priority=1,cookie=0x1,vlan_vid=0x1001 actions=pop_vlan,...
    modify_strict table=0,priority=3,in_port=5 actions=...
    delete table=4,cookie=0x1/0xffffffffffffffff,tun_id=0x653
    delete_strict table=0,priority=2,in_port=7

The text uses explicit fields (``dl_type=0x0806`` rather than ``arp``) and
the same action spellings ``dump-flows`` prints, so the parser in
:mod:`ofctl_parse` reads both.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ovsagent.ovs.openflow.ofctl_fields import (
    MATCH_RENDER,
    SET_FIELD_RENDER,
    OfctlSyntaxError,
    nx_field,
    render_port,
)
from ovsagent.pipeline.flow import (
    FIELD_KINDS,
    OFPP_CONTROLLER,
    Action,
    AddFlow,
    DeleteFlows,
    Flow,
    FlowFilter,
    FlowMod,
    Learn,
    LearnLoad,
    LearnMatch,
    LearnSpec,
    Masked,
    Match,
    MatchValue,
    ModifyFlow,
    Move,
    Output,
    PopVlan,
    PushVlan,
    SetField,
)

ALL_ONES_64 = 0xFFFFFFFFFFFFFFFF


def _scalar(field: str, value: object) -> str:
    if FIELD_KINDS.get(field) == "int" or isinstance(value, int):
        if field == "in_port":
            return render_port(int(value))  # type: ignore[call-overload]
        return f"{int(value):#x}"  # type: ignore[call-overload]
    return str(value)


def render_match(match: Match) -> list[str]:
    """``field=value`` items of a match, in the model's canonical order."""
    out: list[str] = []
    for name, value in match.fields:
        key = MATCH_RENDER.get(name) or (name if name.startswith("reg") else None)
        if key is None:
            raise OfctlSyntaxError(f"match field {name!r} has no ovs-ofctl name")
        out.append(f"{key}={_match_value(name, value)}")
    return out


def _match_value(name: str, value: MatchValue) -> str:
    if isinstance(value, Masked):
        if name == "in_port":
            raise OfctlSyntaxError("in_port cannot be masked")
        return f"{_scalar(name, value.value)}/{_scalar(name, value.mask)}"
    return _scalar(name, value)


def _sub(field: str, ofs: int, n_bits: int) -> str:
    """``NXM_OF_VLAN_TCI[0..11]``-style subfield; ``[]`` for the whole field."""
    header, width = nx_field(field)
    if n_bits < 1 or ofs < 0 or ofs + n_bits > width:
        raise OfctlSyntaxError(f"bits {ofs}..{ofs + n_bits - 1} out of {header} ({width} bits)")
    if ofs == 0 and n_bits == width:
        return f"{header}[]"
    if n_bits == 1:
        return f"{header}[{ofs}]"
    return f"{header}[{ofs}..{ofs + n_bits - 1}]"


def _learn_spec(spec: LearnSpec) -> str:
    if isinstance(spec, LearnMatch):
        dst = _sub(spec.field, spec.ofs, spec.n_bits)
        if spec.src is None:
            return dst
        return f"{dst}={_sub(spec.src, spec.src_ofs, spec.n_bits)}"
    if isinstance(spec, LearnLoad):
        dst = _sub(spec.dst, spec.dst_ofs, spec.n_bits)
        if spec.value is not None:
            if spec.src is not None:
                raise OfctlSyntaxError(f"learn load into {spec.dst}: both value and src")
            return f"load:{spec.value:#x}->{dst}" if spec.value else f"load:0->{dst}"
        if spec.src is None:
            raise OfctlSyntaxError(f"learn load into {spec.dst} needs a value or a src")
        return f"load:{_sub(spec.src, spec.src_ofs, spec.n_bits)}->{dst}"
    return f"output:{_sub(spec.src, spec.src_ofs, spec.n_bits)}"


def _learn(a: Learn) -> str:
    parts = [f"table={a.table}"]
    for key in ("idle_timeout", "hard_timeout", "fin_idle_timeout", "fin_hard_timeout"):
        if getattr(a, key):
            parts.append(f"{key}={getattr(a, key)}")
    if a.priority != 0x8000:
        parts.append(f"priority={a.priority}")
    if a.cookie:
        parts.append(f"cookie={a.cookie:#x}")
    parts.extend(_learn_spec(s) for s in a.specs)
    return f"learn({','.join(parts)})"


def render_action(a: Action) -> str:
    if isinstance(a, Output):
        if a.port == OFPP_CONTROLLER:
            return f"CONTROLLER:{a.max_len}"
        name = render_port(a.port)
        return name if not name.isdigit() else f"output:{name}"
    if isinstance(a, PushVlan):
        return f"push_vlan:{a.ethertype:#06x}"
    if isinstance(a, PopVlan):
        return "pop_vlan"
    if isinstance(a, SetField):
        target = SET_FIELD_RENDER.get(a.field) or (a.field if a.field.startswith("reg") else "")
        if not target:
            raise OfctlSyntaxError(f"set_field of {a.field!r} is not supported")
        value = a.value if isinstance(a.value, str) else (
            str(a.value) if a.field in ("vlan_vid", "vlan_pcp", "arp_op") else f"{a.value:#x}")
        return f"set_field:{value}->{target}"
    if isinstance(a, Move):
        return f"move:{_sub(a.src, a.src_ofs, a.n_bits)}->{_sub(a.dst, a.dst_ofs, a.n_bits)}"
    if isinstance(a, Learn):
        return _learn(a)
    raise OfctlSyntaxError(f"unsupported action {a!r}")


def render_instructions(actions: Sequence[Action], goto: int | None) -> str:
    """The ``actions=`` value: apply-actions then ``goto_table``; ``drop`` if none."""
    parts = [render_action(a) for a in actions]
    if goto is not None:
        parts.append(f"goto_table:{goto}")
    return ",".join(parts) if parts else "drop"


def render_flow(flow: Flow) -> str:
    """``table=..,priority=..,cookie=..,[timeouts,]match actions=..`` (no verb)."""
    head = [f"table={flow.table}", f"priority={flow.priority}"]
    if flow.cookie:
        head.append(f"cookie={flow.cookie:#x}")
    if flow.idle_timeout:
        head.append(f"idle_timeout={flow.idle_timeout}")
    if flow.hard_timeout:
        head.append(f"hard_timeout={flow.hard_timeout}")
    head.extend(render_match(flow.match))
    return f"{','.join(head)} actions={render_instructions(flow.actions, flow.goto)}"


def render_filter(flt: FlowFilter | None, strict: bool = False) -> str:
    """Filter text for ``dump-flows`` / ``delete``: table, cookie/mask, out_port, match.

    ``strict`` adds the priority (0 when unset, as the native driver sends).
    """
    f = flt or FlowFilter()
    parts: list[str] = []
    if f.table is not None:
        parts.append(f"table={f.table}")
    if strict:
        parts.append(f"priority={f.priority if f.priority is not None else 0}")
    if f.cookie_mask:
        mask = "-1" if f.cookie_mask == ALL_ONES_64 else f"{f.cookie_mask:#x}"
        parts.append(f"cookie={f.cookie:#x}/{mask}")
    if f.out_port is not None:
        parts.append(f"out_port={render_port(f.out_port)}")
    parts.extend(render_match(f.match))
    return ",".join(parts)


def render_mod(mod: FlowMod) -> str:
    """One ``add``/``modify_strict``/``delete``/``delete_strict`` line (no newline).

    ``ModifyFlow`` keeps the flow's cookie (OF1.3 MODIFY_STRICT with a zero
    cookie mask: the cookie is neither a filter nor changed).
    """
    if isinstance(mod, AddFlow):
        return f"add {render_flow(mod.flow)}"
    if isinstance(mod, ModifyFlow):
        f = mod.flow
        head = [f"table={f.table}", f"priority={f.priority}", *render_match(f.match)]
        return f"modify_strict {','.join(head)} actions={render_instructions(f.actions, f.goto)}"
    if isinstance(mod, DeleteFlows):
        verb = "delete_strict" if mod.strict else "delete"
        text = render_filter(mod.filter, strict=mod.strict)
        return f"{verb} {text}" if text else verb
    raise OfctlSyntaxError(f"unsupported flow mod {mod!r}")


def render_mods(mods: Iterable[FlowMod]) -> str:
    """The stdin text for ``--bundle add-flows``: one line per mod, in order."""
    return "".join(f"{render_mod(m)}\n" for m in mods)
