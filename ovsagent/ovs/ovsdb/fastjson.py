"""A faster stream parser for python-ovs' JSON-RPC connections.

python-ovs parses every OVSDB message with ``ovs.json.Parser``: its C
extension when it was built against libopenvswitch, otherwise a pure-Python
state machine that handles the input one character at a time (~3 MB/s here;
the package installed from PyPI has no C extension). Every update the IDL
receives goes through it: 500 plugged ports are a few hundred KB.

:class:`StreamParser` keeps python-ovs' parser interface (``feed`` returns
how many characters of the input it consumed, ``is_done``, ``finish``
returns the value or an error string) but only finds where the top-level
value ends — a regular expression skips strings and everything but brackets
in C — and then decodes it with the standard library's C decoder.
:func:`install` makes python-ovs use it (``ovs.jsonrpc`` and
``ovs.json.from_string`` look the class up each time).
"""

from __future__ import annotations

import json
import re
from typing import Any

import ovs.json

_ORIGINAL = ovs.json.Parser
# everything up to the next bracket outside strings; group 1 is that bracket, or a
# quote that opens a string not complete yet (possessive: no backtracking)
_NEXT = re.compile(r'(?:[^"{}\[\]]++|"(?:[^"\\]++|\\.)*+")*+([{}\[\]"])', re.DOTALL)
_decode = json.JSONDecoder().decode


class StreamParser:
    """One JSON value (an object or array, as JSON-RPC sends) out of a stream."""

    def __init__(self, check_trailer: bool = False) -> None:
        self.check_trailer = check_trailer  # the whole input is one value (from_string)
        self._parts: list[str] = []  # text of the value so far
        self._carry = ""  # an unfinished string at the end of the last input
        self._depth = 0
        self._started = False
        self.done = False
        self._value: Any = None

    def feed(self, s: str) -> int:
        """Take input up to the end of the value; returns how many characters."""
        if self.done:
            return 0
        if self.check_trailer:
            self._parts.append(s)
            return len(s)
        carry = self._carry
        text = carry + s if carry else s
        pos, depth = 0, self._depth
        if not self._started:
            stripped = len(text) - len(text.lstrip(" \t\r\n"))
            if stripped == len(text):
                self._carry = ""
                return len(s)
            if text[stripped] not in "{[":
                return self._fail("syntax error at beginning of input", len(s))
            self._started = True
            text = text[stripped:]
        search = _NEXT.match
        while True:
            m = search(text, pos)
            if m is None:  # no bracket left: keep the text, wait for more
                self._parts.append(text)
                self._carry, self._depth = "", depth
                return len(s)
            c = m.group(1)
            if c == '"':  # a string runs past the input: scan it again with more
                self._parts.append(text[:m.start(1)])
                self._carry, self._depth = text[m.start(1):], depth
                return len(s)
            pos = m.end()
            if c == "{" or c == "[":
                depth += 1
                continue
            depth -= 1
            if depth == 0:
                self._parts.append(text[:pos])
                used = len(s) - (len(text) - pos)
                try:
                    self._value = _decode("".join(self._parts))
                except ValueError as exc:
                    return self._fail(f"syntax error: {exc}", used)
                self._parts = []
                self.done = True
                return used
            if depth < 0:
                return self._fail("syntax error: unbalanced brackets", len(s))

    def _fail(self, message: str, used: int) -> int:
        self._value = message
        self._parts = []
        self.done = True
        return used

    def is_done(self) -> bool:
        return self.done

    def finish(self) -> Any:
        """The value, or an error message (a ``str``), as python-ovs' parser does."""
        if self.check_trailer:
            return self._whole("".join(self._parts).strip(" \t\r\n"))
        if not self.done:
            return "unexpected end of input" if self._started else "empty input stream"
        return self._value

    @staticmethod
    def _whole(text: str) -> Any:
        if not text:
            return "empty input stream"
        if text[0] not in "{[":
            return "syntax error at beginning of input"
        try:
            return _decode(text)
        except ValueError as exc:
            return f"syntax error: {exc}"


def install() -> None:
    """Have python-ovs parse JSON-RPC messages with :class:`StreamParser`, unless
    its C parser is there (idempotent)."""
    if ovs.json.PARSER == ovs.json.PARSER_PY:
        ovs.json.Parser = StreamParser
