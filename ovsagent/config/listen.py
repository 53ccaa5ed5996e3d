"""``ADDRESS:PORT`` option values (``[agent] metrics_listen``)."""

from __future__ import annotations

import ipaddress


def parse_listen(text: str) -> tuple[str, int]:
    """``127.0.0.1:9310``, ``[::1]:9310`` or ``:9310`` (every address) -> (address, port).

    Raises ValueError naming what is wrong."""
    host, sep, port_text = text.strip().rpartition(":")
    if not sep or not port_text.isdigit() or not 0 <= int(port_text) <= 65535:
        raise ValueError("expected ADDRESS:PORT, e.g. 127.0.0.1:9310 or [::1]:9310")
    if ":" in host and not (host.startswith("[") and host.endswith("]")):
        raise ValueError("write an IPv6 address in brackets: [ADDRESS]:PORT")
    host = host.strip("[]") or "0.0.0.0"
    if host != "localhost":
        try:
            ipaddress.ip_address(host)
        except ValueError:
            raise ValueError(f"{host!r} is not an IP address") from None
    return host, int(port_text)
