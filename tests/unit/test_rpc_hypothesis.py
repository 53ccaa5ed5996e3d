"""Property-based fuzzing of the FDB and OVO parsers (hypothesis).

Whatever the server sends, parsing either succeeds or raises PayloadError
naming what was wrong; nothing else escapes, and valid payloads with junk
mixed in still deliver their valid parts.
"""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from test_rpc_samples import network, port

from ovsagent.rpc.errors import PayloadError
from ovsagent.rpc.l2pop import parse_fdb_entries, parse_fdb_update
from ovsagent.rpc.ovo import parse_network, parse_port

JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-2**40, 2**40) | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner,
                                                                max_size=4),
    max_leaves=20)


def _paths(obj: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(obj, dict):
        for k, v in obj.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            out += _paths(v, (*prefix, i))
    return out


def _replace(obj: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    obj = copy.deepcopy(obj)
    target = obj
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return obj


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_port_and_network_parsers_never_crash(data: st.DataObject) -> None:
    for sample, parse in ((port(), parse_port), (network(), parse_network)):
        path = data.draw(st.sampled_from(_paths(sample)))
        mutated = _replace(sample, path, data.draw(JSON))
        try:
            parse(mutated)
        except PayloadError as exc:
            assert str(exc)  # names the resource/key


FDB_ENTRY = st.lists(st.sampled_from(["fa:16:3e:00:00:01", "00:00:00:00:00:00", "bad"]) | JSON,
                     min_size=0, max_size=3)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(
    st.sampled_from(["net-a", "net-b"]) | st.text(max_size=8),
    st.fixed_dictionaries({
        "segment_id": st.integers(-5, 2**25) | JSON,
        "network_type": st.sampled_from(["vxlan", "gre", "vlan", "nonsense"]) | JSON,
        "ports": st.dictionaries(st.sampled_from(["198.18.0.2", "fd00::2"]) | st.text(max_size=8),
                                 st.lists(FDB_ENTRY, max_size=3) | JSON, max_size=3),
    }) | JSON, max_size=4))
def test_fdb_parsers_never_crash(payload: dict[str, Any]) -> None:
    for parse in (parse_fdb_entries, parse_fdb_update):
        result = parse(payload)
        assert all(isinstance(e, PayloadError) for e in result.errors)
        for net in result.networks:
            assert net.network_id in payload


def test_one_bad_network_does_not_hide_the_good_one() -> None:
    payload = {
        "good": {"segment_id": 1001, "network_type": "vxlan",
                 "ports": {"198.18.0.2": [["fa:16:3e:00:00:01", "198.19.0.1"]]}},
        "bad": {"segment_id": "x", "network_type": 7, "ports": "nope"},
    }
    result = parse_fdb_entries(payload)
    assert [n.network_id for n in result.networks] == ["good"]
    assert len(result.errors) == 1 and "bad" in str(result.errors[0])
