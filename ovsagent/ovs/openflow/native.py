"""The ``native`` OpenFlow driver: an embedded os-ken OpenFlow 1.3 controller.

Open vSwitch connects to us (``set-controller BR tcp:ADDR:PORT``); bridges
are known by datapath id. Every :meth:`NativeDriver.apply` is one ONF bundle
(the OpenFlow 1.3 bundle extension)::

    OPEN, ADD(mod 1) ... ADD(mod n), BARRIER   -> wait for the barrier reply
    any error on the open or an add?  DISCARD  -> BundleError(mod with that xid)
    otherwise                         COMMIT   -> wait for the commit reply

Decode/validation errors of an add are reported asynchronously on that add's
xid, and a commit would still apply the other mods; hence the barrier and
the explicit discard. Errors found at commit time (the switch then discards
the whole bundle) are reported on the add's xid too, followed by an error on
the commit. A bundle that times out before its commit is discarded (the
discard is queued behind it, so a late switch does not apply it either); a
timeout waiting for the commit reply leaves the outcome unknown.

Controller lifetime, listeners and namespaces: see
:mod:`ovsagent.ovs.openflow.native_app`.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Sequence
from typing import Any

from os_ken.ofproto import ofproto_v1_3 as ofp

from ovsagent.ovs.openflow import native_codec as codec
from ovsagent.ovs.openflow.base import (
    BridgeNotConnected,
    BundleError,
    OpenFlowDriver,
    OpenFlowError,
    OpenFlowTimeout,
)
from ovsagent.ovs.openflow.native_app import Request, _Datapath
from ovsagent.ovs.openflow.native_listener import Listener
from ovsagent.pipeline.flow import Flow, FlowFilter, FlowMod, describe

LOG = logging.getLogger(__name__)

BUNDLE_FLAGS = ofp.ONF_BF_ATOMIC | ofp.ONF_BF_ORDERED
SEND_CHUNK = 256 * 1024  # bytes per write handed to the datapath's send thread


def describe_error(msg: Any) -> str:
    """``OFPET_BAD_MATCH/OFPBMC_BAD_PREREQ``-style text for an error message."""
    try:
        if msg.type == ofp.OFPET_EXPERIMENTER:
            return f"experimenter error {msg.experimenter:#x}/{msg.exp_type}"
        return (f"{ofp.ofp_error_type_to_str(msg.type)}/"
                f"{ofp.ofp_error_code_to_str(msg.type, msg.code)}")
    except Exception:  # unknown type/code numbers
        return f"error type={msg.type} code={getattr(msg, 'code', None)}"


class NativeDriver(OpenFlowDriver):
    """OpenFlow through an embedded os-ken controller listening on one address.

    ``netns``: create the listening socket inside that network namespace (a
    name under /var/run/netns, or a path), for an Open vSwitch running there.
    ``listen_port=0`` picks a free port (see :attr:`listen_port`).
    """

    name = "native"

    def __init__(self, listen_address: str = "127.0.0.1", listen_port: int = 6633,
                 request_timeout: float = 300.0, netns: str | None = None) -> None:
        self.request_timeout = request_timeout
        self.netns = netns
        self._listener = Listener(listen_address, listen_port, netns)
        self.listen_address = listen_address
        self.listen_port: int = self._listener.port
        self._bridges: dict[str, int] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        ns = f" netns={self.netns}" if self.netns else ""
        return f"<NativeDriver {self.listen_address}:{self.listen_port}{ns}>"

    # -- bridges -----------------------------------------------------------
    def add_bridge(self, bridge: str, datapath_id: int | None = None,
                   timeout: float | None = None) -> None:
        if datapath_id is None:
            raise ValueError("the native driver needs the bridge's datapath_id")
        with self._lock:
            self._bridges[bridge] = datapath_id
        wait = self.request_timeout if timeout is None else timeout
        if self._listener.wait_for(datapath_id, wait) is None:
            raise OpenFlowTimeout(
                f"{bridge}: datapath {datapath_id:016x} did not connect to "
                f"{self.listen_address}:{self.listen_port} within {wait} s")

    def datapath_id(self, bridge: str) -> int:
        with self._lock:
            try:
                return self._bridges[bridge]
            except KeyError:
                raise BridgeNotConnected(f"unknown bridge {bridge!r}") from None

    def is_connected(self, bridge: str) -> bool:
        with self._lock:
            dpid = self._bridges.get(bridge)
        return dpid is not None and self._listener.get(dpid) is not None

    def wait_connected(self, bridge: str, timeout: float) -> bool:
        """Block until ``bridge`` is connected (e.g. after an OVS restart)."""
        return self._listener.wait_for(self.datapath_id(bridge), timeout) is not None

    def _dp(self, bridge: str) -> _Datapath:
        dpid = self.datapath_id(bridge)
        dp = self._listener.get(dpid)
        if dp is None:
            raise BridgeNotConnected(f"{bridge}: datapath {dpid:016x} is not connected")
        return dp

    # -- plumbing ----------------------------------------------------------
    @staticmethod
    def _pack(msg: Any, xid: int) -> bytes:
        """Serialize a fresh message with ``xid`` (a message object is one-shot)."""
        msg.set_xid(xid)
        msg.serialize()
        return bytes(msg.buf)

    @staticmethod
    def _write(dp: _Datapath, data: bytes | bytearray) -> None:
        """Queue ``data`` for the datapath's send thread in few large writes."""
        if not dp.write(data, SEND_CHUNK):
            raise BridgeNotConnected(f"datapath {dp.id_str()} disconnected")

    def _wait(self, dp: _Datapath, req: Request, what: str) -> Request:
        if not req.done.wait(self.request_timeout):
            raise OpenFlowTimeout(f"datapath {dp.id_str()}: no reply to {what} "
                                  f"within {self.request_timeout} s")
        if req.failure is not None:
            raise req.failure
        return req

    def _request(self, dp: _Datapath, msg: Any, kind: str, what: str) -> Request:
        xid = dp.alloc()
        req = Request(kind)
        dp.register([xid], req)
        try:
            self._write(dp, self._pack(msg, xid))
            return self._wait(dp, req, what)
        finally:
            dp.unregister([xid])

    def _bundle_ctrl(self, dp: _Datapath, bundle_id: int, type_: int) -> Any:
        return dp.ofproto_parser.ONFBundleCtrlMsg(dp, bundle_id, type_, BUNDLE_FLAGS, [])

    # -- the contract ------------------------------------------------------
    def barrier(self, bridge: str) -> None:
        dp = self._dp(bridge)
        req = self._request(dp, dp.ofproto_parser.OFPBarrierRequest(dp), "barrier", "barrier")
        if req.errors():
            raise OpenFlowError(f"{bridge}: barrier failed: {describe_error(req.errors()[0])}")

    def dump(self, bridge: str, flt: FlowFilter | None = None) -> list[Flow]:
        dp = self._dp(bridge)
        req = self._request(dp, codec.encode_stats_request(dp, flt), "multipart", "flow stats")
        if req.errors():
            raise OpenFlowError(f"{bridge}: dump failed: {describe_error(req.errors()[0])}")
        flows: list[Flow] = []
        for reply in req.messages:
            for stats in reply.body:
                try:
                    flows.append(codec.flow_from_stats(stats))
                except codec.CodecError as exc:
                    LOG.warning("%s: skipping a flow the model cannot express "
                                "(table %s, priority %s): %s",
                                bridge, stats.table_id, stats.priority, exc)
        return flows

    def apply(self, bridge: str, mods: Sequence[FlowMod]) -> None:
        if not mods:
            return
        dp = self._dp(bridge)
        parser = dp.ofproto_parser
        bundle_id = dp.new_bundle_id()
        n = len(mods)
        first = dp.alloc(n + 3)
        open_xid, add_xids = first, range(first + 1, first + 1 + n)
        barrier_xid, end_xid = first + n + 1, first + n + 2

        # Encode and serialize everything first: a mod we cannot encode sends nothing.
        wire = bytearray(self._pack(self._bundle_ctrl(dp, bundle_id, ofp.ONF_BCT_OPEN_REQUEST),
                                    open_xid))
        for mod, xid in zip(mods, add_xids, strict=True):
            try:
                fm = codec.encode_flow_mod(dp, mod)
                wire += self._pack(parser.ONFBundleAddMsg(dp, bundle_id, BUNDLE_FLAGS, fm, []),
                                   xid)
            except Exception as exc:
                raise BundleError(f"{bridge}: cannot encode {describe(mod)}: {exc!r}",
                                  mod) from exc
        wire += self._pack(parser.OFPBarrierRequest(dp), barrier_xid)

        opened, errors, fence = Request("bundle"), Request("errors"), Request("barrier")
        dp.register([open_xid], opened)
        dp.register(add_xids, errors)
        dp.register([barrier_xid], fence)
        try:
            try:
                self._write(dp, wire)
                self._wait(dp, fence, f"bundle {bundle_id} (barrier after {n} adds)")
            except OpenFlowTimeout:
                self._discard_nowait(dp, bundle_id, end_xid)
                raise
            failure = self._first_failure(bridge, mods, add_xids, errors, opened)
            if failure is not None:
                self._finish(dp, bundle_id, ofp.ONF_BCT_DISCARD_REQUEST, end_xid)
                raise failure
            done = self._finish(dp, bundle_id, ofp.ONF_BCT_COMMIT_REQUEST, end_xid)
            failure = self._first_failure(bridge, mods, add_xids, errors, None)
            if failure is None and done.errors():
                failure = BundleError(
                    f"{bridge}: bundle commit failed: {describe_error(done.errors()[0])}")
            if failure is not None:
                raise failure
        finally:
            dp.unregister([open_xid, barrier_xid, end_xid])
            dp.unregister(add_xids)

    def _first_failure(self, bridge: str, mods: Sequence[FlowMod], add_xids: range,
                       errors: Request, opened: Request | None) -> BundleError | None:
        if opened is not None and opened.errors():
            return BundleError(f"{bridge}: cannot open bundle: "
                               f"{describe_error(opened.errors()[0])}")
        errs = sorted(errors.errors(), key=lambda m: m.xid)
        if not errs:
            return None
        idx = errs[0].xid - add_xids.start
        mod = mods[idx]
        more = f" (+{len(errs) - 1} more errors)" if len(errs) > 1 else ""
        return BundleError(f"{bridge}: flow-mod #{idx} rejected: {describe_error(errs[0])}: "
                           f"{describe(mod)}{more}", mod)

    def _finish(self, dp: _Datapath, bundle_id: int, type_: int, xid: int) -> Request:
        what = "commit" if type_ == ofp.ONF_BCT_COMMIT_REQUEST else "discard"
        req = Request("bundle")
        dp.register([xid], req)
        self._write(dp, self._pack(self._bundle_ctrl(dp, bundle_id, type_), xid))
        return self._wait(dp, req, f"bundle {bundle_id} {what}")

    def _discard_nowait(self, dp: _Datapath, bundle_id: int, xid: int) -> None:
        with contextlib.suppress(OpenFlowError):
            self._write(dp, self._pack(
                self._bundle_ctrl(dp, bundle_id, ofp.ONF_BCT_DISCARD_REQUEST), xid))

    def close(self) -> None:
        self._listener.close()
