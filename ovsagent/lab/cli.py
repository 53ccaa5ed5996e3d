"""``ovsagent-lab up | down | status | demo``: the lab from the command line.

Environment defaults: ``OVSAGENT_LAB_DIR`` (lab directory, default
/var/lib/ovsagent-lab), ``OVSAGENT_NEUTRON_VENV`` (neutron venv, default
/var/cache/ovsagent/neutron-venv), ``OVSAGENT_LAB_AGENT`` (auto|ovsagent|reference).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ovsagent.lab import agents
from ovsagent.lab.lab import Lab, LabConfig
from ovsagent.lab.state import default_lab_dir, default_neutron_venv


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ovsagent-lab", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dir", type=Path, default=default_lab_dir(),
                        help="lab directory (state, data, logs; default %(default)s)")
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="install what is missing and start the lab (idempotent)")
    up.add_argument("--hosts", type=int, default=2, help="simulated hosts (default 2)")
    up.add_argument("--agent", choices=agents.KINDS,
                    default=os.environ.get("OVSAGENT_LAB_AGENT", "ovsagent"),
                    help="agent on each host: ovsagent, the reference "
                         "neutron-openvswitch-agent, or auto = ovsagent, falling back "
                         "to the reference while ovsagent cannot serve (default %(default)s)")
    up.add_argument("--neutron-venv", type=Path, default=default_neutron_venv(),
                    help="venv with neutron 29.0.0 (installed on first use; "
                         "default %(default)s)")
    up.add_argument("--debug", action="store_true", help="debug logging in server and agents")
    down = sub.add_parser("down", help="stop everything the lab started and remove its files")
    down.add_argument("--keep-logs", action="store_true", help="keep the logs directory")
    sub.add_parser("status", help="services, hosts, agents (from the API), ports")
    demo = sub.add_parser("demo", help="vxlan + vlan network, a VM per host on each, ping")
    demo.add_argument("--keep", action="store_true", help="leave the demo's networks and VMs")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if os.geteuid() != 0:
        print("ovsagent-lab: needs root (namespaces, Open vSwitch, Debian packages)",
              file=sys.stderr)
        return 2
    config = LabConfig(root=args.dir.resolve())
    if args.command == "up":
        config.hosts, config.agent = args.hosts, args.agent
        config.neutron_venv, config.debug = args.neutron_venv, args.debug
    lab = Lab(config)
    try:
        return _dispatch(lab, args)
    except KeyboardInterrupt:
        print("ovsagent-lab: interrupted (`ovsagent-lab down` removes what was started)",
              file=sys.stderr)
        return 130
    except (RuntimeError, TimeoutError, OSError) as exc:
        print(f"ovsagent-lab {args.command}: FAILED: {exc}", file=sys.stderr)
        print(f"ovsagent-lab: logs in {lab.paths.logs}", file=sys.stderr)
        return 1


def _dispatch(lab: Lab, args: argparse.Namespace) -> int:
    if args.command == "up":
        lab.up()
        return 0
    if args.command == "down":
        done = lab.down(keep_logs=args.keep_logs)
        for item in done:
            print(f"lab: stopped/removed {item}")
        print(f"lab: down ({len(done)} items){' — logs kept' if args.keep_logs else ''}")
        return 0
    if args.command == "status":
        from ovsagent.lab.status import render

        print(render(lab))
        return 0
    if args.command == "demo":
        from ovsagent.lab.demo import run_demo

        if not lab.state.hosts or "api" not in lab.state.ports:
            print("ovsagent-lab demo: the lab is not up (run `ovsagent-lab up`)",
                  file=sys.stderr)
            return 1
        return 0 if run_demo(lab, keep=args.keep) else 1
    raise AssertionError(args.command)


if __name__ == "__main__":
    sys.exit(main())
