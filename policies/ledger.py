"""The GPU ledger: which running pods hold which GPU-class devices, and which workloads own them.

One ledger serves every entry point: the webhook's watch cache and the audit's scan feed it pods, and
GPU006 asks it what a tenant already holds, leaving out the pods of the object being judged (an update
replaces them; see `policies.ownership`). Only pods that hold devices are kept, as small frozen records,
so memory grows with GPUs in use rather than with pods. Finished pods (Succeeded, Failed) hold nothing.
What a tenant holds is reported per resource (for per-resource caps) and in GPU-equivalents (`policies.gpu`).
Each holding also records the pod's node and phase: what the allocation gauges export (`allocation`) — devices
per namespace, node, phase and resource, a handful of numbers per namespace however many pods hold them.
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from tenantguard.policies.gpu import gpu_equivalents, pod_gpu_devices
from tenantguard.policies.ownership import OwnerKey, owners
from tenantguard.policies.subjects import pod_templates

FINISHED = frozenset({"Succeeded", "Failed"})
AllocationKey = tuple[str, str, str, str]  # (namespace, node, phase, resource)


@dataclass(frozen=True, slots=True, kw_only=True)
class GpuHolding:
    namespace: str
    name: str
    devices: tuple[tuple[str, int], ...]  # (resource, count), sorted
    owners: frozenset[OwnerKey]
    node: str = ""  # spec.nodeName: "" until the pod is scheduled
    phase: str = "Pending"  # status.phase (Pending, Running or Unknown: finished pods hold nothing)

    @property
    def total(self) -> int:
        return sum(n for _, n in self.devices)


@dataclass(frozen=True, slots=True, kw_only=True)
class GpuUsage:
    """Devices held, per resource; `equivalents` is their weight in GPU-equivalents."""

    devices: Mapping[str, int] = field(default_factory=dict)

    @property
    def equivalents(self) -> Fraction:
        return gpu_equivalents(self.devices)


def _meta(pod: Mapping[str, Any]) -> Mapping[str, Any]:
    meta = pod.get("metadata")
    return meta if isinstance(meta, dict) else {}


def pod_key(pod: Mapping[str, Any]) -> str:
    """The ledger's key: the pod's UID, or namespace/name where a snapshot carries no UID."""
    meta = _meta(pod)
    uid = meta.get("uid")
    return uid if isinstance(uid, str) and uid else f"{meta.get('namespace', '')}/{meta.get('name', '')}"


def holding(pod: Mapping[str, Any]) -> GpuHolding | None:
    """What a pod holds now; None for a finished pod or one without GPU-class devices."""
    status = pod.get("status")
    if isinstance(status, dict) and status.get("phase") in FINISHED:
        return None
    as_pod = {**pod, "kind": "Pod"}  # items of a list response carry no kind
    templates = pod_templates(as_pod)
    devices = pod_gpu_devices(templates[0]) if templates else {}
    if not devices:
        return None
    meta = _meta(pod)
    ns = str(meta.get("namespace") or "")
    spec = pod.get("spec")
    node = spec.get("nodeName") if isinstance(spec, dict) else None
    phase = status.get("phase") if isinstance(status, dict) else None
    return GpuHolding(
        namespace=ns,
        name=str(meta.get("name") or ""),
        devices=tuple(sorted(devices.items())),
        owners=owners(as_pod, ns),
        node=node if isinstance(node, str) else "",
        phase=phase if isinstance(phase, str) and phase else "Pending",
    )


class GpuLedger:
    """Pods → devices held. Written by one thread (a watch or a scan), read by many (requests)."""

    def __init__(self) -> None:
        self._held: dict[str, GpuHolding] = {}
        self._lock = threading.Lock()

    def put(self, pod: Mapping[str, Any]) -> None:
        found = holding(pod)
        key = pod_key(pod)
        with self._lock:
            if found is None:
                self._held.pop(key, None)
            else:
                self._held[key] = found

    def drop(self, pod: Mapping[str, Any]) -> None:
        with self._lock:
            self._held.pop(pod_key(pod), None)

    def replace(self, pods: Iterable[Mapping[str, Any]]) -> None:
        fresh: dict[str, GpuHolding] = {}
        for pod in pods:
            found = holding(pod)
            if found is not None:
                fresh[pod_key(pod)] = found
        with self._lock:
            self._held = fresh

    def holdings(self) -> list[GpuHolding]:
        with self._lock:
            return list(self._held.values())

    def usage(self, namespaces: Collection[str], *, exclude: OwnerKey | None = None) -> GpuUsage:
        """Devices held in `namespaces`, leaving out the pods that `exclude` (kind, namespace, name) owns."""
        devices: dict[str, int] = {}
        for h in self.holdings():
            if h.namespace in namespaces and (exclude is None or exclude not in h.owners):
                for name, n in h.devices:
                    devices[name] = devices.get(name, 0) + n
        return GpuUsage(devices=dict(sorted(devices.items())))

    def allocation(self) -> dict[AllocationKey, int]:
        """Devices held per (namespace, node, phase, resource), summed over the pods that hold them."""
        counts: dict[AllocationKey, int] = {}
        for h in self.holdings():
            for name, n in h.devices:
                key = (h.namespace, h.node, h.phase, name)
                counts[key] = counts.get(key, 0) + n
        return counts

    def __len__(self) -> int:
        return len(self._held)
