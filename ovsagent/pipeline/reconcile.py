"""Diff desired flows against installed ones into one ordered batch.

The agent never sends flow-mods on its own: it computes the flows a bridge
should hold, dumps (or remembers) what it holds, and hands the difference to
a driver as one bundle. Deletes come first and are strict and cookie-exact,
so they never touch a flow that somebody else (or a newer generation of the
agent) owns; adds overwrite an existing entry with the same key in place,
which keeps traffic flowing while actions or the cookie change.

A flow that an earlier ovsagent process installed (its cookie carries
:data:`COOKIE_TAG`) and that is otherwise identical to the desired one is
*adopted*: it stays as it is, old cookies included (br-tun's learn action
names one too), and costs no flow-mod (a restart rewrites nothing that did
not change). Flows with any other
cookie (the reference agent's, on a takeover) are overwritten.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace

from ovsagent.pipeline.flow import AddFlow, DeleteFlows, Flow, FlowFilter, FlowMod, Learn

ALL_COOKIE_BITS = 0xFFFFFFFFFFFFFFFF
COOKIE_TAG = 0x0A9E << 48  # "ovsagent" mark in the top 16 bits; the generation below
COOKIE_TAG_MASK = 0xFFFF << 48

FlowKey = tuple[int, int, object]


def is_ovsagent_cookie(cookie: int) -> bool:
    """The cookie of some ovsagent generation (see :data:`COOKIE_TAG`)."""
    return cookie & COOKIE_TAG_MASK == COOKIE_TAG


def adoptable(desired: Flow, installed: Flow) -> bool:
    """``installed`` is ``desired`` as an earlier ovsagent generation installed it:
    same table, priority, match, instructions and timeouts; only the cookies
    differ (the flow's, and those its learn actions give learned flows) and
    every one of them is ovsagent's."""
    if installed.cookie == desired.cookie or not is_ovsagent_cookie(installed.cookie) \
            or not is_ovsagent_cookie(desired.cookie):
        return False
    if desired.with_cookie(installed.cookie) == installed:
        return True
    learns = [a for a in installed.actions if isinstance(a, Learn)]
    if not learns or not all(is_ovsagent_cookie(a.cookie) for a in learns):
        return False
    return _uncookied(desired) == _uncookied(installed)


def _uncookied(f: Flow) -> Flow:
    """``f`` with cookie 0, also in its learn actions."""
    actions = tuple(replace(a, cookie=0) if isinstance(a, Learn) else a for a in f.actions)
    return replace(f, cookie=0, actions=actions)


def is_learned(f: Flow) -> bool:
    """Flows with timeouts are made by learn actions (br-tun table 20), never by us."""
    return bool(f.hard_timeout or f.idle_timeout)


def strict_delete(f: Flow) -> DeleteFlows:
    """Delete exactly this entry (table, priority, match) and only with its cookie."""
    return DeleteFlows(FlowFilter(table=f.table, match=f.match, priority=f.priority,
                                  cookie=f.cookie, cookie_mask=ALL_COOKIE_BITS), strict=True)


@dataclass(frozen=True)
class FlowPlan:
    """What :func:`plan_flows` decided: the batch, and the installed flows adopted
    in place of desired ones (by key; the switch keeps them as they are)."""

    mods: list[FlowMod]
    adopted: dict[FlowKey, Flow] = field(default_factory=dict)


def diff_flows(desired: Iterable[Flow], installed: Iterable[Flow],
               ignore: Callable[[Flow], bool] = is_learned) -> list[FlowMod]:
    """Flow-mods that turn ``installed`` into ``desired`` (see :func:`plan_flows`)."""
    return plan_flows(desired, installed, ignore).mods


def plan_flows(desired: Iterable[Flow], installed: Iterable[Flow],
               ignore: Callable[[Flow], bool] = is_learned) -> FlowPlan:
    """Flow-mods that turn ``installed`` into ``desired``.

    A desired flow equal to an installed one (cookie included) costs
    nothing, and so does one an earlier ovsagent generation installed
    identically (:func:`adoptable`; it is reported in ``adopted``); one with
    the same key but other actions or a foreign cookie is re-added (an
    in-place overwrite); installed flows whose key is not desired are
    deleted strictly. Installed flows for which ``ignore`` is true are left
    alone. Duplicated keys in ``desired``: the last one wins.
    """
    want: dict[FlowKey, Flow] = {}
    for f in desired:
        want[f.key] = f
    have: dict[FlowKey, list[Flow]] = {}
    for f in installed:
        if not ignore(f):
            have.setdefault(f.key, []).append(f)
    deletes: list[FlowMod] = []
    adds: list[FlowMod] = []
    adopted: dict[FlowKey, Flow] = {}
    for key, flows in have.items():
        if key not in want:
            deletes.extend(strict_delete(f) for f in flows)
    for key, f in want.items():
        current = have.get(key)
        if current is None or len(current) > 1:
            adds.append(AddFlow(f))
        elif current[0] != f:
            if adoptable(f, current[0]):
                adopted[key] = current[0]
            else:
                adds.append(AddFlow(f))
    return FlowPlan(deletes + adds, adopted)
