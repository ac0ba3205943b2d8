"""The GPU ledger: which running pods and which ResourceClaims hold GPU-class devices, and which workloads own
them.

One ledger serves every entry point: the webhook's watch cache and the audit's scan feed it pods, claims and
claim templates, and GPU006/GPU020 ask it what a tenant already holds, leaving out the pods (and their claims) of
the object being judged (an update replaces them; see `policies.ownership`). Only pods that hold devices or
reference claims are kept, as small frozen records, so memory grows with GPUs in use rather than with pods.
Finished pods (Succeeded, Failed) hold nothing.

What a tenant holds, per resource (extended resources), per DeviceClass (DRA) and in GPU-equivalents:

- every running pod's extended resources (`policies.gpu`) and DeviceClass resources
  (`deviceclass.resource.kubernetes.io/<class>`, met by a claim the scheduler makes: the pod counts it);
- every ResourceClaim in its namespaces, once however many pods share it, from its creation — as ResourceQuota
  counts it (`policies.dra`) — except the claims the scheduler makes for a pod's extended resources (the pod
  counts those);
- for a pod whose claim template has not yet been turned into its claim, the template's devices: the claim the
  resourceclaim controller is about to make (a claim made for a pod names the pod as its controller and the
  pod's entry in `resource.kubernetes.io/pod-claim-name`).

Each holding also records the pod's node and phase: what the allocation gauges export (`allocation`) — devices
per namespace, node, phase and resource, a handful of numbers per namespace however many pods hold them.
"""

from __future__ import annotations

import threading
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from tenantguard.policies.dra import (
    CLAIM,
    EXTENDED_CLAIM_ANNOTATION,
    NO_DEVICES,
    POD_CLAIM_ANNOTATION,
    ClaimSpec,
    Classes,
    PodClaim,
    claim_spec,
    class_request_devices,
    devices,
    pod_claims,
    pod_class_requests,
)
from tenantguard.policies.gpu import gpu_sevenths, pod_gpu_devices
from tenantguard.policies.ownership import OwnerKey, controller_of, owners
from tenantguard.policies.subjects import pod_templates

FINISHED = frozenset({"Succeeded", "Failed"})
NamespacedName = tuple[str, str]
AllocationKey = tuple[str, str, str, str]  # (namespace, node, phase, resource)


@dataclass(frozen=True, slots=True, kw_only=True)
class GpuHolding:
    namespace: str
    name: str
    devices: tuple[tuple[str, int], ...]  # (resource, count), sorted
    owners: frozenset[OwnerKey]
    claims: tuple[PodClaim, ...] = ()  # its spec.resourceClaims
    class_requests: tuple[tuple[str, int], ...] = ()  # DRA devices per DeviceClass through class resources
    node: str = ""  # spec.nodeName: "" until the pod is scheduled
    phase: str = "Pending"  # status.phase (Pending, Running or Unknown: finished pods hold nothing)

    @property
    def total(self) -> int:
        return sum(n for _, n in self.devices)


@dataclass(frozen=True, slots=True, kw_only=True)
class ClaimHolding:
    """A ResourceClaim, as the ledger counts it."""

    namespace: str
    name: str
    spec: ClaimSpec
    owners: frozenset[OwnerKey]
    pod: str = ""  # the pod that controls it (a claim made from a template for that pod)
    pod_claim: str = ""  # that pod's resourceClaims entry
    extended: bool = False  # made by the scheduler for the pod's extended resources: the pod counts them


@dataclass(frozen=True, slots=True, kw_only=True)
class GpuUsage:
    """Devices held: extended resources per resource, DRA devices per DeviceClass; `equivalents` is the weight
    of both in GPU-equivalents."""

    devices: Mapping[str, int] = field(default_factory=dict)
    classes: Mapping[str, int] = field(default_factory=dict)
    claim_sevenths: int = 0  # the DRA devices' weight, in sevenths of a GPU

    @property
    def equivalents(self) -> Fraction:
        return Fraction(gpu_sevenths(self.devices) + self.claim_sevenths, 7)


def _meta(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    meta = obj.get("metadata")
    return meta if isinstance(meta, dict) else {}


def pod_key(pod: Mapping[str, Any]) -> str:
    """The ledger's key: the pod's UID, or namespace/name where a snapshot carries no UID."""
    meta = _meta(pod)
    uid = meta.get("uid")
    return uid if isinstance(uid, str) and uid else f"{meta.get('namespace', '')}/{meta.get('name', '')}"


def holding(pod: Mapping[str, Any]) -> GpuHolding | None:
    """What a pod holds now; None for a finished pod or one with neither GPU-class devices nor claims."""
    status = pod.get("status")
    if isinstance(status, dict) and status.get("phase") in FINISHED:
        return None
    as_pod = {**pod, "kind": "Pod"}  # items of a list response carry no kind
    templates = pod_templates(as_pod)
    found = pod_gpu_devices(templates[0]) if templates else {}
    claims = pod_claims(templates[0].spec, templates[0].path) if templates else ()
    by_class = pod_class_requests(templates[0]) if templates else {}
    if not found and not claims and not by_class:
        return None
    meta = _meta(pod)
    ns = str(meta.get("namespace") or "")
    spec = pod.get("spec")
    node = spec.get("nodeName") if isinstance(spec, dict) else None
    phase = status.get("phase") if isinstance(status, dict) else None
    return GpuHolding(
        namespace=ns,
        name=str(meta.get("name") or ""),
        devices=tuple(sorted(found.items())),
        owners=owners(as_pod, ns),
        claims=claims,
        class_requests=tuple(sorted(by_class.items())),
        node=node if isinstance(node, str) else "",
        phase=phase if isinstance(phase, str) and phase else "Pending",
    )


def claim_holding(claim: Mapping[str, Any]) -> ClaimHolding | None:
    as_claim = {**claim, "kind": CLAIM}
    spec = claim_spec(as_claim)
    if spec is None:
        return None
    meta = _meta(claim)
    ns = str(meta.get("namespace") or "")
    controller = controller_of(meta)
    pod = controller[1] if controller is not None and controller[0] == "Pod" else ""
    annotations = meta.get("annotations")
    annotations = annotations if isinstance(annotations, dict) else {}
    pod_claim = annotations.get(POD_CLAIM_ANNOTATION)
    return ClaimHolding(
        namespace=ns,
        name=str(meta.get("name") or ""),
        spec=spec,
        owners=owners(as_claim, ns),
        pod=pod,
        pod_claim=pod_claim if isinstance(pod_claim, str) and pod else "",
        extended=bool(pod) and annotations.get(EXTENDED_CLAIM_ANNOTATION) == "true",
    )


def _name(obj: Mapping[str, Any]) -> NamespacedName:
    meta = _meta(obj)
    return str(meta.get("namespace") or ""), str(meta.get("name") or "")


class GpuLedger:
    """Pods, claims and claim templates. Written by one thread (a watch or a scan), read by many (requests):
    every write swaps a whole dict."""

    def __init__(self) -> None:
        self._held: dict[str, GpuHolding] = {}
        self._claims: dict[NamespacedName, ClaimHolding] = {}
        self._templates: dict[NamespacedName, ClaimSpec] = {}
        self._lock = threading.Lock()

    # Pods
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

    # Claims and claim templates
    def put_claim(self, claim: Mapping[str, Any]) -> None:
        found, key = claim_holding(claim), _name(claim)
        with self._lock:
            if found is None:
                self._claims.pop(key, None)
            else:
                self._claims[key] = found

    def drop_claim(self, claim: Mapping[str, Any]) -> None:
        with self._lock:
            self._claims.pop(_name(claim), None)

    def replace_claims(self, claims: Iterable[Mapping[str, Any]]) -> None:
        fresh = {_name(c): found for c in claims if (found := claim_holding(c)) is not None}
        with self._lock:
            self._claims = fresh

    def put_template(self, template: Mapping[str, Any]) -> None:
        spec, key = claim_spec({**template, "kind": "ResourceClaimTemplate"}), _name(template)
        with self._lock:
            if spec is None:
                self._templates.pop(key, None)
            else:
                self._templates[key] = spec

    def drop_template(self, template: Mapping[str, Any]) -> None:
        with self._lock:
            self._templates.pop(_name(template), None)

    def replace_templates(self, templates: Iterable[Mapping[str, Any]]) -> None:
        fresh = {}
        for t in templates:
            spec = claim_spec({**t, "kind": "ResourceClaimTemplate"})
            if spec is not None:
                fresh[_name(t)] = spec
        with self._lock:
            self._templates = fresh

    def claim(self, namespace: str, name: str) -> ClaimHolding | None:
        return self._claims.get((namespace, name))

    def template(self, namespace: str, name: str) -> ClaimSpec | None:
        return self._templates.get((namespace, name))

    def claims(self) -> list[ClaimHolding]:
        with self._lock:
            return list(self._claims.values())

    def pods_using(self, namespace: str, *, claim: str = "", template: str = "") -> list[GpuHolding]:
        """The pods of `namespace` whose resourceClaims name this claim or this template."""
        return [
            h
            for h in self.holdings()
            if h.namespace == namespace
            and any((claim and c.claim == claim) or (template and c.template == template) for c in h.claims)
        ]

    def made_for(self, namespace: str, pod: str, entry: str) -> ClaimHolding | None:
        """The claim the resourceclaim controller made from a template for this pod's resourceClaims entry."""
        found = (c for c in self.claims() if c.namespace == namespace and c.pod == pod and c.pod_claim == entry)
        return next(found, None)

    def pod(self, namespace: str, name: str) -> GpuHolding | None:
        return next((h for h in self.holdings() if h.namespace == namespace and h.name == name), None)

    # What a tenant holds
    def usage(
        self, namespaces: Collection[str], classes: Classes | None = None, *, exclude: OwnerKey | None = None
    ) -> GpuUsage:
        """Devices held in `namespaces` (see the module docstring), leaving out the pods — and the claims made for
        them — that `exclude` (kind, namespace, name) owns, and `exclude` itself."""
        classes = classes or {}
        with self._lock:
            held, claims, templates = list(self._held.values()), list(self._claims.values()), dict(self._templates)
        pods = {(h.namespace, h.name): h for h in held if h.namespace in namespaces}
        made = {(c.namespace, c.pod, c.pod_claim) for c in claims if c.pod_claim}
        extended: dict[str, int] = {}
        dra = NO_DEVICES
        for (ns, name), h in pods.items():
            if exclude is not None and exclude in h.owners:
                continue
            for resource, n in h.devices:
                extended[resource] = extended.get(resource, 0) + n
            if h.class_requests:
                dra += class_request_devices(dict(h.class_requests), classes)
            for ref in h.claims:
                if ref.template and (ns, name, ref.name) not in made:
                    dra += devices(templates.get((ns, ref.template)), classes)
        for c in claims:
            if c.namespace not in namespaces or c.extended:
                continue
            owner = pods.get((c.namespace, c.pod)) if c.pod else None
            if exclude is not None and (exclude in c.owners or (owner is not None and exclude in owner.owners)):
                continue
            dra += devices(c.spec, classes)
        return GpuUsage(devices=dict(sorted(extended.items())), classes=dict(dra.classes), claim_sevenths=dra.sevenths)

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
