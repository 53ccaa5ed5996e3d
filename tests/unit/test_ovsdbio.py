"""The loop's OVSDB reads and writes: VIFs re-read only on change, no-op writes skipped."""

from __future__ import annotations

from typing import Any

from ovsagent.agent import ovsdbio
from ovsagent.agent.wiring import PortWrite
from ovsagent.ovs import ovsdb


class SeqnoClient:
    """The replica's change counter and a br-int VIF read counter."""

    def __init__(self) -> None:
        self.change_seqno = 1
        self.reads = 0


def test_vifs_are_read_again_only_when_the_replica_changed(monkeypatch: Any) -> None:
    client = SeqnoClient()
    rows = [("p1", "tap1", 5, "FA:16:3E:00:00:01")]

    def vif_rows(c: SeqnoClient, bridge: str) -> list[tuple[str, str, int, str]]:
        c.reads += 1
        return list(rows)

    monkeypatch.setattr(ovsdb, "vif_rows", vif_rows)
    reader = ovsdbio.VifReader("br-int")
    first = reader.read(client)  # type: ignore[arg-type]
    assert first["p1"].mac == "fa:16:3e:00:00:01" and reader.read(client) is first  # type: ignore[arg-type]
    assert client.reads == 1
    rows.append(("p2", "tap2", 6, "fa:16:3e:00:00:02"))
    client.change_seqno += 1
    second = reader.read(client)  # type: ignore[arg-type]
    assert set(second) == {"p1", "p2"} and client.reads == 2
    assert second["p1"] is first["p1"]  # same row, same Vif: flow inputs compare by identity
    rows[0] = ("p1", "tap1", 7, "fa:16:3e:00:00:01")
    client.change_seqno += 1
    assert reader.read(client)["p1"].ofport == 7  # type: ignore[arg-type]
    other = SeqnoClient()  # another replica, same seqno
    assert set(reader.read(other)) == {"p1", "p2"} and other.reads == 1  # type: ignore[arg-type]
    assert client.reads == 3


class PortRow:
    def __init__(self, tag: list[int], other_config: dict[str, str],
                 vlan_mode: list[str] | None = None) -> None:
        self.tag, self.other_config = tag, other_config
        self.vlan_mode, self.trunks = vlan_mode or [], []


class Db:
    def __init__(self, ports: dict[str, PortRow]) -> None:
        self.ports = ports

    def lookup(self, table: str, name: str) -> PortRow | None:
        return self.ports.get(name)


def test_only_writes_that_change_a_port_are_made() -> None:
    cfg = {"net_uuid": "n1", "segmentation_id": "1001"}
    db: Any = Db({"same": PortRow([1], {**cfg, "other": "x"}), "tag": PortRow([4095], cfg),
                  "cfg": PortRow([1], {"net_uuid": "n0"}),
                  "trunk": PortRow([1], cfg, vlan_mode=["trunk"])})
    writes = {name: PortWrite(1, cfg) for name in ("same", "tag", "cfg", "trunk", "gone")}
    assert sorted(ovsdbio.changed_writes(db, writes)) == ["cfg", "tag", "trunk"]
