"""Local VLAN allocation, restore hints and reclaim."""

from __future__ import annotations

import pytest

from ovsagent.agent.vlans import LocalVlanAllocator, NetworkKey, VlanPoolExhausted


def test_allocates_lowest_first_and_is_stable() -> None:
    a = LocalVlanAllocator()
    n1, n2 = NetworkKey("net1", 1000), NetworkKey("net2", None)
    assert (a.allocate(n1), a.allocate(n2), a.allocate(n1)) == (1, 2, 1)
    assert a.in_use() == {n1: 1, n2: 2}


def test_hints_survive_restart_and_are_not_given_to_others() -> None:
    a = LocalVlanAllocator()
    old = NetworkKey("net-old", 101)
    a.restore_hint(old, 1)
    a.restore_hint(NetworkKey("x", 1), 4095)  # dead VLAN is never a hint
    assert a.allocate(NetworkKey("net-new", 5)) == 2
    assert a.allocate(old) == 1
    assert a.unused_hints() == {}


def test_release_returns_vlan_to_pool_eventually() -> None:
    a = LocalVlanAllocator()
    keys = [NetworkKey(f"n{i}", i) for i in range(4094)]
    for k in keys:
        a.allocate(k)
    with pytest.raises(VlanPoolExhausted):
        a.allocate(NetworkKey("one-too-many", 1))
    assert a.release(keys[10]) == 11
    assert a.allocate(NetworkKey("reuse", 1)) == 11
