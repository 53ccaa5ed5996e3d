"""Bounded calls: error mapping, the first-call guard, an unreachable broker, the transport."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import oslo_messaging
import pytest
from oslo_config import cfg

from ovsagent.rpc.calls import FirstCallGuard, admin_context, map_error
from ovsagent.rpc.errors import RpcRemoteError, RpcTimeout, RpcUnavailable
from ovsagent.rpc.plugin_api import PluginApi
from ovsagent.rpc.settings import RpcSettings
from ovsagent.rpc.transport import build_transport


def private_conf() -> cfg.ConfigOpts:
    conf = cfg.ConfigOpts()
    conf([], project="ovsagent-test")
    return conf


def test_error_mapping() -> None:
    assert isinstance(map_error("m", oslo_messaging.MessagingTimeout("x"), 3), RpcTimeout)
    remote = map_error("m", oslo_messaging.RemoteError("InvalidInput", "bad ip", "trace"), 3)
    assert isinstance(remote, RpcRemoteError) and remote.exc_type == "InvalidInput"
    assert remote.value == "bad ip" and "m: server raised InvalidInput" in str(remote)
    assert isinstance(map_error("m", oslo_messaging.MessageDeliveryFailure("x"), 3),
                      RpcUnavailable)
    assert isinstance(map_error("m", ConnectionRefusedError(111, "refused"), 3), RpcUnavailable)
    # builtin exceptions the driver recreates from the server's reply
    remote_key_error = type("KeyError_Remote", (KeyError,), {})
    mapped = map_error("m", remote_key_error("'id'\nTraceback..."), 3)
    assert isinstance(mapped, RpcRemoteError) and mapped.exc_type == "KeyError"
    remote_os_error = type("ConnectionError_Remote", (ConnectionError,), {})
    assert isinstance(map_error("m", remote_os_error("x"), 3), RpcRemoteError)


def test_admin_context_shape() -> None:
    ctx = admin_context()
    assert ctx["is_admin"] is True and ctx["user_id"] is None and ctx["project_id"] is None
    assert ctx["request_id"].startswith("req-") and "admin" in ctx["roles"]
    assert admin_context()["request_id"] != ctx["request_id"]


def test_first_call_guard_bounds_a_blocked_first_call() -> None:
    guard = FirstCallGuard()
    release = threading.Event()

    def blocked() -> str:
        release.wait(10)
        return "first"

    t0 = time.monotonic()
    with pytest.raises(RpcUnavailable):
        guard.run(blocked, 0.2, "m")
    # a second caller while the first is still pending also fails within its deadline
    with pytest.raises(RpcUnavailable):
        guard.run(lambda: "second", 0.2, "m")
    assert time.monotonic() - t0 < 2 and not guard.ready
    release.set()
    deadline = time.monotonic() + 2
    while not guard.ready and time.monotonic() < deadline:
        time.sleep(0.01)
    assert guard.ready
    assert guard.run(lambda: "direct", 0.2, "m") == "direct"


def test_first_call_guard_passes_results_and_errors() -> None:
    guard = FirstCallGuard()

    def fail() -> Any:
        raise RpcTimeout("nope")

    with pytest.raises(RpcTimeout):
        guard.run(fail, 1, "m")
    assert guard.ready and guard.run(lambda: 5, 1, "m") == 5


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_unreachable_broker_never_freezes_a_call() -> None:
    transport = build_transport(private_conf(),
                                url=f"rabbit://guest:guest@127.0.0.1:{_closed_port()}/")
    api = PluginApi(transport, RpcSettings(host="h", response_timeout=0.5, report_interval=0.5))
    t0 = time.monotonic()
    with pytest.raises(RpcUnavailable):
        api.has_alive_neutron_server()
    with pytest.raises(RpcUnavailable):
        api.report_state({"host": "h"})
    assert time.monotonic() - t0 < 10
    transport.cleanup(timeout=0.5)  # bounded even though a connection attempt is stuck


def test_transport_defaults_on_private_conf() -> None:
    conf = private_conf()
    transport = build_transport(conf, url="fake://")
    try:
        assert conf.control_exchange == "neutron"
        assert conf.oslo_messaging_rabbit.rpc_conn_pool_size == 1
        assert transport.driver_name == "fake"
        assert transport.notification_transport() is transport.notification_transport()
    finally:
        assert transport.cleanup()


def test_settings_from_conf_fall_back_to_reference_defaults() -> None:
    conf = private_conf()
    s = RpcSettings.from_conf(conf)
    assert s.host == socket.gethostname() and s.report_interval == 30
    assert s.processing_step == 20 and s.response_max_timeout == 600
    conf.register_opts([cfg.FloatOpt("report_interval", default=7)], group="agent")
    conf.register_opts([cfg.StrOpt("host", default="h1")])
    s = RpcSettings.from_conf(conf)
    assert s.host == "h1" and s.report_interval == 7
