"""The ``ovsagent`` command line (the agent daemon itself arrives with the core)."""

from __future__ import annotations

import sys

from ovsagent import __version__


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if "--version" in args:
        print(f"ovsagent {__version__}")
        return 0
    print("ovsagent: the agent daemon is not implemented yet; only --version works",
          file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
