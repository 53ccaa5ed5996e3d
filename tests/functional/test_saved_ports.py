"""The port list saved for the next start (agent core, fake server, real OVS).

The agent saves br-int's ports under state_path whenever they change; the
next process asks the server for those before OVSDB is in sync, then pulls
the plugged ports the list missed. Ports changed while no agent ran must
end up wired as the server has them now.
"""

from __future__ import annotations

from pathlib import Path

from fakes import FakeServer, start_agent, stop_agent, wait_synced

from ovsagent.agent import portlist
from ovsagent.agent.daemon import prefetch_unsaved
from ovsagent.agent.wiring import DeviceDetails
from ovsagent.ovs import ovsdb
from ovsagent.pipeline.state import Segment
from ovsagent.testbench import Testbed

NET1, NET2 = Segment("vxlan", None, 1001), Segment("vxlan", None, 1002)


def _port(name: str) -> str:
    return f"{name}-0000-0000-0000-000000000000"


def test_saved_ports_across_a_restart_with_changes_while_down(testbed: Testbed,
                                                               tmp_path: Path) -> None:
    host = testbed.add_host("h1")
    ips = testbed.add_underlay()
    path = str(tmp_path / "state" / "ovsagent-ports-h1.json")
    server = FakeServer()
    a, b, c = _port("aaaaaaaa"), _port("bbbbbbbb"), _port("cccccccc")
    for i, port in enumerate((a, b, c)):
        server.details[port] = DeviceDetails(port, "net1", NET1,
                                             mac_address=f"fa:16:3e:00:00:0{i + 1}",
                                             fixed_ips=(f"198.19.1.{i + 1}",))
    writer = portlist.PortListWriter(path, "br-int")
    agent = start_agent(host, ips["h1"], "ovs-ofctl", server, port_list=writer,
                        bridge_mappings=())
    try:
        testbed.add_vm(host, "vma", "fa:16:3e:00:00:01", "198.19.1.1/24", a)
        testbed.add_vm(host, "vmb", "fa:16:3e:00:00:02", "198.19.1.2/24", b)
        server.wait_up(a, b)
        wait_synced(agent)
        assert portlist.load(path, "br-int") == sorted([a, b])
        tag_net1 = host.vsctl("get", "Port", testbed.vms["vmb"].ifname, "tag")
    finally:
        stop_agent(agent)

    # while no agent runs: a is unplugged, c plugged, b moved to another network
    testbed.remove_vm("vma")
    testbed.add_vm(host, "vmc", "fa:16:3e:00:00:03", "198.19.1.3/24", c)
    server.details[b] = DeviceDetails(b, "net2", NET2, mac_address="fa:16:3e:00:00:02",
                                      fixed_ips=("198.19.2.2",))
    saved = portlist.load(path, "br-int")
    assert saved == sorted([a, b])

    pulled: list[str] = []
    with ovsdb.OvsdbClient(host.ovsdb_connection, timeout=10) as client:
        assert prefetch_unsaved(pulled.extend, client, "br-int", saved) == [c]
    assert pulled == [c]  # b was asked for with the saved list, a is gone

    server.up.clear()
    agent = start_agent(host, ips["h1"], "ovs-ofctl", server,
                        port_list=portlist.PortListWriter(path, "br-int", saved),
                        bridge_mappings=())
    try:
        server.wait_up(b, c)
        wait_synced(agent)
        assert portlist.load(path, "br-int") == sorted([b, c])
        assert agent.state.ports[b].network_id == "net2"
        tag_b = host.vsctl("get", "Port", testbed.vms["vmb"].ifname, "tag")
        tag_c = host.vsctl("get", "Port", testbed.vms["vmc"].ifname, "tag")
        assert tag_b != tag_c and tag_c == tag_net1  # b on net2's VLAN, c on net1's
        assert a not in agent.state.ports
    finally:
        stop_agent(agent)

