"""Typed, error-naming access to JSON payloads (shared by the OVO and FDB parsers)."""

from __future__ import annotations

import ipaddress
import re
from typing import Any, NoReturn

from ovsagent.rpc.errors import PayloadError

_MAC = re.compile(r"^[0-9a-fA-F]{2}([:-])(?:[0-9a-fA-F]{2}\1){4}[0-9a-fA-F]{2}$")
_MISSING = object()

DATA = "versioned_object.data"
NAME = "versioned_object.name"


def normalize_mac(value: object) -> str | None:
    """``AA-BB-..`` / ``aa:bb:..`` -> ``aa:bb:cc:dd:ee:ff``; None if not a MAC."""
    if not isinstance(value, str) or not _MAC.match(value):
        return None
    return value.lower().replace("-", ":")


def normalize_ip(value: object, *, cidr: bool = False) -> str | None:
    """Canonical text of an IP address (or, with ``cidr``, address/prefix); None if invalid."""
    if not isinstance(value, str):
        return None
    try:
        if cidr and "/" in value:
            return str(ipaddress.ip_interface(value.strip()))
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def _kind(value: object) -> str:
    return "null" if value is None else type(value).__name__


class Reader:
    """Reads keys of one JSON object; every failure is a :class:`PayloadError`
    naming the resource and the key path (``bindings[0].profile``)."""

    def __init__(self, resource_type: str, resource_id: str | None,
                 data: dict[str, Any], prefix: str = "") -> None:
        self.resource_type = resource_type
        self.resource_id = resource_id
        self.data = data
        self.prefix = prefix

    def error(self, key: str, reason: str) -> PayloadError:
        return PayloadError(self.resource_type, self.resource_id, self.prefix + key, reason)

    def _fail(self, key: str, expected: str, value: object) -> NoReturn:
        raise self.error(key, f"expected {expected}, got {_kind(value)}")

    def raw(self, key: str) -> Any:
        return self.data.get(key)

    def _get(self, key: str, default: object) -> Any:
        value = self.data.get(key, _MISSING)
        if value is _MISSING:
            if default is _MISSING:
                raise self.error(key, "missing")
            return default
        return value

    def text(self, key: str, default: Any = _MISSING) -> str:
        value = self._get(key, default)
        if not isinstance(value, str):
            self._fail(key, "a string", value)
        return value

    def opt_text(self, key: str) -> str | None:
        value = self.data.get(key)
        if value is not None and not isinstance(value, str):
            self._fail(key, "a string or null", value)
        return value

    def integer(self, key: str, default: Any = _MISSING) -> int:
        value = self._get(key, default)
        if not isinstance(value, int) or isinstance(value, bool):
            self._fail(key, "an integer", value)
        return value

    def opt_integer(self, key: str) -> int | None:
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, int) or isinstance(value, bool):
            self._fail(key, "an integer or null", value)
        return value

    def flag(self, key: str, default: Any = _MISSING) -> bool:
        value = self._get(key, default)
        if not isinstance(value, bool):
            self._fail(key, "a boolean", value)
        return value

    def mac(self, key: str) -> str:
        value = self._get(key, _MISSING)
        mac = normalize_mac(value)
        if mac is None:
            raise self.error(key, f"{value!r} is not a MAC address")
        return mac

    def opt_mac(self, key: str) -> str | None:
        return None if self.data.get(key) is None else self.mac(key)

    def ip(self, key: str, *, cidr: bool = False) -> str:
        value = self._get(key, _MISSING)
        ip = normalize_ip(value, cidr=cidr)
        if ip is None:
            kind = "address or CIDR" if cidr else "address"
            raise self.error(key, f"{value!r} is not an IP {kind}")
        return ip

    def str_list(self, key: str) -> list[str]:
        value = self.data.get(key)
        if value is None:
            return []
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            self._fail(key, "a list of strings", value)
        return list(value)

    def _child(self, key: str, value: object) -> Reader:
        if not isinstance(value, dict) or not isinstance(value.get(DATA), dict):
            raise PayloadError(self.resource_type, self.resource_id, key,
                               "expected a versioned object primitive")
        return Reader(self.resource_type, self.resource_id, value[DATA], key + ".")

    def opt_object(self, key: str) -> Reader | None:
        value = self.data.get(key)
        return None if value is None else self._child(self.prefix + key, value)

    def objects(self, key: str) -> list[Reader]:
        value = self.data.get(key)
        if value is None:
            return []
        if not isinstance(value, list | tuple):
            self._fail(key, "a list", value)
        return [self._child(f"{self.prefix}{key}[{i}]", v) for i, v in enumerate(value)]


def primitive_data(resource_type: str, primitive: object) -> Reader:
    """A top-level primitive of ``resource_type`` -> a Reader on its data (id checked)."""
    if not isinstance(primitive, dict):
        raise PayloadError(resource_type, None, DATA, f"expected an object, got {_kind(primitive)}")
    data = primitive.get(DATA)
    rid = data.get("id") if isinstance(data, dict) else None
    rid = rid if isinstance(rid, str) and rid else None
    if not isinstance(data, dict):
        raise PayloadError(resource_type, None, DATA, f"expected an object, got {_kind(data)}")
    name = primitive.get(NAME)
    if name != resource_type:
        raise PayloadError(resource_type, rid, NAME, f"{name!r} is not a {resource_type}")
    if rid is None:
        raise PayloadError(resource_type, None, "id", f"expected a non-empty string, got "
                                                      f"{_kind(data.get('id'))}")
    return Reader(resource_type, rid, data)
