"""A simulated host: one network namespace running its own Open vSwitch.

All of the host's OVS state lives in one directory (its ``rundir``): the
database, sockets, pid and log files and the bridges' management sockets,
which ``ovs-ofctl`` finds through ``OVS_RUNDIR``. Unix sockets are reachable
from every namespace, so tools in the root namespace can manage the host.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
from pathlib import Path

from ovsagent.testbench import netns

LOG = logging.getLogger(__name__)

OVS_SCHEMA = Path("/usr/share/openvswitch/vswitch.ovsschema")


class SimHost:
    """One simulated hypervisor: ``<run>-<name>`` namespace + ovsdb-server + ovs-vswitchd."""

    def __init__(self, name: str, basedir: Path | str, run_id: str | None = None,
                 ovsdb_tcp_port: int | None = 6640) -> None:
        self.name = name
        self.run_id = run_id or netns.new_run_id()
        self.netns = f"{self.run_id}-{name}"
        self.rundir = Path(basedir) / name
        self.db_sock = self.rundir / "db.sock"
        self.ovsdb_tcp_port = ovsdb_tcp_port
        self.started = False

    # ------------------------------------------------------------ paths
    @property
    def ovsdb_connection(self) -> str:
        return f"unix:{self.db_sock}"

    @property
    def env(self) -> dict[str, str]:
        return {"OVS_RUNDIR": str(self.rundir), "OVS_DBDIR": str(self.rundir),
                "OVS_LOGDIR": str(self.rundir)}

    def _pidfile(self, daemon: str) -> Path:
        return self.rundir / f"{daemon}.pid"

    def pid(self, daemon: str) -> int | None:
        """PID of ``ovsdb-server`` or ``ovs-vswitchd`` if running."""
        pid = netns.read_pid(self._pidfile(daemon))
        return pid if pid is not None and netns.pid_alive(pid) else None

    # ------------------------------------------------------- lifecycle
    def start(self) -> SimHost:
        self.rundir.mkdir(parents=True, exist_ok=True)
        netns.add_netns(self.netns)
        self.started = True
        try:
            # The userspace datapath reads its ports through AF_PACKET, so the
            # host kernel still sees every frame on an OVS-attached veth. With
            # the default arp_ignore=0 it answers an ARP for the tunnel address
            # arriving on the underlay veth with the veth's MAC: the peer's OVS
            # may learn that MAC, and tunnel packets sent to it are not
            # terminated (the tunnel port expects br-underlay's MAC) — an
            # intermittent vxlan blackout. Answer only on the interface that
            # holds the address, as a kernel-datapath host effectively does.
            for key in ("all", "default"):
                self.run(["sysctl", "-q", "-w", f"net.ipv4.conf.{key}.arp_ignore=1"])
            db = self.rundir / "conf.db"
            if not db.exists():
                netns.run(["ovsdb-tool", "create", str(db), str(OVS_SCHEMA)])
            self.start_ovsdb()
            self.vsctl("--no-wait", "init")
            self.start_vswitchd()
        except Exception:
            self.stop()
            raise
        return self

    def start_ovsdb(self) -> None:
        argv = ["ovsdb-server", str(self.rundir / "conf.db"), f"--remote=punix:{self.db_sock}",
                "--remote=db:Open_vSwitch,Open_vSwitch,manager_options",
                f"--pidfile={self._pidfile('ovsdb-server')}", "--detach",
                f"--log-file={self.rundir / 'ovsdb-server.log'}",
                f"--unixctl={self.rundir / 'ovsdb-server.ctl'}"]
        if self.ovsdb_tcp_port:
            argv.append(f"--remote=ptcp:{self.ovsdb_tcp_port}:127.0.0.1")
        netns.run(argv, netns=self.netns, env=self.env)
        netns.wait_for(f"{self.name} ovsdb socket", self.db_sock.exists, timeout=10)

    def start_vswitchd(self) -> None:
        netns.run(["ovs-vswitchd", f"unix:{self.db_sock}",
                   f"--pidfile={self._pidfile('ovs-vswitchd')}", "--detach",
                   f"--log-file={self.rundir / 'ovs-vswitchd.log'}",
                   f"--unixctl={self.rundir / 'ovs-vswitchd.ctl'}"],
                  netns=self.netns, env=self.env)

    def stop_daemon(self, daemon: str, kill: bool = False) -> None:
        pid = self.pid(daemon)
        if pid is not None:
            netns.stop_pid(pid, sig=9 if kill else 15)

    def restart_vswitchd(self, kill: bool = False) -> None:
        """Stop and start ovs-vswitchd (flows are lost; OVSDB content stays)."""
        self.stop_daemon("ovs-vswitchd", kill=kill)
        self.start_vswitchd()

    def restart_ovsdb(self) -> None:
        self.stop_daemon("ovsdb-server")
        self.db_sock.unlink(missing_ok=True)
        self.start_ovsdb()

    def stop(self, remove_files: bool = False) -> None:
        """Stop both daemons, then delete the namespace (which removes its taps)."""
        for daemon in ("ovs-vswitchd", "ovsdb-server"):
            self.stop_daemon(daemon)
        if (netns.NETNS_DIR / self.netns).exists():
            for pid in netns.pids_in_netns(self.netns):
                netns.stop_pid(pid, timeout=2.0)
            netns.del_netns(self.netns)
        self.started = False
        if remove_files:
            shutil.rmtree(self.rundir, ignore_errors=True)

    # --------------------------------------------------------- commands
    def run(self, argv: list[str], check: bool = True, timeout: float = 30.0,
            input_text: str | None = None) -> subprocess.CompletedProcess[str]:
        """Run ``argv`` inside the host's namespace with ``OVS_RUNDIR`` set."""
        return netns.run(argv, netns=self.netns, env=self.env, check=check, timeout=timeout,
                         input_text=input_text)

    def vsctl(self, *args: str, timeout: float = 30.0) -> str:
        return netns.run(["ovs-vsctl", f"--db=unix:{self.db_sock}", f"--timeout={int(timeout)}",
                          *args], env=self.env, timeout=timeout + 5).stdout.strip()

    def ofctl(self, *args: str, timeout: float = 30.0) -> str:
        return netns.run(["ovs-ofctl", "-O", "OpenFlow13", *args], env=self.env,
                         timeout=timeout).stdout

    def appctl(self, *args: str, target: str = "ovs-vswitchd") -> str:
        ctl = self.rundir / f"{target}.ctl"
        return netns.run(["ovs-appctl", "-t", str(ctl), *args], env=self.env).stdout

    def add_bridge(self, name: str, controller: str | None = None,
                   fail_mode: str | None = "secure") -> None:
        """Create a netdev bridge (idempotent) with an optional controller target."""
        args = ["--may-exist", "add-br", name, "--", "set", "Bridge", name,
                "datapath_type=netdev", "protocols=OpenFlow10,OpenFlow13,OpenFlow14"]
        if fail_mode:
            args += [f"fail_mode={fail_mode}"]
        self.vsctl(*args)
        if controller:
            self.vsctl("set-controller", name, controller)
        netns.wait_for(f"{name} mgmt socket", (self.rundir / f"{name}.mgmt").exists, timeout=10)

    def ofport(self, port: str, timeout: float = 10.0) -> int:
        """The port's OpenFlow number, once vswitchd has assigned one."""
        result: list[int] = []

        def ready() -> bool:
            out = self.vsctl("get", "Interface", port, "ofport")
            if out.lstrip("-").isdigit() and int(out) > 0:
                result.append(int(out))
                return True
            return False

        netns.wait_for(f"ofport of {port}", ready, timeout=timeout, interval=0.05)
        return result[0]

    def set_address(self, device: str, cidr: str) -> None:
        self.run(["ip", "addr", "replace", cidr, "dev", device])
        self.run(["ip", "link", "set", device, "up"])

    def __repr__(self) -> str:
        return f"SimHost({self.name!r}, netns={self.netns!r})"
