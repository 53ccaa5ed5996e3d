"""Bridge setup + computed base flows + flow sync on a real simulated host."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ovsagent.agent.bridges import BridgeSetup, BridgeSetupError
from ovsagent.agent.core import generation_cookie
from ovsagent.agent.flowsync import FlowSync
from ovsagent.agent.settings import AgentSettings
from ovsagent.ovs import ovsdb
from ovsagent.ovs.openflow.base import OpenFlowDriver
from ovsagent.pipeline.compute import compute_flows
from ovsagent.pipeline.flow import FlowFilter
from ovsagent.pipeline.state import HostState, LocalNetwork, Segment
from ovsagent.testbench import SimHost, Testbed


def _driver(name: str, host: SimHost) -> OpenFlowDriver:
    if name == "ovs-ofctl":
        from ovsagent.ovs.openflow.ofctl import OfctlDriver

        return OfctlDriver(rundir=host.rundir, timeout=30)
    from ovsagent.ovs.openflow.native import NativeDriver

    return NativeDriver(listen_port=6633, netns=host.netns, request_timeout=30)


@pytest.fixture(params=["ovs-ofctl", "native"])
def env(request: pytest.FixtureRequest, testbed: Testbed
        ) -> Iterator[tuple[SimHost, AgentSettings, ovsdb.OvsdbClient, OpenFlowDriver]]:
    host = testbed.add_host("h1")
    testbed.add_underlay()
    testbed.add_physnet("br-phys1", [host])
    settings = AgentSettings(
        host="h1", local_ip="198.18.0.1", tunnel_types=("vxlan",),
        bridge_mappings=(("physnet1", "br-phys1"),), datapath_type="netdev",
        of_interface=str(request.param), ovsdb_connection=host.ovsdb_connection,
        of_connect_timeout=30, l2_population=True, arp_responder=True)
    client = ovsdb.OvsdbClient(host.ovsdb_connection, timeout=10)
    driver = _driver(str(request.param), host)
    try:
        yield host, settings, client, driver
    finally:
        driver.close()
        client.close()


def _bring_up(settings: AgentSettings, client: ovsdb.OvsdbClient, driver: OpenFlowDriver,
              cookie: int, state: HostState) -> tuple[FlowSync, dict[str, int]]:
    setup = BridgeSetup(settings, client, driver)
    topo = setup.setup(cookie)
    sync = FlowSync(driver)
    counts = {}
    for bridge, flows in compute_flows(state, topo).items():
        counts[bridge] = sync.sync(bridge, flows).mods
    setup.connect_physnet_patches(topo)
    return sync, counts


def test_setup_installs_reference_base_flows(env: tuple) -> None:  # type: ignore[type-arg]
    host, settings, client, driver = env
    state = HostState(networks={
        "vx": LocalNetwork("vx", Segment("vxlan", None, 1000), 1),
        "vl": LocalNetwork("vl", Segment("vlan", "physnet1", 101), 2)})
    sync, counts = _bring_up(settings, client, driver, 0xA1, state)
    assert counts["br-int"] == 12 and counts["br-phys1"] == 3 and counts["br-tun"] > 10
    for bridge in ("br-int", "br-tun", "br-phys1"):
        assert sorted(driver.dump(bridge, FlowFilter(cookie=0xA1, cookie_mask=2**64 - 1)),
                      key=str) == sorted(sync.installed(bridge), key=str)
        row = ovsdb.get_bridge(client, bridge)
        assert row.fail_mode == "secure" and row.datapath_type == "netdev"
    int_text = host.ofctl("dump-flows", "br-int")
    assert "table=23, n_packets=0, n_bytes=0, priority=0 actions=drop" in int_text
    assert "priority=65535,dl_vlan=4095 actions=drop" in int_text
    assert host.vsctl("get", "Bridge", "br-int", "mcast_snooping_enable") == "false"
    assert host.vsctl("get", "Bridge", "br-int",
                      "other_config:mcast-snooping-disable-flood-unregistered") == '"true"'
    peer = host.vsctl("get", "Interface", "int-br-phys1", "options:peer")
    assert peer.strip('"') == "phy-br-phys1"
    assert host.vsctl("get", "Interface", "patch-tun", "options:peer").strip('"') == "patch-int"


def test_restart_with_new_cookie_is_in_place(env: tuple) -> None:  # type: ignore[type-arg]
    _, settings, client, driver = env
    state = HostState(networks={"vx": LocalNetwork("vx", Segment("vxlan", None, 1000), 1)})
    _bring_up(settings, client, driver, 0xA1, state)
    before = {b: {f.key for f in driver.dump(b)} for b in ("br-int", "br-tun", "br-phys1")}
    _, counts = _bring_up(settings, client, driver, 0xB2, state)
    for bridge, keys in before.items():
        after = driver.dump(bridge)
        assert {f.key for f in after} == keys, bridge  # same entries, nothing removed
        assert {f.cookie for f in after} == {0xB2}, bridge  # all re-stamped
        assert counts[bridge] == len(keys)


def test_restart_of_ovsagent_adopts_unchanged_flows(env: tuple) -> None:  # type: ignore[type-arg]
    """The next ovsagent generation rewrites nothing that is already right (br-tun's
    learn flow included, whose learn action names the old cookie)."""
    _, settings, client, driver = env
    state = HostState(networks={"vx": LocalNetwork("vx", Segment("vxlan", None, 1000), 1)})
    old, new = generation_cookie(1), generation_cookie(2)
    _bring_up(settings, client, driver, old, state)
    before = {b: set(driver.dump(b)) for b in ("br-int", "br-tun", "br-phys1")}
    sync, counts = _bring_up(settings, client, driver, new, state)
    assert counts == {"br-int": 0, "br-tun": 0, "br-phys1": 0}
    for bridge, flows in before.items():
        after = driver.dump(bridge)
        assert {f.key for f in after} == {f.key for f in flows}, bridge
        assert sorted(after, key=str) == sorted(sync.installed(bridge), key=str), bridge
    assert {f.cookie for f in driver.dump("br-tun")} == {old}


def test_missing_physical_bridge_is_a_clear_error(env: tuple) -> None:  # type: ignore[type-arg]
    _, settings, client, driver = env
    bad = AgentSettings(**{**settings.__dict__, "bridge_mappings": (("physnet9", "br-nope"),)})
    with pytest.raises(BridgeSetupError, match=r"br-nope.*does not exist"):
        BridgeSetup(bad, client, driver).setup(1)
