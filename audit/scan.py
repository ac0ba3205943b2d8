"""The scan: one streaming pass over a cluster's objects that judges each and keeps only what reports need.

Objects are judged as they are — `policies.engine.evaluate`, not `review`: admission would mutate first
(add the tenant label, inject the mTLS sidecar), but an audit reports what exists, and an object that
was admitted before the webhook existed, or while it was away, still lacks what the mutation would add.

The engine's cluster view is filled from the scan itself: Tenants and Namespaces are read first, then
Pods (their GPU devices make the tenant-wide totals of GPU006). Objects that demand GPUs and arrive
before the last Pod are held back until it has been read, so every verdict sees every pod.

Kept per object, and nothing else: a violation list, the pod's network identity (`policies.netpol`),
a compact usage record for GPU pods, the models of serving pods, NetworkPolicies and RBAC objects with
their metadata trimmed, quota rows and endpoints. NET001 is skipped for objects that carry the managed
label with value `true`: they are the platform's own baseline policies, written by the reconciler.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from tenantguard.audit.results import Result
from tenantguard.audit.usage import (
    ENDPOINT_KINDS,
    PodUsage,
    endpoint,
    pod_usage,
    quota_rows,
    service_endpoint,
    serving_pod,
)
from tenantguard.policies import netpol
from tenantguard.policies.context import Context
from tenantguard.policies.engine import Policy, evaluate
from tenantguard.policies.gpu import object_gpu_demand
from tenantguard.policies.rules.mtls.injection import ISTIO_LABEL
from tenantguard.policies.rules.mtls.sidecar import needs_mtls, sidecar_ref
from tenantguard.policies.settings import DEFAULT_SETTINGS, Settings
from tenantguard.policies.subjects import POD_TEMPLATE_KINDS, Subject
from tenantguard.policies.tenancy import Tenant, TenantError, TenantIndex, parse_tenant

OwnerKey = tuple[str, str, str]
RBAC_KINDS = frozenset({"Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"})
_OWNER_LABELS = (
    ("leaderworkerset.sigs.k8s.io/name", "LeaderWorkerSet"),
    ("ray.io/cluster", "RayCluster"),
    ("serving.kserve.io/inferenceservice", "InferenceService"),
    ("job-name", "Job"),
)
_TERMINAL = frozenset({"Succeeded", "Failed"})


class Source(Protocol):
    judges_context: bool  # True: context() objects are judged there and objects() does not repeat them

    def context(self) -> Iterator[dict[str, Any]]:
        """Tenants, then Namespaces, then Pods (a snapshot may mix their order)."""
        ...

    def objects(self) -> Iterator[dict[str, Any]]: ...


def _owners(meta: Mapping[str, Any], kind: str, namespace: str, name: str) -> frozenset[OwnerKey]:
    owners: set[OwnerKey] = {(kind, namespace, name)}
    for ref in meta.get("ownerReferences") or ():
        ref_kind, ref_name = ref.get("kind", ""), ref.get("name", "")
        owners.add((ref_kind, namespace, ref_name))
        if ref_kind == "ReplicaSet" and "-" in ref_name:  # Deployment pods: <deployment>-<pod-template-hash>
            owners.add(("Deployment", namespace, ref_name.rsplit("-", 1)[0]))
    labels = meta.get("labels") or {}
    owners.update((k, namespace, str(labels[label])) for label, k in _OWNER_LABELS if label in labels)
    return frozenset(owners)


@dataclass(slots=True)
class ScanView:
    """policies.context.ClusterView over what the scan has read."""

    labels: dict[str, dict[str, str]] = field(default_factory=dict)
    gpu_pods: list[tuple[str, int, frozenset[OwnerKey]]] = field(default_factory=list)
    tenants: TenantIndex = field(default_factory=lambda: TenantIndex.build(()))

    def gpu_usage(self, tenant: str, *, exclude: OwnerKey | None = None) -> int:
        t = self.tenants.by_name.get(tenant)
        namespaces = set(t.namespaces) if t else set()
        return sum(n for ns, n, owners in self.gpu_pods if ns in namespaces and exclude not in owners)

    def namespace_labels(self, namespace: str) -> Mapping[str, str] | None:
        return self.labels.get(namespace)


def _trim(obj: dict[str, Any]) -> dict[str, Any]:
    meta = obj.get("metadata") or {}
    keep = {k: meta[k] for k in ("name", "namespace", "labels") if k in meta}
    return {**{k: v for k, v in obj.items() if k not in ("metadata", "status")}, "metadata": keep}


@dataclass(slots=True)
class MtlsCoverage:
    serving_pods: int = 0
    covered: int = 0
    uncovered: list[dict[str, str]] = field(default_factory=list)


class Scanner:
    def __init__(self, settings: Settings = DEFAULT_SETTINGS, *, now: datetime | None = None) -> None:
        self.settings = settings
        self.now = now  # naive UTC, for time-boxed exceptions; None: the engine's clock
        self.view = ScanView()
        self.policy = Policy(settings=settings, view=self.view)
        self.ctx = Context(settings=settings)
        self.started = False
        self.pods_complete = False
        self.objects = 0
        self.problems: list[str] = []
        self.results: list[Result] = []
        self.unlabelled: list[dict[str, str]] = []
        self.mtls = MtlsCoverage()
        self.pods: list[Any] = []  # netpol.PodInfo of every pod that is not finished
        self.usage: list[PodUsage] = []
        self.netpols: list[dict[str, Any]] = []
        self.rbac: list[dict[str, Any]] = []
        self.quotas: list[dict[str, Any]] = []
        self.endpoints: list[dict[str, Any]] = []
        self._tenants: dict[str, Tenant] = {}
        self._serving: dict[str, list[tuple[dict[str, str], str | None]]] = {}
        self._deferred: list[dict[str, Any]] = []
        self.kinds: dict[str, Counter[str]] = {}  # namespace ("" for cluster-scoped) -> kind -> objects judged

    # context
    def add_tenant(self, obj: Mapping[str, Any]) -> None:
        try:
            tenant = parse_tenant(obj)
        except TenantError as err:
            self.problems.extend(f"Tenant {err.name!r}: {p}" for p in err.problems)
            return
        self._tenants[tenant.name] = tenant

    def add_namespace(self, obj: Mapping[str, Any]) -> None:
        meta = obj.get("metadata") or {}
        self.view.labels[str(meta.get("name", ""))] = dict(meta.get("labels") or {})

    def begin(self) -> None:
        """Tenants and Namespaces are all read: from here on objects can be judged."""
        self.view.tenants = TenantIndex.build(self._tenants.values())
        self.policy = Policy(settings=self.settings, tenants=self.view.tenants, view=self.view)
        self.started = True

    def add_pod(self, pod: dict[str, Any]) -> None:
        meta = pod.get("metadata") or {}
        ns, name = str(meta.get("namespace") or ""), str(meta.get("name") or "")
        self.view.labels.setdefault(ns, {"kubernetes.io/metadata.name": ns})
        if (pod.get("status") or {}).get("phase") in _TERMINAL:
            usage = pod_usage(pod)
            if usage is not None:
                self.usage.append(usage)
            return
        self.pods.append(netpol.pod_info(pod))
        usage = pod_usage(pod)
        if usage is not None:
            self.usage.append(usage)
            devices = sum(n for _, n in usage.devices)
            self.view.gpu_pods.append((ns, devices, _owners(meta, "Pod", ns, name)))
        found = serving_pod(pod, self.ctx)
        if found is not None:
            self._serving.setdefault(ns, []).append(found)

    def pods_done(self) -> None:
        self.pods_complete = True
        deferred, self._deferred = self._deferred, []
        for obj in deferred:
            self._judge(obj)

    # judging
    def judge(self, obj: dict[str, Any]) -> None:
        self.objects += 1
        kind = obj.get("kind")
        if not self.pods_complete and kind in POD_TEMPLATE_KINDS and object_gpu_demand(Subject.of(obj)) > 0:
            self._deferred.append(obj)
            return
        self._judge(obj)

    def _judge(self, obj: dict[str, Any]) -> None:
        kind = str(obj.get("kind") or "")
        meta = obj.get("metadata") or {}
        ns, name = str(meta.get("namespace") or ""), str(meta.get("name") or meta.get("generateName") or "")
        labels = meta.get("labels") or {}
        self.kinds.setdefault(ns, Counter())[kind] += 1
        evaluation = evaluate(obj, self.policy, now=self.now)
        managed = labels.get(self.settings.managed_label) == "true"
        self.results.extend(
            Result.of(v, kind=kind, namespace=ns, name=name, tenant=evaluation.tenant)
            for v in evaluation.violations
            if not (managed and v.rule == "NET001")
        )
        tenant = self.view.tenants.for_namespace(ns) if not self.settings.is_exempt(ns) else None
        if kind in RBAC_KINDS:
            self.rbac.append(_trim(obj))
        elif kind == "NetworkPolicy":
            self.netpols.append(_trim(obj))
        if tenant is None:
            return
        if self.settings.tenant_label not in labels:
            self.unlabelled.append({"kind": kind, "namespace": ns, "name": name, "tenant": tenant.name})
        if kind == "Pod" and (obj.get("status") or {}).get("phase") not in _TERMINAL:
            self._mtls(obj, tenant)
        elif kind == "ResourceQuota":
            self.quotas.extend(quota_rows(obj))
        elif kind in ENDPOINT_KINDS:
            self.endpoints.append(endpoint(obj, self.ctx))
        elif kind == "Service":
            found = service_endpoint(obj, self._serving.get(ns, ()))
            if found is not None:
                self.endpoints.append(found)

    def _mtls(self, pod: dict[str, Any], tenant: Tenant) -> None:
        if tenant.mtls_mode == "none":
            return
        subject = Subject.of(pod)
        sidecar = self.settings.mtls.container_name
        ns_labels = self.view.labels.get(subject.namespace) or {}
        mesh_ns = ns_labels.get("istio-injection") == "enabled" or "istio.io/rev" in ns_labels
        for template in subject.pods:
            if not needs_mtls(subject, template, sidecar):
                continue
            self.mtls.serving_pods += 1
            label = subject.labels.get(ISTIO_LABEL)
            if sidecar_ref(template, sidecar) is not None or label == "true" or (label is None and mesh_ns):
                self.mtls.covered += 1
                continue
            reason = "no mesh injection label" if tenant.mtls_mode == "istio" else "no sidecar"
            self.mtls.uncovered.append(
                {"tenant": tenant.name, "namespace": subject.namespace, "name": subject.name, "reason": reason}
            )


def scan(source: Source, scanner: Scanner, tick: Callable[[dict[str, Any]], None] | None = None) -> Scanner:
    """Feed a source through the scanner: context first, then every other object."""
    held: list[dict[str, Any]] = []

    def start() -> None:
        scanner.begin()
        for obj in held:
            scanner.judge(obj)
        held.clear()

    for obj in source.context():
        kind = obj.get("kind")
        if kind == "Tenant":
            scanner.add_tenant(obj)
        elif kind == "Namespace":
            scanner.add_namespace(obj)
        elif kind == "Pod":
            if source.judges_context and not scanner.started:
                start()  # a live source lists every Tenant and Namespace before the first Pod
            scanner.add_pod(obj)
        if source.judges_context:
            (scanner.judge if scanner.started else held.append)(obj)
            if tick is not None:
                tick(obj)
    if not scanner.started:
        start()
    scanner.pods_done()
    for obj in source.objects():
        scanner.judge(obj)
        if tick is not None:
            tick(obj)
    return scanner
