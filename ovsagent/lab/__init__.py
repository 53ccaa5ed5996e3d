"""The lab: a small real cloud on one machine (neutron-server 29, RabbitMQ,
MariaDB, simulated hosts, one L2 agent per host), for fullstack tests,
benchmarks and people. CLI: ``ovsagent-lab up | down | status | demo``.
"""

from ovsagent.lab.client import NeutronClient, NeutronError
from ovsagent.lab.lab import Lab, LabConfig
from ovsagent.lab.vms import LabVM
from ovsagent.lab.workspace import Workspace

__all__ = ["Lab", "LabConfig", "LabVM", "NeutronClient", "NeutronError", "Workspace"]
