"""Desired vs installed flows -> one ordered batch."""

from __future__ import annotations

from ovsagent.agent.core import generation_cookie
from ovsagent.pipeline import br_tun
from ovsagent.pipeline.flow import AddFlow, DeleteFlows, Flow, Output, flow
from ovsagent.pipeline.reconcile import (
    COOKIE_TAG,
    diff_flows,
    is_ovsagent_cookie,
    plan_flows,
    strict_delete,
)


def _c(flows: list[Flow], cookie: int) -> list[Flow]:
    return [f.with_cookie(cookie) for f in flows]


def test_identical_sets_need_nothing() -> None:
    flows = _c(br_tun.default_flows(1, 7, True), 7)
    assert diff_flows(flows, list(reversed(flows))) == []


def test_changed_actions_are_readded_not_deleted() -> None:
    old = _c([br_tun.flood(1, 100, [2])], 7)
    new = _c([br_tun.flood(1, 100, [2, 3])], 7)
    assert diff_flows(new, old) == [AddFlow(new[0])]


def test_new_cookie_generation_overwrites_in_place() -> None:
    old = _c(br_tun.default_flows(1, 7, False), 7)
    new = _c(br_tun.default_flows(1, 8, False), 8)
    mods = diff_flows(new, old)
    assert all(isinstance(m, AddFlow) for m in mods) and len(mods) == len(new)


def test_stale_flows_deleted_first_strictly_with_their_cookie() -> None:
    keep = flow(0, 1, {"in_port": 1}, goto=2, cookie=7)
    stale = flow(0, 1, {"in_port": 9}, goto=4, cookie=5)
    add = flow(22, 0, cookie=7)
    mods = diff_flows([keep, add], [keep, stale])
    assert mods == [strict_delete(stale), AddFlow(add)]
    d = mods[0]
    assert isinstance(d, DeleteFlows) and d.strict
    assert d.filter.cookie == 5 and d.filter.cookie_mask == 2**64 - 1
    assert (d.filter.table, d.filter.priority, d.filter.match) == stale.key


def test_learned_flows_are_ignored() -> None:
    learned = Flow(20, 1, flow(20, 1, {"vlan_vid": 0x1001}).match, (Output(2),), hard_timeout=300)
    assert diff_flows([], [learned]) == []


def test_duplicate_installed_keys_with_other_cookies_are_cleaned() -> None:
    mine = flow(0, 0, cookie=7)
    theirs = flow(0, 0, cookie=5)
    mods = diff_flows([mine], [theirs])
    assert mods == [AddFlow(mine)]


def test_identical_flows_of_an_earlier_generation_are_adopted() -> None:
    old = _c(br_tun.default_flows(1, 0, False), generation_cookie(4))
    new = _c(br_tun.default_flows(1, 0, False), generation_cookie(5))
    plan = plan_flows(new, old)
    assert plan.mods == []
    assert plan.adopted == {f.key: f for f in old}  # remembered with the old cookie
    assert diff_flows(new, old) == []


def test_changed_flow_of_an_earlier_generation_is_rewritten_with_the_new_cookie() -> None:
    old = _c([br_tun.flood(1, 100, [2])], generation_cookie(4))
    new = _c([br_tun.flood(1, 100, [2, 3])], generation_cookie(5))
    plan = plan_flows(new, old)
    assert plan.mods == [AddFlow(new[0])] and plan.adopted == {}


def test_foreign_cookies_are_never_adopted() -> None:
    mine = flow(0, 1, {"in_port": 1}, goto=2, cookie=generation_cookie(5))
    theirs = mine.with_cookie(0x5A1F_0000_0000_0001)  # e.g. the reference agent's
    assert plan_flows([mine], [theirs]).mods == [AddFlow(mine)]
    assert plan_flows([mine.with_cookie(7)], [mine.with_cookie(8)]).mods == [
        AddFlow(mine.with_cookie(7))]  # neither is ovsagent's


def test_adoption_needs_identical_timeouts_and_one_installed_copy() -> None:
    want = flow(0, 1, {"in_port": 1}, goto=2, cookie=generation_cookie(5))
    old = want.with_cookie(generation_cookie(4))
    timed = Flow(old.table, old.priority, old.match, old.actions, old.goto, old.cookie,
                 idle_timeout=0, hard_timeout=30)
    assert plan_flows([want], [timed], ignore=lambda f: False).mods == [AddFlow(want)]
    twice = [old, want.with_cookie(generation_cookie(3))]
    assert plan_flows([want], twice).mods == [AddFlow(want)]


def test_cookie_tag() -> None:
    assert is_ovsagent_cookie(generation_cookie(1))
    assert is_ovsagent_cookie(generation_cookie(2**40))
    assert not is_ovsagent_cookie(0) and not is_ovsagent_cookie(0x0A9F << 48)
    assert generation_cookie(3) == COOKIE_TAG | 3


def test_learn_flow_of_an_earlier_generation_is_adopted_with_its_learn_cookie() -> None:
    def learn_flow(cookie: int) -> Flow:
        return flow(10, 1, {}, [br_tun.learn_action(cookie), Output(1)], cookie=cookie)

    old, new = learn_flow(generation_cookie(4)), learn_flow(generation_cookie(5))
    plan = plan_flows([new], [old])
    assert plan.mods == [] and plan.adopted == {old.key: old}
    foreign = flow(10, 1, {}, [br_tun.learn_action(0x77), Output(1)], cookie=generation_cookie(4))
    assert plan_flows([new], [foreign]).mods == [AddFlow(new)]  # the reference's learn cookie
    other = flow(10, 1, {}, [br_tun.learn_action(generation_cookie(4)), Output(2)],
                 cookie=generation_cookie(4))
    assert plan_flows([new], [other]).mods == [AddFlow(new)]  # other actions
