"""What an object will hold once it runs, at its worst case: GPU devices per resource and GPU-equivalents.

One answer for the tenant-wide caps (GPU006 in GPU-equivalents, GPU011 per resource), whichever way the
replica count is set:

- a workload or serving object: each pod template's pod count (replicas, parallelism, LeaderWorkerSet groups x
  size, Ray groups x hosts, KServe's and Ray's autoscaling maximum — `policies.subjects`) x its devices;
- a `scale` request: the workload with the Scale's replicas (the webhook builds it, `policies.scaling`);
- a HorizontalPodAutoscaler: its target at `spec.maxReplicas`. The target comes from the request (the webhook
  reads it) or the cluster view (lint's inputs, the audit's scan); `target_of` says when it is not known.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction

from tenantguard.policies.context import Context
from tenantguard.policies.gpu import TEMPLATE_ONLY_KINDS, gpu_equivalents, pod_gpu_devices
from tenantguard.policies.model import Obj
from tenantguard.policies.ownership import OwnerKey
from tenantguard.policies.paths import Path
from tenantguard.policies.scaling import HPA_KIND, HPA_MAX, TargetRef, hpa_max, hpa_target, with_replicas
from tenantguard.policies.subjects import Subject


@dataclass(frozen=True, slots=True, kw_only=True)
class Part:
    """One pod template's share: `pods` pods, each holding `devices`."""

    role: str
    pods: int
    devices: Mapping[str, int]
    count_path: Path  # the field that sets `pods` (the pod spec when none does)

    def total(self, resource: str | None = None) -> Fraction:
        """Devices of `resource` in all these pods, or their GPU-equivalents when `resource` is None."""
        if resource is not None:
            return Fraction(self.pods * self.devices.get(resource, 0))
        return self.pods * gpu_equivalents(self.devices)


@dataclass(frozen=True, slots=True, kw_only=True)
class Demand:
    parts: tuple[Part, ...]
    replaces: OwnerKey  # whose running pods these replace: the object itself, or an autoscaler's target

    def devices(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for part in self.parts:
            for name, n in part.devices.items():
                out[name] = out.get(name, 0) + part.pods * n
        return dict(sorted(out.items()))

    def equivalents(self) -> Fraction:
        return sum((part.total() for part in self.parts), Fraction(0))

    def biggest(self, resource: str | None = None) -> Part:
        return max(self.parts, key=lambda part: part.total(resource))

    def detail(self, resource: str | None = None) -> str:
        """`2 pods x 1 nvidia.com/gpu, worker: 3 pods x 2 nvidia.com/mig-1g.10gb` (one resource's share only,
        when `resource` is given)."""
        shown: list[str] = []
        for part in self.parts:
            role = "" if part.role in ("pod", "template") else f"{part.role}: "
            shown.extend(
                f"{role}{part.pods} pods x {n} {name}"
                for name, n in part.devices.items()
                if resource is None or name == resource
            )
        return ", ".join(shown)


def target_of(subject: Subject, ctx: Context) -> tuple[TargetRef | None, Obj | None]:
    """An autoscaler's target reference and, when known, the target object."""
    ref = hpa_target(subject.obj)
    if ref is None:
        return None, None
    key = (ref.kind, subject.namespace, ref.name)
    found = ctx.request.related.get(key) or ctx.cluster.workload(key)
    return ref, dict(found) if found is not None else None


def demand(subject: Subject, ctx: Context) -> Demand | None:
    """The object's GPU demand; None when it creates no GPU pods, or it is an autoscaler whose target or bound is
    not known (GPU014 says which)."""
    if subject.kind in TEMPLATE_ONLY_KINDS:
        return None
    replaces: OwnerKey = (subject.kind, subject.namespace, subject.name)
    pods = subject.pods
    bound: Path | None = None
    if subject.kind == HPA_KIND:
        ref, target = target_of(subject, ctx)
        most = hpa_max(subject.obj)
        if ref is None or target is None or most is None or ref.scale_kind is None:
            return None
        replaces = (ref.kind, subject.namespace, ref.name)
        pods = Subject.of(with_replicas(target, most), subject.namespace).pods
        bound = HPA_MAX
    parts = []
    for pod in pods:
        devices = pod_gpu_devices(pod)
        if devices and pod.replicas:
            count = bound or pod.count_path or pod.path
            parts.append(Part(role=pod.role, pods=pod.replicas, devices=devices, count_path=count))
    return Demand(parts=tuple(parts), replaces=replaces) if parts else None


def before(subject: Subject, ctx: Context) -> Demand | None:
    """What the stored object demanded, for an UPDATE (None for a CREATE, or when it demanded nothing)."""
    if ctx.old is None:
        return None
    return demand(Subject.of(ctx.old, subject.namespace), ctx)
