"""Simulated hosts for tests, the lab and benchmarks.

A host is a network namespace with its own ovsdb-server and ovs-vswitchd
(userspace datapath); VMs are namespaces with a veth into a host bridge.
"""

from ovsagent.testbench.bed import Testbed
from ovsagent.testbench.host import SimHost
from ovsagent.testbench.netns import CommandError, remove_stale
from ovsagent.testbench.vm import ContinuousPing, PingResult, SimVM, plug_vm, unplug_vm

__all__ = ["CommandError", "ContinuousPing", "PingResult", "SimHost", "SimVM", "Testbed",
           "plug_vm", "remove_stale", "unplug_vm"]
