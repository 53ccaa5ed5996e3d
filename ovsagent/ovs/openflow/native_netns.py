"""Run code inside a Linux network namespace, from one dedicated thread.

Network namespace membership is per thread in Linux and inherited by the
threads a thread creates. Sockets stay in the namespace they were created
in, so the native driver creates its listening socket here and serves it
from ordinary threads.
"""

from __future__ import annotations

import ctypes
import os
import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

CLONE_NEWNET = 0x40000000
NETNS_DIR = "/var/run/netns"


def run_in_netns(netns: str | None, fn: Callable[[], T]) -> T:
    """Run ``fn`` in a fresh thread that first joined network namespace ``netns``.

    ``netns`` is a name under /var/run/netns or a path; ``None`` runs ``fn``
    in the caller's namespace (still in a thread, for uniformity).
    """
    result: list[T] = []
    errors: list[BaseException] = []

    def body() -> None:
        try:
            if netns is not None:
                path = netns if "/" in netns else f"{NETNS_DIR}/{netns}"
                fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
                try:
                    libc = ctypes.CDLL(None, use_errno=True)
                    if libc.setns(fd, CLONE_NEWNET) != 0:
                        err = ctypes.get_errno()
                        raise OSError(err, f"setns({path}): {os.strerror(err)}")
                finally:
                    os.close(fd)
            result.append(fn())
        except BaseException as exc:
            errors.append(exc)

    t = threading.Thread(target=body, name=f"netns-{netns}", daemon=True)
    t.start()
    t.join()
    if errors:
        raise errors[0]
    return result[0]
