"""stop_in_parallel: side by side, bounded, failures logged and not raised."""

from __future__ import annotations

import logging
import threading
import time

import pytest

from ovsagent.stopping import stop_in_parallel


def test_steps_run_side_by_side_not_one_after_the_other() -> None:
    started = threading.Barrier(3, timeout=2.0)  # each step waits for the other two

    def step() -> None:
        started.wait()

    t = time.monotonic()
    assert stop_in_parallel({"a": step, "b": step, "c": step}, grace=5.0) == []
    assert time.monotonic() - t < 2.0


def test_a_step_still_running_after_the_grace_is_named_and_left(
        caplog: pytest.LogCaptureFixture) -> None:
    release = threading.Event()
    done: list[str] = []
    caplog.set_level(logging.INFO, logger="ovsagent.stopping")
    t = time.monotonic()
    left = stop_in_parallel({"quick": lambda: done.append("quick"), "stuck": release.wait},
                            grace=0.3)
    waited = time.monotonic() - t
    release.set()
    assert left == ["stuck"]
    assert done == ["quick"]
    assert 0.25 <= waited < 2.0
    assert "still stopping after 0.3 s: stuck" in caplog.text


def test_a_step_that_raises_is_logged_and_the_others_still_run(
        caplog: pytest.LogCaptureFixture) -> None:
    done: list[str] = []

    def broken() -> None:
        raise RuntimeError("socket already gone")

    assert stop_in_parallel({"broken": broken, "fine": lambda: done.append("fine")},
                            grace=2.0) == []
    assert done == ["fine"]
    assert "stopping broken failed" in caplog.text
    assert "socket already gone" in caplog.text
