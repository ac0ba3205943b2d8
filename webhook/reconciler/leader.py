"""Leader election on a `coordination.k8s.io/v1` Lease, the way client-go's leaderelection package does it.

Every replica tries to hold the Lease `tenantguard-reconciler` in the webhook's namespace; only the holder writes.

- Acquire: create the Lease, or take it over when its holder has not renewed it for `leaseDurationSeconds`, as
  this replica observed on its own clock (the time it last saw the Lease change; never the holder's timestamps,
  so clock skew between nodes does not matter). Updates carry the `resourceVersion` read: of two candidates only
  one wins the compare-and-swap.
- Renew every `retry_period`. A leader that has not renewed within `renew_deadline` stops writing at once
  (`is_leader` turns false) and competes again: the deadline is shorter than the duration, so it has stopped
  before anyone else may take over.
- On a clean stop the leader releases the Lease (empty holder, duration 1 s), so a standby takes over within a
  retry period instead of a lease duration.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tenantguard.webhook.reconciler.api import Api, ApiError, collection_path

log = logging.getLogger("tenantguard.reconciler")
LEASE_API = "coordination.k8s.io/v1"


@dataclass(frozen=True, slots=True, kw_only=True)
class LeaseConfig:
    namespace: str
    name: str = "tenantguard-reconciler"
    identity: str
    duration: float = 15.0  # client-go's defaults: 15 s, 10 s, 2 s
    renew_deadline: float = 10.0
    retry_period: float = 2.0

    def problems(self) -> list[str]:
        found = []
        if not self.duration > self.renew_deadline > self.retry_period > 0:
            found.append("need lease duration > renew deadline > retry period > 0")
        return found


def micro_time(now: datetime) -> str:
    return now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class LeaderElector:
    def __init__(
        self,
        api: Api,
        config: LeaseConfig,
        *,
        clock: Callable[[], float] = time.monotonic,
        on_change: Callable[[bool], None] = lambda leading: None,
    ) -> None:
        self.api, self.config, self.clock, self.on_change = api, config, clock, on_change
        self._observed: tuple[Any, ...] | None = None  # the Lease spec last seen
        self._observed_at = 0.0
        self._renewed_at: float | None = None  # our last successful acquire or renew
        self._lock = threading.Lock()

    @property
    def path(self) -> str:
        return f"{collection_path(LEASE_API, 'Lease', self.config.namespace)}/{self.config.name}"

    def is_leader(self) -> bool:
        with self._lock:
            renewed = self._renewed_at
        return renewed is not None and self.clock() - renewed < self.config.renew_deadline

    def try_acquire_or_renew(self) -> bool:
        """One attempt; True when this replica holds the Lease afterwards."""
        cfg, now = self.config, datetime.now(UTC)
        lease = self.api.get(self.path)
        spec = (lease or {}).get("spec") or {}
        holder = spec.get("holderIdentity") or ""
        if lease is not None:
            seen = (holder, spec.get("renewTime"), spec.get("leaseDurationSeconds"), spec.get("leaseTransitions"))
            if seen != self._observed:
                self._observed, self._observed_at = seen, self.clock()
            duration = float(spec.get("leaseDurationSeconds") or cfg.duration)
            if holder and holder != cfg.identity and self.clock() < self._observed_at + duration:
                return False
        mine = holder == cfg.identity
        new_spec = {
            "holderIdentity": cfg.identity,
            "leaseDurationSeconds": int(cfg.duration),
            "acquireTime": spec.get("acquireTime") if mine and spec.get("acquireTime") else micro_time(now),
            "renewTime": micro_time(now),
            "leaseTransitions": int(spec.get("leaseTransitions") or 0) + (0 if mine or lease is None else 1),
        }
        meta: dict[str, Any] = {"name": cfg.name, "namespace": cfg.namespace}
        body = {"apiVersion": LEASE_API, "kind": "Lease", "metadata": meta, "spec": new_spec}
        try:
            if lease is None:
                self.api.create(body)
            else:
                meta["resourceVersion"] = lease["metadata"]["resourceVersion"]
                self.api.replace(body)
        except ApiError as err:
            if err.status in (409, 422):  # another candidate won the compare-and-swap (or created it first)
                return False
            raise
        self._observed = (cfg.identity, new_spec["renewTime"], new_spec["leaseDurationSeconds"],
                          new_spec["leaseTransitions"])  # fmt: skip
        self._observed_at = self.clock()
        return True

    def _attempt(self) -> bool:
        try:
            return self.try_acquire_or_renew()
        except ApiError as err:
            log.warning("lease %s/%s: %s", self.config.namespace, self.config.name, err)
            return False

    def run(self, stop: threading.Event) -> None:
        leading = False
        while not stop.is_set():
            if self._attempt():
                with self._lock:
                    self._renewed_at = self.clock()
                if not leading:
                    leading = True
                    log.info("became the leader", extra={"fields": {"identity": self.config.identity}})
                    self.on_change(True)
            elif leading and not self.is_leader():
                leading = False
                with self._lock:
                    self._renewed_at = None
                log.warning("lost the lease: no renewal within %.0f s", self.config.renew_deadline)
                self.on_change(False)
            jitter = 1.0 if leading else 1.0 + 0.2 * random.random()
            stop.wait(self.config.retry_period * jitter)
        if leading:
            self.release()

    def release(self) -> None:
        """Give the Lease up (a clean stop): a standby takes over at its next poll."""
        with self._lock:
            self._renewed_at = None
        try:
            lease = self.api.get(self.path)
            spec = (lease or {}).get("spec") or {}
            if lease is None or spec.get("holderIdentity") != self.config.identity:
                return
            spec = {**spec, "holderIdentity": "", "leaseDurationSeconds": 1, "renewTime": micro_time(datetime.now(UTC))}
            self.api.replace({**lease, "spec": spec})
            log.info("released the lease")
        except ApiError as err:
            log.warning("could not release the lease: %s", err)

    def start(self, stop: threading.Event) -> threading.Thread:
        thread = threading.Thread(target=self.run, args=(stop,), name="leader-election", daemon=True)
        thread.start()
        return thread
