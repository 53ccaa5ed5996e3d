"""Diff desired flows against installed ones into one ordered batch.

The agent never sends flow-mods on its own: it computes the flows a bridge
should hold, dumps (or remembers) what it holds, and hands the difference to
a driver as one bundle. Deletes come first and are strict and cookie-exact,
so they never touch a flow that somebody else (or a newer generation of the
agent) owns; adds overwrite an existing entry with the same key in place,
which keeps traffic flowing while actions or the cookie change.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from ovsagent.pipeline.flow import AddFlow, DeleteFlows, Flow, FlowFilter, FlowMod

ALL_COOKIE_BITS = 0xFFFFFFFFFFFFFFFF


def is_learned(f: Flow) -> bool:
    """Flows with timeouts are made by learn actions (br-tun table 20), never by us."""
    return bool(f.hard_timeout or f.idle_timeout)


def strict_delete(f: Flow) -> DeleteFlows:
    """Delete exactly this entry (table, priority, match) and only with its cookie."""
    return DeleteFlows(FlowFilter(table=f.table, match=f.match, priority=f.priority,
                                  cookie=f.cookie, cookie_mask=ALL_COOKIE_BITS), strict=True)


def diff_flows(desired: Iterable[Flow], installed: Iterable[Flow],
               ignore: Callable[[Flow], bool] = is_learned) -> list[FlowMod]:
    """Flow-mods that turn ``installed`` into ``desired``.

    A desired flow equal to an installed one (cookie included) costs
    nothing; one with the same key but other actions or cookie is re-added
    (an in-place overwrite); installed flows whose key is not desired are
    deleted strictly. Installed flows for which ``ignore`` is true are left
    alone. Duplicated keys in ``desired``: the last one wins.
    """
    want: dict[tuple[int, int, object], Flow] = {}
    for f in desired:
        want[f.key] = f
    have: dict[tuple[int, int, object], list[Flow]] = {}
    for f in installed:
        if not ignore(f):
            have.setdefault(f.key, []).append(f)
    deletes: list[FlowMod] = []
    adds: list[FlowMod] = []
    for key, flows in have.items():
        if key not in want:
            deletes.extend(strict_delete(f) for f in flows)
    for key, f in want.items():
        current = have.get(key)
        if current is None or current[0] != f or len(current) > 1:
            adds.append(AddFlow(f))
    return deletes + adds
