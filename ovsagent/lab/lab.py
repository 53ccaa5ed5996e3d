"""The lab: bring the whole small cloud up (idempotently) and take it down.

``Lab(LabConfig()).up()`` installs what is missing, then starts, each only if
it is not already running: a private RabbitMQ node (own epmd), a private
MariaDB, neutron-server (DB migrations, API under uwsgi, RPC server,
periodic workers), N simulated hosts, the broker relays into them and one
agent per host. Every process is recorded in ``state.json`` by PID;
:meth:`Lab.down` stops exactly those and deletes the lab's namespaces and
data.
"""

from __future__ import annotations

import datetime as dt
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ovsagent.lab import agents, confgen, hosts, install, procs, relay, services
from ovsagent.lab.client import NeutronClient
from ovsagent.lab.portclaims import PortClaims
from ovsagent.lab.procs import Proc
from ovsagent.lab.state import LabPaths, LabState, default_lab_dir, default_neutron_venv
from ovsagent.testbench import SimHost

PREFERRED_PORTS = {"rabbit": 5682, "epmd": 4379, "api": 9706}
SERVER_ORDER = ("api", "rpc", "periodic")
AGENT_STAGGER = 3.0  # seconds between agent starts (lab-notes §4: a stall was seen)


def _say(msg: str) -> None:
    print(f"lab: {msg}", flush=True)


@dataclass
class LabConfig:
    root: Path = field(default_factory=default_lab_dir)
    hosts: int = 2
    agent: str = "ovsagent"  # ovsagent | reference | auto (see agents.py)
    neutron_venv: Path = field(default_factory=default_neutron_venv)
    debug: bool = False
    agent_timeout: float = 120.0


class Lab:
    def __init__(self, config: LabConfig | None = None,
                 say: Callable[[str], None] = _say) -> None:
        self.config = config or LabConfig()
        self.paths = LabPaths(self.config.root)
        self.state = LabState.load(self.paths)
        self.say = say
        self.timings: dict[str, float] = {}

    # -------------------------------------------------------------- access
    @property
    def client(self) -> NeutronClient:
        return NeutronClient(f"http://127.0.0.1:{self.state.ports['api']}")

    def host(self, name: str) -> SimHost:
        return hosts.sim_host(self.paths, self.state.run_id, name)

    @property
    def host_names(self) -> list[str]:
        return list(self.state.hosts)

    def _save(self) -> None:
        self.state.save(self.paths)

    def _timed(self, key: str, start: float) -> None:
        self.timings[key] = time.monotonic() - start

    # ------------------------------------------------------------------ up
    def up(self) -> float:
        """Make everything run; return the seconds it took (install excluded)."""
        t = time.monotonic()
        self.timings["apt"] = install.ensure_apt_packages(say=self.say)
        self.timings["neutron_venv"] = install.ensure_neutron_venv(self.config.neutron_venv,
                                                                   say=self.say)
        start = time.monotonic()
        self.paths.root.mkdir(parents=True, exist_ok=True)
        self.paths.root.chmod(0o755)  # rabbitmq and mysql must traverse it
        self.say(f"lab directory {self.paths.root}, logs in {self.paths.logs}")
        self._pick_ports()
        self._ensure_broker()
        self._ensure_db()
        self._ensure_server()
        self._ensure_hosts()
        self._ensure_agents()
        took = time.monotonic() - start
        self.timings["up"] = took
        steps = ", ".join(f"{k} {v:.1f}s" for k, v in self.timings.items()
                          if k not in ("apt", "neutron_venv", "up") and v)
        if steps:
            self.say(f"steps: {steps}")
        self.say(f"up in {took:.1f}s (total with install checks {time.monotonic() - t:.1f}s); "
                 f"API http://127.0.0.1:{self.state.ports['api']}/v2.0, "
                 f"logs in {self.paths.logs}")
        return took

    def _pick_ports(self) -> None:
        """Free ports near the preferred ones; RabbitMQ takes a block of 20 (its
        distribution port is AMQP + 20000, rabbitmqctl's range follows it), so
        two labs on one machine never overlap. Choices are claimed machine-wide
        (:mod:`portclaims`): a lab starting at the same moment picks others."""

        def pick(others: set[int]) -> dict[str, int]:
            taken = list(others)
            ports = dict(self.state.ports)
            for name, preferred in PREFERRED_PORTS.items():
                if name not in ports:
                    if name == "rabbit":
                        ports[name] = procs.free_port(preferred, _rabbit_block_free, taken,
                                                      step=20)
                    else:
                        ports[name] = procs.free_port(preferred, taken=taken)
                taken.append(ports[name])
            return ports

        self._save()  # state.json exists: the claims below are not void
        self.state.ports = PortClaims().claim(self.paths.root, pick)
        self._save()

    def _alive(self, name: str) -> bool:
        proc = self.state.services.get(name)
        return proc is not None and proc.alive

    def _record(self, name: str, proc: Proc) -> None:
        self.state.services[name] = proc
        self._save()

    def _ensure_broker(self) -> None:
        ports = self.state.ports
        if not (self._alive("rabbitmq") and self._alive("epmd")):
            t = time.monotonic()
            for name in ("rabbitmq", "epmd"):
                if name in self.state.services:
                    procs.stop(self.state.services.pop(name), timeout=30)
            started = services.start_rabbit(self.paths, str(ports["rabbit"]), ports["rabbit"],
                                            ports["epmd"], self.say)
            for name, proc in started.items():
                self._record(name, proc)
            self._timed("rabbitmq", t)
        if not self._alive("relay-rabbit"):
            self._record("relay-rabbit", relay.start_root_end(
                self.paths.relay_socket("rabbit"), ports["rabbit"],
                self.paths.logs / "relay-rabbit.log"))

    def _ensure_db(self) -> None:
        if not self._alive("mariadb"):
            t = time.monotonic()
            self._record("mariadb", services.start_mariadb(self.paths, self.say))
            self._timed("mariadb", t)
        venv = self.config.neutron_venv
        if "migrated" not in self.state.done:
            t = time.monotonic()
            settings = self._server_settings()
            services.write_server_config(self.paths, settings, venv)
            services.migrate_db(self.paths, venv, self.say)
            self.state.done.append("migrated")
            self._save()
            self._timed("migrations", t)

    def _server_settings(self) -> confgen.ServerSettings:
        return confgen.ServerSettings(
            api_port=self.state.ports["api"],
            transport_url=services.transport_url(self.state.ports["rabbit"]),
            db_socket=self.paths.db_socket, state_path=self.paths.server_state,
            paste_config=self.config.neutron_venv / "etc" / "neutron" / "api-paste.ini",
            debug=self.config.debug)

    def _ensure_server(self) -> None:
        venv, api_port = self.config.neutron_venv, self.state.ports["api"]
        missing = [w for w in SERVER_ORDER if not self._alive(f"neutron-{w}")]
        if not missing:
            return
        t = time.monotonic()
        services.write_server_config(self.paths, self._server_settings(), venv)
        for which in missing:
            self.say(f"starting neutron-{which}")
            self._record(f"neutron-{which}",
                         services.start_neutron(self.paths, venv, api_port, which))
        self.say(f"waiting for the neutron API on 127.0.0.1:{api_port}")
        api = self.state.services["neutron-api"]
        procs.wait_until(lambda: services.api_ready(api_port), 180, "the neutron API",
                         interval=0.5, proc=api)
        if "neutron-api" in missing and not procs.serves(api_port, api):
            raise RuntimeError(f"127.0.0.1:{api_port} answers, but not from this lab's API "
                               f"(pid {api.pid}): another lab took the port at the same time; "
                               "run `down` and `up` again")
        self._timed("neutron_server", t)

    def _ensure_hosts(self) -> None:
        names = self.host_names
        if names and all(hosts.host_healthy(self.host(n)) for n in names):
            if len(names) != self.config.hosts:
                self.say(f"keeping the running {len(names)} hosts (run `down` to change)")
        else:
            if names:
                self.say("simulated hosts incomplete: rebuilding them")
                self._destroy_hosts()
            t = time.monotonic()
            self.say(f"building {self.config.hosts} simulated hosts (netns + OVS each)")
            self.state.run_id, self.state.hosts = hosts.build(self.paths, self.config.hosts)
            self._save()
            self._timed("hosts", t)
        for hs in self.state.hosts.values():
            if not any(r.alive for r in hs.relays):
                for r in hs.relays:
                    procs.stop(r)
                hs.relays = [relay.start_netns_end(
                    self.host(hs.name).netns, self.paths.relay_socket("rabbit"),
                    self.state.ports["rabbit"], self.paths.logs / f"relay-{hs.name}.log")]
                self._save()

    def _ensure_agents(self) -> None:
        wanted = self.config.agent
        url = services.transport_url(self.state.ports["rabbit"])
        t = time.monotonic()
        started: dict[str, dt.datetime] = {}
        for hs in self.state.hosts.values():
            running = hs.agent is not None and hs.agent.alive
            if running and wanted in ("auto", hs.agent_kind):
                continue
            if hs.agent is not None and not running:
                procs.stop(hs.agent, timeout=2)  # what the dead agent left (privsep, …)
            if running and hs.agent is not None:
                self.say(f"{hs.name}: replacing the {hs.agent_kind} agent by {wanted}")
                agents.stop_agent(hs.agent)
            etc = hosts.write_agent_config(self.paths, hs, url, self.config.debug)
            if started:
                time.sleep(AGENT_STAGGER)
            kind = self.state.agent if wanted == "auto" and self.state.agent else wanted
            now = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
            hs.agent, hs.agent_kind = self._start_agent(kind, hs.name, etc)
            self.state.agent = hs.agent_kind
            started[hs.name] = now
            self._save()
        if started:
            self._wait_agents(started)
            self._timed("agents", t)

    def _start_agent(self, kind: str, name: str, etc: Path) -> tuple[Proc, str]:
        host = self.host(name)
        venv = self.config.neutron_venv
        if kind in ("auto", "ovsagent"):
            self.say(f"{name}: starting ovsagent ({agents.ovsagent_bin()})")
            try:
                return agents.start_agent("ovsagent", host, etc, self.paths.logs, venv), \
                    "ovsagent"
            except agents.AgentStartError as exc:
                if kind == "ovsagent":
                    raise
                self.say(f"{exc}\nlab: falling back to the reference agent "
                         "(--agent reference selects it directly; --agent ovsagent makes "
                         "this fatal)")
        self.say(f"{name}: starting neutron-openvswitch-agent (reference)")
        return agents.start_agent("reference", host, etc, self.paths.logs, venv), "reference"

    def _wait_agents(self, started: dict[str, dt.datetime]) -> None:
        self.say(f"waiting for {len(started)} agent(s) to report to the server")
        client = self.client

        def reported() -> bool:
            rows = client.alive_agents()
            return all(h in rows and _ts(rows[h]["started_at"]) >= since - dt.timedelta(seconds=5)
                       for h, since in started.items())

        running = [hs.agent for hs in self.state.hosts.values() if hs.agent is not None]

        def reported_or_died() -> bool:
            for proc in running:
                if not proc.alive:
                    raise RuntimeError(f"an agent died before reporting; see {proc.log} "
                                       f"and {self.paths.logs}/agent-*.log")
            return reported()

        procs.wait_until(reported_or_died, self.config.agent_timeout, "agents to report (see "
                         f"{self.paths.logs}/agent-*.log)", interval=0.5)

    # ---------------------------------------------------------------- down
    def down(self, keep_logs: bool = False) -> list[str]:
        """Stop everything recorded, delete the lab's namespaces and files; return what."""
        done: list[str] = []
        agent_procs = [hs.agent for hs in self.state.hosts.values() if hs.agent is not None]
        procs.stop_many(agent_procs, timeout=3)
        done += [f"agent {hs.name} (pid {hs.agent.pid})" for hs in self.state.hosts.values()
                 if hs.agent is not None]
        procs.stop_many([r for hs in self.state.hosts.values() for r in hs.relays], timeout=3)
        done += [f"netns {ns}" for ns in self._destroy_hosts()]
        server = ["relay-rabbit", *(f"neutron-{w}" for w in SERVER_ORDER)]
        rest = [n for n in self.state.services if n not in server]
        for group, timeout in ((server, 3.0), (rest, 30.0)):
            stopping = {n: self.state.services.pop(n) for n in group if n in self.state.services}
            procs.stop_many(list(stopping.values()), timeout=timeout)
            done += [f"{name} (pid {proc.pid})" for name, proc in stopping.items()]
        self._remove_files(keep_logs)
        PortClaims().release(self.paths.root)
        self.state = LabState()
        return done

    def _destroy_hosts(self) -> list[str]:
        removed = hosts.destroy(self.paths, self.state.run_id, self.host_names)
        self.state.hosts = {}
        self.state.vms = {}
        return removed

    def _remove_files(self, keep_logs: bool) -> None:
        p = self.paths
        for sub in (p.state_file, p.run, p.rabbit, p.mariadb, p.root / "etc", p.server_state,
                    p.hosts, p.root / "tmp", p.root / "agent-state",
                    *(() if keep_logs else (p.logs,))):
            if sub.is_dir():
                shutil.rmtree(sub, ignore_errors=True)
            else:
                sub.unlink(missing_ok=True)
        if p.root.is_dir() and not any(p.root.iterdir()):
            p.root.rmdir()


def _rabbit_block_free(port: int) -> bool:
    return all(procs.port_free(port + 20000 + i) for i in range(11))


def _ts(text: str) -> dt.datetime:
    return dt.datetime.strptime(text.split(".")[0], "%Y-%m-%d %H:%M:%S")
