"""/metrics of a live agent core moves with its work: ports wired and killed,
VLANs and tunnels, flows per bridge and table, flow bundles per driver,
iterations, resyncs, an OVS restart, the heartbeat age."""

from __future__ import annotations

import math
import time
from pathlib import Path

import pytest
from live_agent import LiveAgent, live_agent, wait_for

from ovsagent.pipeline.state import Segment

VX = Segment("vxlan", None, 1000)
VL = Segment("vlan", "physnet1", 101)


@pytest.fixture(params=["native", "ovs-ofctl"])
def agent(request: pytest.FixtureRequest, tmp_path: Path):  # type: ignore[no-untyped-def]
    with live_agent(tmp_path, str(request.param)) as live:
        yield live


def _flows(agent: LiveAgent, bridge: str, table: int, name: str) -> float:
    return agent.value("ovsagent_flows", bridge=bridge, table=str(table), table_name=name)


def test_metrics_follow_the_agent(agent: LiveAgent) -> None:
    driver = agent.core.driver.name
    wait_for("first pass", lambda: agent.value("ovsagent_rpc_loop_iteration_seconds_count") >= 1)
    wait_for("tunnel port", lambda: agent.value("ovsagent_tunnel_ports",
                                                tunnel_type="vxlan") == 1)
    m = agent.scrape()
    info = [k for k in m if k[0] == "ovsagent_agent_info"]
    assert info and ("of_interface", driver) in info[0][1], info
    assert m[("ovsagent_ports", frozenset({("state", "wired")}))] == 0
    assert _flows(agent, "br-int", 23, "CANARY_TABLE") == 1
    base = {t: _flows(agent, "br-tun", t, n) for t, n in ((4, "VXLAN_TUN_TO_LV"),
                                                           (22, "FLOOD_TO_TUN"))}
    assert agent.value("ovsagent_resyncs_total", cause="start") == 1
    assert math.isnan(agent.value("ovsagent_heartbeat_age_seconds"))
    adds = agent.value("ovsagent_flow_mods_total", driver=driver, bridge="br-int", op="add")
    assert adds > 0
    assert agent.value("ovsagent_flow_apply_seconds_count", driver=driver, bridge="br-int") >= 1
    iterations = agent.value("ovsagent_rpc_loop_iteration_seconds_count")

    a = agent.vm("a", "198.19.1.1", "netX", VX)
    b = agent.vm("b", "198.19.2.1", "netV", VL)
    dead = agent.vm("dead", "198.19.3.1", None, None)
    agent.server.wait_up(a.iface_id, b.iface_id)
    wait_for("2 wired, 1 dead", lambda: (agent.value("ovsagent_ports", state="wired"),
                                         agent.value("ovsagent_ports", state="dead")) == (2, 1))
    assert agent.value("ovsagent_local_vlans", network_type="vxlan") == 1
    assert agent.value("ovsagent_local_vlans", network_type="vlan") == 1
    assert _flows(agent, "br-tun", 4, "VXLAN_TUN_TO_LV") == base[4] + 1  # VNI -> VLAN
    assert _flows(agent, "br-tun", 22, "FLOOD_TO_TUN") == base[22] + 1
    assert _flows(agent, "br-phys1", 0, "LOCAL_SWITCHING") >= 3
    assert _flows(agent, "br-int", 25, "MAC_SPOOF_TABLE") >= 2
    assert agent.value("ovsagent_rpc_loop_iteration_seconds_count") > iterations
    assert agent.value("ovsagent_rpc_loop_ports_total", change="added") >= 3
    assert agent.value("ovsagent_flow_mods_total", driver=driver, bridge="br-int",
                       op="add") > adds
    wait_for("synced", lambda: agent.value("ovsagent_synced") == 1)

    agent.bed.remove_vm("a")
    wait_for("vxlan network reclaimed",
             lambda: agent.value("ovsagent_local_vlans", network_type="vxlan") == 0)
    assert agent.value("ovsagent_ports", state="wired") == 1
    assert _flows(agent, "br-tun", 4, "VXLAN_TUN_TO_LV") == base[4]
    assert agent.value("ovsagent_rpc_loop_ports_total", change="removed") >= 1
    assert agent.value("ovsagent_flow_mods_total", driver=driver, bridge="br-tun",
                       op="delete") >= 1
    assert dead.iface_id not in agent.server.up

    agent.heartbeat.last_success = time.monotonic() - 5
    assert 5 <= agent.value("ovsagent_heartbeat_age_seconds") < 60
    assert agent.value("ovsagent_ovs_status", status="normal") == 1


def test_ovs_restart_and_resync_are_counted(agent: LiveAgent) -> None:
    wait_for("first pass", lambda: agent.value("ovsagent_rpc_loop_iteration_seconds_count") >= 1)
    agent.host.restart_vswitchd()
    wait_for("restart seen", lambda: agent.value("ovsagent_ovs_restarts_total") == 1, 30)
    wait_for("resync after restart",
             lambda: agent.value("ovsagent_resyncs_total", cause="ovs_restart") == 1)
    wait_for("canary back", lambda: agent.value(
        "ovsagent_flows", bridge="br-int", table="23", table_name="CANARY_TABLE") == 1, 30)
    agent.view.request_resync("ctl")
    assert agent.value("ovsagent_resyncs_total", cause="ctl") == 1
