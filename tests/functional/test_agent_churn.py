"""1,000 port add/delete cycles leave nothing behind: no flow, tunnel port or VLAN.

Ports are added and deleted in batches of 100 (one OVSDB transaction each)
over 10 networks (vxlan and vlan), with l2pop FDB add/remove events for a
remote host as the server would send them, so local VLANs and tunnel ports
are created and reclaimed over and over.
"""

from __future__ import annotations

import time

from fakes import FakeServer, start_agent, stop_agent

from ovsagent.agent.wiring import DeviceDetails
from ovsagent.ovs import ovsdb
from ovsagent.pipeline.compute import FLOODING_ENTRY
from ovsagent.pipeline.state import Segment
from ovsagent.testbench import Testbed

BATCH, ROUNDS, NETWORKS = 100, 10, 10
REMOTE = "198.18.0.99"


def _wait(what: str, predicate: object, timeout: float = 60.0) -> None:
    assert callable(predicate)
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def test_port_churn_leaks_nothing(testbed: Testbed) -> None:
    host = testbed.add_host("h1")
    testbed.add_underlay()
    testbed.add_physnet("br-phys1", [host])
    server = FakeServer()
    agent = start_agent(host, "198.18.0.1", "ovs-ofctl", server, l2_population=True,
                        arp_responder=True)
    client = agent.client
    baseline = {b: len(agent.driver.dump(b)) for b in ("br-int", "br-tun", "br-phys1")}
    nets = {f"net{i}": (Segment("vxlan", None, 2000 + i) if i % 2 else
                        Segment("vlan", "physnet1", 100 + i)) for i in range(NETWORKS)}
    started = time.monotonic()
    try:
        for rnd in range(ROUNDS):
            ids = [f"churn-{rnd}-{i:04d}-0000-0000-000000000000" for i in range(BATCH)]
            specs = []
            for i, port_id in enumerate(ids):
                net = f"net{i % NETWORKS}"
                mac = f"fa:16:3e:{rnd:02x}:{i // 256:02x}:{i % 256:02x}"
                server.details[port_id] = DeviceDetails(
                    port_id, net, nets[net], mac_address=mac, fixed_ips=(f"198.19.{i}.{rnd + 1}",))
                specs.append(ovsdb.PortSpec(f"ch{rnd}x{i}", "internal", external_ids={
                    "iface-id": port_id, "attached-mac": mac, "iface-status": "active"}))
            ovsdb.add_ports(client, "br-int", specs)
            server.wait_up(*ids, timeout=60)
            for net, seg in nets.items():
                if seg.is_tunnel:
                    agent.on_fdb_add(net, "vxlan", REMOTE, [
                        FLOODING_ENTRY, (f"fa:16:3e:ff:00:{rnd:02x}", f"198.19.200.{rnd + 1}")])
            _wait("tunnel port to the remote", lambda: ("vxlan", REMOTE) in agent.state.tunnels)
            for net, seg in nets.items():
                if seg.is_tunnel:
                    agent.on_fdb_remove(net, "vxlan", REMOTE, [
                        FLOODING_ENTRY, (f"fa:16:3e:ff:00:{rnd:02x}", f"198.19.200.{rnd + 1}")])
            ovsdb.delete_ports(client, "br-int", [s.name for s in specs])
            _wait("every port reported down", lambda ids=ids: set(ids) <= server.down)
        loop = agent.loop
        assert loop is not None
        _wait("loop idle", lambda: not loop.has_work())
        print(f"\n{ROUNDS * BATCH} add/delete cycles in {time.monotonic() - started:.1f}s")
        assert agent.vlans.in_use() == {}
        assert agent.state.networks == {} and agent.state.ports == {}
        assert agent.state.dead_ports == {} and agent.state.tunnels == {}
        assert not [p for p in ovsdb.list_ports(client, "br-tun") if p.name.startswith("vxlan-")]
        after = {b: len(agent.driver.dump(b)) for b in baseline}
        assert after == baseline, (baseline, after)
    finally:
        stop_agent(agent)
