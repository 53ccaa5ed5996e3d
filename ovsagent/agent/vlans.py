"""Host-local VLAN ids for (network, segment) pairs.

Pure bookkeeping, no I/O. Ids persist across restarts through OVSDB (each
VIF's ``Port.tag`` and ``other_config:net_uuid/segmentation_id``); the agent
feeds those back here as *hints* before it processes any port, so a restart
keeps every network on the VLAN it had.
"""

from __future__ import annotations

from dataclasses import dataclass

MIN_VLAN = 1
MAX_VLAN = 4094
DEAD_VLAN = 4095


class VlanPoolExhausted(RuntimeError):
    """All 4094 local VLANs are in use."""


@dataclass(frozen=True)
class NetworkKey:
    """What gets a local VLAN: a network and one of its segments."""

    network_id: str
    segmentation_id: int | None

    @property
    def hint_key(self) -> str:
        """The reference's ``"<net>/<segid>"`` form."""
        return f"{self.network_id}/{self.segmentation_id}"


class LocalVlanAllocator:
    """Hands out 1..4094, lowest free first, honouring restored hints."""

    def __init__(self) -> None:
        self._by_key: dict[NetworkKey, int] = {}
        self._by_vlan: dict[int, NetworkKey] = {}
        self._hints: dict[NetworkKey, int] = {}
        self._next = MIN_VLAN

    def restore_hint(self, key: NetworkKey, vlan: int) -> None:
        """Remember that ``key`` used ``vlan`` before a restart (ignores 4095/invalid)."""
        if MIN_VLAN <= vlan <= MAX_VLAN and vlan not in self._hints.values():
            self._hints[key] = vlan

    def get(self, key: NetworkKey) -> int | None:
        return self._by_key.get(key)

    def allocate(self, key: NetworkKey) -> int:
        """The VLAN of ``key``, allocating one (hint first) if it has none."""
        if key in self._by_key:
            return self._by_key[key]
        vlan = self._hints.pop(key, None)
        if vlan is None or vlan in self._by_vlan:
            vlan = self._free_vlan()
        self._by_key[key] = vlan
        self._by_vlan[vlan] = key
        return vlan

    def release(self, key: NetworkKey) -> int | None:
        vlan = self._by_key.pop(key, None)
        if vlan is not None:
            del self._by_vlan[vlan]
        return vlan

    def in_use(self) -> dict[NetworkKey, int]:
        return dict(self._by_key)

    def unused_hints(self) -> dict[NetworkKey, int]:
        return dict(self._hints)

    def _free_vlan(self) -> int:
        reserved = set(self._by_vlan) | set(self._hints.values())
        for _ in range(MAX_VLAN):
            vlan = self._next
            self._next = MIN_VLAN if vlan >= MAX_VLAN else vlan + 1
            if vlan not in reserved:
                return vlan
        raise VlanPoolExhausted("no free local VLAN left (1..4094 all in use)")
