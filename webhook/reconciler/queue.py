"""A work queue of keys, as client-go's: each key at most once in the queue, never processed twice at a time.

A key added while it is being processed runs again once it is done, so a change during a reconcile is never
lost; `add(key, delay)` schedules it for later (certificate renewals, retries with backoff). Level-based: a key
says only "look at this tenant again", never what changed.
"""

from __future__ import annotations

import heapq
import threading
import time
from collections.abc import Callable


class WorkQueue:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._ready: list[str] = []
        self._queued: set[str] = set()
        self._processing: set[str] = set()
        self._dirty: set[str] = set()  # added while processing
        self._later: list[tuple[float, str]] = []
        self._cond = threading.Condition()
        self._closed = False

    def add(self, key: str, delay: float = 0.0) -> None:
        with self._cond:
            if delay > 0:
                heapq.heappush(self._later, (self.clock() + delay, key))
            elif key in self._processing:
                self._dirty.add(key)
            elif key not in self._queued:
                self._queued.add(key)
                self._ready.append(key)
            self._cond.notify()

    def _promote(self) -> float | None:
        """Move due delayed keys to the ready list; seconds until the next one is due."""
        now = self.clock()
        while self._later and self._later[0][0] <= now:
            _, key = heapq.heappop(self._later)
            if key in self._processing:
                self._dirty.add(key)
            elif key not in self._queued:
                self._queued.add(key)
                self._ready.append(key)
        return self._later[0][0] - now if self._later else None

    def get(self, timeout: float | None = None) -> str | None:
        """The next key (now marked as processing), or None after `timeout` or when closed."""
        deadline = None if timeout is None else self.clock() + timeout
        with self._cond:
            while True:
                wait = self._promote()
                if self._ready:
                    key = self._ready.pop(0)
                    self._queued.discard(key)
                    self._processing.add(key)
                    return key
                if self._closed:
                    return None
                if deadline is not None:
                    left = deadline - self.clock()
                    if left <= 0:
                        return None
                    wait = left if wait is None else min(wait, left)
                self._cond.wait(wait)

    def done(self, key: str) -> None:
        with self._cond:
            self._processing.discard(key)
            if key in self._dirty:
                self._dirty.discard(key)
                if key not in self._queued:
                    self._queued.add(key)
                    self._ready.append(key)
                    self._cond.notify()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def __len__(self) -> int:
        with self._cond:
            return len(self._ready)
