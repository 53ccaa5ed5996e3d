"""The ``ovs-ofctl`` OpenFlow driver: flows rendered to text, one process per batch.

Every :meth:`OfctlDriver.apply` is a single ``ovs-ofctl -O OpenFlow13
--bundle add-flows unix:RUNDIR/BR.mgmt -`` with all flow-mods on stdin: an
atomic, ordered OpenFlow bundle (one bad mod discards all of it). When Open
vSwitch rejects the batch the offending mod is found from the error text:

* ``ovs-ofctl: -:N: ...`` -- refused while parsing/checking line N (bad
  field, prerequisite missing, goto to an earlier table ...);
* ``Error OFPBRC_EPERM for: OFPT_FLOW_MOD (OF1.3) (xid=0xK): ADD table:254
  ...`` -- refused by the switch; the printed flow-mod is matched against
  the batch (table, priority, match), the xid decides between equal keys.

Dumps use ``dump-flows --no-stats``; barriers are ``probe`` (each ovs-ofctl
run already ends with a barrier and waits for it, so once an earlier call
returned the switch has finished it).
"""

from __future__ import annotations

import logging
import math
import re
import socket
import subprocess
from collections.abc import Sequence
from pathlib import Path

from ovsagent.ovs.openflow.base import (
    BridgeNotConnected,
    BundleError,
    OpenFlowDriver,
    OpenFlowError,
    OpenFlowTimeout,
)
from ovsagent.ovs.openflow.ofctl_syntax import (
    OfctlSyntaxError,
    parse_flow,
    parse_match,
    render_filter,
    render_mod,
)
from ovsagent.pipeline.flow import (
    AddFlow,
    DeleteFlows,
    Flow,
    FlowFilter,
    FlowMod,
    Match,
    ModifyFlow,
    describe,
)

LOG = logging.getLogger(__name__)

# Open vSwitch's internal table: its flows show up in some dumps; never ours.
HIDDEN_TABLE = 254
_HIDDEN_LINE = re.compile(rf"\btable={HIDDEN_TABLE},")
_LINE_ERROR = re.compile(r"^ovs-ofctl: -:(\d+): (.*)$", re.MULTILINE)
_SWITCH_ERROR = re.compile(
    r"^Error (\S+) for: OFPT_FLOW_MOD \(OF1\.\d\) \(xid=0x([0-9a-f]+)\): (.*)$", re.MULTILINE)
_NOT_CONNECTED = re.compile(r"(connecting to|talking to) \S+ \((No such file or directory|"
                            r"Connection refused|Connection reset by peer|Broken pipe)\)")
# xid of the first flow-mod in a bundle: ovs-ofctl's HELLO takes 1 (with
# --no-names no port/table lookups run first). Used only to break ties.
_FIRST_MOD_XID = 2
_OF13_HELLO = bytes([4, 0, 0, 8, 0, 0, 0, 1])  # version 1.3, OFPT_HELLO, length 8, xid 1
_VERBS = {"ADD": AddFlow, "MOD_STRICT": ModifyFlow, "MOD": ModifyFlow,
          "DEL": DeleteFlows, "DEL_STRICT": DeleteFlows}


class OfctlDriver(OpenFlowDriver):
    """OpenFlow 1.3 through the ``ovs-ofctl`` command (bridges' mgmt sockets)."""

    name = "ovs-ofctl"

    def __init__(self, rundir: str | Path = "/var/run/openvswitch", ofctl: str = "ovs-ofctl",
                 timeout: float = 300.0) -> None:
        self.rundir = Path(rundir)
        self.ofctl = ofctl
        self.timeout = timeout
        self._bridges: set[str] = set()

    def __repr__(self) -> str:
        return f"<OfctlDriver {self.rundir}>"

    def target(self, bridge: str) -> str:
        return f"unix:{self.rundir / bridge}.mgmt"

    # -- OpenFlowDriver ------------------------------------------------------
    def add_bridge(self, bridge: str, datapath_id: int | None = None,
                   timeout: float | None = None) -> None:
        self._bridges.add(bridge)

    def apply(self, bridge: str, mods: Sequence[FlowMod]) -> None:
        if not mods:
            return
        lines: list[str] = []
        for mod in mods:
            try:
                lines.append(render_mod(mod))
            except (OfctlSyntaxError, ValueError) as exc:
                raise BundleError(f"{bridge}: cannot render {describe(mod)}: {exc}", mod) from exc
        proc = self._run(["--bundle", "add-flows", self.target(bridge), "-"], bridge,
                         stdin="".join(f"{line}\n" for line in lines))
        if proc.returncode != 0:
            raise self._bundle_error(bridge, mods, proc.stderr)

    def dump(self, bridge: str, flt: FlowFilter | None = None) -> list[Flow]:
        args = ["--no-stats", "dump-flows", self.target(bridge)]
        text = render_filter(flt)
        if text:
            args.append(text)
        proc = self._run(args, bridge)
        if proc.returncode != 0:
            raise OpenFlowError(f"{bridge}: dump-flows failed: {proc.stderr.strip()}")
        keep_hidden = flt is not None and flt.table == HIDDEN_TABLE
        flows: list[Flow] = []
        for line in proc.stdout.splitlines():
            if not line.strip() or line.lstrip().startswith(("OFPST_FLOW", "NXST_FLOW")):
                continue
            if not keep_hidden and _HIDDEN_LINE.search(line):
                continue
            try:
                flows.append(parse_flow(line))
            except OfctlSyntaxError as exc:
                raise OpenFlowError(f"{bridge}: cannot parse dumped flow {line.strip()!r}: "
                                    f"{exc}") from exc
        return flows

    def barrier(self, bridge: str) -> None:
        proc = self._run(["probe", self.target(bridge)], bridge)
        if proc.returncode != 0:
            raise OpenFlowError(f"{bridge}: probe failed: {proc.stderr.strip()}")

    def is_connected(self, bridge: str) -> bool:
        """Whether ovs-vswitchd answers on the bridge's mgmt socket (OpenFlow HELLO).

        We answer its HELLO and half-close before hanging up: a bare
        connect/close makes ovs-vswitchd log a "connection dropped" warning.
        """
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(min(2.0, self.timeout))
        try:
            sock.connect(str(self.rundir / f"{bridge}.mgmt"))
            if len(sock.recv(8)) < 8:  # its HELLO header
                return False
            sock.sendall(_OF13_HELLO)
            sock.shutdown(socket.SHUT_WR)
            while sock.recv(4096):  # until the switch closes too
                pass
        except OSError:
            return False
        finally:
            sock.close()
        return True

    # -- helpers -------------------------------------------------------------
    def _run(self, args: list[str], bridge: str,
             stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        argv = [self.ofctl, "-O", "OpenFlow13", "--no-names",
                f"--timeout={max(1, math.ceil(self.timeout))}", *args]
        try:
            proc = subprocess.run(argv, input=stdin, capture_output=True, text=True,
                                  timeout=self.timeout + 5, check=False)
        except subprocess.TimeoutExpired as exc:
            raise OpenFlowTimeout(f"{bridge}: {args[0]} got no answer in {self.timeout}s") from exc
        except OSError as exc:
            raise OpenFlowError(f"cannot run {self.ofctl}: {exc}") from exc
        if proc.returncode == -14:  # SIGALRM: ovs-ofctl's own --timeout
            raise OpenFlowTimeout(f"{bridge}: {args[0]} got no answer in {self.timeout}s")
        if proc.returncode != 0 and _NOT_CONNECTED.search(proc.stderr):
            raise BridgeNotConnected(f"{bridge}: {proc.stderr.strip()}")
        return proc

    def _bundle_error(self, bridge: str, mods: Sequence[FlowMod], stderr: str) -> BundleError:
        index, reason = identify_failed_mod(mods, stderr)
        if index is None:
            return BundleError(f"{bridge}: bundle of {len(mods)} flow-mods rejected, none "
                               f"identified: {stderr.strip()}")
        mod = mods[index]
        return BundleError(f"{bridge}: flow-mod #{index + 1} of {len(mods)} rejected "
                           f"({describe(mod)}): {reason}", mod)


def identify_failed_mod(mods: Sequence[FlowMod], stderr: str) -> tuple[int | None, str]:
    """(index of the rejected mod or None, reason) from ovs-ofctl's error output."""
    m = _LINE_ERROR.search(stderr)
    if m and 1 <= int(m.group(1)) <= len(mods):
        return int(m.group(1)) - 1, m.group(2).strip()
    m = _SWITCH_ERROR.search(stderr)
    if m is None:
        return None, stderr.strip()
    code, xid, text = m.group(1), int(m.group(2), 16), m.group(3)
    by_xid = xid - _FIRST_MOD_XID
    key = _printed_key(text)
    if key is not None:
        hits = [i for i, mod in enumerate(mods) if _mod_key(mod) == key]
        if hits:
            return (by_xid if by_xid in hits else hits[0]), f"{code} (switch refused it)"
    if 0 <= by_xid < len(mods):
        return by_xid, f"{code} (switch refused it; identified by xid only: {text})"
    return 0, (f"{code} for {text} (could not tell which flow-mod of the batch that is; "
               "naming the first)")


def _printed_key(text: str) -> tuple[type, int, int, Match] | None:
    """(kind, table, priority, match) of a flow-mod as ovs-ofctl prints it in errors.

    e.g. ``ADD table:254 priority=7,icmp6,in_port=7 cookie:0x99 hard:300 actions=...``
    """
    head = text.split(" actions=", 1)[0].split()
    if not head or head[0] not in _VERBS:
        return None
    table, priority, items = 0, 0x8000, []
    for tok in head[1:]:
        if tok.startswith("table:"):
            table = int(tok[6:])
        elif "=" in tok:
            for item in tok.split(","):
                if item.startswith("priority="):
                    priority = int(item[9:])
                elif item:
                    items.append(item)
    try:
        return _VERBS[head[0]], table, priority, parse_match(items)
    except (OfctlSyntaxError, ValueError):
        return None


def _mod_key(mod: FlowMod) -> tuple[type, int, int, Match]:
    if isinstance(mod, DeleteFlows):
        f = mod.filter
        return (DeleteFlows, f.table if f.table is not None else 255,
                (f.priority or 0) if mod.strict else 0x8000, f.match)
    return type(mod), mod.flow.table, mod.flow.priority, mod.flow.match
