"""Is Open vSwitch the one we programmed? The canary flow says (reference/02 §7).

br-int table 23 holds one drop flow installed at setup. It is present: OVS
is as we left it. It is missing: ovs-vswitchd restarted and lost every flow.
The request fails: OVS is down (or not connected to us).
"""

from __future__ import annotations

import enum
import logging

from ovsagent.ovs.openflow.base import OpenFlowDriver
from ovsagent.pipeline.flow import FlowFilter
from ovsagent.pipeline.tables import CANARY_TABLE

LOG = logging.getLogger(__name__)


class OvsStatus(enum.Enum):
    NORMAL = "normal"
    RESTARTED = "restarted"
    DEAD = "dead"


def canary_status(driver: OpenFlowDriver, integration_bridge: str) -> OvsStatus:
    try:
        if not driver.is_connected(integration_bridge):
            return OvsStatus.DEAD
        flows = driver.dump(integration_bridge, FlowFilter(table=CANARY_TABLE))
    except Exception as exc:
        LOG.debug("canary check failed: %s", exc)
        return OvsStatus.DEAD
    return OvsStatus.NORMAL if flows else OvsStatus.RESTARTED
