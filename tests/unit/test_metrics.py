"""Metrics: private registries, what the observer hooks record (loop, flow bundles
per driver, RPC calls per method), ``metrics_listen`` parsing and validation."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families

from ovsagent.agent.flowsync import FlowSync
from ovsagent.agent.loop import IterationStats
from ovsagent.agent.settings import AgentSettings
from ovsagent.config import startup
from ovsagent.config.listen import parse_listen
from ovsagent.config.validate import validate
from ovsagent.metrics import AgentMetrics
from ovsagent.ovs.openflow.base import BundleError, OpenFlowDriver
from ovsagent.pipeline.flow import Flow, FlowFilter, FlowMod, flow
from ovsagent.rpc import plugin_api
from ovsagent.rpc.errors import RpcTimeout
from ovsagent.rpc.plugin_api import PluginApi
from ovsagent.rpc.settings import RpcSettings
from ovsagent.rpc.transport import build_transport


def samples(m: AgentMetrics) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {(s.name, frozenset(s.labels.items())): s.value
            for fam in text_string_to_metric_families(m.render().decode()) for s in fam.samples}


def value(m: AgentMetrics, name: str, **labels: str) -> float:
    return samples(m).get((name, frozenset(labels.items())), 0.0)


def test_each_agent_has_its_own_registry() -> None:
    a, b = AgentMetrics(), AgentMetrics()
    a.ovs_restart()
    assert value(a, "ovsagent_ovs_restarts_total") == 1
    assert value(b, "ovsagent_ovs_restarts_total") == 0
    assert value(b, "ovsagent_resyncs_total", cause="ovs_restart") == 0  # exported as 0


def test_loop_hooks() -> None:
    m = AgentMetrics()
    m.iteration(IterationStats(0, added=3, updated=1, removed=0, failed=2, elapsed=0.02))
    m.resync("revived")
    assert value(m, "ovsagent_rpc_loop_iteration_seconds_count") == 1
    assert value(m, "ovsagent_rpc_loop_iteration_seconds_bucket", le="0.025") == 1
    assert value(m, "ovsagent_rpc_loop_ports_total", change="added") == 3
    assert value(m, "ovsagent_rpc_loop_ports_total", change="failed") == 2
    assert value(m, "ovsagent_resyncs_total", cause="revived") == 1


class FakeDriver(OpenFlowDriver):
    name = "fake"

    def __init__(self) -> None:
        self.fail = False

    def add_bridge(self, bridge: str, datapath_id: int | None = None,
                   timeout: float | None = None) -> None:
        pass

    def apply(self, bridge: str, mods: Sequence[FlowMod]) -> None:
        if self.fail:
            raise BundleError("rejected")

    def dump(self, bridge: str, flt: FlowFilter | None = None) -> list[Flow]:
        return []

    def barrier(self, bridge: str) -> None:
        pass


def test_flow_bundles_per_driver_and_bridge() -> None:
    m, driver = AgentMetrics(), FakeDriver()
    sync = FlowSync(driver, m)
    one, two = flow(0, 1, {"in_port": 1}), flow(0, 1, {"in_port": 2})
    sync.sync("br-int", [one, two])
    sync.sync("br-int", [one])  # one delete
    assert value(m, "ovsagent_flow_mods_total", driver="fake", bridge="br-int", op="add") == 2
    assert value(m, "ovsagent_flow_mods_total", driver="fake", bridge="br-int",
                 op="delete") == 1
    assert value(m, "ovsagent_flow_apply_seconds_count", driver="fake", bridge="br-int") == 2
    driver.fail = True
    with pytest.raises(BundleError):
        sync.sync("br-int", [two])
    assert value(m, "ovsagent_flow_apply_errors_total", driver="fake", bridge="br-int",
                 error="BundleError") == 1
    assert sync.snapshot() == {"br-int": ()}  # re-read from the switch after the error


def test_rpc_calls_per_method(monkeypatch: pytest.MonkeyPatch) -> None:
    from oslo_config import cfg

    conf = cfg.ConfigOpts()
    conf([], project="ovsagent-test")
    transport = build_transport(conf, url="fake://")
    m = AgentMetrics()
    api = PluginApi(transport, RpcSettings(host="h"), observe=m.rpc_call)
    replies: list[Any] = [{"tunnels": []}, RpcTimeout("tunnel_sync: no reply")]

    def fake_call(*args: Any, **kwargs: Any) -> Any:
        reply = replies.pop(0)
        if isinstance(reply, Exception):
            raise reply
        return reply

    monkeypatch.setattr(plugin_api, "call", fake_call)
    try:
        assert api.tunnel_sync("198.18.0.1", "vxlan") == ()
        with pytest.raises(RpcTimeout):
            api.tunnel_sync("198.18.0.1", "vxlan")
    finally:
        transport.cleanup()
    assert value(m, "ovsagent_rpc_call_seconds_count", method="tunnel_sync") == 2
    assert value(m, "ovsagent_rpc_call_errors_total", method="tunnel_sync",
                 error="RpcTimeout") == 1


@pytest.mark.parametrize(("text", "expected"), [
    ("127.0.0.1:9310", ("127.0.0.1", 9310)), ("[::1]:9310", ("::1", 9310)),
    (":9310", ("0.0.0.0", 9310)), ("localhost:0", ("localhost", 0))])
def test_parse_listen(text: str, expected: tuple[str, int]) -> None:
    assert parse_listen(text) == expected


@pytest.mark.parametrize("text", ["9310", "127.0.0.1", "::1:9310", "host.example:9310",
                                  "127.0.0.1:99999"])
def test_parse_listen_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_listen(text)


def test_bad_metrics_listen_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "agent.ini"
    path.write_text(textwrap.dedent("""
        [agent]
        metrics_listen = 127.0.0.1
        ctl_socket = /run/ovsagent/test.sock
        """))
    conf = startup.load_config(["--config-file", str(path)], default_config_files=[],
                               default_config_dirs=[])
    errors = [str(e) for e in validate(conf, lambda: set())]
    assert errors == ["[agent] metrics_listen = '127.0.0.1': expected ADDRESS:PORT, e.g. "
                      "127.0.0.1:9310 or [::1]:9310"]
    s = AgentSettings.from_conf(conf)
    assert (s.metrics_listen, s.ctl_socket) == ("127.0.0.1", "/run/ovsagent/test.sock")


class FakeView:
    """Just enough of AgentView for the state collector."""

    settings = AgentSettings(host="h1", tunnel_types=("vxlan",))
    heartbeat = None
    broker = None

    class core:  # stands in for the AgentCore attribute
        generation = 3

    def loop(self) -> Any:
        from ovsagent.agent.snapshot import LoopSnapshot

        return LoopSnapshot(0.0)

    def installed(self) -> dict[str, tuple[Flow, ...]]:
        return {"br-int": (flow(23, 0),)}

    def table_name(self, bridge: str, table: int) -> str:
        return "CANARY_TABLE"

    def heartbeat_age(self) -> float | None:
        return None


def test_every_metric_is_documented() -> None:
    from ovsagent.metrics.state import StateCollector

    m = AgentMetrics()
    m.registry.register(StateCollector(FakeView()))  # type: ignore[arg-type]
    doc = (Path(__file__).resolve().parents[2] / "docs" / "operations.md").read_text()
    names = set()
    for family in m.registry.collect():
        suffix = {"counter": "_total", "info": "_info"}.get(family.type, "")
        names.add(family.name + suffix)
    assert "ovsagent_flows" in names and "ovsagent_agent_info" in names
    missing = sorted(n for n in names if f"| `{n}` |" not in doc)
    assert not missing, f"docs/operations.md does not list {missing}"
