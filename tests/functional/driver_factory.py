"""Build an OpenFlow driver, by name, for a bridge on a simulated host.

Used by the shared driver suite (test_openflow_drivers.py): every case runs
once per name in :data:`DRIVER_NAMES`. ``make_driver`` creates the bridge
(netdev datapath, fail_mode secure) and returns a driver that can program
it right away; the caller closes the driver.
"""

from __future__ import annotations

import time

from ovsagent.ovs.openflow.base import OpenFlowDriver
from ovsagent.ovs.openflow.native import NativeDriver
from ovsagent.ovs.openflow.ofctl import OfctlDriver
from ovsagent.testbench import SimHost

DRIVER_NAMES = ("ovs-ofctl", "native")


def make_driver(name: str, host: SimHost, bridge: str) -> OpenFlowDriver:
    if name == "ovs-ofctl":
        return _make_ofctl(host, bridge)
    if name == "native":
        return _make_native(host, bridge)
    raise ValueError(f"unknown OpenFlow driver {name!r}")


def _make_ofctl(host: SimHost, bridge: str) -> OpenFlowDriver:
    host.add_bridge(bridge)
    driver = OfctlDriver(rundir=host.rundir, timeout=60.0)
    driver.add_bridge(bridge)
    return driver


# ---------------------------------------------------------------------------
# NATIVE DRIVER: to be filled in by the native driver's author.
# Expected: create ``bridge`` on ``host`` (host.add_bridge), start a
# NativeDriver the host's ovs-vswitchd can reach, point the bridge's
# controller at it, wait for the datapath (driver.add_bridge) and return it.
# ---------------------------------------------------------------------------
def _make_native(host: SimHost, bridge: str) -> OpenFlowDriver:
    # The listener is created inside the host's namespace (its 127.0.0.1 is
    # not ours); port 0 picks a free port there.
    driver = NativeDriver(listen_address="127.0.0.1", listen_port=0, netns=host.netns,
                          request_timeout=60.0)
    try:
        host.add_bridge(bridge)
        host.vsctl("set-controller", bridge, f"tcp:127.0.0.1:{driver.listen_port}")
        deadline = time.monotonic() + 10
        dpid = host.vsctl("get", "Bridge", bridge, "datapath_id").strip('"')
        while dpid in ("", "[]") and time.monotonic() < deadline:
            time.sleep(0.05)
            dpid = host.vsctl("get", "Bridge", bridge, "datapath_id").strip('"')
        driver.add_bridge(bridge, int(dpid, 16), timeout=30.0)
    except BaseException:
        driver.close()
        raise
    return driver
