"""fastjson.StreamParser reads what python-ovs' own parser reads, chunk by chunk."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from typing import Any

import ovs.json
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ovsagent.ovs.ovsdb import fastjson

ORIGINAL = fastjson.python_ovs_parser


def feed_all(parser_cls: Callable[[], Any], chunks: list[str]) -> tuple[object, str]:
    """Feed ``chunks`` as ovs.jsonrpc does; (value or error string, text left over)."""
    parser = parser_cls()
    rest = ""
    for chunk in chunks:
        rest += chunk
        rest = rest[parser.feed(rest):]
        if parser.is_done():
            break
    return parser.finish(), rest


def split(text: str, rng: random.Random) -> list[str]:
    cuts = sorted(rng.sample(range(1, len(text)), min(len(text) - 1, 6))) if len(text) > 1 else []
    return [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True)]


TRICKY = [
    '{"a": "}", "b": "\\"}", "c": ["[", "\\\\"], "d": {}}',
    '[1, 2.0, 1e3, -0.0, 0.5, -7, 12345678901234567890.0, "\\u00e9\\n"]',
    '  \n {"method": "update2", "params": [null, {"Port": {"x": {"insert": '
    '{"name": "tap{0}", "tag": 5, "other_config": ["map", [["k", "v\\\\"]]]}}}}], '
    '"id": null}',
    '{"nested": [[[[{"deep": [true, false, null]}]]]], "ü": "ñ \\" ] }"}',
    '[]',
    '{}',
]


@pytest.mark.parametrize("text", TRICKY)
def test_same_value_as_python_ovs_in_any_chunks(text: str) -> None:
    rng = random.Random(text)
    expected, _ = feed_all(ORIGINAL, [text])
    assert not isinstance(expected, str)
    for _ in range(30):
        value, rest = feed_all(fastjson.StreamParser, split(text, rng))
        assert value == expected
        assert type(value) is type(expected)
        assert rest == ""


def test_numbers_read_as_python_ovs_reads_them() -> None:
    text = "[1.0, 1e3, 2.5, -0.0, 0.0, 1E-2, 100e-2, 9223372036854775808.0]"
    expected, _ = feed_all(ORIGINAL, [text])
    value, _ = feed_all(fastjson.StreamParser, [text])
    assert value == expected
    assert isinstance(value, list) and isinstance(expected, list)
    assert [type(v) for v in value] == [type(v) for v in expected]


def test_stops_after_the_first_value_and_leaves_the_rest() -> None:
    first, second = '{"id": 1, "s": "a}b"}', '{"id": 2}'
    parser = fastjson.StreamParser()
    stream = first + "\n" + second
    used = parser.feed(stream)
    assert parser.is_done()
    assert stream[:used] == first
    assert parser.finish() == {"id": 1, "s": "a}b"}
    value, rest = feed_all(fastjson.StreamParser, [stream[used:]])
    assert value == {"id": 2} and rest == ""


def test_incomplete_and_empty_input_are_errors() -> None:
    parser = fastjson.StreamParser()
    parser.feed('{"a": "unterminated')
    assert not parser.is_done()
    assert isinstance(parser.finish(), str)
    assert isinstance(fastjson.StreamParser().finish(), str)


def test_a_syntax_error_is_an_error_string() -> None:
    parser = fastjson.StreamParser()
    parser.feed('{"a" 1}')
    assert parser.is_done()
    assert isinstance(parser.finish(), str)


def test_a_top_level_scalar_goes_to_python_ovs_parser() -> None:
    for text in ('"abc"', "12"):  # which rejects it (JSON-RPC sends objects)
        assert feed_all(fastjson.StreamParser, [text, " "]) == feed_all(ORIGINAL, [text, " "])


def test_install_replaces_ovs_json_parser() -> None:
    if ovs.json.PARSER == ovs.json.PARSER_C:
        pytest.skip("python-ovs has its C parser here")
    assert isinstance(ovs.json.Parser(), fastjson.StreamParser)  # by importing ovsdb.idl
    assert ovs.json.from_string('{"a": [1, "}"]}') == {"a": [1, "}"]}


# python-ovs rejects NUL; lone surrogates ("\ud800", which json.dumps escapes) are
# not text ovsdb-server can send (its strings are UTF-8): python-ovs rejects them,
# json.loads accepts them, and that difference is not one the agent can meet
KEY_CHARS = st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",))
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**63, 2**63 - 1)
    | st.text(alphabet=st.sampled_from('ab{}[]"\\\n é\u2028'), max_size=8),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(alphabet='ab"{\\', max_size=4), children, max_size=4),
    max_leaves=20)


@settings(max_examples=200, deadline=None)
@given(value=st.lists(json_values, max_size=4)
       | st.dictionaries(st.text(alphabet=KEY_CHARS, max_size=3), json_values, max_size=3),
       seed=st.integers(0, 1000), ensure_ascii=st.booleans())
def test_any_document_any_chunks(value: object, seed: int, ensure_ascii: bool) -> None:
    text = json.dumps(value, ensure_ascii=ensure_ascii)
    expected, _ = feed_all(ORIGINAL, [text, " "])
    got, rest = feed_all(fastjson.StreamParser, split(text, random.Random(seed)))
    assert got == expected == value
    assert rest == ""
