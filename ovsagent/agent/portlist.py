"""The ports br-int held, saved under ``state_path`` for the next start.

At start the agent wants the server's details of every port already plugged
as early as possible (the server takes 1.6-3.3 s for 500), but it knows
those ports only once its OVSDB replica is in sync. The previous process
saves the port ids here whenever the set of VIFs it saw changed, so the next
one can ask for them while OVSDB is still syncing. It is only a head start:
once OVSDB is in sync the plugged ports are compared with the file, ports
the file missed are pulled then, and ports it lists that are gone cost a
needless lookup at most (docs/lifecycle.md).

The file is replaced atomically (a temporary file renamed over it), so a
reader sees the old list or the new one; a missing, unreadable or foreign
file (another integration bridge) reads as no list.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
from collections.abc import Iterable

LOG = logging.getLogger(__name__)

VERSION = 1


def port_list_path(state_path: str, host: str) -> str:
    """``<state_path>/ovsagent-ports-<host>.json`` (several agents may share a state_path
    in a lab: one file per host)."""
    return os.path.join(state_path, f"ovsagent-ports-{host}.json")


def load(path: str, bridge: str) -> list[str] | None:
    """The saved port ids of ``bridge``, or None (no file, unreadable, other bridge)."""
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        LOG.warning("saved port list %s unreadable (%s); ignored", path, exc)
        return None
    if not isinstance(data, dict) or data.get("version") != VERSION \
            or data.get("bridge") != bridge or not isinstance(data.get("ports"), list):
        LOG.warning("saved port list %s is not ours (bridge %s); ignored", path, bridge)
        return None
    return [p for p in data["ports"] if isinstance(p, str) and p]


def save(path: str, bridge: str, port_ids: Iterable[str]) -> None:
    """Write the list atomically; raises OSError."""
    directory = os.path.dirname(path) or "."
    os.makedirs(directory, exist_ok=True)
    text = json.dumps({"version": VERSION, "bridge": bridge, "ports": sorted(port_ids)})
    fd, tmp = tempfile.mkstemp(prefix=".ovsagent-ports-", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


class PortListWriter:
    """Saves the port list when it changed since the last save (loop thread)."""

    def __init__(self, path: str, bridge: str, initial: Iterable[str] | None = None) -> None:
        self.path = path
        self.bridge = bridge
        self._saved: frozenset[str] | None = frozenset(initial) if initial is not None \
            else None
        self._failing = False

    def update(self, port_ids: Iterable[str]) -> bool:
        """Save ``port_ids`` unless they are what was saved last; True if written."""
        ids = frozenset(port_ids)
        if ids == self._saved:
            return False
        try:
            save(self.path, self.bridge, ids)
        except OSError as exc:
            if not self._failing:  # once, not on every change
                LOG.warning("cannot save the port list to %s: %s", self.path, exc)
            self._failing = True
            return False
        self._failing = False
        self._saved = ids
        return True
