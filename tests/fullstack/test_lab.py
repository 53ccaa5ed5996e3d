"""The lab itself: with the reference agent, VMs on two hosts reach each other
across vxlan, vlan and flat networks. This proves the environment before
ovsagent is judged in it (OVSAGENT_LAB_AGENT=ovsagent runs the same tests
against ovsagent)."""

from __future__ import annotations

import pytest

from ovsagent.lab import Lab, Workspace

pytestmark = pytest.mark.fullstack


def test_agents_report_lab_configuration(lab: Lab) -> None:
    agents = lab.client.alive_agents()
    assert sorted(agents) == ["h1", "h2"]
    for host, agent in agents.items():
        conf = agent["configurations"]
        assert agent["binary"] == "neutron-openvswitch-agent"
        assert conf["bridge_mappings"] == {"physnet1": "br-phys1"}
        assert conf["tunnel_types"] == ["vxlan", "gre", "geneve"]
        assert conf["tunneling_ip"] == lab.state.hosts[host].underlay_ip
        assert conf["datapath_type"] == "netdev"
        assert conf["l2_population"] is True
        assert conf["arp_responder_enabled"] is True


@pytest.mark.parametrize(("network_type", "physnet"), [
    ("vxlan", None),
    ("vlan", "physnet1"),
    ("flat", "physnet1"),
])
def test_ping_across_hosts(workspace: Workspace, network_type: str, physnet: str | None
                           ) -> None:
    net = workspace.network(network_type, physnet)
    assert net["provider:network_type"] == network_type
    vm1 = workspace.vm(net, "h1")
    vm2 = workspace.vm(net, "h2")
    for port in (vm1.port, vm2.port):
        bound = workspace.client.get_port(port["id"])
        assert bound["status"] == "ACTIVE"
        assert bound["binding:vif_type"] == "ovs"
    vm1.vm.wait_ping(vm2.ip, timeout=30)
    there = vm1.vm.ping(vm2.ip, count=5, interval=0.2)
    back = vm2.vm.ping(vm1.ip, count=5, interval=0.2)
    assert there.ok, there.output
    assert back.ok, back.output


def test_networks_are_isolated(workspace: Workspace) -> None:
    """A VM on one vxlan network cannot reach a VM of another with the same subnet."""
    red = workspace.network("vxlan", cidr="198.19.250.0/24")
    blue = workspace.network("vxlan", cidr="198.19.250.0/24")
    red1 = workspace.vm(red, "h1", ip="198.19.250.10")
    red2 = workspace.vm(red, "h2", ip="198.19.250.11")
    blue2 = workspace.vm(blue, "h2", ip="198.19.250.12")
    red1.vm.wait_ping(red2.ip, timeout=30)
    assert not red1.vm.ping(blue2.ip, count=3, interval=0.2).ok
