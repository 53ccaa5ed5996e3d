"""What ``ovsagent-ctl`` commands compute inside the agent (JSON-able results).

Every command reads the agent's published snapshots through an
:class:`~ovsagent.agent.view.AgentView`; ``resync`` is the only one that
asks for work, through the loop's inbox.
"""

from __future__ import annotations

import ipaddress
import os
import re
import time
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from ovsagent import __version__
from ovsagent.agent.snapshot import LoopSnapshot
from ovsagent.agent.view import AgentView
from ovsagent.agent.vlans import DEAD_VLAN
from ovsagent.ctl import portflows, trace
from ovsagent.ctl.server import UsageError
from ovsagent.ovs.openflow.ofctl_syntax import render_flow

_MAC = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")
COMMANDS = ("status", "ports", "flows", "trace", "resync")


def _age(then: float | None) -> float | None:
    return None if then is None else round(max(0.0, time.time() - then), 3)


class Commands:
    """``commands(name, args)`` -> result; raises UsageError for bad requests."""

    def __init__(self, view: AgentView,
                 tracer: Callable[[str, str, str], trace.Trace] = trace.run_trace) -> None:
        self.view = view
        self.tracer = tracer  # (bridge, flow, rundir) -> Trace

    def __call__(self, command: str, args: dict[str, Any]) -> Any:
        if command not in COMMANDS:
            raise UsageError(f"unknown command {command!r} (known: {', '.join(COMMANDS)})")
        fn: Callable[..., Any] = getattr(self, command)
        try:
            return fn(**args)
        except TypeError as exc:
            raise UsageError(f"{command}: bad arguments: {exc}") from exc

    # ------------------------------------------------------------ commands
    def status(self) -> dict[str, Any]:
        v, snap = self.view, self.view.loop()
        s = v.settings
        hb = v.heartbeat
        last = asdict(snap.last) if snap.last is not None else None
        if last is not None:
            last["ago"] = _age(snap.last_at)
        return {
            "host": s.host, "version": __version__, "pid": os.getpid(),
            "uptime": _age(v.started), "generation": v.core.generation,
            "cookie": f"{v.core.cookie:#x}", "of_interface": s.of_interface,
            "ovs": {"status": snap.ovs_status, "restarts": snap.ovs_restarts},
            "broker": {"connected": v.broker.started if v.broker is not None else None},
            "server": {"last_report_age": v.heartbeat_age(),
                       "report_failures": hb.failures if hb is not None else None,
                       "report_interval": s.report_interval},
            "loop": {"iterations": snap.iteration, "synced": snap.synced, "last": last,
                     "resyncs": dict(snap.resyncs)},
            "ports": snap.port_counts(),
            "networks": len(snap.networks),
            "tunnels": len(snap.tunnels),
            "flows": {bridge: len(flows) for bridge, flows in sorted(v.installed().items())},
        }

    def ports(self) -> list[dict[str, Any]]:
        snap = self.view.loop()
        ids = set(snap.vifs) | set(snap.ports) | set(snap.dead)
        rows = [self._port(snap, port_id) for port_id in ids]
        return sorted(rows, key=lambda r: (r["network_id"] or "~", r["name"] or "", r["port_id"]))

    def flows(self, port: str) -> dict[str, Any]:
        v, snap = self.view, self.view.loop()
        info = self._port(snap, self._resolve(snap, port))
        if info["ofport"] is None:
            raise UsageError(f"port {info['port_id']} has no ofport yet")
        key = portflows.PortKey(info["ofport"], info["mac"],
                                info["local_vlan"] if info["state"] == "wired" else None)
        installed = v.installed()
        kinds = {bridge: v.bridge_kind(bridge) for bridge in installed}
        rows = [{"bridge": pf.bridge, "table": pf.flow.table,
                 "table_name": v.table_name(pf.bridge, pf.flow.table),
                 "priority": pf.flow.priority, "reason": pf.reason,
                 "flow": render_flow(pf.flow)}
                for pf in portflows.select(installed, key, kinds)]
        return {"port": info, "flows": rows}

    def trace(self, port: str, dst_mac: str | None = None,
              dst_ip: str | None = None) -> dict[str, Any]:
        v, snap = self.view, self.view.loop()
        info = self._port(snap, self._resolve(snap, port))
        if info["ofport"] is None:
            raise UsageError(f"port {info['port_id']} has no ofport yet")
        if dst_mac is not None and not _MAC.match(dst_mac.lower()):
            raise UsageError(f"--dst-mac {dst_mac!r} is not a MAC address")
        if dst_ip is not None:
            try:
                ipaddress.ip_address(dst_ip)
            except ValueError as exc:
                raise UsageError(f"--dst-ip: {exc}") from None
        wired = snap.ports.get(info["port_id"])
        fixed_ips = wired.security.fixed_ips if wired is not None else ()
        flow = trace.trace_flow(info["ofport"], info["mac"], fixed_ips,
                                dst_mac.lower() if dst_mac else None, dst_ip)
        result = self.tracer(v.settings.integration_bridge, flow, v.rundir)
        steps = [{**asdict(step), "table_name": v.table_name(step.bridge, step.table)}
                 for step in result.steps]
        return {"port": info, "flow": flow, "steps": steps, "summary": result.summary}

    def resync(self, wait: bool = True, timeout: float = 30.0) -> dict[str, Any]:
        loop = self.view.core.loop
        if loop is None:
            raise UsageError("the agent loop is not running yet")
        ticket = self.view.request_resync("ctl")
        deadline = time.monotonic() + timeout
        while wait and loop.resyncs_done < ticket and time.monotonic() < deadline:
            time.sleep(0.05)
        snap = loop.snapshot
        done = loop.resyncs_done >= ticket
        return {"requested": True, "done": done,
                "iteration": snap.last.number if done and snap.last else None,
                "last": asdict(snap.last) if done and snap.last else None}

    # ------------------------------------------------------------- helpers
    def _resolve(self, snap: LoopSnapshot, ref: str) -> str:
        """Port id from an id, a unique id prefix or the VIF's interface name."""
        ids = set(snap.vifs) | set(snap.ports) | set(snap.dead)
        if ref in ids:
            return ref
        found = [p for p, vif in snap.vifs.items() if vif.name == ref]
        if not found and ref:
            found = [p for p in ids if p.startswith(ref)]
        if len(found) == 1:
            return found[0]
        if not found:
            raise UsageError(f"no port {ref!r} on {self.view.settings.integration_bridge}")
        raise UsageError(f"{ref!r} is ambiguous: {', '.join(sorted(found)[:5])}")

    def _port(self, snap: LoopSnapshot, port_id: str) -> dict[str, Any]:
        vif, wired = snap.vifs.get(port_id), snap.ports.get(port_id)
        net = snap.networks.get(wired.network_id) if wired is not None else None
        seg = net.segment if net is not None else None
        state = snap.port_state(port_id)
        ofport = wired.ofport if wired else vif.ofport if vif else snap.dead.get(port_id)
        return {
            "port_id": port_id, "name": vif.name if vif else None, "ofport": ofport,
            "mac": wired.mac if wired else vif.mac if vif else None, "state": state,
            "network_id": wired.network_id if wired else None,
            "local_vlan": wired.lvid if wired else DEAD_VLAN if state == "dead" else None,
            "network_type": seg.network_type if seg else None,
            "physical_network": seg.physical_network if seg else None,
            "segmentation_id": seg.segmentation_id if seg else None,
        }
