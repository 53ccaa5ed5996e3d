"""Retry back-off for failed ports."""

from __future__ import annotations

from ovsagent.agent.retries import RetryTracker


def test_backoff_doubles_then_gives_up() -> None:
    r = RetryTracker(max_attempts=3, base=1.0, cap=30.0)
    assert r.failed(["p"], now=0.0) == []
    assert r.due(now=0.5) == set() and r.due(now=1.0) == {"p"}
    r.failed(["p"], now=1.0)
    assert r.due(now=2.9) == set() and r.due(now=3.0) == {"p"}
    r.failed(["p"], now=3.0)
    assert r.due(now=6.9) == set() and r.due(now=7.0) == {"p"}
    assert r.failed(["p"], now=7.0) == ["p"]
    assert len(r) == 0


def test_success_clears_and_cap_applies() -> None:
    r = RetryTracker(max_attempts=10, base=10.0, cap=15.0)
    r.failed(["a", "b"], now=0.0)
    r.failed(["a"], now=10.0)
    assert r.due(now=24.9) == {"b"} and r.due(now=25.0) == {"a", "b"}
    r.succeeded(["a"])
    assert r.attempts("a") == 0 and r.attempts("b") == 1
