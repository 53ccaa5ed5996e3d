"""A JSON stream parser for python-ovs built on the standard library's C decoder.

python-ovs parses every OVSDB message with ``ovs.json.Parser`` — one Python
call per character — unless its C extension ``ovs._json`` was built, which
the ``ovs`` wheel here does not ship. Parsing the initial dump of 500
ports took ~0.7 s of the agent's start (py-spy: two thirds of the OVSDB
sync), and every burst of updates costs the same per byte later.

:class:`StreamParser` has the pure-Python parser's interface (``feed``
returns how many characters it consumed, ``is_done``, ``finish`` returns the
value or an error string), which is all ``ovs.jsonrpc`` and
``ovs.json.from_string`` use. It only *finds* where the top-level object or
array ends — one regular-expression match per string or bracket, strings
skipped whole — and hands that text to :func:`json.loads`. Anything that
does not start with ``{`` or ``[`` goes to python-ovs' own parser.

:func:`install` makes ``ovs.json.Parser()`` return this class's objects
(no-op when the C extension is in use).
"""

from __future__ import annotations

import decimal
import json
import re
from typing import Any

import ovs.json

#: a string (group 1 is its closing quote: absent = it goes on in the next chunk)
#: or a bracket
_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*(")?|[{}\[\]]', re.DOTALL)
_OPEN = frozenset("{[")
_WHITESPACE = " \t\r\n"

_ORIGINAL_PARSER: type = ovs.json.Parser
_INT64 = range(-2**63, 2**63)


def python_ovs_parser(check_trailer: bool = False) -> Any:
    """python-ovs' own parser (its ``__new__`` looks ``ovs.json.Parser`` up, which
    :func:`install` replaced)."""
    parser: Any = object.__new__(_ORIGINAL_PARSER)
    parser.__init__(check_trailer)
    return parser


def _number(text: str) -> int | float:
    """A number with a fraction or exponent as python-ovs reads it: an int when it
    is a whole int64 (``1.0``, ``1e3``), else a float (never ``-0.0``)."""
    exact = decimal.Decimal(text)
    if exact == exact.to_integral_value() and int(exact) in _INT64:
        return int(exact)
    value = float(text)
    return value if value else 0


class StreamParser:
    """Incremental parser of ONE top-level JSON value (see the module doc)."""

    def __init__(self, check_trailer: bool = False) -> None:
        self._check_trailer = check_trailer
        self._chunks: list[str] = []
        self._scanned = 0  # characters of the joined chunks already scanned
        self._depth = 0
        self._started = False
        self._done = False
        self._text: str | None = None  # the value's complete text, once done
        self._fallback: Any = None  # python-ovs' parser, for a non-container value

    def feed(self, s: str) -> int:
        if self._fallback is not None:
            return int(self._fallback.feed(s))
        if self._done:
            return 0
        offset = 0
        if not self._started:
            stripped = s.lstrip(_WHITESPACE)
            if not stripped:
                return len(s)
            offset = len(s) - len(stripped)
            if stripped[0] not in _OPEN:
                self._fallback = python_ovs_parser(self._check_trailer)
                return offset + int(self._fallback.feed(stripped))
            self._started = True
            s = stripped
        before = sum(len(c) for c in self._chunks)
        self._chunks.append(s)
        text = "".join(self._chunks) if len(self._chunks) > 1 else s
        end = self._scan(text)
        if end is None:
            self._chunks = [text]
            return offset + len(s)
        self._done = True
        self._text = text[:end]
        self._chunks = []
        return offset + end - before

    def _scan(self, text: str) -> int | None:
        """End (exclusive) of the top-level value in ``text``, or None if incomplete;
        remembers how far it got so that the next chunk resumes there."""
        depth = self._depth
        for match in _TOKEN.finditer(text, self._scanned):
            token = match.group()
            if token[0] == '"':
                if match.group(1) is None:  # unterminated: rescan it with more text
                    self._scanned, self._depth = match.start(), depth
                    return None
                continue
            depth += 1 if token in _OPEN else -1
            if depth == 0:
                return match.end()
        self._scanned, self._depth = len(text), depth
        return None

    def is_done(self) -> bool:
        if self._fallback is not None:
            return bool(self._fallback.is_done())
        return self._done

    def finish(self) -> Any:
        """The parsed value, or an error message (a ``str``), as python-ovs' parser."""
        if self._fallback is not None:
            return self._fallback.finish()
        if self._text is None:
            return "unexpected end of input" if self._started else "empty input stream"
        try:
            return json.loads(self._text, parse_float=_number)
        except ValueError as exc:
            return f"syntax error: {exc}"


def _new_parser(cls: type, *args: Any, **kwargs: Any) -> Any:
    """``ovs.json.Parser.__new__`` once installed: a :class:`StreamParser` (which
    Python then does not ``__init__`` again, not being a ``cls``)."""
    if cls is _ORIGINAL_PARSER:
        return StreamParser(*args, **kwargs)
    return object.__new__(cls)


def install() -> bool:
    """Make python-ovs parse with :class:`StreamParser`; False if it has its C parser.

    ``ovs.json.Parser()`` then makes a StreamParser. The class itself stays (its
    methods refer to it by name), so :func:`python_ovs_parser` still works."""
    if ovs.json.PARSER == ovs.json.PARSER_C:
        return False
    _ORIGINAL_PARSER.__new__ = staticmethod(_new_parser)  # type: ignore[assignment]
    return True
