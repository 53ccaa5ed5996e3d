"""The push cache: revision ordering, deletes, events, batched pulls."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Mapping
from typing import Any

import pytest
from test_rpc_samples import NET, PORT, network, port, segment, with_data

from ovsagent.rpc.cache import CacheEvent, ChangeKind, ResourceCache, Source
from ovsagent.rpc.errors import RpcTimeout
from ovsagent.rpc.ovo import parse_network, parse_port

P2 = "9a1d2f3e-4b5c-4d6e-8f70-0a1b2c3d4e60"
P3 = "9a1d2f3e-4b5c-4d6e-8f70-0a1b2c3d4e61"


class FakePuller:
    def __init__(self, objects: list[dict[str, Any]]) -> None:
        self.objects = objects
        self.calls: list[tuple[str, list[str]]] = []
        self.fail: Exception | None = None

    def bulk_pull(self, resource_type: str, filter_kwargs: Mapping[str, Any]) -> list[Any]:
        ids = list(filter_kwargs["id"])
        self.calls.append((resource_type, ids))
        if self.fail:
            raise self.fail
        return [o for o in self.objects
                if o["versioned_object.name"] == resource_type
                and o["versioned_object.data"]["id"] in ids]


def cache_with_events(puller: Any = None, **kw: Any) -> tuple[ResourceCache, list[CacheEvent]]:
    events: list[CacheEvent] = []
    return ResourceCache(puller, listener=events.append, **kw), events


def test_create_update_and_revision_ordering() -> None:
    cache, events = cache_with_events()
    v3 = parse_port(port(revision=3))
    assert cache.record_update(v3) is not None
    assert events[-1].kind is ChangeKind.CREATED and events[-1].old is None
    assert events[-1].new == v3 and events[-1].source is Source.PUSH
    # older revision: ignored
    v2 = parse_port(port(revision=2, admin_state_up=False))
    assert cache.record_update(v2) is None and cache.get_port(PORT) == v3
    # newer revision with a change: UPDATED with old and new
    v5 = parse_port(port(revision=5, admin_state_up=False))
    ev = cache.record_update(v5)
    assert ev is not None and ev.kind is ChangeKind.UPDATED
    assert ev.old == v3 and ev.new == v5 and ev.changed_fields == {"admin_state_up"}
    # only the revision changed: stored, no event
    v6 = parse_port(port(revision=6, admin_state_up=False))
    assert cache.record_update(v6) is None and cache.get_port(PORT) == v6
    # same revision, different content (reference: equal is not stale)
    v6b = parse_port(port(revision=6, admin_state_up=True))
    ev = cache.record_update(v6b)
    assert ev is not None and ev.changed_fields == {"admin_state_up"}
    assert [e.kind for e in events] == [ChangeKind.CREATED, ChangeKind.UPDATED,
                                        ChangeKind.UPDATED]


def test_delete_is_remembered() -> None:
    cache, events = cache_with_events()
    p = parse_port(port())
    cache.record_update(p)
    ev = cache.record_delete("Port", PORT)
    assert ev is not None and ev.kind is ChangeKind.DELETED and ev.old == p and ev.new is None
    assert cache.get_port(PORT) is None and cache.is_deleted("Port", PORT)
    assert cache.record_delete("Port", PORT) is None  # duplicate
    assert cache.record_update(parse_port(port(revision=99))) is None  # late update
    assert [e.kind for e in events] == [ChangeKind.CREATED, ChangeKind.DELETED]


def test_delete_of_unknown_id_still_emits() -> None:
    cache, events = cache_with_events()
    ev = cache.record_delete("Network", NET)
    assert ev is not None and ev.old is None and events == [ev]


def test_apply_push() -> None:
    cache, _ = cache_with_events()
    evs = cache.apply_push("Network", "updated", [parse_network(network())])
    assert [e.kind for e in evs] == [ChangeKind.CREATED]
    evs = cache.apply_push("Network", "updated", [parse_network(network(revision=3, mtu=1400))])
    assert evs[0].changed_fields == {"mtu"}
    evs = cache.apply_push("Network", "deleted", [NET])
    assert evs[0].kind is ChangeKind.DELETED
    with pytest.raises(TypeError):
        cache.apply_push("Network", "updated", [NET])


def test_fetch_pulls_unknown_ids_once_in_batches() -> None:
    puller = FakePuller([port(PORT), port(P2)])
    cache, events = cache_with_events(puller, pull_batch=2)
    result = cache.fetch_ports([PORT, P2, P3])
    assert set(result.found) == {PORT, P2} and result.failed == {}
    assert puller.calls == [("Port", [PORT, P2]), ("Port", [P3])]
    assert all(e.source is Source.PULL and e.kind is ChangeKind.CREATED for e in events)
    # cached ones and the answered-but-unknown one are not asked again
    cache.fetch_ports([PORT, P2, P3])
    assert len(puller.calls) == 2
    # until forgotten (port gone from OVS and back) or forced
    cache.forget("Port", P3)
    cache.fetch_ports([P3])
    assert puller.calls[-1] == ("Port", [P3])
    cache.fetch_ports([PORT], force=True)
    assert puller.calls[-1] == ("Port", [PORT])
    cache.reset_answers()
    cache.fetch_ports([P3])
    assert puller.calls[-1] == ("Port", [P3])


def test_fetch_skips_deleted_and_keeps_newer_push() -> None:
    puller = FakePuller([port(PORT, revision=3)])
    cache, _ = cache_with_events(puller)
    cache.record_update(parse_port(port(PORT, revision=7)))
    cache.record_delete("Port", P2)
    result = cache.fetch_ports([PORT, P2], force=True)
    assert result.found[PORT].revision_number == 7  # the pulled rev 3 is stale
    assert puller.calls == [("Port", [PORT])]


def test_fetch_reports_malformed_and_asks_again() -> None:
    bad = with_data(port(P2), mac_address="nope")
    puller = FakePuller([port(PORT), bad])
    cache, _ = cache_with_events(puller)
    result = cache.fetch_ports([PORT, P2])
    assert set(result.found) == {PORT} and set(result.failed) == {P2}
    assert result.failed[P2].key == "mac_address"
    cache.fetch_ports([PORT, P2])
    assert puller.calls[-1] == ("Port", [P2])


def test_fetch_propagates_rpc_errors() -> None:
    puller = FakePuller([])
    puller.fail = RpcTimeout("bulk_pull: no reply")
    cache, _ = cache_with_events(puller)
    with pytest.raises(RpcTimeout):
        cache.fetch_ports([PORT])
    puller.fail = None
    cache.fetch_ports([PORT])
    assert len(puller.calls) == 2  # not marked answered by the failed call


def test_ports_by_network_and_unknown_type() -> None:
    cache, _ = cache_with_events()
    cache.record_update(parse_port(port(PORT)))
    cache.record_update(parse_port(port(P2, network_id="other")))
    assert [p.id for p in cache.ports(NET)] == [PORT]
    assert len(cache.ports()) == 2
    with pytest.raises(KeyError):
        cache.get("Subnet", "x")


def test_listener_errors_do_not_break_the_cache() -> None:
    def boom(event: CacheEvent) -> None:
        raise RuntimeError("agent bug")

    cache = ResourceCache(listener=boom)
    assert cache.record_update(parse_port(port())) is not None
    assert cache.get_port(PORT) is not None


def test_segment_change_is_an_update() -> None:
    cache, _ = cache_with_events()
    cache.record_update(parse_port(port(revision=1)))
    ev = cache.record_update(parse_port(port(revision=2, seg=segment("vxlan", 1002))))
    assert ev is not None and ev.changed_fields == {"segment"}


def test_concurrent_writers_keep_the_newest_and_events_ordered() -> None:
    cache, events = cache_with_events()
    objs = [parse_port(port(revision=r, name=f"n{r}", device_id=f"d{r}")) for r in range(200)]

    def feed(part: list[Any]) -> None:
        for o in part:
            cache.record_update(o)

    threads = [threading.Thread(target=feed, args=(objs[i::4],)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    final = cache.get_port(PORT)
    assert final is not None and final.revision_number == 199
    revisions = [e.new.revision_number for e in events if e.new is not None]
    assert revisions == sorted(revisions)  # listener saw a consistent order
    for prev, cur in itertools.pairwise(events):
        assert cur.old == prev.new


class GatedPuller(FakePuller):
    """Blocks every bulk_pull until ``gate`` is set; ``entered`` says one started."""

    def __init__(self, objects: list[dict[str, Any]]) -> None:
        super().__init__(objects)
        self.gate, self.entered = threading.Event(), threading.Event()

    def bulk_pull(self, resource_type: str, filter_kwargs: Mapping[str, Any]) -> list[Any]:
        fail, self.fail = self.fail, None  # only this call fails
        self.entered.set()
        assert self.gate.wait(10)
        self.calls.append((resource_type, list(filter_kwargs["id"])))
        if fail:
            raise fail
        self.calls.pop()
        return super().bulk_pull(resource_type, filter_kwargs)


def _fetch_in_thread(cache: ResourceCache, ids: list[str]) -> tuple[threading.Thread, list[Any]]:
    out: list[Any] = []

    def run() -> None:
        try:
            out.append(cache.fetch_ports(ids))
        except Exception as exc:  # handed to the test
            out.append(exc)

    t = threading.Thread(target=run)
    t.start()
    return t, out


def test_fetch_waits_for_the_same_ids_being_pulled_by_another_thread() -> None:
    puller = GatedPuller([port(PORT), port(P2)])
    cache, _ = cache_with_events(puller)
    early, _ = _fetch_in_thread(cache, [PORT, P2])  # the agent's prefetch at start
    assert puller.entered.wait(5)
    late, result = _fetch_in_thread(cache, [PORT, P2, P3])  # the loop's first pass
    late.join(0.2)
    assert late.is_alive()  # waits for the prefetch instead of asking again
    puller.gate.set()
    early.join(5)
    late.join(5)
    assert set(result[0].found) == {PORT, P2}
    assert puller.calls == [("Port", [PORT, P2]), ("Port", [P3])]


def test_fetch_pulls_itself_what_the_other_thread_failed_to_get() -> None:
    puller = GatedPuller([port(PORT)])
    puller.fail = RpcTimeout("bulk_pull: no reply")
    cache, _ = cache_with_events(puller)
    early, early_result = _fetch_in_thread(cache, [PORT])
    assert puller.entered.wait(5)
    late, result = _fetch_in_thread(cache, [PORT])
    late.join(0.2)
    assert late.is_alive()
    puller.gate.set()
    early.join(5)
    late.join(5)
    assert isinstance(early_result[0], RpcTimeout)
    assert set(result[0].found) == {PORT} and len(puller.calls) == 2


def test_batches_pulled_in_parallel_keep_answers_and_raise_the_error() -> None:
    ids = [f"9a1d2f3e-4b5c-4d6e-8f70-0a1b2c3d{i:04x}" for i in range(5)]
    puller = FakePuller([port(i) for i in ids])
    cache, _ = cache_with_events(puller, pull_batch=2, pull_parallel=3)
    result = cache.fetch_ports(ids)
    assert set(result.found) == set(ids)
    assert sorted(puller.calls) == sorted([("Port", ids[0:2]), ("Port", ids[2:4]),
                                           ("Port", ids[4:])])
    failing = FakePuller([port(PORT)])
    failing.fail = RpcTimeout("bulk_pull: no reply")
    cache, _ = cache_with_events(failing, pull_batch=1, pull_parallel=2)
    with pytest.raises(RpcTimeout):
        cache.fetch_ports([PORT, P2])
    assert len(failing.calls) == 2  # both batches were asked
