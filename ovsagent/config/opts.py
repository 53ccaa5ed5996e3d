"""Every option ovsagent defines, for registration and oslo-config-generator.

Entry point (namespace ``ovsagent``)::

    [project.entry-points."oslo.config.opts"]
    ovsagent = "ovsagent.config.opts:list_opts"
"""

from __future__ import annotations

from oslo_config import cfg

from ovsagent.config import agent_opts, common_opts, ovs_opts


def list_opts() -> list[tuple[str, list[cfg.Opt]]]:
    """(group, options) pairs; ``DEFAULT`` is the ``[DEFAULT]`` section."""
    return common_opts.list_opts() + agent_opts.list_opts() + ovs_opts.list_opts()


def register(conf: cfg.ConfigOpts) -> None:
    """Register ovsagent's own options (not the libraries') on ``conf``."""
    for group, opts in list_opts():
        conf.register_opts(opts, group=None if group == "DEFAULT" else group)
