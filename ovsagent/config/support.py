"""Which reference options the ovsagent core implements.

Every option of ``ovsagent.config`` is accepted. Those in :data:`SUPPORTED`
are honoured; the others are read and ignored, and a non-default value is
logged once as unsupported. :data:`SUPPORTED_VALUES` narrows a supported
option to the values that are implemented (anything else is logged too).
Library options (oslo.log, oslo.messaging) are always honoured and are not
listed here.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from oslo_config import cfg

from ovsagent.config.common_opts import NOOP_FIREWALL_DRIVERS
from ovsagent.config.opts import list_opts

Key = tuple[str, str]  # (group, option); group "DEFAULT" for [DEFAULT]
Groups = Iterable[tuple[str, list[cfg.Opt]]]
Log = logging.Logger | logging.LoggerAdapter[Any]

SUPPORTED: frozenset[Key] = frozenset({
    # read by ovsagent.agent.settings.AgentSettings
    ("DEFAULT", "host"),
    ("ovs", "integration_bridge"),
    ("ovs", "tunnel_bridge"),
    ("ovs", "int_peer_patch_port"),
    ("ovs", "tun_peer_patch_port"),
    ("ovs", "local_ip"),
    ("ovs", "bridge_mappings"),
    ("ovs", "datapath_type"),
    ("ovs", "of_interface"),
    ("ovs", "of_listen_address"),
    ("ovs", "of_listen_port"),
    ("ovs", "of_connect_timeout"),
    ("ovs", "of_request_timeout"),
    ("ovs", "of_inactivity_probe"),
    ("ovs", "ovsdb_connection"),
    ("ovs", "ovsdb_timeout"),
    ("ovs", "bridge_mac_table_size"),
    ("ovs", "igmp_flood"),
    ("ovs", "igmp_flood_reports"),
    ("ovs", "igmp_snooping_enable"),
    ("ovs", "igmp_flood_unregistered"),
    ("agent", "polling_interval"),
    ("agent", "tunnel_types"),
    ("agent", "vxlan_udp_port"),
    ("agent", "l2_population"),
    ("agent", "arp_responder"),
    ("agent", "dont_fragment"),
    ("agent", "tunnel_csum"),
    ("agent", "drop_flows_on_start"),
    ("agent", "report_interval"),
    # RPC layer and state report (values passed through or reported)
    ("DEFAULT", "rpc_response_max_timeout"),
    ("DEFAULT", "rpc_resources_processing_step"),
    ("ovs", "vhostuser_socket_dir"),
    ("agent", "log_agent_heartbeats"),
    ("agent", "quitting_rpc_timeout"),
    # honoured by construction: nothing for ovsagent to do with any value
    ("DEFAULT", "state_path"),            # the saved port list (agent/portlist.py)
    ("ovs", "trunk_enabled"),             # no trunk queues whatever the value
    ("ovs", "ovsdb_debug"),
    ("agent", "root_helper"),             # ovsagent runs its few helpers as root
    ("agent", "root_helper_daemon"),
    ("securitygroup", "firewall_driver"),  # see SUPPORTED_VALUES
    ("securitygroup", "enable_security_group"),
    # ovsagent's own (see ADDED)
    ("agent", "metrics_listen"),
    ("agent", "ctl_socket"),
})

#: options ovsagent adds; the reference agent does not know them (and ignores them)
ADDED: frozenset[Key] = frozenset({
    ("agent", "metrics_listen"),
    ("agent", "ctl_socket"),
})

#: supported options of which only some values are implemented
SUPPORTED_VALUES: Mapping[Key, frozenset[object]] = {
    ("securitygroup", "firewall_driver"): frozenset({None, "", *NOOP_FIREWALL_DRIVERS}),
}

#: why an option is not honoured, when the bare "not supported" needs context
NOTES: Mapping[Key, str] = {
    ("securitygroup", "firewall_driver"):
        "only the noop firewall is implemented: ports get no security group filtering",
    ("agent", "minimize_polling"): "ovsagent always watches OVSDB events",
    ("agent", "ovsdb_monitor_respawn_interval"):
        "ovsagent uses an OVSDB IDL connection, no ovsdb-client monitor process",
    ("agent", "enable_distributed_routing"): "DVR is not implemented",
    ("agent", "extensions"): "no L2 agent extension is implemented",
    ("ovs", "use_veth_interconnection"): "bridges are always joined by patch ports",
}


@dataclass(frozen=True)
class Unsupported:
    group: str
    name: str
    value: object
    note: str = ""

    def __str__(self) -> str:
        text = f"[{self.group}] {self.name} = {self.value!r} is not supported by ovsagent"
        return f"{text}: {self.note}; ignored" if self.note else f"{text}; ignored"


def _value(conf: cfg.ConfigOpts, group: str, name: str) -> object:
    return conf[name] if group == "DEFAULT" else conf[group][name]


def _default(opt: cfg.Opt) -> object:
    default = opt.default
    if default is None or opt.type is None or not isinstance(default, str):
        return default
    return opt.type(default)  # ListOpt/DictOpt defaults may be given as text


def find_unsupported(conf: cfg.ConfigOpts, groups: Groups | None = None) -> list[Unsupported]:
    """Options set to a value the core does not implement, in definition order."""
    found: list[Unsupported] = []
    for group, opts in list_opts() if groups is None else groups:
        for opt in opts:
            key = (group, opt.dest)
            value = _value(conf, group, opt.dest)
            allowed = SUPPORTED_VALUES.get(key)
            if allowed is not None:
                bad = value not in allowed
            else:
                bad = key not in SUPPORTED and value != _default(opt)
            if bad:
                found.append(Unsupported(group, opt.dest, value, NOTES.get(key, "")))
    return found


def log_unsupported(conf: cfg.ConfigOpts, log: Log,
                    seen: set[tuple[str, str, str]] | None = None) -> list[Unsupported]:
    """Warn once per (option, value); pass the same ``seen`` set across reloads."""
    seen = set() if seen is None else seen
    found = find_unsupported(conf)
    for item in found:
        mark = (item.group, item.name, repr(item.value))
        if mark not in seen:
            seen.add(mark)
            log.warning("%s", item)
    return found
