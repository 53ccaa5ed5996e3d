"""Mutation fuzzing of the OVO and FDB parsers and the consumer endpoint (stdlib ``random``;
hypothesis is not a dependency). Seeded, so failures reproduce.

Invariant: whatever the payload, parsers raise nothing but PayloadError (OVO) or
return errors (FDB), and the endpoint never raises.
"""

from __future__ import annotations

import copy
import logging
import random
from typing import Any

import pytest
from test_rpc_samples import FDB_ADD, FDB_UPDATE, network, port

from ovsagent.rpc.cache import ResourceCache
from ovsagent.rpc.consumers import AgentEndpoint
from ovsagent.rpc.errors import PayloadError
from ovsagent.rpc.l2pop import parse_fdb_entries, parse_fdb_update
from ovsagent.rpc.ovo import parse_network, parse_port

WEIRD: list[Any] = [None, True, 0, -1, 2**40, 1.5, "", "x", "fa:16:3e:zz:00:00",
                    "198.19.1.1/33", "{", "[]", [], [None], {}, {"versioned_object.data": 1},
                    [["00:00:00:00:00:00", "0.0.0.0"]], "0.0.0.0", 4095, 2**24]
ROUNDS = 3000


def _containers(obj: Any, out: list[Any]) -> list[Any]:
    if isinstance(obj, dict | list):
        out.append(obj)
        for v in obj.values() if isinstance(obj, dict) else obj:
            _containers(v, out)
    return out


def mutate(rng: random.Random, payload: Any, n: int) -> Any:
    payload = copy.deepcopy(payload)
    for _ in range(n):
        spots = _containers(payload, [])
        target = rng.choice(spots)
        if isinstance(target, dict) and target:
            key = rng.choice(list(target))
            op = rng.random()
            if op < 0.3:
                del target[key]
            elif op < 0.4:
                target[f"renamed-{key}"] = target.pop(key)
            else:
                target[key] = rng.choice(WEIRD)
        elif isinstance(target, list) and target:
            i = rng.randrange(len(target))
            if rng.random() < 0.3:
                del target[i]
            else:
                target[i] = rng.choice(WEIRD)
    return payload


def test_ovo_parsers_only_raise_payload_errors() -> None:
    rng = random.Random(4)
    samples = [(parse_port, port()), (parse_network, network())]
    errors = 0
    for i in range(ROUNDS):
        parse, sample = samples[i % 2]
        try:
            parse(mutate(rng, sample, rng.randint(1, 4)))
        except PayloadError as e:
            errors += 1
            assert e.key and str(e)
    assert errors > ROUNDS // 4  # the mutations do hit checked fields


def test_fdb_parsers_never_raise() -> None:
    rng = random.Random(7)
    for i in range(ROUNDS):
        sample, parse = (FDB_ADD, parse_fdb_entries) if i % 2 else (FDB_UPDATE, parse_fdb_update)
        result = parse(mutate(rng, sample, rng.randint(1, 4)))
        assert all(isinstance(e, PayloadError) for e in result.errors)


class Sink:
    def __getattr__(self, name: str) -> Any:
        return lambda *a, **k: None


def test_endpoint_never_raises(caplog: pytest.LogCaptureFixture) -> None:
    rng = random.Random(11)
    endpoint = AgentEndpoint("host-a", ResourceCache(), Sink())
    calls = [
        ("push", {"resource_list": [port(), network()], "event_type": "updated"}),
        ("push", {"resource_list": [port()], "event_type": "deleted"}),
        ("add_fdb_entries", {"fdb_entries": FDB_ADD}),
        ("update_fdb_entries", {"fdb_entries": FDB_UPDATE}),
        ("tunnel_update", {"tunnel_ip": "198.18.0.2", "tunnel_type": "vxlan"}),
    ]
    for i in range(ROUNDS):
        method, kwargs = calls[i % len(calls)]
        getattr(endpoint, method)({}, **mutate(rng, kwargs, rng.randint(1, 3)))
    # malformed input is a warning, never an exception caught and logged as a failure
    # (ours only: a reconnecting broker thread left by an earlier test may log too)
    assert not [r for r in caplog.records
                if r.levelno >= logging.ERROR and r.name.startswith("ovsagent")]
