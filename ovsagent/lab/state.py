"""Where the lab keeps things, and what it recorded about what it started.

Everything lives under one lab directory; ``state.json`` there records every
process (PID + start time), the ports chosen, the simulated hosts and VMs, so
that a later ``status``/``demo``/``down`` (another process) finds them.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from ovsagent.lab.procs import Proc

DEFAULT_LAB_DIR = Path("/var/lib/ovsagent-lab")
DEFAULT_NEUTRON_VENV = Path("/var/cache/ovsagent/neutron-venv")
AGENTS = ("ovsagent", "reference")


def default_lab_dir() -> Path:
    return Path(os.environ.get("OVSAGENT_LAB_DIR", DEFAULT_LAB_DIR))


def default_neutron_venv() -> Path:
    return Path(os.environ.get("OVSAGENT_NEUTRON_VENV", DEFAULT_NEUTRON_VENV))


def default_agent() -> str:
    return os.environ.get("OVSAGENT_LAB_AGENT", "ovsagent")


@dataclass(frozen=True)
class LabPaths:
    """The lab directory's layout."""

    root: Path

    @property
    def state_file(self) -> Path:
        return self.root / "state.json"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    @property
    def run(self) -> Path:
        """Unix sockets of the relays."""
        return self.root / "run"

    @property
    def rabbit(self) -> Path:
        return self.root / "rabbitmq"

    @property
    def mariadb(self) -> Path:
        return self.root / "mariadb"

    @property
    def db_socket(self) -> Path:
        return self.mariadb / "mysqld.sock"

    @property
    def server_etc(self) -> Path:
        return self.root / "etc" / "neutron-server"

    @property
    def server_state(self) -> Path:
        return self.root / "neutron-state"

    @property
    def hosts(self) -> Path:
        """Simulated hosts' OVS run directories (one subdirectory each)."""
        return self.root / "hosts"

    def host_etc(self, host: str) -> Path:
        return self.root / "etc" / host

    def relay_socket(self, service: str) -> Path:
        return self.run / f"{service}.sock"


@dataclass
class HostState:
    name: str
    underlay_ip: str
    agent: Proc | None = None
    agent_kind: str = ""
    relays: list[Proc] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        return {"name": self.name, "underlay_ip": self.underlay_ip,
                "agent": self.agent.to_json() if self.agent else None,
                "agent_kind": self.agent_kind,
                "relays": [r.to_json() for r in self.relays]}

    @classmethod
    def from_json(cls, data: dict[str, object]) -> HostState:
        agent = data.get("agent")
        relays = data.get("relays") or []
        assert isinstance(relays, list)
        return cls(str(data["name"]), str(data["underlay_ip"]),
                   Proc.from_json(agent) if isinstance(agent, dict) else None,
                   str(data.get("agent_kind", "")),
                   [Proc.from_json(r) for r in relays])


@dataclass
class LabState:
    """What the lab started; saved after every change so a crash loses nothing."""

    run_id: str = ""
    agent: str = ""
    ports: dict[str, int] = field(default_factory=dict)
    services: dict[str, Proc] = field(default_factory=dict)
    hosts: dict[str, HostState] = field(default_factory=dict)
    vms: dict[str, dict[str, str]] = field(default_factory=dict)
    done: list[str] = field(default_factory=list)

    @classmethod
    def load(cls, paths: LabPaths) -> LabState:
        try:
            data = json.loads(paths.state_file.read_text())
        except (OSError, ValueError):
            return cls()
        return cls(run_id=data.get("run_id", ""), agent=data.get("agent", ""),
                   ports=dict(data.get("ports", {})),
                   services={k: Proc.from_json(v) for k, v in data.get("services", {}).items()},
                   hosts={k: HostState.from_json(v) for k, v in data.get("hosts", {}).items()},
                   vms=dict(data.get("vms", {})), done=list(data.get("done", [])))

    def save(self, paths: LabPaths) -> None:
        paths.root.mkdir(parents=True, exist_ok=True)
        data = {"run_id": self.run_id, "agent": self.agent, "ports": self.ports,
                "services": {k: v.to_json() for k, v in self.services.items()},
                "hosts": {k: v.to_json() for k, v in self.hosts.items()},
                "vms": self.vms, "done": self.done}
        tmp = paths.state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=2) + "\n")
        tmp.replace(paths.state_file)
