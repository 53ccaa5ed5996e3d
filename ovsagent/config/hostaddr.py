"""The IP addresses configured on this host's interfaces (``[ovs] local_ip`` check).

"This host" is the network namespace the agent runs in. Read over netlink
with pyroute2 (no traffic leaves the host); ``ip -o addr show`` is the
fallback when netlink is unavailable.
"""

from __future__ import annotations

import ipaddress
import subprocess

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def _strip_zone(text: str) -> str:
    return text.split("%", 1)[0]


def _via_netlink() -> set[Address]:
    from pyroute2 import IPRoute

    found: set[Address] = set()
    with IPRoute() as ipr:
        for msg in ipr.get_addr():
            for attr in ("IFA_LOCAL", "IFA_ADDRESS"):
                value = msg.get_attr(attr)
                if value:
                    found.add(ipaddress.ip_address(_strip_zone(str(value))))
    return found


def _via_ip_command() -> set[Address]:
    out = subprocess.run(["ip", "-o", "addr", "show"], check=True, capture_output=True,
                         text=True, timeout=10).stdout
    found: set[Address] = set()
    for line in out.splitlines():
        words = line.split()
        for i, word in enumerate(words[:-1]):
            if word in ("inet", "inet6"):
                found.add(ipaddress.ip_interface(_strip_zone(words[i + 1])).ip)
    return found


def host_addresses() -> set[Address]:
    """Every address of every interface of the current network namespace."""
    try:
        return _via_netlink()
    except Exception:  # pyroute2 missing or netlink refused: ask iproute2
        return _via_ip_command()


def is_local_address(address: str, addresses: set[Address] | None = None) -> bool:
    """True if ``address`` (text, IPv4 or IPv6) is configured on this host."""
    wanted = ipaddress.ip_address(_strip_zone(address))
    return wanted in (host_addresses() if addresses is None else addresses)
