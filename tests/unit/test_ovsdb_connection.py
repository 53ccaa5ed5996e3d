"""Connection failures are reported as our own errors, quickly and clearly."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest

from ovsagent.ovs.ovsdb import OvsdbClient, OvsdbConnectionError
from ovsagent.ovs.ovsdb.idl import fetch_schema


def test_missing_socket(tmp_path: Path) -> None:
    endpoint = f"unix:{tmp_path}/missing.sock"
    with pytest.raises(OvsdbConnectionError) as err:
        OvsdbClient(endpoint, timeout=1)
    assert err.value.endpoint == endpoint
    assert endpoint in str(err.value) and "No such file" in str(err.value)


def test_server_that_never_answers_times_out(tmp_path: Path) -> None:
    path = tmp_path / "mute.sock"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
        server.bind(str(path))
        server.listen(1)
        start = time.monotonic()
        with pytest.raises(OvsdbConnectionError) as err:
            fetch_schema(f"unix:{path}", timeout=0.5)
        assert time.monotonic() - start < 2
        assert "timed out" in str(err.value)


def test_bad_endpoint_syntax() -> None:
    with pytest.raises(OvsdbConnectionError):
        OvsdbClient("bogus:whatever", timeout=1)
