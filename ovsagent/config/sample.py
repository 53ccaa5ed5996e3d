"""Render ``etc/ovsagent/openvswitch_agent.ini.sample`` with oslo-config-generator.

``python -m ovsagent.config.sample`` (from the repository root) rewrites the
sample; it gives the same text as ``oslo-config-generator --config-file
etc/oslo-config-generator/ovsagent.conf`` once the ``ovsagent`` entry point
is installed, but does not need it.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from oslo_config import cfg, generator

from ovsagent.config.opts import list_opts

NAMESPACE = "ovsagent"
GENERATOR_CONF = Path("etc/oslo-config-generator/ovsagent.conf")


@contextmanager
def _own_namespace() -> Iterator[None]:
    """Serve the ``ovsagent`` namespace from :func:`list_opts`, not entry points."""
    original: Callable[[list[str]], list[Any]] = generator._get_raw_opts_loaders

    def loaders(namespaces: list[str]) -> list[Any]:
        others = [n for n in namespaces if n != NAMESPACE]
        found = dict(original(others)) if others else {}
        found[NAMESPACE] = list_opts
        return [(n, found[n]) for n in namespaces if n in found]

    generator._get_raw_opts_loaders = loaders  # type: ignore[assignment]
    try:
        yield
    finally:
        generator._get_raw_opts_loaders = original  # type: ignore[assignment]


def render(generator_conf: Path = GENERATOR_CONF) -> str:
    """The sample text for the generator settings in ``generator_conf``."""
    conf = cfg.ConfigOpts()
    generator.register_cli_opts(conf)
    conf(["--config-file", str(generator_conf)], project="ovsagent-sample",
         default_config_files=[], default_config_dirs=[])
    out = io.StringIO()
    with _own_namespace():
        generator.generate(conf, output_file=out)
    return out.getvalue()


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    generator_conf = Path(args[0]) if args else GENERATOR_CONF
    conf = cfg.ConfigOpts()
    generator.register_cli_opts(conf)
    conf(["--config-file", str(generator_conf)], project="ovsagent-sample",
         default_config_files=[], default_config_dirs=[])
    Path(conf.output_file).write_text(render(generator_conf))
    print(f"wrote {conf.output_file}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
