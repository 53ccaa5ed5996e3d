"""The agent's generation marker in OVSDB."""

from __future__ import annotations

from typing import Any


def test_the_generation_is_written_without_waiting_for_vswitchd() -> None:
    """Only the next process reads it; a 500-port userspace switch took ~0.5 s to
    apply it, and setup waited for that (bridges.update_bridge(wait_vswitchd=False))."""
    from ovsagent.ovs.ovsdb import bridges

    calls: list[dict[str, Any]] = []

    class _Client:
        def transact(self, *ops: Any, **kwargs: Any) -> list[Any]:
            calls.append(kwargs)
            return [None]

    bridges.update_bridge(_Client(), "br-int", external_ids={"k": "v"},  # type: ignore[arg-type]
                          wait_vswitchd=False)
    bridges.update_bridge(_Client(), "br-int", other_config={"k": "v"})  # type: ignore[arg-type]
    assert calls == [{"wait_vswitchd": False}, {"wait_vswitchd": None}]
