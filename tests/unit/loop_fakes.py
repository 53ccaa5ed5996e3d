"""Do-nothing stand-ins for what RpcLoop talks to, for tests that drive a pass."""

from __future__ import annotations

from typing import Any

from ovsagent.agent.wiring import WiringResult


class FakeServer:
    def get_device_details(self, port_ids: list[str], refresh: bool = False) -> dict[str, Any]:
        return {}

    def update_device_list(self, up: list[str], down: list[str],
                           refresh_tunnels: bool) -> list[str]:
        return []


class FakeWiring:
    def process(self, vifs: Any, details: Any, removed: Any) -> WiringResult:
        return WiringResult()


class FakeTunnels:
    def remove_unused(self, *args: Any) -> None:
        pass
