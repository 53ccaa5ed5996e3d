"""Parse oslo.versionedobjects primitives (Port, Network) into immutable dataclasses.

Pure: no oslo import. A primitive is ``{"versioned_object.name": "Port",
"versioned_object.version": "1.11", "versioned_object.data": {...}, ...}``;
nested objects are primitives of the same shape and unset fields are absent
(reference/04 §6). Unknown keys are ignored; anything the agent relies on
that is missing or of the wrong type raises :class:`PayloadError` naming the
resource and the key.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from ovsagent.rpc.values import Reader, primitive_data

ACTIVE = "ACTIVE"
INACTIVE = "INACTIVE"
COMPUTE_PREFIX = "compute:"

#: inclusive segmentation id ranges per network type (others: any 32-bit value)
SEGMENTATION_RANGES: Mapping[str, tuple[int, int]] = MappingProxyType({
    "vlan": (1, 4094),
    "vxlan": (1, 2**24 - 1),
    "geneve": (1, 2**24 - 1),
    "gre": (1, 2**32 - 1),
})
UNSEGMENTED_TYPES = frozenset({"flat", "local"})

_EMPTY: Mapping[str, Any] = MappingProxyType({})


@dataclass(frozen=True)
class SegmentInfo:
    network_type: str
    physical_network: str | None
    segmentation_id: int | None
    id: str | None = None


@dataclass(frozen=True)
class FixedIp:
    ip_address: str
    subnet_id: str


@dataclass(frozen=True)
class AddressPair:
    ip_address: str  # address or CIDR text, as the server stores it
    mac_address: str | None


@dataclass(frozen=True)
class BindingInfo:
    host: str
    vif_type: str
    vnic_type: str
    status: str
    profile: Mapping[str, Any]
    vif_details: Mapping[str, Any] | None


@dataclass(frozen=True)
class PortInfo:
    """What the agent needs of a Port 1.11 (reference/04 §5-6)."""

    id: str
    network_id: str
    mac_address: str  # lowercase aa:bb:cc:dd:ee:ff
    admin_state_up: bool
    status: str
    device_id: str
    device_owner: str
    revision_number: int
    fixed_ips: tuple[FixedIp, ...] = ()
    allowed_address_pairs: tuple[AddressPair, ...] = ()
    bindings: tuple[BindingInfo, ...] = ()
    segment: SegmentInfo | None = None  # the last binding level's segment
    bound_levels: int = 0
    port_security_enabled: bool = True
    security_group_ids: tuple[str, ...] = ()
    qos_policy_id: str | None = None
    hints: Mapping[str, Any] | None = None

    @property
    def active_binding(self) -> BindingInfo | None:
        return next((b for b in self.bindings if b.status == ACTIVE), None)

    @property
    def binding_host(self) -> str | None:
        b = self.active_binding
        return b.host if b else None

    @property
    def is_compute(self) -> bool:
        return self.device_owner.startswith(COMPUTE_PREFIX)

    @property
    def migrating_to(self) -> str | None:
        """``profile.migrating_to`` of the ACTIVE binding, if any."""
        b = self.active_binding
        value = b.profile.get("migrating_to") if b else None
        return value if isinstance(value, str) and value else None

    def inactive_binding_hosts(self) -> tuple[str, ...]:
        return tuple(b.host for b in self.bindings if b.status == INACTIVE)


@dataclass(frozen=True)
class NetworkInfo:
    """What the agent needs of a Network 1.3."""

    id: str
    revision_number: int
    mtu: int | None = None
    admin_state_up: bool | None = None
    segments: tuple[SegmentInfo, ...] = ()
    qos_policy_id: str | None = None


def _json_dict(r: Reader, key: str, *, nullable: bool) -> Mapping[str, Any] | None:
    """A DictOfMiscValues field: a dict or its JSON text ('' and null allowed)."""
    value = r.raw(key)
    if value is None or value == "":
        return None if nullable else _EMPTY
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise r.error(key, "not valid JSON") from None
    if not isinstance(value, dict):
        raise r.error(key, f"expected a JSON object, got {type(value).__name__}")
    return MappingProxyType(value)


def parse_segment(r: Reader) -> SegmentInfo:
    ntype = r.text("network_type")
    physnet = r.opt_text("physical_network")
    segid = r.opt_integer("segmentation_id")
    check_segmentation_id(r, "segmentation_id", ntype, segid)
    return SegmentInfo(ntype, physnet, segid, r.opt_text("id"))


def check_segmentation_id(r: Reader, key: str, ntype: str | None, segid: int | None) -> None:
    if segid is None:
        return
    low, high = SEGMENTATION_RANGES.get(ntype or "", (0, 2**32 - 1))
    if not low <= segid <= high:
        raise r.error(key, f"{segid} out of range {low}..{high} for {ntype}")


def _binding(r: Reader) -> BindingInfo:
    profile = _json_dict(r, "profile", nullable=False)
    assert profile is not None
    return BindingInfo(
        host=r.text("host"), vif_type=r.text("vif_type", default=""),
        vnic_type=r.text("vnic_type", default="normal"), status=r.text("status", default=ACTIVE),
        profile=profile, vif_details=_json_dict(r, "vif_details", nullable=True))


def _fixed_ip(r: Reader) -> FixedIp:
    return FixedIp(r.ip("ip_address"), r.text("subnet_id"))


def _address_pair(r: Reader) -> AddressPair:
    return AddressPair(r.ip("ip_address", cidr=True), r.opt_mac("mac_address"))


def _bottom_segment(levels: list[Reader]) -> SegmentInfo | None:
    if not levels:
        return None
    last = levels[-1]
    seg = last.opt_object("segment")
    return parse_segment(seg) if seg is not None else None


def _id(r: Reader) -> str:
    assert r.resource_id is not None  # primitive_data() checked it
    return r.resource_id


def parse_port(primitive: object) -> PortInfo:
    """A Port primitive -> :class:`PortInfo` (raises :class:`PayloadError`)."""
    r = primitive_data("Port", primitive)
    security = r.opt_object("security")
    hints = r.opt_object("hints")
    levels = r.objects("binding_levels")
    return PortInfo(
        id=_id(r),
        network_id=r.text("network_id"),
        mac_address=r.mac("mac_address"),
        admin_state_up=r.flag("admin_state_up"),
        status=r.text("status"),
        device_id=r.text("device_id"),
        device_owner=r.text("device_owner"),
        revision_number=r.integer("revision_number"),
        fixed_ips=tuple(_fixed_ip(x) for x in r.objects("fixed_ips")),
        allowed_address_pairs=tuple(
            _address_pair(x) for x in r.objects("allowed_address_pairs")),
        bindings=tuple(_binding(x) for x in r.objects("bindings")),
        segment=_bottom_segment(levels),
        bound_levels=len(levels),
        port_security_enabled=(security.flag("port_security_enabled", default=True)
                               if security is not None else True),
        security_group_ids=tuple(sorted(r.str_list("security_group_ids"))),
        qos_policy_id=r.opt_text("qos_policy_id"),
        hints=_json_dict(hints, "hints", nullable=True) if hints is not None else None,
    )


def parse_network(primitive: object) -> NetworkInfo:
    """A Network primitive -> :class:`NetworkInfo` (raises :class:`PayloadError`)."""
    r = primitive_data("Network", primitive)
    mtu = r.opt_integer("mtu")
    if mtu is not None and mtu <= 0:
        raise r.error("mtu", f"{mtu} is not a positive MTU")
    admin = r.raw("admin_state_up")
    if admin is not None and not isinstance(admin, bool):
        raise r.error("admin_state_up", f"expected a boolean, got {type(admin).__name__}")
    return NetworkInfo(
        id=_id(r),
        revision_number=r.integer("revision_number"),
        mtu=mtu,
        admin_state_up=admin,
        segments=tuple(parse_segment(s) for s in r.objects("segments")),
        qos_policy_id=r.opt_text("qos_policy_id"),
    )


def parse_deleted_id(resource_type: str, primitive: object) -> str:
    """The id of a ``deleted`` push (its object carries only ``id``)."""
    return _id(primitive_data(resource_type, primitive))


PARSERS: Mapping[str, Callable[[object], PortInfo | NetworkInfo]] = MappingProxyType(
    {"Port": parse_port, "Network": parse_network})
