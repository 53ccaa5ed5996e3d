"""The ``ovsagent`` command: the reference agent's command line, then the daemon.

Exit status: 0 normal stop (or ``--version``/``--help``), 1 configuration
error (one line per problem on stderr, naming ``[section] option``), 2 the
agent daemon cannot be loaded; otherwise whatever the daemon returns.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
import warnings
from collections.abc import Sequence

from oslo_config import cfg

from ovsagent import __version__

LOG = logging.getLogger("ovsagent")
DAEMON_MODULE = "ovsagent.agent.daemon"


def _fail(problems: Sequence[object]) -> int:
    for problem in problems:
        line = " ".join(str(problem).split())
        print(f"ovsagent: configuration error: {line}", file=sys.stderr)
    return 1


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if "--version" in args:
        print(f"ovsagent {__version__}")
        return 0

    # futurist/oslo.service import eventlet, which warns on import; ovsagent does
    # not use eventlet, so keep that text out of the operator's terminal
    warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
    # ...and nothing is monkey-patched, so eventlet's green DNS resolver is never
    # used: without it eventlet does not import dnspython and cryptography (0.1-0.25 s
    # of every start, more than any other import; docs/performance.md)
    os.environ.setdefault("EVENTLET_NO_GREENDNS", "yes")
    from ovsagent.config import startup, support, validate

    try:
        conf = startup.load_config(args)
    except cfg.Error as exc:  # missing file or directory, unparsable file, ...
        return _fail([exc])
    except SystemExit as exc:  # --help (0) or a usage error argparse already printed
        code = exc.code if isinstance(exc.code, int) else 1
        return 0 if code == 0 else 1

    errors = validate.validate(conf)
    if errors:
        return _fail(errors)

    startup.setup_logging(conf)
    startup.log_effective_options(conf, LOG)
    for note in validate.config_warnings(conf):
        LOG.warning("%s", note)
    support.log_unsupported(conf, LOG)

    try:  # imported late: --version and config errors stay fast and light
        daemon = importlib.import_module(DAEMON_MODULE)
        run = daemon.run
    except (ImportError, AttributeError) as exc:
        if isinstance(exc, ModuleNotFoundError) and exc.name == DAEMON_MODULE:
            LOG.error("agent daemon not available yet")
        else:
            LOG.error("agent daemon not available: %s", exc)
        return 2
    return int(run(conf))


if __name__ == "__main__":
    sys.exit(main())
