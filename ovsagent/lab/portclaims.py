"""Machine-wide claims on the TCP ports labs pick, so that two labs started at
the same moment never choose the same free port (a port is only *used* once
the service listens, seconds after it was found free).

Claims live in one JSON file, ``{"port": "lab root"}``, read and written under
an exclusive flock. A claim whose lab has no ``state.json`` any more (taken
down, or its directory removed) is void.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

DEFAULT_DIR = Path(os.environ.get("OVSAGENT_LAB_CLAIMS_DIR", "/run/ovsagent-lab"))


class PortClaims:
    def __init__(self, directory: Path = DEFAULT_DIR) -> None:
        self.file = directory / "ports.json"
        self.lock = directory / "ports.lock"

    @contextmanager
    def _locked(self) -> Iterator[dict[int, str]]:
        self.file.parent.mkdir(parents=True, exist_ok=True)
        with open(self.lock, "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                raw = json.loads(self.file.read_text()) if self.file.exists() else {}
            except (OSError, ValueError):
                raw = {}
            claims = {int(port): str(root) for port, root in raw.items()
                      if (Path(root) / "state.json").exists()}
            yield claims
            tmp = self.file.with_suffix(".tmp")
            tmp.write_text(json.dumps({str(p): r for p, r in sorted(claims.items())}))
            tmp.replace(self.file)

    def claim(self, root: Path, pick: Callable[[set[int]], dict[str, int]]) -> dict[str, int]:
        """Call ``pick(ports claimed by other labs)`` under the lock and record what
        it chose for ``root`` (replacing the lab's earlier claims)."""
        me = str(root)
        with self._locked() as claims:
            others = {port for port, owner in claims.items() if owner != me}
            chosen = pick(others)
            for port in [p for p, owner in claims.items() if owner == me]:
                del claims[port]
            claims.update({port: me for port in chosen.values()})
        return chosen

    def release(self, root: Path) -> None:
        me = str(root)
        with self._locked() as claims:
            for port in [p for p, owner in claims.items() if owner == me]:
                del claims[port]
