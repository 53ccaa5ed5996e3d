"""Exceptions of the RPC layer: oslo.messaging errors never leak past it."""

from __future__ import annotations


class RpcError(Exception):
    """Base of every error the RPC layer raises."""


class RpcTimeout(RpcError):
    """The server did not answer within the call's timeout."""


class RpcUnavailable(RpcError):
    """The broker could not be reached (or the message not delivered) within the retries."""


class RpcRemoteError(RpcError):
    """The server raised while handling the call (``exc_type`` is its class name)."""

    def __init__(self, method: str, exc_type: str, value: str) -> None:
        super().__init__(f"{method}: server raised {exc_type}: {value}")
        self.method = method
        self.exc_type = exc_type
        self.value = value


class ReplyError(RpcError):
    """A reply did not have the shape the method's contract promises."""


class PayloadError(RpcError):
    """A payload from the server is malformed.

    Names the resource (type and id, when known) and the offending key, so
    one log line says what was wrong and which port/network it concerns.
    """

    def __init__(self, resource_type: str, resource_id: str | None, key: str,
                 reason: str) -> None:
        self.resource_type = resource_type
        self.resource_id = resource_id
        self.key = key
        self.reason = reason
        what = f"{resource_type} {resource_id}" if resource_id else resource_type
        super().__init__(f"{what}: bad {key!r}: {reason}")
