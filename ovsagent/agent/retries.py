"""Ports that failed, retried with exponential back-off, then given up."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable

LOG = logging.getLogger(__name__)


class RetryTracker:
    """Attempt n waits ``base * 2**(n-1)`` s (capped); after ``max_attempts`` we give up
    until the port changes again."""

    def __init__(self, max_attempts: int = 5, base: float = 1.0, cap: float = 30.0) -> None:
        self.max_attempts = max_attempts
        self.base = base
        self.cap = cap
        self._state: dict[str, tuple[int, float]] = {}  # port -> (attempts, due time)

    def failed(self, port_ids: Iterable[str], now: float | None = None) -> list[str]:
        """Record failures; returns the ports given up on."""
        now = time.monotonic() if now is None else now
        dropped = []
        for port_id in port_ids:
            attempts = self._state.get(port_id, (0, 0.0))[0] + 1
            if attempts > self.max_attempts:
                LOG.warning("port %s failed %d times; giving up until it changes", port_id,
                            self.max_attempts)
                self._state.pop(port_id, None)
                dropped.append(port_id)
                continue
            delay = min(self.cap, self.base * 2 ** (attempts - 1))
            self._state[port_id] = (attempts, now + delay)
        return dropped

    def succeeded(self, port_ids: Iterable[str]) -> None:
        for port_id in port_ids:
            self._state.pop(port_id, None)

    def forget(self, port_ids: Iterable[str]) -> None:
        self.succeeded(port_ids)

    def due(self, now: float | None = None) -> set[str]:
        now = time.monotonic() if now is None else now
        return {p for p, (_, when) in self._state.items() if when <= now}

    def ports(self) -> set[str]:
        """Ports waiting for a retry."""
        return set(self._state)

    def attempts(self, port_id: str) -> int:
        return self._state.get(port_id, (0, 0.0))[0]

    def __len__(self) -> int:
        return len(self._state)
