"""Exceptions raised by the OVSDB access layer (never ovsdbapp's own)."""

from __future__ import annotations


class OvsdbError(Exception):
    """An OVSDB operation failed (base class of every error raised here)."""


class OvsdbConnectionError(OvsdbError):
    """ovsdb-server cannot be reached (or the client was closed)."""

    def __init__(self, endpoint: str, reason: str) -> None:
        super().__init__(f"OVSDB connection to {endpoint} failed: {reason}")
        self.endpoint = endpoint
        self.reason = reason


class OvsdbTimeout(OvsdbError):
    """An OVSDB request or wait did not finish within its timeout.

    A timed-out transaction may still be applied later by the server.
    """


class OvsdbTransactionError(OvsdbError):
    """ovsdb-server rejected a transaction (constraint violation etc.)."""


class NotFound(OvsdbError):
    """A named row does not exist."""

    def __init__(self, table: str, name: str) -> None:
        super().__init__(f"{table} {name!r} does not exist")
        self.table = table
        self.name = name


class BridgeNotFound(NotFound):
    """The named Bridge does not exist."""

    def __init__(self, name: str) -> None:
        super().__init__("Bridge", name)


class PortNotFound(NotFound):
    """The named Port (or its Interface) does not exist."""

    def __init__(self, name: str) -> None:
        super().__init__("Port", name)
