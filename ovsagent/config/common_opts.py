"""``[DEFAULT]``, ``[securitygroup]`` and ``[ml2]`` options the agent reads.

``transport_url``, ``rpc_response_timeout``, ``control_exchange`` and the
rest of the messaging options belong to oslo.messaging: they are registered
from the library's own option list (:func:`register_messaging`), with the
control exchange defaulted to ``neutron`` as the reference does.
"""

from __future__ import annotations

import socket

from oslo_config import cfg

CONTROL_EXCHANGE = "neutron"
RPC_RESPONSE_MAX_TIMEOUT = 600
RPC_RESOURCES_PROCESSING_STEP = 20

#: accepted spellings of the one firewall driver ovsagent implements
NOOP_FIREWALL_DRIVERS = frozenset({"noop", "neutron.agent.firewall.NoopFirewallDriver"})

DEFAULT_OPTS: list[cfg.Opt] = [
    cfg.HostAddressOpt("host", default=socket.gethostname(), sample_default="example.domain",
                       help="This agent's identity toward the server: the host of its "
                            "RPC queues and reports. Must equal the host Nova binds "
                            "ports to (binding:host_id)."),
    cfg.StrOpt("state_path", default="/var/lib/neutron",
               help="Directory for state files; must be writable by the agent. "
                    "ovsagent saves there the ports on the integration bridge "
                    "(ovsagent-ports-<host>.json), to ask the server for them "
                    "early at its next start."),
    cfg.IntOpt("rpc_response_max_timeout", default=RPC_RESPONSE_MAX_TIMEOUT, min=1,
               help="Upper bound in seconds of the per-method RPC timeout, which "
                    "doubles after each timeout starting from rpc_response_timeout."),
    cfg.IntOpt("rpc_resources_processing_step", default=RPC_RESOURCES_PROCESSING_STEP,
               min=1,
               help="Number of resources per RPC call when a large call is split "
                    "(device status updates, security group info)."),
]

SECURITYGROUP_OPTS: list[cfg.Opt] = [
    cfg.StrOpt("firewall_driver",
               help="Security group firewall driver: noop, openvswitch, "
                    "iptables_hybrid or iptables. Unset means noop. ovsagent "
                    "implements noop only."),
    cfg.BoolOpt("enable_security_group", default=True,
                help="Security groups are enabled on the server; when False the "
                     "agent does no security group processing."),
    cfg.BoolOpt("enable_ipset", default=True,
                help="Use ipsets in iptables-based firewalls."),
    cfg.ListOpt("permitted_ethertypes", default=[],
                help="Extra ethertypes to permit, hexadecimal with 0x prefix (e.g. "
                     "0x4008)."),
]

ML2_OPTS: list[cfg.Opt] = [
    cfg.StrOpt("tunnelled_network_rp_name", default="rp_tunnelled",
               help="Placement resource provider name of this host's tunnelled "
                    "networks (reported in resource_provider_hypervisors)."),
]


def register(conf: cfg.ConfigOpts) -> None:
    conf.register_opts(DEFAULT_OPTS)
    conf.register_opts(SECURITYGROUP_OPTS, group="securitygroup")
    conf.register_opts(ML2_OPTS, group="ml2")


def register_messaging(conf: cfg.ConfigOpts) -> None:
    """Register oslo.messaging's options (transport_url, rpc_response_timeout, ...).

    Uses the library's public option list so that oslo.messaging registering
    the same options later (transport, RPC client) finds them identical.
    """
    import oslo_messaging
    from oslo_messaging import opts as messaging_opts

    oslo_messaging.set_transport_defaults(control_exchange=CONTROL_EXCHANGE)
    for group, opts in messaging_opts.list_opts():
        conf.register_opts(opts, group=group)


def list_opts() -> list[tuple[str, list[cfg.Opt]]]:
    return [("DEFAULT", DEFAULT_OPTS), ("securitygroup", SECURITYGROUP_OPTS),
            ("ml2", ML2_OPTS)]
