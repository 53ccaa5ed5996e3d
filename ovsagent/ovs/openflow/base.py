"""What every OpenFlow driver offers: atomic batches, deletes, dumps, barriers.

Two implementations share this contract and one functional test suite:
``native`` (embedded os-ken controller, OpenFlow 1.3) and ``ovs-ofctl``
(text rendered from the same flows, applied with ``--bundle``).
"""

from __future__ import annotations

import abc
from collections.abc import Sequence

from ovsagent.pipeline.flow import DeleteFlows, Flow, FlowFilter, FlowMod


class OpenFlowError(Exception):
    """An OpenFlow operation failed."""


class BundleError(OpenFlowError):
    """A batch was rejected; nothing of it was applied.

    ``mod`` is the offending flow-mod when the switch or the renderer named
    one, ``None`` when the whole batch failed (e.g. commit refused).
    """

    def __init__(self, message: str, mod: FlowMod | None = None) -> None:
        super().__init__(message)
        self.mod = mod


class BridgeNotConnected(OpenFlowError):
    """The bridge's datapath is not (or no longer) connected to the controller."""


class OpenFlowTimeout(OpenFlowError):
    """A request got no reply within ``of_request_timeout``."""


class OpenFlowDriver(abc.ABC):
    """Programs the flow tables of bridges on one Open vSwitch."""

    name: str = "abstract"

    @abc.abstractmethod
    def add_bridge(self, bridge: str, datapath_id: int | None = None,
                   timeout: float | None = None) -> None:
        """Make ``bridge`` usable by this driver.

        ``datapath_id`` is ``Bridge.datapath_id`` read from OVSDB (as int).
        The native driver waits up to ``timeout`` for that datapath to
        connect; the ofctl driver only records the name.
        """

    @abc.abstractmethod
    def apply(self, bridge: str, mods: Sequence[FlowMod]) -> None:
        """Apply ``mods`` in order, atomically (one OpenFlow bundle).

        On any error nothing is applied and :class:`BundleError` is raised
        naming the bad flow-mod. An empty batch is a no-op.
        """

    @abc.abstractmethod
    def dump(self, bridge: str, flt: FlowFilter | None = None) -> list[Flow]:
        """Flows on ``bridge`` selected by ``flt`` (table, cookie/mask, match)."""

    @abc.abstractmethod
    def barrier(self, bridge: str) -> None:
        """Return once the switch has finished every earlier request."""

    def is_connected(self, bridge: str) -> bool:
        """Whether requests to ``bridge`` can currently be served."""
        return True

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections and threads."""

    # -- conveniences built on the primitives -------------------------
    def delete(self, bridge: str, flt: FlowFilter, strict: bool = False) -> None:
        self.apply(bridge, [DeleteFlows(flt, strict)])

    def delete_by_cookie(self, bridge: str, cookie: int, mask: int = 0xFFFFFFFFFFFFFFFF) -> None:
        self.delete(bridge, FlowFilter(cookie=cookie, cookie_mask=mask))

    def delete_table(self, bridge: str, table: int) -> None:
        self.delete(bridge, FlowFilter(table=table))
