"""What the agent writes to OVSDB: ``ovsdb-client monitor`` of the tables whose
changes make ovs-vswitchd reconfigure, printed with timestamps into a log.

Used by ``bench.restart`` to see what a (re)starting agent rewrites. Only
changes after the start are printed (``!initial``); Interface statistics and
status columns that ovs-vswitchd updates on its own are not monitored.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path
from types import TracebackType

from bench.labs import HOST
from ovsagent.lab import Lab

#: table -> monitored columns ("" = all)
TABLES = {
    "Open_vSwitch": "bridges,external_ids,other_config,manager_options",
    "Bridge": "",
    "Controller": "",
    "Port": "name,tag,trunks,vlan_mode,other_config,external_ids,interfaces",
    "Interface": "name,type,options,ofport,ofport_request,external_ids,mtu_request,"
                 "admin_state,link_state,error",
}


class OvsdbWatch:
    """One ``ovsdb-client --timestamp monitor`` per table, into ``path``."""

    def __init__(self, lab: Lab, path: Path, host: str = HOST) -> None:
        self.sim = lab.host(host)
        self.path = path
        self._procs: list[subprocess.Popen[bytes]] = []

    def __enter__(self) -> OvsdbWatch:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        out = self.path.open("ab")
        env = {**os.environ, **self.sim.env}
        for table, columns in TABLES.items():
            cols = ",".join(c for c in ("!initial", columns) if c)
            out.write(f"=== {table} ({cols})\n".encode())
            out.flush()
            self._procs.append(subprocess.Popen(
                ["ovsdb-client", "--timestamp", "--format=list", "monitor",
                 self.sim.ovsdb_connection, "Open_vSwitch", table, cols],
                stdout=out, stderr=subprocess.STDOUT, env=env))
        out.close()
        time.sleep(0.3)  # monitors registered
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        for proc in self._procs:
            proc.terminate()
        for proc in self._procs:
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
