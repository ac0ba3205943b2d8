"""Fold repeated occurrences into one Event with a count, and bound how often it is written.

A controller retries a refused write with backoff — a ReplicaSet asks for its pods again and again — and each
attempt is denied anew. Like client-go's event correlator (`tools/record/events_cache.go`), the first
occurrence creates an Event and the later ones only raise its `count` and `lastTimestamp`; unlike it, the
latest message is kept (a denied pod's generated name differs on every attempt) and no occurrence is lost to
a spam filter: each Event is written at most once per `interval`, carrying every occurrence since the last
write. Entries are forgotten after `forget_after` seconds without an occurrence (kube-apiserver deletes
Events after `--event-ttl`, one hour by default) and the least recently seen go first once `max_entries` are
held (client-go's 4,096), so memory stays bounded whatever tenants do.

Pure: the caller passes the time and performs the writes this module asks for.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum


@dataclass(frozen=True, slots=True, kw_only=True)
class Involved:
    """The object an Event is about (core/v1 `involvedObject`); `kubectl describe` finds Events by its uid."""

    api_version: str
    kind: str
    namespace: str
    name: str
    uid: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Occurrence:
    involved: Involved
    reason: str
    aggregate: str  # occurrences with the same involved object, reason and aggregate are one Event
    message: str
    at: float  # seconds since the epoch


class Action(StrEnum):
    CREATE = "create"
    PATCH = "patch"


@dataclass(frozen=True, slots=True, kw_only=True)
class Write:
    action: Action
    key: tuple[str, ...]
    name: str
    involved: Involved
    reason: str
    message: str
    count: int
    first: float
    last: float


@dataclass(slots=True, kw_only=True)
class _Entry:
    name: str
    involved: Involved
    reason: str
    message: str
    count: int
    first: float
    last: float
    last_write: float


def key_of(occurrence: Occurrence) -> tuple[str, ...]:
    i = occurrence.involved
    return (i.namespace, i.kind, i.name, i.uid, occurrence.reason, occurrence.aggregate)


class Correlator:
    def __init__(
        self,
        *,
        name_for: Callable[[Occurrence], str],
        interval: float = 10.0,
        forget_after: float = 3600.0,
        max_entries: int = 4096,
    ) -> None:
        self.name_for, self.interval = name_for, interval
        self.forget_after, self.max_entries = forget_after, max_entries
        self._entries: OrderedDict[tuple[str, ...], _Entry] = OrderedDict()
        self._pending: set[tuple[str, ...]] = set()  # entries with occurrences not yet written

    def __len__(self) -> int:
        return len(self._entries)

    def observe(self, occurrence: Occurrence) -> Write | None:
        """The write this occurrence calls for now: a new Event, a patch of the count, or none (folded into the
        next write, which `due` hands out once the interval has passed)."""
        key, now = key_of(occurrence), occurrence.at
        entry = self._entries.get(key)
        if entry is None or now - entry.last > self.forget_after:
            entry = _Entry(
                name=self.name_for(occurrence),
                involved=occurrence.involved,
                reason=occurrence.reason,
                message=occurrence.message,
                count=1,
                first=now,
                last=now,
                last_write=now,
            )
            self._entries[key] = entry
            self._entries.move_to_end(key)
            self._evict()
            return self._write(key, entry, Action.CREATE, now)
        self._entries.move_to_end(key)
        entry.count += 1
        entry.last = max(entry.last, now)
        entry.message = occurrence.message
        if now - entry.last_write >= self.interval:
            return self._write(key, entry, Action.PATCH, now)
        self._pending.add(key)
        return None

    def due(self, now: float) -> list[Write]:
        """Patches for Events whose occurrences waited out the interval."""
        out = []
        for key in list(self._pending):
            entry = self._entries.get(key)
            if entry is None:
                self._pending.discard(key)
            elif now - entry.last_write >= self.interval:
                out.append(self._write(key, entry, Action.PATCH, now))
        return out

    def recreate(self, key: tuple[str, ...], now: float) -> Write | None:
        """The Event is gone from the cluster (expired, deleted): create it again with the count so far."""
        entry = self._entries.get(key)
        if entry is None:
            return None
        entry.name = self.name_for(
            Occurrence(involved=entry.involved, reason=entry.reason, aggregate=key[-1], message=entry.message, at=now)
        )
        return self._write(key, entry, Action.CREATE, now)

    def forget(self, key: tuple[str, ...]) -> None:
        """The write failed for good: the next occurrence starts a new Event."""
        self._entries.pop(key, None)
        self._pending.discard(key)

    def _write(self, key: tuple[str, ...], entry: _Entry, action: Action, now: float) -> Write:
        entry.last_write = now
        self._pending.discard(key)
        return Write(
            action=action,
            key=key,
            name=entry.name,
            involved=entry.involved,
            reason=entry.reason,
            message=entry.message,
            count=entry.count,
            first=entry.first,
            last=entry.last,
        )

    def _evict(self) -> None:
        while len(self._entries) > self.max_entries:
            key, _ = self._entries.popitem(last=False)
            self._pending.discard(key)
