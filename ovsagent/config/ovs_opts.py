"""``[ovs]`` options: the reference agent's names, types and defaults.

Plus ``of_interface`` (native | ovs-ofctl), which the reference dropped
but ovsagent keeps to choose its OpenFlow driver.
"""

from __future__ import annotations

from oslo_config import cfg, types

OF_INTERFACES = ("native", "ovs-ofctl")

OVS_OPTS: list[cfg.Opt] = [
    cfg.StrOpt("integration_bridge", default="br-int",
               help="Integration bridge every VIF attaches to."),
    cfg.StrOpt("tunnel_bridge", default="br-tun", help="Tunnel (overlay) bridge."),
    cfg.StrOpt("int_peer_patch_port", default="patch-tun",
               help="Patch port on the integration bridge toward the tunnel bridge."),
    cfg.StrOpt("tun_peer_patch_port", default="patch-int",
               help="Patch port on the tunnel bridge toward the integration bridge."),
    cfg.IPOpt("local_ip", help="Local tunnel endpoint address (must exist on this host)."),
    cfg.ListOpt("bridge_mappings", default=[],
                help="physnet:bridge pairs; bridges must already exist."),
    cfg.StrOpt("datapath_type", default="system", choices=["system", "netdev"],
               help="OVS datapath type written to every bridge the agent ensures."),
    cfg.StrOpt("vhostuser_socket_dir", default="/var/run/openvswitch",
               help="vhost-user socket directory (reported to the server only)."),
    cfg.StrOpt("of_interface", default="native", choices=list(OF_INTERFACES),
               help="OpenFlow driver: 'native' (embedded os-ken controller) or 'ovs-ofctl'."),
    cfg.IPOpt("of_listen_address", default="127.0.0.1",
              help="Address the native OpenFlow controller listens on."),
    cfg.PortOpt("of_listen_port", default=6633,
                help="Port the native OpenFlow controller listens on."),
    cfg.IntOpt("of_connect_timeout", default=300, min=1,
               help="Seconds to wait for a bridge to connect to the controller."),
    cfg.IntOpt("of_request_timeout", default=300, min=1,
               help="Seconds to wait for one OpenFlow request."),
    cfg.IntOpt("of_inactivity_probe", default=10, min=0,
               help="Controller inactivity probe in seconds."),
    cfg.StrOpt("ovsdb_connection", default="tcp:127.0.0.1:6640",
               help="OVSDB endpoint (tcp:, ssl: or unix:)."),
    cfg.StrOpt("ssl_key_file", help="SSL private key for ssl: OVSDB connections."),
    cfg.StrOpt("ssl_cert_file", help="SSL certificate for ssl: OVSDB connections."),
    cfg.StrOpt("ssl_ca_cert_file", help="SSL CA certificate for ssl: OVSDB connections."),
    cfg.BoolOpt("ovsdb_debug", default=False, help="Verbose OVSDB logging."),
    cfg.IntOpt("ovsdb_timeout", default=10, min=1, help="OVSDB command timeout in seconds."),
    cfg.IntOpt("bridge_mac_table_size", default=50000,
               help="other_config:mac-table-size on each bridge."),
    cfg.BoolOpt("igmp_snooping_enable", default=False, help="IGMP snooping on br-int."),
    cfg.BoolOpt("igmp_flood", default=False, help="mcast-snooping-flood on patch ports."),
    cfg.BoolOpt("igmp_flood_reports", default=True,
                help="mcast-snooping-flood-reports on patch ports."),
    cfg.BoolOpt("igmp_flood_unregistered", default=False,
                help="Flood unregistered multicast on br-int."),
    cfg.Opt("resource_provider_bandwidths", type=types.List(), default=[],
            help="Placement bandwidth inventory (not used by ovsagent)."),
]


def register(conf: cfg.ConfigOpts) -> None:
    conf.register_opts(OVS_OPTS, group="ovs")


def list_opts() -> list[tuple[str, list[cfg.Opt]]]:
    """Entry point for oslo-config-generator."""
    return [("ovs", OVS_OPTS)]
