"""``ovsagent-lab status``: services, hosts, agents (as the server sees them), ports."""

from __future__ import annotations

from ovsagent.lab import hosts, services
from ovsagent.lab.client import NeutronError, Resource
from ovsagent.lab.lab import Lab

SERVICE_PORTS = {"rabbitmq": "rabbit", "epmd": "epmd", "neutron-api": "api"}


def render(lab: Lab) -> str:
    st = lab.state
    if not st.services and not st.hosts:
        return f"lab {lab.paths.root}: not up (run `ovsagent-lab up`)"
    lines = [f"lab {lab.paths.root}  run {st.run_id or '-'}  agent {st.agent or '-'}",
             f"logs {lab.paths.logs}", "", "services:"]
    for name, proc in st.services.items():
        port = st.ports.get(SERVICE_PORTS.get(name, ""), 0)
        where = f"127.0.0.1:{port}" if port else ""
        if name == "mariadb":
            where = str(lab.paths.db_socket)
        elif name == "relay-rabbit":
            where = str(lab.paths.relay_socket("rabbit"))
        lines.append(f"  {name:<18} pid {proc.pid:<8} {'up' if proc.alive else 'DOWN':<5}"
                     f" {where}")
    api_up = "api" in st.ports and services.api_ready(st.ports["api"])
    agents: dict[str, Resource] = {}
    ports: list[Resource] = []
    if api_up:
        try:
            agents = {a["host"]: a for a in lab.client.list_agents()}
            ports = lab.client.list_ports()
        except (NeutronError, OSError) as exc:
            lines.append(f"  (API error: {exc})")
    lines += ["", "hosts:"]
    for hs in st.hosts.values():
        host = lab.host(hs.name)
        ovs = "up" if hosts.host_healthy(host) else "DOWN"
        agent = hs.agent
        desc = f"{hs.agent_kind} pid {agent.pid} {'up' if agent.alive else 'DOWN'}" \
            if agent else "no agent"
        row = agents.get(hs.name)
        server = ("alive" if row["alive"] else "dead") if row else \
            ("not registered" if api_up else "API down")
        lines.append(f"  {hs.name:<4} netns {host.netns:<12} underlay {hs.underlay_ip:<12} "
                     f"ovs {ovs:<4} agent {desc}, server: {server}")
    if st.vms:
        lines += ["", "VMs (namespaces):"]
        for name, vm in st.vms.items():
            lines.append(f"  {name:<12} on {vm['host']:<4} netns {vm['netns']:<20} "
                         f"{vm['cidr']:<18} port {vm['port_id'][:8]}")
    lines += ["", f"ports ({len(ports)}):"]
    for p in ports:
        ips = ",".join(f["ip_address"] for f in p.get("fixed_ips", []))
        lines.append(f"  {p['id'][:8]}  net {p['network_id'][:8]}  host "
                     f"{p.get('binding:host_id') or '-':<4} {p['status']:<6} "
                     f"{p.get('binding:vif_type', '-'):<14} {p['mac_address']}  {ips}")
    return "\n".join(lines)
