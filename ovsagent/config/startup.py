"""From the reference command line to a loaded ``ConfigOpts`` and logging.

The command line is the reference's: ``--config-file`` (repeatable),
``--config-dir`` (``*.conf`` read in alphabetical order), both read in
the order given (later wins), plus oslo.log's options (``--log-file``,
``--log-dir``, ``--debug``, ``--use-syslog``, ...). Without
``--config-file``/``--config-dir`` the reference's default locations are
searched (project ``neutron``, program ``neutron-openvswitch-agent``:
``/etc/neutron/neutron.conf``, ``/etc/neutron/neutron.conf.d``, ...).

SIGHUP (a later issue) fits this: ``conf.mutate_config_files()`` then
:func:`setup_logging` again, then :func:`log_effective_options`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence

from oslo_config import cfg
from oslo_log import log as oslo_logging

from ovsagent import __version__
from ovsagent.config import common_opts, opts

PROJECT = "neutron"
REFERENCE_PROG = "neutron-openvswitch-agent"
PROG = "ovsagent"
PRODUCT = "ovsagent"

#: (section, option) logged at INFO on start: what this agent will do
KEY_OPTIONS: tuple[tuple[str, str], ...] = (
    ("DEFAULT", "host"),
    ("DEFAULT", "transport_url"),
    ("DEFAULT", "rpc_response_timeout"),
    ("ovs", "of_interface"),
    ("ovs", "integration_bridge"),
    ("ovs", "tunnel_bridge"),
    ("ovs", "local_ip"),
    ("ovs", "bridge_mappings"),
    ("ovs", "datapath_type"),
    ("ovs", "ovsdb_connection"),
    ("agent", "tunnel_types"),
    ("agent", "l2_population"),
    ("agent", "arp_responder"),
    ("agent", "polling_interval"),
    ("agent", "report_interval"),
    ("securitygroup", "firewall_driver"),
)

_URL_PASSWORD = re.compile(r"((?:://|,)[^:/@,]*:)[^@/,]*(@)")


def build_conf() -> cfg.ConfigOpts:
    """A fresh ``ConfigOpts`` with every option the agent reads registered."""
    conf = cfg.ConfigOpts()
    opts.register(conf)
    common_opts.register_messaging(conf)
    oslo_logging.register_options(conf)
    return conf


def default_config_locations() -> tuple[list[str], list[str]]:
    """The files and directories the reference reads when none are given."""
    return (cfg.find_config_files(project=PROJECT, prog=REFERENCE_PROG),
            cfg.find_config_dirs(project=PROJECT, prog=REFERENCE_PROG))


def load_config(argv: Sequence[str], default_config_files: list[str] | None = None,
                default_config_dirs: list[str] | None = None) -> cfg.ConfigOpts:
    """Parse ``argv`` (without the program name) and the config files it names.

    Raises ``cfg.Error`` subclasses (``ConfigFilesNotFoundError``,
    ``ConfigDirNotFoundError``, ``ConfigFileParseError``, ...) and
    ``SystemExit`` for ``--help``/``--version``/usage errors. Bad values in
    files surface later, on access: see ``validate.value_errors``.
    """
    files, dirs = default_config_locations()
    conf = build_conf()
    conf(args=list(argv), project=PROJECT, prog=PROG, version=f"{PROG} {__version__}",
         default_config_files=files if default_config_files is None else default_config_files,
         default_config_dirs=dirs if default_config_dirs is None else default_config_dirs)
    return conf


def setup_logging(conf: cfg.ConfigOpts) -> None:
    """Configure logging from ``conf`` (oslo.log); safe to call again on reload."""
    oslo_logging.setup(conf, PRODUCT, version=__version__)


def mask_url(url: str) -> str:
    """A transport URL with its passwords replaced by ``***``."""
    return _URL_PASSWORD.sub(r"\1***\2", url)


def option_value(conf: cfg.ConfigOpts, section: str, option: str) -> object:
    return conf[option] if section == "DEFAULT" else conf[section][option]


def log_effective_options(conf: cfg.ConfigOpts, log: logging.Logger | None = None) -> None:
    """INFO: the version and the key options; DEBUG: every option (secrets masked)."""
    log = log or logging.getLogger("ovsagent.config")
    log.info("ovsagent %s starting (config files: %s; config dirs: %s)", __version__,
             ", ".join(conf.config_file) or "none", ", ".join(conf.config_dir) or "none")
    for section, option in KEY_OPTIONS:
        value = option_value(conf, section, option)
        if option == "transport_url" and value:
            value = mask_url(str(value))
        log.info("[%s] %s = %s", section, option, value)
    conf.log_opt_values(log, logging.DEBUG)
