"""The fast JSON-RPC stream parser gives what python-ovs' own parser gives."""

from __future__ import annotations

import itertools
import json
import random
from typing import Any

import ovs.json

from ovsagent.ovs.ovsdb.fastjson import _ORIGINAL, StreamParser, install

MESSAGES: list[Any] = [
    {"id": 1, "result": [{"count": 1}, {"uuid": ["uuid", "6f0e-1"]}], "error": None},
    {"method": "update2", "id": None, "params": [["mon", "Open_vSwitch"], {"Interface": {
        "u1": {"insert": {"name": "tap{1}[2]", "external_ids": ["map", [
            ["iface-id", "a\"b\\c"], ["x", "é ü \u2603 \n\t"], ["br", "}]{["]]],
            "ofport": 7, "f": 1.5, "neg": -3, "t": True, "n": None}}}}]},
    [], {}, [[[]], {"a": [{}]}], {"s": "\\"}, {"s": "\\\""},
]


def _stream(messages: list[Any]) -> str:
    return " \n".join(json.dumps(m, separators=(",", ":"), ensure_ascii=False)
                      for m in messages)


def _parse_all(cls: Any, text: str, cuts: list[int]) -> list[Any]:
    """Feed ``text`` in pieces cut at ``cuts`` the way ovs.jsonrpc does."""
    out, parser, pending = [], None, ""
    bounds = [0, *cuts, len(text)]
    for a, b in itertools.pairwise(bounds):
        pending += text[a:b]
        while pending:
            if parser is None:
                parser = cls()
            pending = pending[parser.feed(pending):]
            if parser.is_done():
                out.append(parser.finish())
                parser = None
            elif pending:
                raise AssertionError("parser left input without being done")
    return out


def test_same_values_as_python_ovs_for_any_split(monkeypatch: Any) -> None:
    monkeypatch.setattr(ovs.json, "Parser", _ORIGINAL)  # its __init__ needs that name
    text = _stream(MESSAGES)
    rng = random.Random(7)
    for _ in range(300):
        cuts = sorted(rng.sample(range(1, len(text)), rng.randint(0, 40)))
        assert _parse_all(StreamParser, text, cuts) == _parse_all(_ORIGINAL, text, cuts) \
            == MESSAGES
    for i in range(1, len(text)):  # every single cut
        assert _parse_all(StreamParser, text, [i]) == MESSAGES


def test_errors_are_strings() -> None:
    for bad in ('"top-level string"', "12", "{]", '{"a":}'):
        parser = StreamParser()
        parser.feed(bad + " ")
        assert parser.is_done() and isinstance(parser.finish(), str), bad
    parser = StreamParser()
    parser.feed('{"a": [1, ')
    assert not parser.is_done() and isinstance(parser.finish(), str)


def test_from_string_checks_the_whole_input(monkeypatch: Any) -> None:
    monkeypatch.setattr(ovs.json, "Parser", ovs.json.Parser)
    install()
    assert ovs.json.Parser is StreamParser or ovs.json.PARSER == ovs.json.PARSER_C
    assert ovs.json.from_string(' {"a": [1, "x"]}\n') == {"a": [1, "x"]}
    for bad in ('{"a": 1} x', "", "7", '{"a": '):  # trailing garbage, empty, scalar, cut
        assert isinstance(ovs.json.from_string(bad), str), bad
