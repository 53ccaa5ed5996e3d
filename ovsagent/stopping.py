"""Stopping several parts side by side, in bounded time.

Nothing the agent leaves half done when its process exits can harm the
dataplane or lose state: flows change in bundles (all or nothing), OVSDB in
transactions, the saved port list by an atomic rename, and the next start
resyncs with the server. oslo.messaging's consumers and reply listener, on
the other hand, notice a stop only when their poll wakes up, up to 5 s later
when idle. So a stop gives its parts a short grace together and leaves what is
still running to the process's exit (the broker then sees the connections
close).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping

LOG = logging.getLogger(__name__)


def stop_in_parallel(steps: Mapping[str, Callable[[], object]], grace: float) -> list[str]:
    """Run every step on its own daemon thread and wait at most ``grace`` s for
    all of them. Returns the names of the steps still running then; a step that
    raised is logged and counts as done."""
    deadline = time.monotonic() + grace
    threads = []
    for name, step in steps.items():
        thread = threading.Thread(target=_run, args=(name, step), daemon=True,
                                  name=f"stop {name}")
        thread.start()
        threads.append((name, thread))
    for _name, thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    left = [name for name, thread in threads if thread.is_alive()]
    if left:
        LOG.info("still stopping after %g s: %s (left to the process's exit)", grace,
                 ", ".join(left))
    return left


def _run(name: str, step: Callable[[], object]) -> None:
    try:
        step()
    except Exception:
        LOG.exception("stopping %s failed", name)
