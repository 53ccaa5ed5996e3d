"""Interface type and options of tunnel ports (pure functions)."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping

TUNNEL_TYPES = ("vxlan", "gre", "geneve")
DEFAULT_DST_PORTS = {"vxlan": 4789, "geneve": 6081}


def _is_ipv6(address: str) -> bool:
    return ipaddress.ip_address(address).version == 6


def tunnel_interface_type(tunnel_type: str, local_ip: str, remote_ip: str) -> str:
    """The Interface ``type``: ``ip6gre`` for GRE over IPv6.

    Raises ValueError for unknown types, bad or mixed-family addresses.
    """
    if tunnel_type not in TUNNEL_TYPES:
        raise ValueError(f"unknown tunnel type {tunnel_type!r}")
    local_v6, remote_v6 = _is_ipv6(local_ip), _is_ipv6(remote_ip)
    if local_v6 != remote_v6:
        raise ValueError(f"tunnel {local_ip} -> {remote_ip} mixes address families")
    if tunnel_type == "gre" and local_v6:
        return "ip6gre"
    return tunnel_type


def tunnel_options(tunnel_type: str, local_ip: str, remote_ip: str, *,
                   dst_port: int | None = None, csum: bool = False,
                   df_default: bool = True, tos: str | None = None,
                   clear_pkt_mark: bool = True,
                   extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """Interface ``options`` of a flow-keyed tunnel port.

    ``dst_port`` is written only when it differs from the type's default
    (4789 vxlan, 6081 geneve); ``csum`` only when true; ``egress_pkt_mark=0``
    unless ``clear_pkt_mark`` is false (hardware offload cannot do it, as in
    the reference); ``extra`` keys are added last and win.
    """
    iface_type = tunnel_interface_type(tunnel_type, local_ip, remote_ip)
    options = {
        "remote_ip": remote_ip,
        "local_ip": local_ip,
        "in_key": "flow",
        "out_key": "flow",
        "df_default": "true" if df_default else "false",
    }
    if clear_pkt_mark:
        options["egress_pkt_mark"] = "0"
    if dst_port is not None:
        default = DEFAULT_DST_PORTS.get(tunnel_type)
        if default is None:
            raise ValueError(f"{tunnel_type} tunnels have no destination port")
        if not 0 < dst_port < 65536:
            raise ValueError(f"bad destination port {dst_port}")
        if dst_port != default:
            options["dst_port"] = str(dst_port)
    if csum:
        options["csum"] = "true"
    if tos is not None:
        options["tos"] = tos
    if iface_type == "ip6gre":
        options["packet_type"] = "legacy_l2"
    if extra:
        options.update({str(k): str(v) for k, v in extra.items()})
    return options
