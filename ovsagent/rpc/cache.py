"""The push cache: Ports and Networks by id, fed by ``bulk_pull`` and push notifications.

Semantics of the reference's resource cache (reference/04 §4.3, §5):

* an object with a lower ``revision_number`` than the cached copy is stale
  and ignored; equal or higher replaces it;
* a ``deleted`` push removes the object and remembers its id, so any later
  update or pull answer for it is ignored;
* a change event fires only when a field the agent uses changed (the
  revision alone is not a change);
* a query for an id is sent to the server once: even an empty answer marks
  it answered, until :meth:`ResourceCache.forget` (or :meth:`reset_answers`);
  a fetch of ids another thread is pulling right now waits for that pull
  instead of asking again (the agent pulls its ports early at start, while
  its loop is still setting up, and the loop's first pass then waits for
  that answer).

Thread-safe. Writers (pushes, pulls) are serialized together with the
emission of their events, so the listener sees events in the order they
were applied; readers never wait for a listener. The listener must not block
(hand the event to a queue); it must not call back into the cache's write
methods from another thread while blocking on that thread.
"""

from __future__ import annotations

import dataclasses
import enum
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

from ovsagent.rpc.errors import PayloadError
from ovsagent.rpc.ovo import PARSERS, NetworkInfo, PortInfo
from ovsagent.rpc.topics import NETWORK, PORT, PUSHED_TYPES

LOG = logging.getLogger(__name__)

Resource = PortInfo | NetworkInfo
_TYPE_OF: Mapping[type, str] = {PortInfo: PORT, NetworkInfo: NETWORK}


class ChangeKind(enum.Enum):
    CREATED = "created"
    UPDATED = "updated"
    DELETED = "deleted"


class Source(enum.Enum):
    PUSH = "push"  # a push notification from the server
    PULL = "pull"  # an answer to our own bulk_pull


@dataclass(frozen=True)
class CacheEvent:
    resource_type: str
    kind: ChangeKind
    resource_id: str
    old: Resource | None
    new: Resource | None
    source: Source
    changed_fields: frozenset[str] = frozenset()


@dataclass(frozen=True)
class PullResult:
    """Objects known for the asked ids, and ids whose payload was malformed."""

    found: Mapping[str, Resource]
    failed: Mapping[str, PayloadError]


class Puller(Protocol):
    def bulk_pull(self, resource_type: str,
                  filter_kwargs: Mapping[str, Any]) -> list[Any]: ...


Listener = Callable[[CacheEvent], None]


def changed_fields(old: Resource | None, new: Resource) -> frozenset[str]:
    """Fields that differ, ignoring ``revision_number`` (all fields when ``old`` is None)."""
    names = {f.name for f in dataclasses.fields(new)} - {"revision_number"}
    if old is None:
        return frozenset(names)
    return frozenset(n for n in names if getattr(old, n) != getattr(new, n))


class ResourceCache:
    def __init__(self, puller: Puller | None = None, *, types: Sequence[str] = PUSHED_TYPES,
                 pull_batch: int = 100, pull_parallel: int = 1, deleted_memory: int = 100_000,
                 listener: Listener | None = None) -> None:
        self._puller = puller
        self._types = tuple(types)
        self._pull_batch = max(1, pull_batch)
        self._pull_parallel = max(1, pull_parallel)
        self._deleted_memory = deleted_memory
        self._listener = listener
        self._objects: dict[str, dict[str, Resource]] = {t: {} for t in self._types}
        self._deleted: dict[str, OrderedDict[str, None]] = {t: OrderedDict() for t in self._types}
        self._answered: dict[str, set[str]] = {t: set() for t in self._types}
        self._pulling: dict[str, dict[str, threading.Event]] = {t: {} for t in self._types}
        self._lock = threading.RLock()  # state
        self._write = threading.RLock()  # apply + emit, in order

    def set_listener(self, listener: Listener | None) -> None:
        self._listener = listener

    def set_puller(self, puller: Puller | None) -> None:
        self._puller = puller

    # ----------------------------------------------------------------- reads
    def get(self, resource_type: str, resource_id: str) -> Resource | None:
        with self._lock:
            return self._table(resource_type).get(resource_id)

    def get_port(self, port_id: str) -> PortInfo | None:
        obj = self.get(PORT, port_id)
        return obj if isinstance(obj, PortInfo) else None

    def get_network(self, network_id: str) -> NetworkInfo | None:
        obj = self.get(NETWORK, network_id)
        return obj if isinstance(obj, NetworkInfo) else None

    def ports(self, network_id: str | None = None) -> list[PortInfo]:
        with self._lock:
            ports = [p for p in self._objects.get(PORT, {}).values() if isinstance(p, PortInfo)]
        return [p for p in ports if network_id is None or p.network_id == network_id]

    def is_deleted(self, resource_type: str, resource_id: str) -> bool:
        with self._lock:
            return resource_id in self._deleted[resource_type]

    # ----------------------------------------------------------------- pulls
    def fetch(self, resource_type: str, ids: Iterable[str], *, force: bool = False) -> PullResult:
        """Cached objects for ``ids``; unknown ids never asked before (all, with
        ``force``) are pulled in batches (:meth:`_pull`). Raises the puller's
        RpcError; batches answered before the error are kept. Ids that another
        thread is pulling are waited for (without ``force``); those it failed
        to get are pulled here."""
        wanted = list(dict.fromkeys(ids))
        with self._lock:
            self._table(resource_type)
            pulling = self._pulling[resource_type]
            others = [pulling[i] for i in dict.fromkeys(wanted) if i in pulling] \
                if not force else []
        for done in others:
            done.wait()
        with self._lock:
            deleted, answered = self._deleted[resource_type], self._answered[resource_type]
            to_pull = [i for i in wanted if i not in deleted and (
                force or (i not in answered and i not in self._objects[resource_type]))]
            mine = threading.Event()
            for i in to_pull:
                pulling.setdefault(i, mine)
        failed: dict[str, PayloadError] = {}
        try:
            if to_pull:
                failed = self._pull(resource_type, to_pull)
        finally:
            with self._lock:
                for i in to_pull:
                    if pulling.get(i) is mine:
                        del pulling[i]
            mine.set()
        with self._lock:
            table = self._objects[resource_type]
            found = {i: table[i] for i in wanted if i in table}
        return PullResult(found, failed)

    def _pull(self, resource_type: str, ids: list[str]) -> dict[str, PayloadError]:
        """``bulk_pull`` ``ids`` in batches, up to ``pull_parallel`` of them in flight
        (the server works on them concurrently); the first error is raised once
        every batch in flight is done, the answered batches are kept."""
        puller = self._puller
        if puller is None:
            raise RuntimeError("ResourceCache has no puller")
        batches = [ids[i:i + self._pull_batch] for i in range(0, len(ids), self._pull_batch)]
        failed: dict[str, PayloadError] = {}
        if self._pull_parallel == 1 or len(batches) == 1:
            for batch in batches:
                failed.update(self._apply_pulled(
                    resource_type, batch, puller.bulk_pull(resource_type, {"id": batch})))
            return failed
        error: Exception | None = None
        workers = min(self._pull_parallel, len(batches))
        with ThreadPoolExecutor(workers, thread_name_prefix="bulk_pull") as pool:
            futures = [pool.submit(puller.bulk_pull, resource_type, {"id": b}) for b in batches]
            for batch, future in zip(batches, futures, strict=True):
                try:
                    answer = future.result()
                except Exception as exc:
                    error = error or exc
                    continue
                failed.update(self._apply_pulled(resource_type, batch, answer))
        if error is not None:
            raise error
        return failed

    def fetch_ports(self, ids: Iterable[str], *, force: bool = False) -> PullResult:
        return self.fetch(PORT, ids, force=force)

    def fetch_networks(self, ids: Iterable[str], *, force: bool = False) -> PullResult:
        return self.fetch(NETWORK, ids, force=force)

    def _apply_pulled(self, resource_type: str, batch: list[str],
                      answer: list[Any]) -> dict[str, PayloadError]:
        parse = PARSERS[resource_type]
        failed: dict[str, PayloadError] = {}
        objs: list[Resource] = []
        for primitive in answer:
            try:
                objs.append(parse(primitive))
            except PayloadError as e:
                LOG.warning("Ignoring malformed %s from bulk_pull: %s", resource_type, e)
                if e.resource_id:
                    failed[e.resource_id] = e
        with self._write:
            for obj in objs:
                self.record_update(obj, Source.PULL)
            with self._lock:
                # answered even if absent from the answer (not known to the server yet);
                # malformed ones stay unanswered so the next fetch asks again
                self._answered[resource_type].update(i for i in batch if i not in failed)
        return failed

    def forget(self, resource_type: str, resource_id: str) -> None:
        """Drop an object and its answered query, without an event (port gone from OVS)."""
        with self._lock:
            self._table(resource_type).pop(resource_id, None)
            self._answered[resource_type].discard(resource_id)

    def reset_answers(self) -> None:
        """Ask the server again for every id on the next fetch (full resync)."""
        with self._lock:
            for answered in self._answered.values():
                answered.clear()

    # ---------------------------------------------------------------- writes
    def record_update(self, obj: Resource, source: Source = Source.PUSH) -> CacheEvent | None:
        """Store ``obj`` unless stale; emit CREATED/UPDATED if a used field changed."""
        rtype = _TYPE_OF[type(obj)]
        with self._write:
            with self._lock:
                table = self._table(rtype)
                if obj.id in self._deleted[rtype]:
                    LOG.debug("Ignoring %s %s: already deleted", rtype, obj.id)
                    return None
                old = table.get(obj.id)
                if old is not None and old.revision_number > obj.revision_number:
                    LOG.debug("Ignoring stale %s %s (revision %d < %d)", rtype, obj.id,
                              obj.revision_number, old.revision_number)
                    return None
                table[obj.id] = obj
                changed = changed_fields(old, obj)
            if not changed:
                return None
            kind = ChangeKind.CREATED if old is None else ChangeKind.UPDATED
            return self._emit(CacheEvent(rtype, kind, obj.id, old, obj, source, changed))

    def record_delete(self, resource_type: str, resource_id: str,
                      source: Source = Source.PUSH) -> CacheEvent | None:
        """Remove and remember a deleted id; emit DELETED once."""
        with self._write:
            with self._lock:
                table = self._table(resource_type)
                deleted = self._deleted[resource_type]
                if resource_id in deleted:
                    return None
                deleted[resource_id] = None
                while len(deleted) > self._deleted_memory:
                    deleted.popitem(last=False)
                old = table.pop(resource_id, None)
                self._answered[resource_type].discard(resource_id)
            return self._emit(CacheEvent(resource_type, ChangeKind.DELETED, resource_id, old,
                                         None, source))

    def apply_push(self, resource_type: str, event_type: str,
                   objects: Sequence[Resource | str]) -> list[CacheEvent]:
        """A push: ``deleted`` with ids, anything else (``updated``/``created``) with objects."""
        events = []
        with self._write:
            for obj in objects:
                if event_type == "deleted":
                    rid = obj if isinstance(obj, str) else obj.id
                    ev = self.record_delete(resource_type, rid)
                elif isinstance(obj, str):
                    raise TypeError("updates carry objects, not ids")
                else:
                    ev = self.record_update(obj)
                if ev is not None:
                    events.append(ev)
        return events

    def _table(self, resource_type: str) -> dict[str, Resource]:
        try:
            return self._objects[resource_type]
        except KeyError:
            raise KeyError(f"ResourceCache does not track {resource_type}") from None

    def _emit(self, event: CacheEvent) -> CacheEvent:
        listener = self._listener
        if listener is not None:
            try:
                listener(event)
            except Exception:
                LOG.exception("Cache listener failed on %s %s %s", event.resource_type,
                              event.kind.value, event.resource_id)
        return event
