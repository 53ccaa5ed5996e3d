"""Human-readable text for ``ovsagent-ctl`` results (``--json`` skips this)."""

from __future__ import annotations

from typing import Any

PORT_COLUMNS = (("PORT", 36), ("NAME", 14), ("OFPORT", 6), ("MAC", 17), ("STATE", 7),
                ("NETWORK", 36), ("VLAN", 4), ("SEGMENT", 0))


def _seconds(value: float | None) -> str:
    if value is None:
        return "never"
    if value < 120:
        return f"{value:.1f} s"
    minutes, secs = divmod(int(value), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s"


def segment(row: dict[str, Any]) -> str:
    ntype = row.get("network_type")
    if not ntype:
        return "-"
    where = [str(x) for x in (row.get("physical_network"), row.get("segmentation_id"))
             if x is not None]
    return f"{ntype} {'/'.join(where)}".strip()


def status(r: dict[str, Any]) -> str:
    loop, server, ovs = r["loop"], r["server"], r["ovs"]
    last = loop["last"]
    last_text = "none yet" if last is None else (
        f"#{last['number']} {_seconds(last['ago'])} ago: {last['added']} added, "
        f"{last['updated']} updated, {last['removed']} removed, {last['failed']} failed "
        f"in {last['elapsed']:.3f} s")
    connected = r["broker"]["connected"]
    broker = "unknown" if connected is None else "consuming" if connected else "not connected"
    failures = server["report_failures"]
    age = server["last_report_age"]
    report = ("no state report yet" if age is None else
              f"last state report {_seconds(age)} ago") + (
        f", {failures} failed since" if failures else "")
    ports = ", ".join(f"{n} {state}" for state, n in r["ports"].items())
    lines = [
        f"ovsagent {r['version']} on {r['host']} (pid {r['pid']}, up {_seconds(r['uptime'])})",
        f"  generation {r['generation']}, cookie {r['cookie']}, of_interface "
        f"{r['of_interface']}",
        f"Open vSwitch:   {ovs['status']} ({ovs['restarts']} restarts seen)",
        f"RPC broker:     {broker}",
        f"neutron-server: {report}",
        f"rpc_loop:       {loop['iterations']} iterations, "
        f"{'synced' if loop['synced'] else 'NOT synced'}; last {last_text}",
        "resyncs:        " + (", ".join(f"{k} {v}" for k, v in sorted(loop["resyncs"].items()))
                              or "none"),
        f"ports:          {ports}",
        f"networks:       {r['networks']} (one local VLAN each); tunnel ports: {r['tunnels']}",
        "flows:          " + (", ".join(f"{b} {n}" for b, n in r["flows"].items()) or "none"),
    ]
    return "\n".join(lines)


def ports(rows: list[dict[str, Any]]) -> str:
    def cells(values: list[str]) -> str:
        return "  ".join(v.ljust(w) if w else v for v, (_, w) in zip(values, PORT_COLUMNS,
                                                                     strict=True)).rstrip()

    out = [cells([name for name, _ in PORT_COLUMNS])]
    for r in rows:
        out.append(cells([r["port_id"], r["name"] or "-", str(r["ofport"] or "-"),
                          r["mac"] or "-", r["state"], r["network_id"] or "-",
                          str(r["local_vlan"] or "-"), segment(r)]))
    if not rows:
        out.append("(no VIF on the integration bridge)")
    return "\n".join(out)


def port_line(p: dict[str, Any]) -> str:
    net = (f", network {p['network_id']} on local VLAN {p['local_vlan']} ({segment(p)})"
           if p["network_id"] else "")
    return (f"port {p['port_id']} ({p['name'] or '?'}): ofport {p['ofport']}, "
            f"{p['mac']}, {p['state']}{net}")


def flows(r: dict[str, Any]) -> str:
    out = [port_line(r["port"])]
    bridge = table = None
    for row in r["flows"]:
        if row["bridge"] != bridge:
            bridge, table = row["bridge"], None
            out.append(f"{bridge}")
        if row["table"] != table:
            table = row["table"]
            out.append(f"  table {table} {row['table_name']}")
        text = row["flow"].split(",", 1)[1] if row["flow"].startswith("table=") else row["flow"]
        out.append(f"    [{row['reason']}] {text}")
    if not r["flows"]:
        out.append("(no installed flow refers to this port)")
    return "\n".join(out)


def trace(r: dict[str, Any]) -> str:
    out = [port_line(r["port"]), f"packet: {r['flow']}"]
    bridge = None
    for step in r["steps"]:
        if step["bridge"] != bridge:
            bridge = step["bridge"]
            out.append(f"{bridge}")
        name = f"{step['table']:>3} {step['table_name']}"
        if step["match"] is None:
            out.append(f"  {name:<28} no match")
        else:
            out.append(f"  {name:<28} {step['match'] or '(any)'}, priority {step['priority']}")
        out.extend(f"  {'':<28}   {action}" for action in step["actions"])
    for key, value in r["summary"].items():
        out.append(f"{key}: {value}")
    return "\n".join(out)


def resync(r: dict[str, Any]) -> str:
    if not r["done"]:
        return "full resync requested (not finished yet)"
    last = r["last"]
    return (f"full resync done in iteration {last['number']}: {last['added']} added, "
            f"{last['updated']} updated, {last['removed']} removed, {last['failed']} failed "
            f"in {last['elapsed']:.3f} s")
