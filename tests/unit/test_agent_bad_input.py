"""Bad payloads from the server: that port fails (and is retried), the others go on."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from test_rpc_samples import HOST, port

from ovsagent.agent.details import RpcServerApi
from ovsagent.agent.retries import RetryTracker
from ovsagent.rpc.cache import ResourceCache
from ovsagent.rpc.errors import RpcTimeout

GOOD = "11111111-2222-4333-8444-555555555555"
BAD = "66666666-7777-4888-8999-aaaaaaaaaaaa"


class Puller:
    def __init__(self, answer: list[Any] | Exception) -> None:
        self.answer = answer
        self.calls: list[Mapping[str, Any]] = []

    def bulk_pull(self, resource_type: str, filter_kwargs: Mapping[str, Any]) -> list[Any]:
        self.calls.append(filter_kwargs)
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


class Reporter:
    def update_device_list(self, devices_up: list[str], devices_down: list[str], *,
                           refresh_tunnels: bool = False) -> object:
        raise AssertionError("not called here")


def _api(answer: list[Any] | Exception) -> tuple[RpcServerApi, Puller]:
    puller = Puller(answer)
    return RpcServerApi(ResourceCache(puller=puller), Reporter(), HOST), puller


def test_malformed_port_fails_alone() -> None:
    bad = port(BAD)
    bad["versioned_object.data"]["bindings"] = "not a list"
    api, puller = _api([port(GOOD), bad])
    details = api.get_device_details([GOOD, BAD])
    assert details[BAD] is None  # failed: the loop retries it with back-off
    good = details[GOOD]
    assert good is not None and good.segment is not None
    assert good.segment.segmentation_id == 1001 and good.fixed_ips == ("198.19.1.5",)
    assert len(puller.calls) == 1 and sorted(puller.calls[0]["id"]) == sorted([GOOD, BAD])


def test_unknown_network_type_and_bad_segmentation_id() -> None:
    weird = port(GOOD)
    levels = weird["versioned_object.data"]["binding_levels"]
    levels[-1]["versioned_object.data"]["segment"]["versioned_object.data"][
        "segmentation_id"] = 99999999  # out of range for vxlan
    api, _ = _api([weird])
    assert api.get_device_details([GOOD])[GOOD] is None


def test_rpc_failure_fails_every_port_without_raising() -> None:
    api, _ = _api(RpcTimeout("bulk_pull timed out"))
    assert api.get_device_details([GOOD, BAD]) == {GOOD: None, BAD: None}


def test_failed_ports_back_off() -> None:
    retries = RetryTracker()
    retries.failed([BAD], now=0.0)
    assert retries.due(now=0.5) == set() and retries.due(now=1.0) == {BAD}
