"""Parsing IDL values, bridge helpers, schema column selection."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from ovsagent.ovs.ovsdb import (
    INVALID_OFPORT,
    InterfaceInfo,
    controller_target,
    format_datapath_id,
    is_valid_ofport,
    parse_ofport,
)
from ovsagent.ovs.ovsdb.bridges import parse_datapath_id
from ovsagent.ovs.ovsdb.db import merge_map, optional, set_if_changed, str_map
from ovsagent.ovs.ovsdb.idl import selected_columns, split_endpoints
from ovsagent.ovs.ovsdb.interfaces import interface_info


@pytest.mark.parametrize("raw, expected", [
    ([3], 3), ([], None), (3, 3), (-1, -1), ([-1], -1), (None, None), ("", None), ("7", 7),
])
def test_parse_ofport(raw: Any, expected: int | None) -> None:
    assert parse_ofport(raw) == expected


def test_valid_ofport() -> None:
    assert is_valid_ofport(1) and is_valid_ofport(0xFEFF)
    assert not any(is_valid_ofport(p) for p in (None, 0, INVALID_OFPORT, 0xFFFE, 0xFF00))


def test_optional_and_str_map() -> None:
    assert optional([]) is None and optional(["secure"]) == "secure" and optional(5) == 5
    assert str_map({"a": 1}) == {"a": "1"} and str_map(None) == {}


def test_controller_target_brackets_ipv6() -> None:
    assert controller_target("127.0.0.1", 6633) == "tcp:127.0.0.1:6633"
    assert controller_target("::1", 6633) == "tcp:[::1]:6633"
    assert controller_target("fd00::5", 6653, "ssl") == "ssl:[fd00::5]:6653"


def test_datapath_ids() -> None:
    assert format_datapath_id(0xABCDEF) == "0000000000abcdef"
    assert format_datapath_id((1 << 48) + 5) == "0001000000000005"
    with pytest.raises(ValueError):
        format_datapath_id(1 << 64)
    assert parse_datapath_id(["0000d230f70c6841"]) == 0xD230F70C6841
    assert parse_datapath_id([]) is None and parse_datapath_id("00000000000000ff") == 255


def test_endpoints_and_columns() -> None:
    assert split_endpoints("unix:/a, tcp:127.0.0.1:6640,") == ["unix:/a", "tcp:127.0.0.1:6640"]
    schema: dict[str, Any] = {"tables": {
        "Interface": {"columns": {"name": {}, "statistics": {}, "ofport": {}}},
        "Port": {"columns": {"name": {}, "rstp_statistics": {}}}}}
    assert selected_columns(schema) == {"Interface": ["name", "ofport"],
                                        "Port": ["name", "rstp_statistics"]}
    assert selected_columns(schema, {"rstp_statistics"})["Port"] == ["name"]
    schema["tables"]["Interface"]["columns"].update({"link_state": {}, "mac_in_use": {}})
    schema["tables"]["Port"]["columns"]["link_state"] = {}
    assert selected_columns(schema)["Interface"] == ["mac_in_use", "name", "ofport"]
    assert selected_columns(schema)["Port"] == ["link_state", "name", "rstp_statistics"]


class FakeRow:
    """Just enough of an IDL row for the write helpers."""

    def __init__(self, **columns: Any) -> None:
        self.__dict__["columns"] = dict(columns)
        self.__dict__["verified"] = []
        self.__dict__["written"] = []

    def __getattr__(self, name: str) -> Any:
        try:
            return self.__dict__["columns"][name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name: str, value: Any) -> None:
        self.__dict__["columns"][name] = value
        self.__dict__["written"].append(name)

    def verify(self, name: str) -> None:
        self.__dict__["verified"].append(name)


def test_merge_map_keeps_other_keys_and_skips_noops() -> None:
    row = FakeRow(other_config={"foo": "bar", "mac-table-size": "50000"})
    assert not merge_map(row, "other_config", {"mac-table-size": "50000"})
    assert row.written == [] and row.verified == []
    assert merge_map(row, "other_config", {"mac-table-size": "1000", "x": "1"})
    assert row.other_config == {"foo": "bar", "mac-table-size": "1000", "x": "1"}
    assert row.verified == ["other_config"]


def test_merge_map_on_new_row_and_set_if_changed() -> None:
    row = FakeRow()  # a row inserted in this transaction has no columns yet
    assert merge_map(row, "external_ids", {"a": "b"}) and row.external_ids == {"a": "b"}
    assert set_if_changed(row, "tag", [5]) and not set_if_changed(row, "tag", [5])


def test_interface_info_from_a_row() -> None:
    row = SimpleNamespace(name="tap1", uuid="u1", type="", ofport=[7],
                          external_ids={"iface-id": "p1", "attached-mac": "fa:16:3e:00:00:01",
                                        "iface-status": "active", "vm-uuid": "vm"},
                          mac_in_use=["fa:16:3e:00:00:01"])
    info = interface_info(row)
    assert (info.name, info.ofport, info.iface_id, info.attached_mac, info.iface_status,
            info.vm_uuid, info.mac_in_use, info.is_vif) == (
        "tap1", 7, "p1", "fa:16:3e:00:00:01", "active", "vm", "fa:16:3e:00:00:01", True)
    with pytest.raises(TypeError):
        info.external_ids["x"] = "y"  # type: ignore[index]
    bare = interface_info(SimpleNamespace(name="patch-tun", uuid="u2", ofport=[]))
    assert bare == InterfaceInfo("patch-tun", "u2") and not bare.is_vif
    assert hash(bare) == hash(InterfaceInfo("patch-tun", "u2"))
