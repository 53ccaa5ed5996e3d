"""Start-up checks of the configuration, as the reference agent does them.

:func:`validate` returns one :class:`ConfigError` per problem (bad values
oslo.config rejects, then the reference's semantic checks); any error
means exit status 1. :func:`config_warnings` lists the suspicious but
legal settings. Neither needs OVSDB; :func:`check_bridges_exist` is the
one check that does, given the bridge names found there.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from oslo_config import cfg

from ovsagent.config import hostaddr
from ovsagent.config.agent_opts import TUNNEL_TYPES
from ovsagent.config.listen import parse_listen

MAX_IFNAME = 15           # Linux interface name limit (IFNAMSIZ - 1)
MAX_PHYS_BRIDGE_NAME = 11  # longer names make the int-/phy- patch port names hashed
AGENT_DOWN_TIME = 75       # server default: no heartbeat for that long = agent dead
_NOT_VALID = re.compile(r"^Value for option \S+ from .*? is not valid: ", re.S)


@dataclass(frozen=True)
class ConfigError:
    section: str
    option: str
    value: str | None
    message: str

    def __str__(self) -> str:
        where = f"[{self.section}] {self.option}"
        if self.value is not None:
            where += f" = '{self.value}'"
        return f"{where}: {self.message}"


def _config_files(conf: cfg.ConfigOpts) -> list[Path]:
    files = [Path(f) for f in conf.config_file or []]
    for directory in conf.config_dir or []:
        files += sorted(Path(directory).glob("*.conf"))
    return files


def raw_value(conf: cfg.ConfigOpts, section: str, option: str) -> str | None:
    """The text of ``option`` in the last config file that sets it, if any."""
    found: str | None = None
    for path in _config_files(conf):
        sections: dict[str, dict[str, list[str]]] = {}
        try:
            cfg.ConfigParser(str(path), sections).parse()
        except Exception:  # unreadable files are reported by oslo.config itself
            continue
        for name, values in sections.items():
            if (name if name == "DEFAULT" else name.lower()) != section:
                continue
            for key, texts in values.items():
                if key.replace("-", "_") == option and texts:
                    found = texts[-1]
    return found


def value_errors(conf: cfg.ConfigOpts) -> list[ConfigError]:
    """Read every registered option once; each value oslo.config rejects is an error."""
    errors: list[ConfigError] = []

    def read(section: str, option: str, holder: cfg.ConfigOpts | cfg.ConfigOpts.GroupAttr,
             ) -> object:
        try:
            return holder[option]
        except cfg.Error as exc:
            reason = _NOT_VALID.sub("", str(exc))
            errors.append(ConfigError(section, option, raw_value(conf, section, option),
                                      reason))
            return None

    for key in sorted(conf):
        value = read("DEFAULT", key, conf)
        if isinstance(value, cfg.ConfigOpts.GroupAttr):
            for name in sorted(value):
                read(key, name, value)
    return errors


def parse_mappings(entries: Iterable[str], what: str = "bridge",
                   section: str = "ovs", option: str = "bridge_mappings",
                   ) -> tuple[dict[str, str], list[ConfigError]]:
    """``physnet:bridge`` entries -> ({physnet: bridge}, errors); blanks are skipped.

    Keys and values must be unique, as in the reference.
    """
    mapping: dict[str, str] = {}
    errors: list[ConfigError] = []

    def bad(entry: str, message: str) -> None:
        errors.append(ConfigError(section, option, entry, message))

    for raw in entries:
        entry = raw.strip()
        if not entry:
            continue
        parts = entry.split(":")
        if len(parts) != 2:
            bad(entry, f"not a <physical_network>:<{what}> pair")
            continue
        key, value = parts[0].strip(), parts[1].strip()
        if not key:
            bad(entry, "physical network name missing")
        elif not value:
            bad(entry, f"{what} name missing")
        elif key in mapping:
            bad(entry, f"physical network '{key}' is mapped twice")
        elif value in mapping.values():
            other = next(k for k, v in mapping.items() if v == value)
            bad(entry, f"{what} '{value}' is already mapped to physical network '{other}'")
        else:
            mapping[key] = value
    return mapping, errors


def _check_bridge_name(option: str, name: str) -> list[ConfigError]:
    if not name:
        return [ConfigError("ovs", option, name, "bridge name is empty")]
    if len(name) > MAX_IFNAME:
        return [ConfigError("ovs", option, name,
                            f"bridge name is longer than {MAX_IFNAME} characters")]
    return []


def _check_tunnels(conf: cfg.ConfigOpts,
                   addresses: Callable[[], set[hostaddr.Address]]) -> list[ConfigError]:
    types = conf.agent.tunnel_types
    if not types:
        return []
    errors = [ConfigError("agent", "tunnel_types", t,
                          f"not a tunnel type (allowed: {', '.join(TUNNEL_TYPES)})")
              for t in types if t not in TUNNEL_TYPES]
    ovs = conf.ovs
    listed = ",".join(types)
    if not ovs.local_ip:
        errors.append(ConfigError("ovs", "local_ip", None,
                                  f"required when [agent] tunnel_types is set ({listed})"))
    else:
        try:
            local = hostaddr.is_local_address(ovs.local_ip, addresses())
        except Exception as exc:
            errors.append(ConfigError("ovs", "local_ip", ovs.local_ip,
                                      f"cannot list this host's addresses: {exc}"))
        else:
            if not local:
                errors.append(ConfigError(
                    "ovs", "local_ip", ovs.local_ip,
                    "not configured on any interface of this host "
                    f"(needed for [agent] tunnel_types = {listed})"))
    errors += _check_bridge_name("tunnel_bridge", ovs.tunnel_bridge)
    if ovs.tunnel_bridge == ovs.integration_bridge:
        errors.append(ConfigError("ovs", "tunnel_bridge", ovs.tunnel_bridge,
                                  "same bridge as [ovs] integration_bridge"))
    if ovs.int_peer_patch_port == ovs.tun_peer_patch_port:
        errors.append(ConfigError("ovs", "tun_peer_patch_port", ovs.tun_peer_patch_port,
                                  "same name as [ovs] int_peer_patch_port"))
    if conf.agent.enable_distributed_routing and not conf.agent.l2_population:
        errors.append(ConfigError("agent", "l2_population", "False",
                                  "DVR with tunnels ([agent] enable_distributed_routing) "
                                  "requires l2_population"))
    return errors


def _check_bridge_mappings(conf: cfg.ConfigOpts) -> list[ConfigError]:
    ovs = conf.ovs
    mapping, errors = parse_mappings(ovs.bridge_mappings)
    own = {ovs.integration_bridge: "integration_bridge"}
    if conf.agent.tunnel_types:
        own[ovs.tunnel_bridge] = "tunnel_bridge"
    for physnet, bridge in mapping.items():
        entry = f"{physnet}:{bridge}"
        errors += [ConfigError("ovs", "bridge_mappings", entry, e.message)
                   for e in _check_bridge_name("bridge_mappings", bridge)]
        if bridge in own:
            errors.append(ConfigError("ovs", "bridge_mappings", entry,
                                      f"bridge is the [ovs] {own[bridge]}"))
    return errors


def _check_ovs(conf: cfg.ConfigOpts) -> list[ConfigError]:
    return _check_bridge_name("integration_bridge", conf.ovs.integration_bridge)


def _check_ovsdb_ssl(conf: cfg.ConfigOpts) -> list[ConfigError]:
    ovs = conf.ovs
    if not ovs.ovsdb_connection.startswith("ssl:"):
        return []
    return [ConfigError("ovs", name, None,
                        f"required with [ovs] ovsdb_connection = '{ovs.ovsdb_connection}'")
            for name in ("ssl_key_file", "ssl_cert_file", "ssl_ca_cert_file")
            if not ovs[name]]


def _check_placement(conf: cfg.ConfigOpts) -> list[ConfigError]:
    ovs = conf.ovs
    with_dir = ovs.resource_provider_packet_processing_with_direction
    if with_dir and ovs.resource_provider_packet_processing_without_direction:
        return [ConfigError("ovs", "resource_provider_packet_processing_with_direction",
                            ",".join(with_dir), "mutually exclusive with [ovs] "
                            "resource_provider_packet_processing_without_direction")]
    return []


def _check_report_interval(conf: cfg.ConfigOpts) -> list[ConfigError]:
    interval = conf.agent.report_interval
    if interval < 0:
        return [ConfigError("agent", "report_interval", f"{interval:g}",
                            "must be >= 0 (0 disables state reports)")]
    return []


def _check_metrics_listen(conf: cfg.ConfigOpts) -> list[ConfigError]:
    listen = conf.agent.metrics_listen
    try:
        if listen:
            parse_listen(listen)
    except ValueError as exc:
        return [ConfigError("agent", "metrics_listen", listen, str(exc))]
    return []


def validate(conf: cfg.ConfigOpts,
             addresses: Callable[[], set[hostaddr.Address]] | None = None,
             ) -> list[ConfigError]:
    """All configuration errors, oslo.config's first, then the reference's checks.

    ``addresses`` lists this host's IP addresses (default: the interfaces of
    the current network namespace, :func:`hostaddr.host_addresses`).
    """
    lookup = hostaddr.host_addresses if addresses is None else addresses
    checks: list[Callable[[cfg.ConfigOpts], list[ConfigError]]] = [
        _check_ovs, _check_ovsdb_ssl, _check_placement, _check_report_interval,
        _check_metrics_listen, _check_bridge_mappings, lambda c: _check_tunnels(c, lookup)]
    errors = value_errors(conf)
    for check in checks:
        try:
            errors += check(conf)
        except cfg.Error:  # reads a bad value, reported above already
            continue
    return errors


def config_warnings(conf: cfg.ConfigOpts) -> list[str]:
    """Legal settings that probably do not do what the operator expects."""
    agent, ovs = conf.agent, conf.ovs
    notes: list[str] = []
    if agent.arp_responder and not agent.l2_population:
        notes.append("[agent] arp_responder = True has no effect without "
                     "[agent] l2_population = True")
    if agent.dscp is not None and agent.dscp_inherit:
        notes.append(f"[agent] dscp = {agent.dscp} is ignored: [agent] dscp_inherit = True "
                     "takes precedence")
    if agent.report_interval == 0:
        notes.append("[agent] report_interval = 0: no state reports, the server will "
                     "consider this agent dead and bind no port to it")
    elif agent.report_interval >= AGENT_DOWN_TIME:
        notes.append(f"[agent] report_interval = {agent.report_interval:g}: not below the "
                     f"server's default agent_down_time ({AGENT_DOWN_TIME} s)")
    mapping, _ = parse_mappings(ovs.bridge_mappings)
    notes += [f"[ovs] bridge_mappings: bridge name '{bridge}' is longer than "
              f"{MAX_PHYS_BRIDGE_NAME} characters; its patch port names will be shortened "
              "with a hash"
              for bridge in mapping.values() if MAX_PHYS_BRIDGE_NAME < len(bridge) <= MAX_IFNAME]
    if ovs.of_interface == "ovs-ofctl":
        for name, default in (("of_listen_address", "127.0.0.1"), ("of_listen_port", 6633)):
            if ovs[name] != default:
                notes.append(f"[ovs] {name} = {ovs[name]} is unused with [ovs] "
                             "of_interface = ovs-ofctl")
    return notes


def check_bridges_exist(conf: cfg.ConfigOpts, existing: Iterable[str]) -> list[ConfigError]:
    """Each bridge of ``[ovs] bridge_mappings`` must exist in OVSDB (``existing``)."""
    present = set(existing)
    mapping, _ = parse_mappings(conf.ovs.bridge_mappings)
    return [ConfigError("ovs", "bridge_mappings", f"{physnet}:{bridge}",
                        f"bridge '{bridge}' does not exist in OVSDB")
            for physnet, bridge in mapping.items() if bridge not in present]
