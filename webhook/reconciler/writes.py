"""One reconcile pass of one tenant: the writes it makes, the problems it meets, the events it records.

Every write goes through `Pass.write` / `Pass.remove`, which check first that this replica still leads (a
replica that lost its Lease mid-pass stops before its next write), time and count the write by kind, turn a
failure into a problem of the namespace (the pass goes on with the next object) and record what happened on the
Tenant. What is written is the desired object alone (`apply_body`): never fields kube-apiserver owns.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tenantguard.policies.generated.compare import CONTENT, differences
from tenantguard.policies.generated.status import Problem
from tenantguard.policies.settings import Settings
from tenantguard.policies.tenancy import Tenant
from tenantguard.webhook.reconciler.api import ApiError
from tenantguard.webhook.reconciler.events import Recorder
from tenantguard.webhook.reconciler.metrics import ReconcileMetrics
from tenantguard.webhook.reconciler.view import Obj, View, Writer


class NotLeader(Exception):
    """This replica no longer holds the Lease: the pass stops before its next write."""


def apply_body(obj: Mapping[str, Any], subresource: str = "") -> Obj:
    """What the reconciler applies: kind, name, namespace, labels, annotations and the content fields (for the
    status subresource, the status)."""
    meta = obj.get("metadata") or {}
    keep = {k: meta[k] for k in ("name", "namespace", "labels", "annotations") if meta.get(k)}
    return {
        "apiVersion": obj["apiVersion"],
        "kind": obj["kind"],
        "metadata": keep,
        **{k: obj[k] for k in ((subresource,) if subresource == "status" else CONTENT) if k in obj},
    }


def describe(obj: Mapping[str, Any]) -> str:
    meta = obj.get("metadata") or {}
    where = f"{meta['namespace']}/" if meta.get("namespace") else ""
    return f"{obj.get('kind')} {where}{meta.get('name')}"


@dataclass(slots=True, kw_only=True)
class Pass:
    view: View
    writer: Writer
    recorder: Recorder
    metrics: ReconcileMetrics | None
    may_write: Callable[[], bool]
    name: str
    tenant: Tenant | None
    settings: Settings
    now: datetime
    problems: dict[str, list[Problem]] = field(default_factory=dict)  # namespace -> why it is not ready
    degraded: list[Problem] = field(default_factory=list)
    due: datetime | None = None  # when a certificate must be looked at again
    failed: bool = False
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def tenant_obj(self) -> Mapping[str, Any] | None:
        return self.view.tenant_object(self.name) if self.tenant is not None else None

    def event(self, kind: str, reason: str, message: str) -> None:
        tenant = self.tenant_obj
        if tenant is not None:
            self.recorder.event(tenant, kind, reason, message)

    def problem(self, namespace: str, reason: str, message: str) -> None:
        self.problems.setdefault(namespace, []).append(Problem(reason=reason, message=message))

    def needs(self, when: datetime) -> None:
        self.due = when if self.due is None else min(self.due, when)

    def _guard(self) -> None:
        if not self.may_write():
            raise NotLeader

    def _count(self, kind: str, started: float) -> None:
        self.timings[kind] = self.timings.get(kind, 0.0) + time.perf_counter() - started
        if self.metrics is not None:
            self.metrics.reconciles.labels(kind).inc()

    def _failed(self, obj: Mapping[str, Any], verb: str, err: ApiError) -> None:
        self.failed = True
        ns = str((obj.get("metadata") or {}).get("namespace") or "")
        if self.metrics is not None:
            self.metrics.errors.labels(str(obj.get("kind"))).inc()
        message = f"cannot {verb} {describe(obj)}: {err.message or err}"
        if "being terminated" in err.message:
            self.problem(ns, "NamespaceTerminating", f"namespace {ns} is being deleted")
            return
        self.problem(ns, "ApplyFailed", message)
        self.degraded.append(Problem(reason="ApplyFailed", message=message))
        self.event("Warning", "ApplyFailed", message)

    def write(
        self, desired: Mapping[str, Any], existing: Mapping[str, Any] | None, *, force: bool = False,
        action: str = "", subresource: str = "",
    ) -> bool | None:  # fmt: skip
        """Apply `desired` unless `existing` already is it (`force`: the caller decided it changed). True when
        written, False when nothing needed writing, None when the write failed (a problem of the namespace)."""
        kind, started = str(desired["kind"]), time.perf_counter()
        try:
            found = differences(existing, desired)
            if not found and not force:
                return False
            self._guard()
            try:
                self.writer.apply(apply_body(desired, subresource), subresource=subresource)
            except ApiError as err:
                self._failed(desired, "write", err)
                return None
            verb = action or ("Created" if existing is None else "Repaired")
            detail = "" if existing is None or force else f" ({'; '.join(found)})"
            if self.metrics is not None:
                self.metrics.changes.labels(kind, verb.lower()).inc()
            if verb != "Status":
                self.event("Normal", verb, f"{verb.lower()} {describe(desired)}{detail}")
            return True
        finally:
            self._count(kind, started)

    def remove(self, obj: Mapping[str, Any], reason: str = "Pruned") -> None:
        kind, started = str(obj["kind"]), time.perf_counter()
        try:
            self._guard()
            try:
                gone = self.writer.delete(obj)
            except ApiError as err:
                self._failed(obj, "delete", err)
                return
            if gone:
                if self.metrics is not None:
                    self.metrics.changes.labels(kind, reason.lower()).inc()
                self.event("Normal", reason, f"{reason.lower()} {describe(obj)}")
        finally:
            self._count(kind, started)
