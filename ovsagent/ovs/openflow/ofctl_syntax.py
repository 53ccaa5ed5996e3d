"""ovs-ofctl (OpenFlow 1.3) text for flows: render and parse. Pure.

The renderer (:mod:`ofctl_render`) and the parser (:mod:`ofctl_parse`) are
exact inverses for every flow the model can express (``parse_flow(
render_flow(f)) == f``), and the parser also reads what Open vSwitch 3.1's
``dump-flows`` prints, so that render -> OVS -> dump -> parse yields an
equal :class:`~ovsagent.pipeline.flow.Flow`. Conventions that make the
round trip exact:

* a flow matching ``vlan_pcp`` must also match ``vlan_vid`` (at least
  ``Masked(0x1000, 0x1000)``): OVS prints ``dl_vlan_pcp=P`` and the tag
  present bit is implied;
* ``Output.max_len`` is kept only for the CONTROLLER port;
* learn match specs whose source is the same field/offset are
  ``LearnMatch(field, n_bits, ofs)`` (``src=None``);
* NX fields in move/learn come back under their model names (``eth_src``,
  ``tunnel_id``, ``in_port`` = 32-bit OXM_OF_IN_PORT, ``in_port_nxm`` =
  16-bit NXM_OF_IN_PORT, ``vlan_tci``, ``regN``), see
  :func:`canonical_nx_field`.
"""

from ovsagent.ovs.openflow.ofctl_fields import OfctlSyntaxError, canonical_nx_field
from ovsagent.ovs.openflow.ofctl_parse import (
    parse_action,
    parse_dump,
    parse_flow,
    parse_instructions,
    parse_match,
    split_top,
)
from ovsagent.ovs.openflow.ofctl_render import (
    render_action,
    render_filter,
    render_flow,
    render_instructions,
    render_match,
    render_mod,
    render_mods,
)

__all__ = [
    "OfctlSyntaxError",
    "canonical_nx_field",
    "parse_action",
    "parse_dump",
    "parse_flow",
    "parse_instructions",
    "parse_match",
    "render_action",
    "render_filter",
    "render_flow",
    "render_instructions",
    "render_match",
    "render_mod",
    "render_mods",
    "split_top",
]
