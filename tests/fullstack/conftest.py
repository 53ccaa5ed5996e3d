"""Fullstack fixtures: the lab (neutron-server 29, RabbitMQ, MariaDB, simulated
hosts, one agent per host) comes up once per session; every test gets a fresh
Workspace whose networks, ports and VM namespaces are removed after it.

Environment:
  OVSAGENT_LAB_AGENT          comma list of agents to run the suite with
                              (default: reference,ovsagent — one lab each)
  OVSAGENT_FULLSTACK_LAB_DIR  lab directory (default /var/lib/ovsagent-lab-fullstack)
  OVSAGENT_NEUTRON_VENV       neutron venv (default /var/cache/ovsagent/neutron-venv)

The first test's setup installs what is missing (Debian packages, the neutron
venv) and brings the lab up; `lab.down()` at the end leaves no process,
namespace or tap behind (logs are kept only when a test failed).
"""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Generator, Iterator
from pathlib import Path

import pytest

from ovsagent.lab import Lab, LabConfig, Workspace
from ovsagent.testbench import netns

LAB_DIR = Path(os.environ.get("OVSAGENT_FULLSTACK_LAB_DIR", "/var/lib/ovsagent-lab-fullstack"))
# The first test also pays for installing neutron (~1 min) and `up` (~20-30 s).
FULLSTACK_TIMEOUT = 1200
LOCK = Path("/var/lock/ovsagent-lab-fullstack.lock")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/fullstack/" in str(item.path):
            item.add_marker(pytest.mark.fullstack)
            item.add_marker(pytest.mark.timeout(FULLSTACK_TIMEOUT))


AGENTS = [a.strip() for a in os.environ.get("OVSAGENT_LAB_AGENT", "reference,ovsagent").split(",")
          if a.strip()]


@pytest.fixture(scope="session", params=AGENTS)
def lab(request: pytest.FixtureRequest) -> Iterator[Lab]:
    if os.geteuid() != 0:
        pytest.skip("fullstack tests need root")
    for tool in ("ovsdb-server", "ovs-vswitchd", "ip", "socat"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} not found: run scripts/bootstrap.sh")
    # One session owns LAB_DIR (and first removes what a crashed session left
    # there); a concurrent session gets a lab directory of its own.
    lock = open(LOCK, "w")  # noqa: SIM115 - held for the whole session
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        root = LAB_DIR
    except BlockingIOError:
        root = LAB_DIR.with_name(f"{LAB_DIR.name}-{os.getpid()}")
    config = LabConfig(root=root, hosts=2, agent=str(request.param))
    Lab(config).down()
    the_lab = Lab(config)
    failed = True  # until proven otherwise: keep the logs of a lab that did not come up
    try:
        the_lab.up()
        yield the_lab
        failed = request.session.testsfailed > 0
    finally:
        the_lab.down(keep_logs=failed)
        if failed:
            print(f"\nfullstack: lab logs kept in {the_lab.paths.logs}")
        lock.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]
                              ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """A failed test's switches as they were when it failed (before its workspace
    is cleaned up): flows and ports of every host, into the report and the logs."""
    report = yield
    lab = getattr(item, "funcargs", {}).get("lab")
    if report.when == "call" and report.failed and isinstance(lab, Lab):
        try:
            text = _switch_state(lab)
        except Exception as exc:  # diagnostics must not mask the failure
            text = f"(switch state unavailable: {exc})"
        report.sections.append(("switch state at failure", text))
        if lab.paths.logs.is_dir():
            name = item.nodeid.replace("/", "_").replace("::", "-")[-120:]
            (lab.paths.logs / f"failure-{name}.txt").write_text(text)
    return report


def _switch_state(lab: Lab) -> str:
    out = []
    for name in lab.host_names:
        host = lab.host(name)
        out.append(f"==== {name}: ovs-vsctl show\n{host.vsctl('show')}")
        for command in ("dpif/show", "tnl/ports/show -v", "tnl/neigh/show", "dpctl/dump-flows"):
            out.append(f"==== {name}: ovs-appctl {command}\n{host.appctl(*command.split())}")
        out.append(f"==== {name}: ovs-appctl fdb/show br-underlay\n"
                   f"{host.appctl('fdb/show', 'br-underlay')}")
        links = host.run(["ip", "-br", "link", "show"], check=False).stdout
        out.append(f"==== {name}: ip -br link show\n{links}")
        for bridge in ("br-int", "br-tun", "br-phys1"):
            out.append(f"==== {name}: {bridge}\n{host.ofctl('dump-flows', bridge)}")
    wire_ns = f"{lab.state.run_id}-w-underlay"[:60]
    fdb = netns.run(["bridge", "fdb", "show", "br", "sw"], netns=wire_ns, check=False).stdout
    out.append(f"==== underlay wire: bridge fdb show\n{fdb}")
    return "\n".join(out)


@pytest.fixture
def workspace(lab: Lab) -> Iterator[Workspace]:
    ws = Workspace(lab, prefix="t")
    try:
        yield ws
    finally:
        ws.cleanup()
