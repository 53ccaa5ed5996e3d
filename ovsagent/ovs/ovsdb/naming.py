"""Port names the agent derives (Linux interface names are at most 15 bytes)."""

from __future__ import annotations

import base64
import hashlib
import ipaddress

MAX_NAME_LEN = 15
HASH_LEN = 6

INT_PATCH_PREFIX = "int-"
PHY_PATCH_PREFIX = "phy-"


def interface_name(name: str, prefix: str = "", max_len: int = MAX_NAME_LEN) -> str:
    """``prefix + name``; if too long, ``name`` is cut and 6 hex of its SHA-1 appended."""
    wanted = prefix + name
    if len(wanted) <= max_len:
        return wanted
    keep = max_len - len(prefix) - HASH_LEN
    if keep < 0:
        raise ValueError(f"prefix {prefix!r} too long for a {max_len}-character name")
    digest = hashlib.sha1(name.encode()).hexdigest()[:HASH_LEN]
    return f"{prefix}{name[:keep]}{digest}"


def int_patch_name(bridge: str) -> str:
    """br-int side of the patch link to physical bridge ``bridge``."""
    return interface_name(bridge, INT_PATCH_PREFIX)


def phy_patch_name(bridge: str) -> str:
    """Physical-bridge side of the patch link to br-int."""
    return interface_name(bridge, PHY_PATCH_PREFIX)


def tunnel_port_name(tunnel_type: str, remote_ip: str) -> str:
    """``<type>-<hash>`` for the tunnel to ``remote_ip`` (e.g. ``vxlan-c6120002``).

    IPv4: the address as 8 hex digits. IPv6: lowercase Base32 of a 20-byte
    BLAKE2b digest of the address text, cut to fit 15 characters.
    """
    address = ipaddress.ip_address(remote_ip)
    if address.version == 4:
        suffix = f"{int(address):08x}"
    else:
        digest = hashlib.blake2b(remote_ip.encode(), digest_size=20).digest()
        suffix = base64.b32encode(digest).decode().lower()
    return f"{tunnel_type}-{suffix}"[:MAX_NAME_LEN]
