"""The loop's published snapshot: port states and counts."""

from __future__ import annotations

from ovsagent.agent.snapshot import LoopSnapshot
from ovsagent.agent.wiring import Vif
from ovsagent.pipeline.state import WiredPort


def test_port_states_and_counts() -> None:
    vifs = {p: Vif(p, f"tap{p}", n, f"fa:16:3e:00:00:0{n}")
            for n, p in enumerate(("w", "d", "f", "s", "n"), start=1)}
    snap = LoopSnapshot(0.0, vifs=vifs, ports={"w": WiredPort("w", 1, vifs["w"].mac, "net", 1)},
                        dead={"d": 2}, failed=frozenset({"f"}), skipped=frozenset({"s"}))
    assert [snap.port_state(p) for p in vifs] == ["wired", "dead", "failed", "skipped",
                                                  "pending"]
    assert snap.port_counts() == {"wired": 1, "dead": 1, "failed": 1, "skipped": 1,
                                  "pending": 1}
    # a port that failed again after being wired counts as failed, once
    again = LoopSnapshot(0.0, vifs=vifs, ports=snap.ports, failed=frozenset({"w"}))
    assert again.port_counts()["failed"] == 1 and again.port_counts()["wired"] == 0
