"""``[agent]`` options: the reference agent's names, types and defaults.

The reference spreads them over several modules (OVS agent options, common
L2 agent options, agent state reporting, root helper, extension manager);
they all land in the one ``[agent]`` section.
"""

from __future__ import annotations

from oslo_config import cfg

TUNNEL_TYPES = ("gre", "vxlan", "geneve")
VXLAN_UDP_PORT = 4789
DEFAULT_OVSDBMON_RESPAWN = 30

AGENT_OPTS: list[cfg.Opt] = [
    cfg.IntOpt("polling_interval", default=2, min=1,
               help="Minimum seconds between two iterations of the agent loop."),
    cfg.BoolOpt("minimize_polling", default=True,
                help="Watch OVSDB for interface changes instead of scanning every "
                     "iteration (ovsagent always uses OVSDB events)."),
    cfg.IntOpt("ovsdb_monitor_respawn_interval", default=DEFAULT_OVSDBMON_RESPAWN,
               help="Seconds before respawning a dead ovsdb-client monitor (ovsagent "
                    "uses an OVSDB IDL connection, not a monitor process)."),
    cfg.ListOpt("tunnel_types", default=[],
                help="Tunnel network types this agent supports: any of gre, vxlan, "
                     "geneve. Empty: no tunnel bridge."),
    cfg.PortOpt("vxlan_udp_port", default=VXLAN_UDP_PORT,
                help="UDP destination port of VXLAN tunnels."),
    cfg.BoolOpt("l2_population", default=False,
                help="Use the server's l2population driver to learn remote MAC/IP "
                     "entries and flood lists."),
    cfg.BoolOpt("arp_responder", default=False,
                help="Answer ARP requests for remote ports locally on the tunnel "
                     "bridge. Effective only with l2_population."),
    cfg.BoolOpt("dont_fragment", default=True,
                help="Set the don't-fragment bit on the outer header of tunnel packets."),
    cfg.BoolOpt("enable_distributed_routing", default=False,
                help="Run in DVR mode (not supported by ovsagent)."),
    cfg.BoolOpt("drop_flows_on_start", default=False,
                help="Delete every flow of the managed bridges at start (brief traffic "
                     "interruption)."),
    cfg.BoolOpt("tunnel_csum", default=False,
                help="Compute the outer header checksum of tunnel packets."),
    cfg.IntOpt("dscp", min=0, max=63,
               help="DSCP value of the outer header of tunnel packets."),
    cfg.BoolOpt("dscp_inherit", default=False,
                help="Copy the inner DSCP to the outer header of tunnel packets (takes "
                     "precedence over dscp)."),
    cfg.BoolOpt("baremetal_smartnic", default=False,
                help="Handle smart-NIC port representors of bare-metal instances."),
    cfg.BoolOpt("explicitly_egress_direct", default=False,
                help="Output egress traffic directly instead of through the NORMAL "
                     "action."),
    cfg.IntOpt("quitting_rpc_timeout", default=10, min=0,
               help="On SIGTERM, cap RPC call timeouts to this many seconds (0: leave "
                    "them unchanged)."),
    cfg.FloatOpt("report_interval", default=30,
                 help="Seconds between two state reports to the server (0 disables "
                      "them). Keep it at most half the server's agent_down_time."),
    cfg.BoolOpt("log_agent_heartbeats", default=False,
                help="Ask the server to log this agent's heartbeats."),
    cfg.ListOpt("extensions", default=[],
                help="L2 agent extensions to load (none supported by ovsagent)."),
    cfg.StrOpt("root_helper", default="sudo",
               help="Command prefix for privileged helper commands."),
    cfg.StrOpt("root_helper_daemon",
               help="Long-running root helper daemon command, if any."),
]

DEFAULT_CTL_SOCKET = "/var/run/ovsagent/ovsagent.sock"

#: ovsagent's own operability options (the reference agent has none of these)
OPS_OPTS: list[cfg.Opt] = [
    cfg.StrOpt("metrics_listen", default="",
               help="ADDRESS:PORT to serve Prometheus metrics on at /metrics (e.g. "
                    "127.0.0.1:9310, [::1]:9310). Empty: no metrics endpoint. ovsagent "
                    "only."),
    cfg.StrOpt("ctl_socket", default=DEFAULT_CTL_SOCKET,
               help="Unix socket ovsagent-ctl talks to (mode 0660: the agent's user and "
                    "group). Empty: no ctl socket. ovsagent only."),
]


def register(conf: cfg.ConfigOpts) -> None:
    conf.register_opts(AGENT_OPTS + OPS_OPTS, group="agent")


def list_opts() -> list[tuple[str, list[cfg.Opt]]]:
    return [("agent", AGENT_OPTS + OPS_OPTS)]
