"""``[ovs]`` options: the reference agent's names, types and defaults.

Plus ``of_interface`` (native | ovs-ofctl), which the reference dropped
but ovsagent keeps to choose its OpenFlow driver, and
``use_veth_interconnection``, removed from the reference in 2020 and
accepted here only so that old files still load.
"""

from __future__ import annotations

from oslo_config import cfg

OF_INTERFACES = ("native", "ovs-ofctl")
DATAPATH_TYPES = ("system", "netdev")
OVSDB_CONNECTION_RE = r"^(tcp|ssl|unix):.+"

INVENTORY_DEFAULTS = {"allocation_ratio": 1.0, "min_unit": 1, "step_size": 1, "reserved": 0}

OVS_OPTS: list[cfg.Opt] = [
    cfg.StrOpt("integration_bridge", default="br-int",
               help="Integration bridge every VIF attaches to. Do not change it "
                    "unless you have a good reason to."),
    cfg.StrOpt("tunnel_bridge", default="br-tun", help="Tunnel (overlay) bridge."),
    cfg.StrOpt("int_peer_patch_port", default="patch-tun",
               help="Patch port on the integration bridge toward the tunnel bridge."),
    cfg.StrOpt("tun_peer_patch_port", default="patch-int",
               help="Patch port on the tunnel bridge toward the integration bridge."),
    cfg.IPOpt("local_ip",
              help="IP address of the local overlay (tunnel) endpoint; IPv4 or IPv6. It "
                   "must be configured on one of this host's interfaces, and its IP "
                   "version must equal the server's [ml2] overlay_ip_version."),
    cfg.ListOpt("bridge_mappings", default=[],
                help="Comma-separated <physical_network>:<bridge> pairs for flat and "
                     "VLAN networks. Each bridge must already exist. Bridge names of "
                     "at most 11 characters keep the int-/phy- patch port names "
                     "readable."),
    cfg.BoolOpt("use_veth_interconnection", default=False, deprecated_for_removal=True,
                deprecated_reason="Removed from the reference agent; ovsagent always "
                                  "interconnects bridges with OVS patch ports.",
                help="Use veth pairs instead of patch ports toward physical bridges "
                     "(not supported: accepted so that old files still load)."),
    cfg.StrOpt("datapath_type", default="system", choices=list(DATAPATH_TYPES),
               help="OVS datapath type written to every bridge the agent ensures: "
                    "'system' (kernel) or 'netdev' (userspace)."),
    cfg.StrOpt("vhostuser_socket_dir", default="/var/run/openvswitch",
               help="OVS vhost-user socket directory (reported to the server)."),
    cfg.StrOpt("of_interface", default="native", choices=list(OF_INTERFACES),
               help="OpenFlow driver: 'native' (embedded os-ken controller, the only "
                    "one the reference has) or 'ovs-ofctl'. ovsagent extension."),
    cfg.IPOpt("of_listen_address", default="127.0.0.1",
              help="Address the native OpenFlow controller listens on."),
    cfg.PortOpt("of_listen_port", default=6633,
                help="Port the native OpenFlow controller listens on."),
    cfg.IntOpt("of_connect_timeout", default=300, min=1,
               help="Seconds to wait for a bridge to connect to the controller."),
    cfg.IntOpt("of_request_timeout", default=300, min=1,
               help="Seconds to wait for one OpenFlow request."),
    cfg.IntOpt("of_inactivity_probe", default=10, min=0,
               help="Controller inactivity probe in seconds (0 disables it)."),
    cfg.BoolOpt("openflow_processed_per_port", default=False,
                help="Apply all OVS-firewall flows of one port in one ovs-ofctl call."),
    cfg.BoolOpt("qos_meter_bandwidth", default=False,
                help="Use OpenFlow meters for QoS bandwidth limits."),
    cfg.BoolOpt("trunk_enabled", default=True,
                help="Load the trunk agent side (extra RPC queues). ovsagent has no "
                     "trunk support and declares no trunk queues either way."),
    cfg.ListOpt("resource_provider_bandwidths", default=[],
                help="<bridge>:<egress_bw>:<ingress_bw> placement bandwidth inventory."),
    cfg.DictOpt("resource_provider_hypervisors", default={},
                help="<bridge>:<hypervisor> mapping for placement."),
    cfg.ListOpt("resource_provider_packet_processing_without_direction", default=[],
                help="<hypervisor>:<packet_rate> placement inventory (kpps), "
                     "direction-less. Mutually exclusive with the 'with_direction' "
                     "option."),
    cfg.ListOpt("resource_provider_packet_processing_with_direction", default=[],
                help="<hypervisor>:<egress_pkt_rate>:<ingress_pkt_rate> placement "
                     "inventory (kpps)."),
    cfg.StrOpt("resource_provider_default_hypervisor",
               help="Default hypervisor name for placement resource providers."),
    cfg.DictOpt("resource_provider_inventory_defaults", default=dict(INVENTORY_DEFAULTS),
                help="Placement inventory defaults for bandwidth providers."),
    cfg.DictOpt("resource_provider_packet_processing_inventory_defaults",
                default=dict(INVENTORY_DEFAULTS),
                help="Placement inventory defaults for packet-processing providers."),
    cfg.StrOpt("ovsdb_connection", default="tcp:127.0.0.1:6640", regex=OVSDB_CONNECTION_RE,
               help="OVSDB endpoint: tcp:IP:PORT, ssl:IP:PORT or unix:PATH."),
    cfg.StrOpt("ssl_key_file",
               help="SSL private key for an ssl: ovsdb_connection (required then)."),
    cfg.StrOpt("ssl_cert_file",
               help="SSL certificate for an ssl: ovsdb_connection (required then)."),
    cfg.StrOpt("ssl_ca_cert_file",
               help="SSL CA certificate for an ssl: ovsdb_connection (required then)."),
    cfg.BoolOpt("ovsdb_debug", default=False, help="Verbose OVSDB logging."),
    cfg.IntOpt("ovsdb_timeout", default=10, min=1,
               help="OVSDB command timeout in seconds."),
    cfg.IntOpt("bridge_mac_table_size", default=50000,
               help="other_config:mac-table-size on each bridge the agent manages."),
    cfg.BoolOpt("igmp_snooping_enable", default=False,
                help="IGMP snooping on the integration bridge."),
    cfg.BoolOpt("igmp_flood", default=False,
                help="Flood multicast (except reports) to the patch ports toward "
                     "physical networks."),
    cfg.BoolOpt("igmp_flood_reports", default=True,
                help="Flood multicast reports to the patch ports toward physical "
                     "networks."),
    cfg.BoolOpt("igmp_flood_unregistered", default=False,
                help="Flood unregistered multicast to all ports of the integration "
                     "bridge."),
]


def register(conf: cfg.ConfigOpts) -> None:
    conf.register_opts(OVS_OPTS, group="ovs")


def list_opts() -> list[tuple[str, list[cfg.Opt]]]:
    return [("ovs", OVS_OPTS)]
