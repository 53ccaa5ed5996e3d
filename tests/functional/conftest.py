"""Fixtures for functional tests: real Open vSwitch in simulated hosts."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest

from ovsagent.testbench import SimHost, Testbed, remove_stale
from ovsagent.testbench.vm import SimVM


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/functional/" in str(item.path):
            item.add_marker(pytest.mark.functional)


@pytest.fixture(scope="session", autouse=True)
def _ovs_available() -> None:
    if os.geteuid() != 0:
        pytest.skip("functional tests need root")
    for tool in ("ovsdb-server", "ovs-vswitchd", "ovs-vsctl", "ip"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} not found: run scripts/bootstrap.sh")
    remove_stale()


@pytest.fixture
def testbed() -> Iterator[Testbed]:
    bed = Testbed()
    try:
        yield bed
    finally:
        bed.teardown()


@pytest.fixture
def sim_host(testbed: Testbed) -> SimHost:
    """A fresh, started simulated host (torn down with its test bed)."""
    return testbed.add_host("h1")


@pytest.fixture
def two_hosts(testbed: Testbed) -> tuple[SimHost, SimHost]:
    """Two started hosts joined by an underlay (198.18.0.1/.2) and a physnet1 wire."""
    h1, h2 = testbed.add_host("h1"), testbed.add_host("h2")
    testbed.add_underlay()
    testbed.add_physnet("br-phys1")
    return h1, h2


@pytest.fixture
def normal_vm_pair(testbed: Testbed) -> tuple[SimHost, SimVM, SimVM]:
    """A host whose br-int forwards NORMAL, with two VMs (198.19.1.1/.2) that ping."""
    host = testbed.add_host("h1")
    host.add_bridge("br-int", fail_mode=None)
    host.ofctl("add-flow", "br-int", "priority=0,actions=NORMAL")
    a = testbed.add_vm(host, "vm-a", "fa:16:3e:00:00:01", "198.19.1.1/24", "port-a")
    b = testbed.add_vm(host, "vm-b", "fa:16:3e:00:00:02", "198.19.1.2/24", "port-b")
    assert a.wait_ping(b.ip) < 10
    return host, a, b
