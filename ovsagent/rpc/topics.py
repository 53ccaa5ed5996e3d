"""Topic names, interface versions and resource versions of the neutron RPC contract.

Values from reference/04 (neutron-server 29.0.0). Every interface uses the
``None`` namespace; dispatch is by method name and version.
"""

from __future__ import annotations

from types import MappingProxyType

CONTROL_EXCHANGE = "neutron"

# agent -> server
PLUGIN = "q-plugin"
REPORTS = "q-reports-plugin"

PLUGIN_API_VERSION = "1.9"  # ML2 RpcCallbacks (update_device_list: 1.9, tunnel_sync: 1.4)
REPORT_STATE_VERSION = "1.4"  # AgentExtRpcCallback
RESOURCES_PULL_VERSION = "1.1"  # ResourcesPullRpcCallback (bulk_pull)

# server -> agent
TUNNEL_UPDATE = "q-agent-notifier-tunnel-update"
TUNNEL_DELETE = "q-agent-notifier-tunnel-delete"
DVR_UPDATE = "q-agent-notifier-dvr-update"
L2POP_UPDATE = "q-agent-notifier-l2population-update"

AGENT_ENDPOINT_VERSION = "1.7"  # the reference agent's own endpoint version
PUSH_ENDPOINT_VERSION = "1.1"  # ResourcesPushRpcCallback

PORT = "Port"
NETWORK = "Network"

#: versions this agent reports in ``resource_versions`` (the reference's 15 types);
#: the server then pushes each type at that version too.
RESOURCE_VERSIONS: MappingProxyType[str, str] = MappingProxyType({
    "QosPolicy": "1.10",
    "Trunk": "1.1",
    "SubPort": "1.0",
    "Port": "1.11",
    "Subnet": "1.2",
    "Network": "1.3",
    "SecurityGroup": "1.6",
    "SecurityGroupRule": "1.3",
    "Log": "1.0",
    "PortForwarding": "1.3",
    "ConntrackHelper": "1.0",
    "AddressGroup": "1.2",
    "LocalIPAssociation": "1.0",
    "NDPProxy": "1.0",
    "Agent": "1.1",
})

#: resource types whose push topics ovsagent consumes (noop firewall: no SG types)
PUSHED_TYPES: tuple[str, ...] = (PORT, NETWORK)


def push_topic(resource_type: str, version: str | None = None) -> str:
    """``neutron-vo-<Type>-<version>``: the fanout topic the server pushes a type on."""
    return f"neutron-vo-{resource_type}-{version or RESOURCE_VERSIONS[resource_type]}"


def agent_id(host: str) -> str:
    """The ``agent_id`` argument of device calls (``ovs-agent-<host>``)."""
    return f"ovs-agent-{host}"
