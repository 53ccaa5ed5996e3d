"""The loop's OVSDB traffic: br-int's VIFs in, Port tag / other_config out.

:class:`VifReader` reads the VIFs from the in-memory replica, again only when
it changed; :func:`write_ports` commits a pass's port writes in one
transaction, skipping those that would change nothing.
"""

from __future__ import annotations

from collections.abc import Mapping

from ovsagent.agent.wiring import PortWrite, Vif
from ovsagent.ovs import ovsdb
from ovsagent.ovs.ovsdb.db import merge_map, plain_value
from ovsagent.ovs.ovsdb.ports import write_tag
from ovsagent.ovs.ovsdb.vifscan import VifRow


class VifReader:
    """A bridge's VIFs; the last read again if the OVSDB replica did not change
    since. Most passes are woken by RPC pushes alone (the server's status
    update for every port we report up): re-reading every row for each of
    them made reading VIFs the loop's main cost (a fifth of the agent's
    samples with 100 ports, quadratic in the ports)."""

    def __init__(self, bridge: str) -> None:
        self.bridge = bridge
        self._cache: tuple[object, int, Mapping[str, Vif]] | None = None  # client, seqno
        self._objects: dict[VifRow, Vif] = {}  # VIF row -> its Vif

    def read(self, client: ovsdb.OvsdbClient) -> Mapping[str, Vif]:
        """The VIFs by port id (a new mapping whenever the replica changed)."""
        seqno = getattr(client, "change_seqno", None)  # before the read: never too new
        cache = self._cache
        if seqno is not None and cache is not None and cache[0] is client \
                and cache[1] == seqno:
            return cache[2]
        # an unchanged row gives the same Vif object as last time, so comparing this
        # pass's flow inputs with the last pass's is cheap (identity, not field by field)
        made, reuse = self._objects, {}
        vifs = {}
        for row in ovsdb.vif_rows(client, self.bridge):
            vif = made.get(row)
            if vif is None:
                vif = Vif(row[0], row[1], row[2], row[3].lower())
            reuse[row] = vifs[row[0]] = vif
        self._objects = reuse
        self._cache = (client, seqno, vifs) if seqno is not None else None
        return vifs


def write_ports(client: ovsdb.OvsdbClient, writes: Mapping[str, PortWrite]) -> int:
    """One transaction for the ports whose tag or other_config would change; returns
    how many were written. A port re-processed with nothing new costs no
    transaction (the loop would wait for it, and ovs-vswitchd reconfigures on
    every commit)."""
    if not writes:
        return 0
    changed = client.read(lambda db: changed_writes(db, writes))
    if not changed:
        return 0
    ops = []
    for name, write in changed.items():
        def op(tx: ovsdb.TxnView, name: str = name, tag: int = write.tag,
               config: Mapping[str, str] = write.other_config) -> None:
            port = tx.lookup("Port", name)
            if port is None:  # unplugged meanwhile
                return
            write_tag(port, tag)
            if config:
                merge_map(port, "other_config", config)
        ops.append(op)
    client.transact(*ops)
    return len(changed)


def changed_writes(db: ovsdb.DbView, writes: Mapping[str, PortWrite]) -> dict[str, PortWrite]:
    """The ``writes`` that would change their Port row (ports gone are dropped)."""
    out = {}
    for name, write in writes.items():
        port = db.lookup("Port", name)
        if port is None:
            continue
        config = plain_value(port, "other_config")
        if plain_value(port, "tag") != [write.tag] or plain_value(port, "vlan_mode") \
                or plain_value(port, "trunks") \
                or any(config.get(k) != v for k, v in write.other_config.items()):
            out[name] = write
    return out
