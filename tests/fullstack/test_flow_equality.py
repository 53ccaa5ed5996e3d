"""Flow equality with the reference agent (issue 5 item 6).

A scenario is built once in the session's lab of each agent; the normalised
dumps of br-int, br-tun and br-phys1 of both hosts (``ovsagent.lab.flowdiff``:
cookies dropped, VIF names -> VM names, local VLAN ids -> network names,
learned table-20 flows dropped) are kept for the session, and the test of
whichever agent runs second requires them to be equal to the first's,
printing a unified diff if not. With only one agent in OVSAGENT_LAB_AGENT the
comparison is skipped (the scenario and its invariants are still checked).

* canonical (the issue's): a vxlan, a vlan and a flat network, a VM on each
  host in each (fixed MACs, IPs and segmentation ids, port security on),
  l2population with the ARP responder.
* extended: gre, geneve and local networks, two VMs of a network on one host,
  networks present on one host only, port security off on some.

Left out of the comparison, each with its reason printed in a failure: the
two deliberate differences that show in these scenarios (docs/differences.md:
the flood flow of a network no other host has; anti-spoofing flows of a port
that went dead) and, for the reference only, tunnel ports an earlier test
left behind. Any other difference fails the test.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

import pytest

from ovsagent.lab import Lab, LabVM, Workspace
from ovsagent.lab import flowdiff as fd
from ovsagent.lab.client import Resource
from ovsagent.lab.vms import plug_port

pytestmark = pytest.mark.fullstack

BRIDGES = ("br-int", "br-tun", "br-phys1")
HOSTS = ("h1", "h2")
TUNNEL_TYPES = ("vxlan", "gre", "geneve")
AGENTS = [a.strip() for a in os.environ.get("OVSAGENT_LAB_AGENT", "reference,ovsagent").split(",")
          if a.strip()]  # as tests/fullstack/conftest.py reads it


@dataclass(frozen=True)
class NetSpec:
    label: str
    network_type: str
    physnet: str | None
    segmentation_id: int | None  # fixed: the server would pick a random one
    subnet: int  # 198.19.<subnet>.0/24
    hosts: tuple[str, ...] = HOSTS  # one VM per entry
    port_security: bool = True
    admin_down: tuple[int, ...] = ()  # VMs (1-based) set admin_state_up=False once wired


@dataclass(frozen=True)
class Scenario:
    name: str
    index: int  # distinguishes the scenarios' MACs
    nets: tuple[NetSpec, ...]

    def single_host_tunnel_nets(self) -> set[str]:
        return {n.label for n in self.nets
                if n.network_type in TUNNEL_TYPES and len(set(n.hosts)) == 1}


CANONICAL = Scenario("canonical", 1, (
    NetSpec("vxlan", "vxlan", None, 1900, 241),
    NetSpec("vlan", "vlan", "physnet1", 190, 242),
    NetSpec("flat", "flat", "physnet1", None, 243),
))
EXTENDED = Scenario("extended", 2, (
    NetSpec("vxa", "vxlan", None, 1911, 244, ("h1", "h2", "h1", "h2"), admin_down=(4,)),
    NetSpec("vxb", "vxlan", None, 1912, 245, ("h1",), port_security=False),
    NetSpec("gre", "gre", None, 2911, 246),
    NetSpec("gnv", "geneve", None, 3911, 247, ("h1",)),
    NetSpec("loc", "local", None, None, 248, ("h1", "h1"), port_security=False),
    NetSpec("vl2", "vlan", "physnet1", 191, 249, ("h2",)),
    NetSpec("flat", "flat", "physnet1", None, 250),
))


def deliberate_dead_port_antispoof(scenario: Scenario) -> fd.Exclusion:
    """A wired port that goes dead keeps its anti-spoofing flows in the reference (table 0
    prio 9/10 outrank the dead-port drop); ovsagent removes them (docs/differences.md)."""
    dead = {f"in_port=vm:{n.label}-{n.hosts[i - 1]}-{i}" for n in scenario.nets
            for i in n.admin_down}

    def applies(bridge: str, flow: fd.FlowLine) -> bool:
        antispoof = ((flow.table == 0 and flow.priority in (9, 10))
                     or (flow.table in (24, 25) and flow.priority == 2))
        return (bridge == "br-int" and antispoof
                and any(m in dead for m in flow.match.split(",")))

    return fd.Exclusion("DELIBERATE: anti-spoofing flows of a port that went dead "
                        "(docs/differences.md)", applies)


def deliberate_no_flood_without_fdb(scenario: Scenario) -> fd.Exclusion:
    """With l2pop the reference provisions a tunnel network's flood flow (br-tun table 22)
    to every tunnel port of its type that exists at that moment, and only replaces that
    set when a FLOODING_ENTRY for the network arrives; a network no other host has keeps
    flooding to unrelated hosts. ovsagent floods exactly to the FDB's flooding entries
    (docs/differences.md)."""
    lvs = {f"dl_vlan=LV({label})" for label in scenario.single_host_tunnel_nets()}

    def applies(bridge: str, flow: fd.FlowLine) -> bool:
        return (bridge == "br-tun" and flow.table == 22 and flow.priority == 1
                and flow.match in lvs)

    return fd.Exclusion("DELIBERATE: flood flow of a tunnel network without remote flooding "
                        "entries (docs/differences.md)", applies)


def exclusions(scenario: Scenario) -> tuple[fd.Exclusion, ...]:
    return deliberate_no_flood_without_fdb(scenario), deliberate_dead_port_antispoof(scenario)


def compare(ref: fd.Snapshot, ours: fd.Snapshot, what: str, left_out: str = "") -> None:
    """Equal, or fail with a unified diff."""
    text = fd.diff(ref, ours, "reference", "ovsagent")
    assert not text, (f"{what} differ ({fd.diff_summary(ref, ours)}"
                      f"{'; left out: ' + left_out if left_out else ''}):\n{text}")


# (scenario, agent kind) -> normalised snapshot, for the session
_SNAPSHOTS: dict[tuple[str, str], fd.Snapshot] = {}
_OVSDB: dict[tuple[str, str], fd.Snapshot] = {}  # the same for OVSDB ports


def _vm(ws: Workspace, net: Resource, host: str, name: str, mac: str, ip: str) -> LabVM:
    """A port with a fixed MAC and IP bound to ``host``, plugged, ACTIVE."""
    lab = ws.lab
    port = ws.client.create_port(net["id"], host=host, name=name, mac_address=mac,
                                 fixed_ips=[{"ip_address": ip}])
    lvm = plug_port(ws.client, lab.host(host), lab.state.run_id, port, name)
    ws.vms.append(lvm)
    ws.client.wait_port_status(port["id"], "ACTIVE", timeout=60)
    return lvm


def build(ws: Workspace, scenario: Scenario) -> dict[str, list[fd.Vif]]:
    """The scenario in ``ws``; returns host -> its VIFs for the normaliser."""
    vifs: dict[str, list[fd.Vif]] = {h: [] for h in HOSTS}
    pings, down = [], []
    for n, spec in enumerate(scenario.nets, start=1):
        net = ws.network(spec.network_type, spec.physnet, spec.segmentation_id,
                         cidr=f"198.19.{spec.subnet}.0/24", name=f"{scenario.name}-{spec.label}",
                         port_security=spec.port_security)
        vms = []
        for i, host in enumerate(spec.hosts, start=1):
            name = f"{spec.label}-{host}-{i}"
            vm = _vm(ws, net, host, name, mac=f"fa:16:3e:{scenario.index:02x}:{n:02x}:{i:02x}",
                     ip=f"198.19.{spec.subnet}.{10 + i}")
            vifs[host].append(fd.Vif(vm.vm.ifname, name, spec.label, net["id"]))
            vms.append(vm)
            if i in spec.admin_down:
                down.append(vm)
        reachable = [vm for vm in vms[1:]
                     if spec.network_type != "local" or vm.host == vms[0].host]
        pings += [(vms[0], vm) for vm in reachable]
    for a, b in pings:
        a.vm.wait_ping(b.ip, timeout=30)
        b.vm.wait_ping(a.ip, timeout=30)
    for vm in down:  # a wired port goes dead (reference/03 §2.5)
        ws.client.update_port(vm.port["id"], admin_state_up=False)
    for vm in down:
        sim = ws.lab.host(vm.host)
        deadline = time.monotonic() + 30
        while sim.vsctl("get", "Port", vm.vm.ifname, "tag") != "4095":
            assert time.monotonic() < deadline, f"{vm.name} not on the dead VLAN"
            time.sleep(0.2)
    return vifs


def settled_snapshot(lab: Lab, vifs: dict[str, list[fd.Vif]],
                     exclude: tuple[fd.Exclusion, ...], timeout: float = 40.0) -> fd.Snapshot:
    """A snapshot unchanged over three reads 1.5 s apart (the reference polls every 2 s)."""
    hosts = {h: lab.host(h) for h in HOSTS}
    last, same = fd.snapshot(hosts, BRIDGES, vifs, exclude), 0
    deadline = time.monotonic() + timeout
    while same < 2 and time.monotonic() < deadline:
        time.sleep(1.5)
        now = fd.snapshot(hosts, BRIDGES, vifs, exclude)
        same = same + 1 if now == last else 0
        last = now
    return last


def _tunnel_ports(lab: Lab) -> set[str]:
    return {name for h in HOSTS for name in lab.host(h).vsctl("list-ports", "br-tun").split()
            if name.startswith(tuple(f"{t}-" for t in TUNNEL_TYPES))}


def leftovers(names: set[str]) -> fd.Exclusion:
    """The reference agent has been seen (once, not reproduced since) to keep a tunnel port
    after the last network using it went, for the rest of its life; such a port, present
    before the scenario was built, is not the scenario's. Applied to the reference only: an
    ovsagent leftover is a bug to see. Tunnel names carry the remote IP, so a name is unique
    to one host."""
    def applies(bridge: str, flow: fd.FlowLine) -> bool:
        return bridge == "br-tun" and any(f"in_port={n}" in flow.match.split(",") for n in names)

    return fd.Exclusion(f"LEFTOVER (reference only): flows of tunnel ports present before the "
                        f"scenario: {', '.join(sorted(names))}", applies)


_EXCLUDED: dict[tuple[str, str], tuple[fd.Exclusion, ...]] = {}


def _record(lab: Lab, workspace: Workspace, scenario: Scenario) -> tuple[str, fd.Snapshot]:
    """Build the scenario, keep its snapshots for the session; (agent kind, flows)."""
    kind = lab.state.hosts["h1"].agent_kind
    before = _tunnel_ports(lab) if kind == "reference" else set()
    vifs = build(workspace, scenario)
    exclude = exclusions(scenario) + ((leftovers(before),) if before else ())
    _EXCLUDED[(scenario.name, kind)] = exclude
    snap = settled_snapshot(lab, vifs, exclude)
    ovsdb = fd.ovsdb_snapshot({h: lab.host(h) for h in HOSTS}, BRIDGES, vifs)
    _OVSDB[(scenario.name, kind)] = {key: [line for line in lines
                                           if line.split(" ")[1] not in before]
                                     for key, lines in ovsdb.items()}
    _SNAPSHOTS[(scenario.name, kind)] = snap
    (lab.paths.logs / f"flows-{scenario.name}-{kind}.txt").write_text(
        "\n".join(f"== {h} {br}\n" + "\n".join(lines) for (h, br), lines
                  in sorted({**snap, **_OVSDB[(scenario.name, kind)]}.items())) + "\n")
    for lines in snap.values():
        assert not [line for line in lines if "LV?" in line], lines  # every VLAN is a network
    return kind, snap


def _compare_with_other_agent(kind: str, scenario: Scenario) -> None:
    others = {k: v for (name, k), v in _SNAPSHOTS.items() if name == scenario.name and k != kind}
    if not others:
        if set(AGENTS) >= {"reference", "ovsagent"}:
            return  # recorded; the other agent's lab compares (later in this session)
        pytest.skip(f"{scenario.name} flows of {kind} recorded, nothing to compare with: the "
                    "comparison needs both agents in one session "
                    "(OVSAGENT_LAB_AGENT=reference,ovsagent)")
    ((other, theirs),) = others.items()
    snap = _SNAPSHOTS[(scenario.name, kind)]
    ref, ours = (theirs, snap) if other == "reference" else (snap, theirs)
    used = {e.reason: None for k in ("reference", "ovsagent")
            for e in _EXCLUDED.get((scenario.name, k), ())}
    compare(ref, ours, f"{scenario.name} flows", "; ".join(used))


def test_canonical_scenario_flows_equal_reference(lab: Lab, workspace: Workspace) -> None:
    kind, snap = _record(lab, workspace, CANONICAL)
    for host in HOSTS:  # the scenario's own invariants, whichever agent
        tun = snap[(host, "br-tun")]
        assert sum(line.startswith("table=20 priority=2 ") for line in tun) == 1, tun
        assert sum(line.startswith("table=21 priority=1 ") for line in tun) == 1, tun
        assert any(line.startswith("table=22 priority=1 dl_vlan=LV(vxlan)") for line in tun), tun
    _compare_with_other_agent(kind, CANONICAL)


def test_extended_scenario_flows_equal_reference(lab: Lab, workspace: Workspace) -> None:
    kind, snap = _record(lab, workspace, EXTENDED)
    h1 = snap[("h1", "br-tun")]
    assert any("in_port=gre-" in line and "goto_table:3" in line for line in h1), h1
    assert not any("LV(loc)" in line for lines in snap.values() for line in lines)
    _compare_with_other_agent(kind, EXTENDED)


def test_ovsdb_ports_equal_reference(lab: Lab) -> None:
    """Ports of both scenarios as OVSDB holds them (tag, other_config, Interface type and
    options; symbolised the same way) equal the reference's."""
    kind = lab.state.hosts["h1"].agent_kind
    other = "reference" if kind == "ovsagent" else "ovsagent"
    scenarios = [sc for sc in (CANONICAL, EXTENDED)
                 if (sc.name, kind) in _OVSDB and (sc.name, other) in _OVSDB]
    if not scenarios:
        if (CANONICAL.name, kind) in _OVSDB and set(AGENTS) >= {"reference", "ovsagent"}:
            return  # recorded; compared with the other agent's lab
        pytest.skip("needs both agents' scenario snapshots in this session")
    ref = {(h, f"{sc.name} {k}"): v for sc in scenarios
           for (h, k), v in _OVSDB[(sc.name, "reference")].items()}
    ours = {(h, f"{sc.name} {k}"): v for sc in scenarios
            for (h, k), v in _OVSDB[(sc.name, "ovsagent")].items()}
    compare(ref, ours, "OVSDB ports of both scenarios")
