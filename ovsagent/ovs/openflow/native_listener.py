"""The native driver's TCP listener and the datapaths it accepted."""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
from typing import Any

from os_ken.controller.handler import DEAD_DISPATCHER, MAIN_DISPATCHER

from ovsagent.ovs.openflow.native_app import _Datapath, ensure_controller
from ovsagent.ovs.openflow.native_netns import run_in_netns

LOG = logging.getLogger(__name__)


class Listener:
    """A TCP listener (optionally in a netns) and the datapaths it accepted."""

    def __init__(self, address: str, port: int, netns: str | None = None) -> None:
        ensure_controller()
        self.address, self.port, self.netns = address, port, netns
        family = socket.AF_INET6 if ":" in address else socket.AF_INET

        def make() -> socket.socket:
            s = socket.socket(family, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind((address, port))
                s.listen(64)
            except BaseException:
                s.close()
                raise
            return s

        self._sock = run_in_netns(netns, make)
        self.port = self._sock.getsockname()[1]
        self._cond = threading.Condition()
        self._current: dict[int, _Datapath] = {}  # dpid -> live datapath (MAIN)
        self._all: set[_Datapath] = set()
        self._closed = False
        self._thread = threading.Thread(target=self._accept_loop, daemon=True,
                                        name=f"of-listen-{address}:{self.port}")
        self._thread.start()

    def _accept_loop(self) -> None:
        while not self._closed:
            try:
                sock, addr = self._sock.accept()
            except OSError:
                if self._closed:
                    return
                continue
            if self._closed:
                sock.close()
                return
            threading.Thread(target=self._serve, args=(sock, addr), daemon=True,
                             name=f"of-dp-{addr}").start()

    def _serve(self, sock: socket.socket, addr: Any) -> None:
        try:
            dp = _Datapath(sock, addr, self)
        except Exception:
            LOG.exception("cannot set up connection from %s", addr)
            sock.close()
            return
        with self._cond:
            self._all.add(dp)
        try:
            dp.serve()
        except Exception:
            LOG.exception("connection %s (dpid %s) failed", addr, dp.id_str())
        finally:
            dp.close()  # -> DEAD_DISPATCHER (no-op if already)
            with self._cond:
                self._all.discard(dp)

    def on_state(self, dp: _Datapath, state: Any) -> None:
        stale: _Datapath | None = None
        with self._cond:
            if state == MAIN_DISPATCHER and dp.id is not None and not self._closed:
                stale = self._current.get(dp.id)
                self._current[dp.id] = dp
                LOG.info("datapath %s connected from %s", dp.id_str(), dp.address)
            elif (state == DEAD_DISPATCHER and dp.id is not None
                  and self._current.get(dp.id) is dp):
                del self._current[dp.id]
                LOG.info("datapath %s disconnected", dp.id_str())
            self._cond.notify_all()
        if stale is not None and stale is not dp:
            stale.terminate()

    def get(self, dpid: int) -> _Datapath | None:
        with self._cond:
            dp = self._current.get(dpid)
        return dp if dp is not None and dp.is_active else None

    def wait_for(self, dpid: int, timeout: float | None) -> _Datapath | None:
        with self._cond:
            self._cond.wait_for(lambda: dpid in self._current or self._closed, timeout)
            return self._current.get(dpid)

    def close(self) -> None:
        with self._cond:
            if self._closed:
                return
            self._closed = True
            dps = list(self._all)
            self._current.clear()
            self._cond.notify_all()
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)  # wakes accept()
        self._sock.close()
        self._thread.join(timeout=5.0)
        for dp in dps:
            dp.terminate()
