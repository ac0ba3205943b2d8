"""Denials of controller writes, surfaced as Warning Events on the workload the tenant owns.

When kube-apiserver asks the webhook about a write by a controller — the ReplicaSet controller creating a pod
after `kubectl scale`, the Job controller, KServe's or Ray's operator — a denial goes back to the controller,
not to a person: the tenant sees 1/8 replicas and no reason. So a denied write whose requester is a controller
(a platform identity in the settings, or any ServiceAccount) and whose object has a controlling owner gets a
core/v1 `Warning` Event, reason `FailedAdmission` (the reason Gatekeeper's admission events use), on the
outermost workload that owns it (`policies.ownership.workload_of`: the Deployment behind the ReplicaSet, the
InferenceService, the CronJob …), in the object's namespace — where `kubectl describe deployment` shows it
to anyone who may read Events there (Kubernetes' `view`, so `edit` and the example tenant role).

The workload's uid, which `kubectl describe` selects Events by, is found by following the controller
`ownerReferences` up from the denied object (reading each owner once, then caching it); when the chain ends
before the workload `workload_of` names, the Event goes to the outermost owner actually found.

Nothing here runs on the request path but `offer`, which copies a few strings into a bounded queue and never
blocks or raises: a worker thread resolves owners, folds repeats (`event_correlator`: one Event per workload,
reason and rules, with a count) and writes. A full queue, a failed read or write, or an exhausted write
budget drops the Event (counted in `tenantguard_denial_events_total`), never the admission answer. Dry-run
requests get no Event, which is why the validating webhooks declare `sideEffects: NoneOnDryRun`.

The webhook's ServiceAccount needs `create` and `patch` on `events` and `get` on the owner kinds in tenant
namespaces (docs/webhook.md).
"""

from __future__ import annotations

import logging
import os
import queue
import socket
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from tenantguard.policies.model import Mode
from tenantguard.policies.ownership import workload_of
from tenantguard.policies.settings import Settings
from tenantguard.webhook.event_correlator import Action, Correlator, Involved, Occurrence, Write
from tenantguard.webhook.handlers import Decision
from tenantguard.webhook.related import ObjectReader, ReadError
from tenantguard.webhook.review import AdmissionRequest

log = logging.getLogger("tenantguard.events")

REASON = "FailedAdmission"
COMPONENT = "tenantguard"
MAX_MESSAGE = 1024  # events.k8s.io/v1 caps `note` at 1 KiB; the same bound keeps core/v1 Events readable
_SERVICE_ACCOUNT = "system:serviceaccount:"
# Kinds whose controllers own pods or pod owners: where the walk up the ownerReferences may read.
OWNER_PLURALS = {  # also the chart's RBAC: the webhook may `get` exactly these (tenantguard/chart.py)
    "ReplicaSet": "replicasets",
    "Deployment": "deployments",
    "StatefulSet": "statefulsets",
    "DaemonSet": "daemonsets",
    "Job": "jobs",
    "CronJob": "cronjobs",
    "LeaderWorkerSet": "leaderworkersets",
    "RayCluster": "rayclusters",
    "RayService": "rayservices",
    "RayJob": "rayjobs",
    "InferenceService": "inferenceservices",
    "LLMInferenceService": "llminferenceservices",
}
_MAX_DEPTH = 4  # pod → ReplicaSet → Deployment → InferenceService is the longest chain known


class SinkError(Exception):
    """An Event could not be written; the message says why."""


class EventSink(ObjectReader, Protocol):
    def create_event(self, namespace: str, body: Mapping[str, Any]) -> None: ...

    def patch_event(self, namespace: str, name: str, body: Mapping[str, Any]) -> bool:
        """False when the Event no longer exists."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class Denial:
    """What the worker needs from a denied request, copied off it on the request path."""

    namespace: str
    kind: str
    name: str
    operation: str
    username: str
    rules: tuple[str, ...]
    message: str
    controller: Involved  # the denied object's controlling owner
    workload: tuple[str, str]  # (kind, name) workload_of names
    at: float


def is_controller(username: str, groups: tuple[str, ...], settings: Settings) -> bool:
    return username.startswith(_SERVICE_ACCOUNT) or settings.is_platform(username, groups)


def _controller_ref(obj: Mapping[str, Any], namespace: str) -> Involved | None:
    meta = obj.get("metadata")
    refs = meta.get("ownerReferences") if isinstance(meta, dict) else None
    for ref in refs if isinstance(refs, list) else ():
        if isinstance(ref, dict) and ref.get("controller") is True:
            fields = [ref.get(k) for k in ("apiVersion", "kind", "name", "uid")]
            if all(isinstance(f, str) and f for f in fields):
                api_version, kind, name, uid = (str(f) for f in fields)
                return Involved(api_version=api_version, kind=kind, namespace=namespace, name=name, uid=uid)
    return None


def bounded(text: str, limit: int = MAX_MESSAGE) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def denial_of(req: AdmissionRequest, decision: Decision, settings: Settings, now: float) -> Denial | None:
    """The denial to surface, or None: allowed, dry-run, not a controller's write, or an object without owner."""
    if decision.outcome != "denied" or req.dry_run or not req.namespace:
        return None
    if not is_controller(req.requester.username, req.requester.groups, settings):
        return None
    obj = req.subject
    controller = _controller_ref(obj, req.namespace) if obj is not None else None
    if obj is None or controller is None:
        return None
    kind, _, workload = workload_of(obj, req.namespace)
    denials = [v for v in decision.violations if v.mode is Mode.ENFORCE]
    meta = obj.get("metadata")
    meta = meta if isinstance(meta, dict) else {}
    name = req.name or str(meta.get("name") or meta.get("generateName") or "")
    what = f"{req.operation.lower()} of {req.kind} {name} by {req.requester.username}"
    detail = "; ".join(v.render() for v in denials)
    return Denial(
        namespace=req.namespace,
        kind=req.kind,
        name=name,
        operation=req.operation,
        username=req.requester.username,
        rules=tuple(sorted({v.rule for v in denials})),
        message=bounded(f"tenantguard denied the {what}: {detail}"),
        controller=controller,
        workload=(kind, workload),
        at=now,
    )


class Owners:
    """Walks controller ownerReferences up to the workload, reading each owner once (LRU, bounded)."""

    def __init__(self, reader: ObjectReader, *, max_entries: int = 4096, ttl: float = 600.0) -> None:
        self.reader, self.max_entries, self.ttl = reader, max_entries, ttl
        self._parents: OrderedDict[Involved, tuple[float, Involved | None]] = OrderedDict()

    def involved(self, denial: Denial, now: float) -> Involved:
        ref = denial.controller
        for _ in range(_MAX_DEPTH):
            if (ref.kind, ref.name) == denial.workload:
                return ref
            parent = self._parent(ref, now)
            if parent is None:
                break
            ref = parent
        return ref

    def _parent(self, ref: Involved, now: float) -> Involved | None:
        cached = self._parents.get(ref)
        if cached is not None and now - cached[0] < self.ttl:
            self._parents.move_to_end(ref)
            return cached[1]
        plural = OWNER_PLURALS.get(ref.kind)
        if plural is None or "/" not in ref.api_version:
            return None
        path = f"/apis/{ref.api_version}/namespaces/{ref.namespace}/{plural}/{ref.name}"
        try:
            found = self.reader.read_object(path)
        except ReadError as err:
            log.warning("cannot read an owner", extra={"fields": {"path": path, "error": str(err)[:200]}})
            return None  # not cached: the next denial tries again
        meta = found.get("metadata") if found is not None else None
        same = isinstance(meta, dict) and meta.get("uid") == ref.uid
        parent = _controller_ref(found, ref.namespace) if found is not None and same else None
        self._parents[ref] = (now, parent)
        self._parents.move_to_end(ref)
        while len(self._parents) > self.max_entries:
            self._parents.popitem(last=False)
        return parent


class TokenBucket:
    """At most `rate` writes a second on average, `burst` at once: the API server's share for our Events."""

    def __init__(self, *, rate: float, burst: int, now: float) -> None:
        self.rate, self.burst, self.tokens, self.stamp = rate, float(burst), float(burst), now

    def take(self, now: float) -> bool:
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


def _timestamp(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def event_body(write: Write, instance: str) -> dict[str, Any]:
    i = write.involved
    return {
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {"name": write.name, "namespace": i.namespace},
        "involvedObject": {
            "apiVersion": i.api_version,
            "kind": i.kind,
            "namespace": i.namespace,
            "name": i.name,
            "uid": i.uid,
        },
        "type": "Warning",
        "reason": write.reason,
        "message": write.message,
        "count": write.count,
        "firstTimestamp": _timestamp(write.first),
        "lastTimestamp": _timestamp(write.last),
        "source": {"component": COMPONENT},
        "reportingComponent": COMPONENT,
        "reportingInstance": instance,
    }


def patch_body(write: Write) -> dict[str, Any]:
    return {"count": write.count, "lastTimestamp": _timestamp(write.last), "message": write.message}


def _event_name(occurrence: Occurrence) -> str:
    # client-go's naming: the involved object's name and the time in nanoseconds, in hex
    return f"{occurrence.involved.name}.{time.time_ns():x}"


Outcome = Callable[[str], None]  # created | patched | dropped | failed


class DenialEvents:
    """`offer` on the request path; `run` in a thread of its own does the rest."""

    def __init__(
        self,
        sink: EventSink,
        *,
        record: Outcome = lambda _: None,
        clock: Callable[[], float] = time.time,
        queue_size: int = 1000,
        interval: float = 10.0,
        rate: float = 5.0,
        burst: int = 50,
    ) -> None:
        self.sink, self.record, self.clock = sink, record, clock
        self.queue: queue.Queue[Denial] = queue.Queue(maxsize=queue_size)
        self.owners = Owners(sink)
        self.correlator = Correlator(name_for=_event_name, interval=interval)
        self.bucket = TokenBucket(rate=rate, burst=burst, now=clock())
        self.instance = os.environ.get("POD_NAME") or socket.gethostname()

    def offer(self, req: AdmissionRequest, decision: Decision, settings: Settings) -> None:
        """Never blocks, never raises: an Event is a courtesy, the admission answer is what matters."""
        try:
            denial = denial_of(req, decision, settings, self.clock())
            if denial is not None:
                self.queue.put_nowait(denial)
        except queue.Full:
            self.record("dropped")
        except Exception:  # a bug here must not fail admission
            log.exception("cannot queue a denial event", extra={"fields": {"uid": req.uid}})

    def run(self, stop: threading.Event, *, poll: float = 1.0) -> None:
        while not stop.is_set():
            try:
                denial: Denial | None = self.queue.get(timeout=poll)
            except queue.Empty:
                denial = None
            try:
                self.step(denial)
            except Exception:
                log.exception("denial event worker failed")

    def step(self, denial: Denial | None) -> None:
        """One turn of the worker: this denial (if any), then every folded occurrence now due."""
        now = self.clock()
        if denial is not None:
            involved = self.owners.involved(denial, now)
            write = self.correlator.observe(
                Occurrence(
                    involved=involved,
                    reason=REASON,
                    aggregate=f"{denial.operation} {denial.kind} {','.join(denial.rules)}",
                    message=denial.message,
                    at=denial.at,
                )
            )
            if write is not None:
                self._write(write, now)
        for write in self.correlator.due(now):
            self._write(write, now)

    def start(self, stop: threading.Event) -> threading.Thread:
        thread = threading.Thread(target=self.run, args=(stop,), name="denial-events", daemon=True)
        thread.start()
        return thread

    def _write(self, write: Write, now: float) -> None:
        if not self.bucket.take(now):
            if write.action is Action.CREATE:
                self.correlator.forget(write.key)  # the next occurrence tries again
            self.record("dropped")
            return
        ns = write.involved.namespace
        try:
            if write.action is Action.PATCH:
                if self.sink.patch_event(ns, write.name, patch_body(write)):
                    self.record("patched")
                    return
                recreated = self.correlator.recreate(write.key, now)
                if recreated is None:
                    return
                write = recreated
            self.sink.create_event(ns, event_body(write, self.instance))
            self.record("created")
        except SinkError as err:
            self.correlator.forget(write.key)
            self.record("failed")
            log.warning("cannot write a denial event", extra={"fields": {"namespace": ns, "error": str(err)[:200]}})
