"""What an object will hold once it runs, at its worst case: GPU devices per resource and GPU-equivalents.

One answer for the tenant-wide caps (GPU006 in GPU-equivalents, GPU011 per resource), whichever way the
replica count is set:

- a workload or serving object: each pod template's pod count (replicas, parallelism, LeaderWorkerSet groups x
  size, Ray groups x hosts, KServe's and Ray's autoscaling maximum — `policies.subjects`) x its devices;
- a `scale` request: the workload with the Scale's replicas (the webhook builds it, `policies.scaling`);
- a HorizontalPodAutoscaler: its target at `spec.maxReplicas`. The target comes from the request (the webhook
  reads it) or the cluster view (lint's inputs, the audit's scan); `target_of` says when it is not known.

DRA (`policies.dra`): a pod holds the devices of its `spec.resourceClaims` besides its extended resources. A
claim template gives every pod a claim of its own, so it counts per pod; a named ResourceClaim is one object
however many pods share it, so it counts once, as a claim: in the tenant-wide totals it is demanded by the
ResourceClaim itself (and held from its creation), not by the pods that name it. The per-pod cap (GPU005)
counts both (`pod_claim_devices`). A claim template demands the devices of the pods already waiting for it
(created before it; each was counted without it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction

from tenantguard.policies import dra
from tenantguard.policies.context import Context
from tenantguard.policies.dra import NO_DEVICES, ClaimDevices
from tenantguard.policies.gpu import TEMPLATE_ONLY_KINDS, gpu_sevenths, pod_gpu_devices
from tenantguard.policies.ledger import claim_holding
from tenantguard.policies.model import Obj
from tenantguard.policies.ownership import OwnerKey, controller_of
from tenantguard.policies.paths import Path
from tenantguard.policies.scaling import HPA_KIND, HPA_MAX, TargetRef, hpa_max, hpa_target, with_replicas
from tenantguard.policies.subjects import PodTemplate, Subject


@dataclass(frozen=True, slots=True, kw_only=True)
class Part:
    """One pod template's share: `pods` pods, each holding `devices` (extended resources) and `claims` (the DRA
    devices of its claim templates); a ResourceClaim is one part of one "pod" with `claims` only."""

    role: str
    pods: int
    devices: Mapping[str, int]
    count_path: Path  # the field that sets `pods` (the pod spec when none does)
    claims: ClaimDevices = NO_DEVICES

    def total(self, resource: str | None = None) -> Fraction:
        """Devices of `resource` in all these pods, or their GPU-equivalents when `resource` is None."""
        if resource is not None:
            return Fraction(self.pods * self.devices.get(resource, 0))
        return Fraction(self.sevenths(), 7)

    def sevenths(self) -> int:
        """The GPU-equivalents of all these pods, in sevenths of a GPU."""
        return self.pods * (gpu_sevenths(self.devices) + self.claims.sevenths)

    def class_total(self, device_class: str) -> int:
        return self.pods * self.claims.count(device_class)


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

    def classes(self) -> dict[str, int]:
        """DRA devices per DeviceClass, as ResourceQuota counts them."""
        out: dict[str, int] = {}
        for part in self.parts:
            for name, n in part.claims.classes:
                out[name] = out.get(name, 0) + part.pods * n
        return dict(sorted(out.items()))

    def equivalents(self) -> Fraction:
        return Fraction(sum(part.sevenths() for part in self.parts), 7)

    def biggest(self, resource: str | None = None, *, device_class: str | None = None) -> Part:
        if device_class is not None:
            return max(self.parts, key=lambda part: part.class_total(device_class))
        return max(self.parts, key=lambda part: part.total(resource))

    def detail(self, resource: str | None = None, *, device_class: str | None = None) -> str:
        """`2 pods x 1 nvidia.com/gpu, worker: 3 pods x 2 nvidia.com/mig-1g.10gb, 2 pods x 1 gpu.nvidia.com`
        (one resource's or one DeviceClass's share only, when either is given)."""
        shown: list[str] = []
        everything = resource is None and device_class is None
        for part in self.parts:
            role = "" if part.role in ("pod", "template", "claim") else f"{part.role}: "
            pods = "" if part.role == "claim" else f"{part.pods} pods x "
            shown.extend(
                f"{role}{pods}{n} {name}" for name, n in part.devices.items() if everything or name == resource
            )
            shown.extend(
                f"{role}{pods}{n} {name}" for name, n in part.claims.classes if everything or name == device_class
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


def pod_claim_devices(pod: PodTemplate, namespace: str, ctx: Context, *, named: bool = True) -> ClaimDevices:
    """The DRA devices a pod holds: its class resources (`deviceclass.resource.kubernetes.io/<class>`), its claim
    templates and (with `named`) the claims it names, as far as they are known here (GPU022 names the others)."""
    refs = dra.pod_claims(pod.spec, pod.path) if pod.spec.get("resourceClaims") else ()
    by_class = dra.pod_class_requests(pod)
    if not refs and not by_class:  # most pods
        return NO_DEVICES
    total = dra.class_request_devices(by_class, ctx.cluster.device_classes)
    for ref in refs:
        if ref.template:
            total += ctx.cluster.claim_devices(ctx.cluster.claim_template(namespace, ref.template))
        elif ref.claim and named:
            found = ctx.cluster.claim(namespace, ref.claim)
            total += ctx.cluster.claim_devices(found.spec if found is not None else None)
    return total


def _claim_demand(subject: Subject, ctx: Context) -> Demand | None:
    """A ResourceClaim demands its devices, unless it was made for a pod whose template or DeviceClass resources
    already counted them; a claim template, its devices for every pod already waiting for it."""
    spec = dra.claim_spec(subject.obj)
    wanted = ctx.cluster.claim_devices(spec)
    if spec is None or not wanted:
        return None
    replaces: OwnerKey = (subject.kind, subject.namespace, subject.name)
    if subject.kind == dra.TEMPLATE:
        waiting = [
            h
            for h in ctx.cluster.gpu.pods_using(subject.namespace, template=subject.name)
            if not any(ctx.cluster.gpu.made_for(h.namespace, h.name, c.name) for c in h.claims)
        ]
        if not waiting:
            return None
        part = Part(role="waiting", pods=len(waiting), devices={}, count_path=spec.path, claims=wanted)
        return Demand(parts=(part,), replaces=replaces)
    if (found := claim_holding(subject.obj)) is not None and found.extended:
        return None  # the scheduler's, for its pod's DeviceClass resources: the pod was judged with them
    made_from = _made_from(subject, ctx)
    if made_from is not None and ctx.cluster.claim_devices(made_from).equivalents >= wanted.equivalents:
        return None  # its pod was judged with the template's devices: nothing more is demanded
    return Demand(
        parts=(Part(role="claim", pods=1, devices={}, count_path=spec.path, claims=wanted),), replaces=replaces
    )


def _made_from(subject: Subject, ctx: Context) -> dra.ClaimSpec | None:
    """The claim template a claim was made from for its pod: the pod (its controller) names the template under
    the claim's `resource.kubernetes.io/pod-claim-name` entry. None for a claim of its own (or a forged one)."""
    meta = subject.metadata
    controller = controller_of(meta)
    annotations = meta.get("annotations")
    entry = annotations.get(dra.POD_CLAIM_ANNOTATION) if isinstance(annotations, dict) else None
    if controller is None or controller[0] != "Pod" or not isinstance(entry, str):
        return None
    pod = ctx.cluster.gpu.pod(subject.namespace, controller[1])
    ref = next((c for c in pod.claims if c.name == entry and c.template), None) if pod is not None else None
    return ctx.cluster.claim_template(subject.namespace, ref.template) if ref is not None else None


def demand(subject: Subject, ctx: Context) -> Demand | None:
    """The object's GPU demand; None when it creates no GPU pods, or it is an autoscaler whose target or bound is
    not known (GPU014 says which)."""
    if subject.kind in TEMPLATE_ONLY_KINDS:
        return None
    if subject.kind in dra.CLAIM_KINDS:
        return _claim_demand(subject, ctx)
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
        claims = pod_claim_devices(pod, subject.namespace, ctx, named=False)
        if (devices or claims) and pod.replicas:
            count = bound or pod.count_path or pod.path
            parts.append(Part(role=pod.role, pods=pod.replicas, devices=devices, count_path=count, claims=claims))
    return Demand(parts=tuple(parts), replaces=replaces) if parts else None


def before(subject: Subject, ctx: Context) -> Demand | None:
    """What the stored object demanded, for an UPDATE (None for a CREATE, or when it demanded nothing)."""
    if ctx.old is None:
        return None
    return demand(Subject.of(ctx.old, subject.namespace), ctx)


def exceeds_cap(need: Fraction | int, had: Fraction | int, held: Fraction | int, cap: Fraction | int) -> bool:
    """Whether a tenant-wide cap refuses what an object needs, `held` being what the tenant holds elsewhere.

    An update that does not add to what the object already held is never refused, even with the tenant over its
    cap (a label change on a running GPU pod must pass); anything else must fit beside what is held elsewhere."""
    return need > had and need + held > cap


def held_elsewhere(ctx: Context, held: str, total: str) -> str:
    """The denial's middle: what the tenant holds elsewhere and the total that exceeds the cap."""
    if ctx.tenant is not None and ctx.cluster.pods_known:
        return f"tenant {ctx.tenant.name!r} already holds {held} elsewhere; {total} exceeds"
    return "that alone exceeds"  # lint: nothing runs, so nothing else is known to be held
