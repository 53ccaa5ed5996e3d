"""os-ken plumbing of the native driver: the embedded controller, datapaths, replies.

Design (see also :mod:`ovsagent.ovs.openflow.native`):

* **One os-ken controller per process.** os-ken keeps process-global state
  (``AppManager`` singleton, ``SERVICE_BRICKS`` by app name, its own
  ``CONF``), so its apps are started once, lazily, and shared by every
  :class:`~ovsagent.ovs.openflow.native.NativeDriver`: ``ofp_handler`` (hello,
  features, port-desc handshake, echo replies) and ``ofctl.service``. They run
  on os-ken's native-thread hub; the apps are instantiated from a daemon
  thread, so every hub thread they spawn is a daemon too and the process can
  exit. The controller is never stopped (idle apps cost nothing).
* **One listener per driver**, instead of os-ken's ``OpenFlowController``
  (which listens on the single ``CONF.ofp_tcp_listen_port`` and cannot be
  stopped): ``ofp_handler`` is replaced by a subclass that does not listen, and
  each driver gets a :class:`~.native_listener.Listener` with its own address, port and network
  namespace; several drivers (ports, namespaces) coexist and close
  independently. ``CONF.ofp_listen_host``/``ofp_tcp_listen_port`` are
  therefore not used.
* **Network namespace**: the listening socket is created by a short-lived
  thread that first ``setns()`` into ``/var/run/netns/<name>`` (namespace
  membership is per thread in Linux). A socket stays in the namespace it was
  created in, so accepting and serving it from ordinary threads is fine.
* **Datapath fixes** (:class:`_Datapath`): with native threads os-ken's
  ``Datapath.serve`` joined a send thread blocked forever on its queue
  (``hub.kill`` is a no-op), so a disconnect leaked threads and never
  reached ``DEAD_DISPATCHER``. Here the receive loop's exit wakes and ends the
  send thread, closes the socket and moves the datapath to DEAD.
* **Replies** for the driver's requests are taken straight off the receive
  thread (a tap in front of the ``ofp_event`` brick, keyed by xid), so they do
  not queue behind os-ken app event loops.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
from typing import Any, Protocol

from os_ken.base import app_manager
from os_ken.controller import controller as osken_controller
from os_ken.controller import ofp_handler
from os_ken.controller.handler import DEAD_DISPATCHER, MAIN_DISPATCHER
from os_ken.lib import hub
from os_ken.ofproto import ofproto_protocol, ofproto_v1_3, ofproto_v1_3_parser

from ovsagent.ovs.openflow.base import BridgeNotConnected, OpenFlowError
from ovsagent.ovs.openflow.native_netns import run_in_netns

LOG = logging.getLogger(__name__)

Msg = Any

OFP_HANDLER_APP = "os_ken.controller.ofp_handler"
OFCTL_SERVICE_APP = "os_ken.app.ofctl.service"

_ERROR = ofproto_v1_3_parser.OFPErrorMsg
_ACCEPTED: dict[str, tuple[type, ...]] = {
    "barrier": (ofproto_v1_3_parser.OFPBarrierReply, _ERROR),
    "multipart": (ofproto_v1_3_parser.OFPMultipartReply, _ERROR),
    "bundle": (ofproto_v1_3_parser.ONFBundleCtrlMsg, _ERROR),
    "errors": (_ERROR,),
}


class StateSink(Protocol):
    """Told when a datapath reaches MAIN (handshake done) or DEAD."""

    def on_state(self, dp: _Datapath, state: Any) -> None: ...


class _OFPHandler(ofp_handler.OFPHandler):  # type: ignore[misc]
    """os-ken's handshake app without its own (unstoppable) listener."""

    def start(self) -> None:
        app_manager.OSKenApp.start(self)  # event loop only; no OpenFlowController


_boot_lock = threading.Lock()


def ensure_controller() -> None:
    """Start the process-wide os-ken apps once (idempotent, thread-safe)."""
    with _boot_lock:
        if app_manager.lookup_service_brick("ofp_event") is not None:
            return
        ofproto_protocol.set_app_supported_versions([ofproto_v1_3.OFP_VERSION])

        def boot() -> None:
            mgr = app_manager.AppManager.get_instance()
            mgr.load_apps([OFP_HANDLER_APP, OFCTL_SERVICE_APP])
            mgr.applications_cls[OFP_HANDLER_APP] = _OFPHandler
            contexts = mgr.create_contexts()
            mgr.instantiate_apps(**contexts)

        # Threads inherit daemon-ness: every hub thread of the apps is a daemon.
        run_in_netns(None, boot)


class Request:
    """Replies to one or more xids, filled in by a datapath's receive thread."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.accepted = _ACCEPTED[kind]
        self.messages: list[Msg] = []
        self.failure: OpenFlowError | None = None
        self.done = threading.Event()

    def feed(self, msg: Msg) -> None:
        self.messages.append(msg)
        if self.kind == "errors":
            return
        if (self.kind == "multipart" and not isinstance(msg, _ERROR)
                and msg.flags & ofproto_v1_3.OFPMPF_REPLY_MORE):
            return
        self.done.set()

    def fail(self, exc: OpenFlowError) -> None:
        self.failure = exc
        self.done.set()

    def errors(self) -> list[Msg]:
        return [m for m in self.messages if isinstance(m, _ERROR)]


class _BrickTap:
    """Stands in for the ``ofp_event`` brick inside one datapath."""

    def __init__(self, brick: Any, dp: _Datapath) -> None:
        self._brick = brick
        self._dp = dp

    def send_event_to_observers(self, ev: Any, state: Any = None) -> None:
        msg = getattr(ev, "msg", None)
        if msg is not None and self._dp.take_reply(msg):
            return
        self._brick.send_event_to_observers(ev, state)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._brick, name)


class _Datapath(osken_controller.Datapath):  # type: ignore[misc]
    """os-ken ``Datapath`` that ends cleanly and routes replies by xid."""

    # Attributes set by os-ken's Datapath (untyped upstream).
    ofp_brick: Any
    send_q: Any
    socket: Any
    state: Any
    id: int | None
    is_active: bool

    def __init__(self, sock: socket.socket, address: Any, listener: StateSink) -> None:
        self.listener = listener
        self._pending: dict[int, Request] = {}
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._next_xid = int.from_bytes(os.urandom(4), "big") | 1
        self._next_bundle = 1
        super().__init__(sock, address)
        self.ofp_brick = _BrickTap(self.ofp_brick, self)

    # -- state -----------------------------------------------------------
    def set_state(self, state: Any) -> None:
        changed = getattr(self, "state", None) != state
        super().set_state(state)
        if changed and state in (MAIN_DISPATCHER, DEAD_DISPATCHER):
            if state == DEAD_DISPATCHER:
                self.is_active = False
                self._fail_pending(BridgeNotConnected(
                    f"datapath {self.id_str()} disconnected"))
            self.listener.on_state(self, state)

    def id_str(self) -> str:
        return "unknown" if self.id is None else f"{self.id:016x}"

    def serve(self) -> None:
        send_thread = hub.spawn(self._send_loop)
        self.send_msg(self.ofproto_parser.OFPHello(self))
        try:
            self._recv_loop()  # closes the socket when it returns
        finally:
            self.is_active = False
            q = self.send_q
            if q is not None:
                # Wake the send loop; if the queue is full it is busy and will
                # fail on the closed socket by itself.
                with contextlib.suppress(Exception):
                    q.put(None, timeout=1.0)
            send_thread.join(timeout=2.0)

    def _send_loop(self) -> None:
        q = self.send_q
        try:
            while self.state != DEAD_DISPATCHER:
                item = q.get()
                if item is None:
                    break
                self._send_q_sem.release()
                buf, close_socket = item
                self.socket.sendall(buf)
                if close_socket:
                    break
        except OSError as exc:
            LOG.debug("send to %s failed: %s", self.address, exc)
        finally:
            self.send_q = None
            try:
                while True:
                    if q.get_nowait() is not None:
                        self._send_q_sem.release()
            except hub.QueueEmpty:
                pass
            # A send loop that died (socket error or a switch that stopped
            # reading for socket_timeout) takes the whole connection down, so
            # it reaches DEAD and the switch reconnects.
            self.terminate()

    def write(self, data: bytes | bytearray, chunk: int = 256 * 1024) -> bool:
        """Queue ``data`` in chunks; concurrent writers never interleave."""
        view = memoryview(data)
        with self._write_lock:
            for ofs in range(0, len(view), chunk):
                if not self.is_active or not self.send(bytes(view[ofs:ofs + chunk])):
                    return False
        return True

    def terminate(self) -> None:
        """Drop the connection now (the receive loop ends and DEAD follows)."""
        self.is_active = False
        with contextlib.suppress(OSError):
            self.socket.shutdown(socket.SHUT_RDWR)

    # -- requests --------------------------------------------------------
    def alloc(self, count: int = 1) -> int:
        """Reserve ``count`` consecutive non-zero xids; returns the first."""
        with self._lock:
            first = self._next_xid
            if first + count > 0xFFFFFFFF:
                first = 1
            self._next_xid = first + count
            return first

    def new_bundle_id(self) -> int:
        with self._lock:
            bid = self._next_bundle
            self._next_bundle = (bid % 0xFFFFFFFF) + 1
            return bid

    def register(self, xids: range | list[int], req: Request) -> None:
        with self._lock:
            if not self.is_active:
                raise BridgeNotConnected(f"datapath {self.id_str()} is not connected")
            for x in xids:
                self._pending[x] = req

    def unregister(self, xids: range | list[int]) -> None:
        with self._lock:
            for x in xids:
                self._pending.pop(x, None)

    def take_reply(self, msg: Msg) -> bool:
        xid = getattr(msg, "xid", None)
        if not xid:
            return False
        with self._lock:
            req = self._pending.get(xid)
        if req is None or not isinstance(msg, req.accepted):
            return False
        req.feed(msg)
        return True

    def _fail_pending(self, exc: OpenFlowError) -> None:
        with self._lock:
            reqs = set(self._pending.values())
            self._pending.clear()
        for req in reqs:
            req.fail(exc)
