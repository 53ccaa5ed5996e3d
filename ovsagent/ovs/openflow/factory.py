"""Pick the OpenFlow driver named by ``[ovs] of_interface``."""

from __future__ import annotations

import os

from oslo_config import cfg

from ovsagent.ovs.openflow.base import OpenFlowDriver

DEFAULT_RUNDIR = "/var/run/openvswitch"


def make_driver(conf: cfg.ConfigOpts, netns: str | None = None) -> OpenFlowDriver:
    """Build the configured driver; imports only the one that is used (RSS)."""
    ovs = conf.ovs
    if ovs.of_interface == "ovs-ofctl":
        from ovsagent.ovs.openflow.ofctl import OfctlDriver

        return OfctlDriver(rundir=os.environ.get("OVS_RUNDIR", DEFAULT_RUNDIR),
                           timeout=float(ovs.of_request_timeout))
    from ovsagent.ovs.openflow.native import NativeDriver

    return NativeDriver(listen_address=ovs.of_listen_address, listen_port=ovs.of_listen_port,
                        request_timeout=float(ovs.of_request_timeout), netns=netns)
