"""``ovsagent-ctl``: status, ports, flows, trace and resync of a running agent.

The socket is ``--socket``, else ``[agent] ctl_socket`` from the given
``--config-file``s (the agent's own files), else ``$OVSAGENT_CTL_SOCKET``,
else ``/var/run/ovsagent/ovsagent.sock``. Exit status 1 when the agent
cannot be reached or refuses the request.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from ovsagent.ctl import render
from ovsagent.ctl.protocol import DEFAULT_SOCKET, CtlError, request

DESCRIPTION = "Ask a running ovsagent what it does (over its local unix socket)."
RENDER: dict[str, Callable[[Any], str]] = {
    "status": render.status, "ports": render.ports, "flows": render.flows,
    "trace": render.trace, "resync": render.resync}


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="ovsagent-ctl", description=DESCRIPTION)
    p.add_argument("--socket", help="the agent's ctl socket")
    p.add_argument("--config-file", action="append", default=[],
                   help="agent config file to read [agent] ctl_socket from (repeatable)")
    p.add_argument("--json", action="store_true", help="print the raw JSON result")
    p.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for a reply")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub.add_parser("status", help="connections, last iteration, counts")
    sub.add_parser("ports", help="every VIF: port id, network, local VLAN, segment, state")
    flows = sub.add_parser("flows", help="the installed flows of one port, by bridge and table")
    flows.add_argument("port", help="port id, unique id prefix or interface name")
    trace = sub.add_parser("trace", help="ofproto/trace a packet sent by the port")
    trace.add_argument("port", help="port id, unique id prefix or interface name")
    trace.add_argument("--dst-mac", help="destination MAC (default: broadcast, or ARP/ND "
                                         "for --dst-ip)")
    trace.add_argument("--dst-ip", help="destination IP: ARP request / neighbour "
                                        "solicitation, or ICMP echo with --dst-mac")
    resync = sub.add_parser("resync", help="re-read the flows from the switch, re-pull every "
                                           "port from the server, repair all flows")
    resync.add_argument("--no-wait", action="store_true", help="do not wait for the pass")
    return p


def socket_path(args: argparse.Namespace) -> str:
    if args.socket:
        return str(args.socket)
    if args.config_file:
        from_conf = ctl_socket_from_config(args.config_file)
        if from_conf:
            return from_conf
    return os.environ.get("OVSAGENT_CTL_SOCKET") or DEFAULT_SOCKET


def ctl_socket_from_config(files: Sequence[str]) -> str | None:
    """``[agent] ctl_socket`` as the agent would read it from ``files``."""
    from oslo_config import cfg

    from ovsagent.config.agent_opts import OPS_OPTS

    conf = cfg.ConfigOpts()
    conf.register_opts(OPS_OPTS, group="agent")
    argv = [a for f in files for a in ("--config-file", f)]
    try:
        conf(argv, project="ovsagent-ctl", default_config_files=[], default_config_dirs=[])
    except cfg.Error as exc:
        raise CtlError(f"reading {', '.join(files)}: {exc}") from exc
    value = conf.agent.ctl_socket
    return str(value) if value else None


def request_args(args: argparse.Namespace) -> dict[str, Any]:
    if args.command in ("flows", "trace"):
        out: dict[str, Any] = {"port": args.port}
        if args.command == "trace":
            out.update({k: v for k, v in (("dst_mac", args.dst_mac), ("dst_ip", args.dst_ip))
                        if v})
        return out
    if args.command == "resync":
        return {"wait": not args.no_wait, "timeout": max(1.0, args.timeout - 5)}
    return {}


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        path = socket_path(args)
        result = request(path, args.command, request_args(args), timeout=args.timeout)
    except (CtlError, OSError, ValueError) as exc:
        print(f"ovsagent-ctl: {exc}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(result, indent=2, sort_keys=True))
    else:
        print(RENDER[args.command](result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
