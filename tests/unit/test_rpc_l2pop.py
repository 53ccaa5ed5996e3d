"""l2population FDB payload parsing."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from test_rpc_samples import FDB_ADD, FDB_UPDATE, NET

from ovsagent.rpc.l2pop import (
    FLOODING_ENTRY,
    FdbIpChange,
    MacIp,
    parse_fdb_entries,
    parse_fdb_update,
)


def test_add_entries_with_flooding_entry() -> None:
    r = parse_fdb_entries(FDB_ADD)
    assert r.errors == () and r.changes == ()
    (net,) = r.networks
    assert net.network_id == NET and net.segment_id == 1001 and net.network_type == "vxlan"
    assert set(net.ports) == {"198.18.0.2", "198.18.0.3"}
    entries = net.ports["198.18.0.2"]
    assert entries == (FLOODING_ENTRY, MacIp("fa:16:3e:aa:bb:cc", "198.19.1.7"))
    assert entries[0].is_flooding and not entries[1].is_flooding
    assert net.ports["198.18.0.3"] == (FLOODING_ENTRY,)


def test_chg_ip_update() -> None:
    r = parse_fdb_update(FDB_UPDATE)
    assert r.errors == () and r.networks == ()
    assert r.changes == (FdbIpChange(NET, "198.18.0.2",
                                     (MacIp("fa:16:3e:aa:bb:cc", "198.19.1.7"),),
                                     (MacIp("fa:16:3e:aa:bb:cc", "198.19.1.9"),)),)


def test_chg_ip_before_or_after_may_be_absent() -> None:
    payload = {"chg_ip": {NET: {"198.18.0.2": {"after": [["FA:16:3E:AA:BB:CC", "198.19.1.9"]]}}}}
    (change,) = parse_fdb_update(payload).changes
    assert change.before == () and change.after == (MacIp("fa:16:3e:aa:bb:cc", "198.19.1.9"),)


def test_ipv6_endpoints_and_addresses() -> None:
    payload = {NET: {"segment_id": 7, "network_type": "geneve",
                     "ports": {"2001:db8::2": [["fa:16:3e:00:00:02", "2001:db8:1::5"]]}}}
    (net,) = parse_fdb_entries(payload).networks
    assert net.ports["2001:db8::2"] == (MacIp("fa:16:3e:00:00:02", "2001:db8:1::5"),)


def test_missing_segment_fields_are_tolerated() -> None:
    (net,) = parse_fdb_entries({NET: {"ports": {}}}).networks
    assert net.segment_id is None and net.network_type is None and dict(net.ports) == {}


def _bad(mutate: Any) -> Any:
    payload = copy.deepcopy(FDB_ADD)
    mutate(payload[NET])
    good = copy.deepcopy(FDB_ADD[NET])
    payload["other-net"] = good
    return parse_fdb_entries(payload)


@pytest.mark.parametrize(("mutate", "key"), [
    (lambda n: n.pop("ports"), "ports"),
    (lambda n: n.update(ports=[["198.18.0.2"]]), "ports"),
    (lambda n: n.update(segment_id="1001"), "segment_id"),
    (lambda n: n.update(segment_id=2**24), "segment_id"),
    (lambda n: n.update(network_type=5), "network_type"),
    (lambda n: n["ports"].update({"not-an-ip": []}), "ports.not-an-ip"),
    (lambda n: n["ports"].update({"198.18.0.9": "fa:16:3e:00:00:01"}), "ports.198.18.0.9"),
    (lambda n: n["ports"]["198.18.0.2"].append(["fa:16:3e:00:00:01"]), "ports.198.18.0.2[2]"),
    (lambda n: n["ports"]["198.18.0.2"].append(["zz:16:3e:00:00:01", "198.19.1.1"]),
     "ports.198.18.0.2[2]"),
    (lambda n: n["ports"]["198.18.0.2"].append(["fa:16:3e:00:00:01", "198.19.1"]),
     "ports.198.18.0.2[2]"),
])
def test_malformed_network_is_reported_and_others_kept(mutate: Any, key: str) -> None:
    r = _bad(mutate)
    assert [n.network_id for n in r.networks] == ["other-net"]
    (error,) = r.errors
    assert error.resource_id == NET and error.key == key
    assert NET in str(error)


def test_network_entry_not_an_object() -> None:
    r = parse_fdb_entries({NET: [1, 2]})
    assert r.networks == () and r.errors[0].resource_id == NET


@pytest.mark.parametrize("payload", [None, [], "x", 3])
def test_payload_not_an_object(payload: Any) -> None:
    assert parse_fdb_entries(payload).errors and parse_fdb_update(payload).errors


def test_update_malformed() -> None:
    r = parse_fdb_update({"chg_ip": {NET: {"198.18.0.2": {"after": "x"}}}, "other": {}})
    assert r.changes == ()
    assert sorted(e.key for e in r.errors) == ["chg_ip.5f0c3c1e-8d4a-4c55-9a0b-1d2e3f405061."
                                               "198.18.0.2.after", "other"]
    assert parse_fdb_update({"chg_ip": []}).errors[0].key == "chg_ip"
    assert parse_fdb_update({"chg_ip": {NET: {"nope": {}}}}).errors[0].key.endswith("nope")
