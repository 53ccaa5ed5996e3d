"""Heartbeat: revived -> resync, failures never raise, OVS dead -> no report."""

from __future__ import annotations

import logging
import threading

import pytest

from ovsagent.agent.daemon import connect_ovsdb
from ovsagent.agent.heartbeat import Heartbeat
from ovsagent.agent.settings import AgentSettings
from ovsagent.rpc.state import AgentState, AgentStateConfig


class Reporter:
    def __init__(self, replies: list[object]) -> None:
        self.replies = replies
        self.sent: list[dict[str, object]] = []

    def report_state(self, agent_state: dict[str, object]) -> str | None:
        self.sent.append(agent_state)
        reply = self.replies.pop(0)
        if isinstance(reply, Exception):
            raise reply
        return reply  # type: ignore[return-value]


def _beat(replies: list[object], dead: bool = False) -> tuple[Heartbeat, Reporter, list[int]]:
    reporter = Reporter(replies)
    resyncs: list[int] = []
    hb = Heartbeat(reporter, AgentState(AgentStateConfig(host="h1")), 30.0, devices=lambda: 3,
                   synced=lambda: True, on_revived=lambda: resyncs.append(1),
                   ovs_dead=lambda: dead)
    return hb, reporter, resyncs


def test_revived_triggers_full_resync() -> None:
    hb, reporter, resyncs = _beat(["new", "alive", "revived"])
    assert [hb.beat() for _ in range(3)] == ["new", "alive", "revived"]
    assert resyncs == [1]
    first, second = reporter.sent[0], reporter.sent[1]
    assert "resource_versions" in first and first["start_flag"] is True
    assert "resource_versions" not in second and "start_flag" not in second
    assert first["configurations"]["devices"] == 3  # type: ignore[index]


def test_failures_are_counted_not_raised() -> None:
    hb, _, _ = _beat([TimeoutError("broker down"), TimeoutError("still"), "alive"])
    assert hb.beat() is None and hb.beat() is None and hb.failures == 2
    assert hb.beat() == "alive" and hb.failures == 0


def test_a_report_skipped_as_stale_is_sent_again_at_once() -> None:
    """A server that just started skips reports older than itself (reply None):
    the beat re-reports at once, start flag included, instead of waiting an
    interval while the server's agent_down_time runs out."""
    hb, reporter, _ = _beat([None, "new", "alive"])
    assert hb.beat() == "new" and len(reporter.sent) == 2
    assert reporter.sent[1]["start_flag"] is True  # the skipped one never reached the server
    assert hb.beat() == "alive" and len(reporter.sent) == 3
    assert "start_flag" not in reporter.sent[2]


def test_no_report_while_ovs_is_dead() -> None:
    hb, reporter, _ = _beat(["alive"], dead=True)
    assert hb.beat() is None and reporter.sent == []


def test_ovsdb_gone_at_start_is_retried_with_a_clear_line(
        caplog: pytest.LogCaptureFixture, tmp_path: object) -> None:
    stop = threading.Event()
    settings = AgentSettings(ovsdb_connection=f"unix:{tmp_path}/missing.sock", ovsdb_timeout=1)
    timer = threading.Timer(2.5, stop.set)
    timer.start()
    with caplog.at_level(logging.ERROR):
        assert connect_ovsdb(settings, stop) is None
    timer.cancel()
    lines = [r.getMessage() for r in caplog.records if "OVSDB not reachable" in r.getMessage()]
    assert len(lines) >= 2 and "missing.sock" in lines[0] and "retrying" in lines[0]
    assert not any(r.exc_info for r in caplog.records)  # no traceback
