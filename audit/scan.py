"""The scan: one streaming pass over a cluster's objects that judges each and keeps only what reports need.

Objects are judged as they are — `policies.engine.evaluate` with the audit's request
(`Request.existing`), not `review`: admission would mutate first (add the tenant label, inject the mTLS
sidecar), but an audit reports what exists, and an object that was admitted before the webhook existed, or
while it was away, still lacks what the mutation would add.

The engine's ClusterState is filled from the scan itself: Tenants and Namespaces are read first, then the DRA
objects (DeviceClasses, ResourceSlices, ResourceClaimTemplates, ResourceClaims), then Pods (their GPU devices and
the claims make the tenant-wide totals of GPU006). Objects that demand GPUs (claims included) and arrive before the
last Pod are held back until it has been read, so every verdict sees every pod. Workloads with GPU pods that an
autoscaler may target are kept (the whole object: they are few), and HorizontalPodAutoscalers are held back
until every other object has been read, so each is judged against its target.

A missing tenant label on an object Kubernetes makes in every namespace (`kube-root-ca.crt`, the `default`
ServiceAccount; `policies.provenance`) is not a tenant's violation: it is kept apart, in `platform`.

Kept per object, and nothing else: a violation list, the pod's network identity (`policies.netpol`), a
compact usage record for GPU pods, the models of serving pods, NetworkPolicies, RBAC objects and what publishes
pods (Services, Ingresses, Gateway API routes) with their metadata trimmed, quota rows and endpoints; of Nodes,
which no rule judges, only their GPU product (ClusterState, for pricing GPU-hours). `scan()` returns them as one
immutable ScanResult.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from tenantguard.audit.dra_usage import ClaimUsage, DeviceKey, PodClaimUse, claim_usage, pod_claim_use, slice_devices
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
from tenantguard.policies import dra, netpol
from tenantguard.policies.cluster import ClusterState
from tenantguard.policies.context import Context
from tenantguard.policies.engine import evaluate
from tenantguard.policies.gpu import object_gpu_demand
from tenantguard.policies.isolation.world import EXPOSING_KINDS
from tenantguard.policies.provenance import excused
from tenantguard.policies.request import Request
from tenantguard.policies.rules.mtls.injection import ISTIO_LABEL
from tenantguard.policies.rules.mtls.sidecar import needs_mtls, sidecar_ref
from tenantguard.policies.scaling import BY_KIND, HPA_KIND
from tenantguard.policies.settings import DEFAULT_SETTINGS, Settings
from tenantguard.policies.subjects import POD_TEMPLATE_KINDS, Subject
from tenantguard.policies.tenancy import Tenant

RBAC_KINDS = frozenset({"Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"})
DRA_KINDS = frozenset({dra.DEVICE_CLASS, dra.RESOURCE_SLICE, dra.TEMPLATE, dra.CLAIM})
_TERMINAL = frozenset({"Succeeded", "Failed"})


class Source(Protocol):
    judges_context: bool  # True: context() objects are judged there and objects() does not repeat them

    def context(self) -> Iterator[dict[str, Any]]:
        """Tenants, then Namespaces, then Pods (a snapshot may mix their order)."""
        ...

    def objects(self) -> Iterator[dict[str, Any]]: ...


INGRESS_CLASS_ANNOTATION = "kubernetes.io/ingress.class"


def _trim(obj: dict[str, Any]) -> dict[str, Any]:
    meta = obj.get("metadata") or {}
    keep = {k: meta[k] for k in ("name", "namespace", "labels") if k in meta}
    annotations = meta.get("annotations") or {}
    if INGRESS_CLASS_ANNOTATION in annotations:  # an Ingress's class, in its legacy form
        keep["annotations"] = {INGRESS_CLASS_ANNOTATION: annotations[INGRESS_CLASS_ANNOTATION]}
    return {**{k: v for k, v in obj.items() if k not in ("metadata", "status")}, "metadata": keep}


@dataclass(frozen=True, slots=True, kw_only=True)
class MtlsCoverage:
    serving_pods: int
    covered: int
    uncovered: tuple[dict[str, str], ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class ScanResult:
    """Everything a scan found, as the report reads it."""

    settings: Settings
    cluster: ClusterState  # finished: the Tenants, Namespaces and GPU pods the verdicts saw
    objects: int
    problems: tuple[str, ...]
    results: tuple[Result, ...]
    platform: tuple[dict[str, str], ...]  # violations that are Kubernetes' doing, not the tenant's
    unlabelled: tuple[dict[str, str], ...]
    mtls: MtlsCoverage
    pods: tuple[Any, ...]  # netpol.PodInfo of every pod that is not finished
    usage: tuple[PodUsage, ...]
    claims: tuple[ClaimUsage, ...]  # allocated ResourceClaims, device by device
    claim_pods: tuple[PodClaimUse, ...]  # pods that use claims, for their claims' GPU-hours
    netpols: tuple[dict[str, Any], ...]
    rbac: tuple[dict[str, Any], ...]
    quotas: tuple[dict[str, Any], ...]
    endpoints: tuple[dict[str, Any], ...]
    kinds: Mapping[str, Mapping[str, int]]  # namespace ("" for cluster-scoped) -> kind -> objects judged
    namespace_objects: frozenset[str]  # namespaces read as Namespace objects (not only known from their pods)
    exposing: tuple[dict[str, Any], ...] = ()  # Services, Ingresses, routes (trimmed): what publishes pods


def _holds_devices(subject: Subject) -> bool:
    """The object's pods request GPUs, or DRA devices through claims or DeviceClass resources."""
    return object_gpu_demand(subject) > 0 or any(
        dra.pod_claims(p.spec, p.path) or dra.pod_class_requests(p) for p in subject.pods
    )


class Scanner:
    """The scan's working state; feed it with `scan()` and read only the ScanResult it returns."""

    def __init__(self, settings: Settings = DEFAULT_SETTINGS, *, now: datetime | None = None) -> None:
        self.settings = settings
        self.request = Request.existing(now)  # naive UTC, for time-boxed exceptions
        # NetworkPolicies are read after the objects NET005 would judge, but it does not judge existing objects:
        # the audit reports a namespace without its baseline once (ISO007, ISO009), not every object in it.
        self.cluster = ClusterState(settings, pods_known=True, policies_known=True)
        self.ctx = Context.bare(settings)
        self.started = False
        self.pods_complete = False
        self.objects = 0
        self.problems: list[str] = []
        self.results: list[Result] = []
        self.platform: list[dict[str, str]] = []
        self.namespace_objects: set[str] = set()
        self.unlabelled: list[dict[str, str]] = []
        self.serving_pods = 0
        self.mtls_covered = 0
        self.mtls_uncovered: list[dict[str, str]] = []
        self.pods: list[Any] = []
        self.usage: list[PodUsage] = []
        self.claims: list[dict[str, Any]] = []  # allocated claims, weighed once every ResourceSlice is read
        self.claim_pods: list[PodClaimUse] = []
        self.slices: dict[DeviceKey, tuple[str, str]] = {}
        self.netpols: list[dict[str, Any]] = []
        self.exposing: list[dict[str, Any]] = []
        self.rbac: list[dict[str, Any]] = []
        self.quotas: list[dict[str, Any]] = []
        self.endpoints: list[dict[str, Any]] = []
        self._tenants: dict[str, Mapping[str, Any]] = {}
        self._serving: dict[str, list[tuple[dict[str, str], str | None]]] = {}
        self._deferred: list[dict[str, Any]] = []
        self._autoscalers: list[dict[str, Any]] = []
        self.kinds: dict[str, Counter[str]] = {}

    # context
    def add_tenant(self, obj: Mapping[str, Any]) -> None:
        name = (obj.get("metadata") or {}).get("name")
        self._tenants[str(name)] = obj

    def add_namespace(self, obj: Mapping[str, Any]) -> None:
        self.cluster.put_namespace(obj)
        self.namespace_objects.add(str((obj.get("metadata") or {}).get("name") or ""))

    def begin(self) -> None:
        """Tenants and Namespaces are all read: from here on objects can be judged."""
        self.cluster.replace_tenants(self._tenants.values())
        self.problems.extend(self.cluster.tenant_problems)
        self.started = True

    def add_dra(self, obj: Mapping[str, Any]) -> None:
        """A DeviceClass, ResourceSlice, ResourceClaimTemplate or ResourceClaim: context for the verdicts (claims
        and templates count in the GPU caps) and for the usage report (slices weigh allocated devices)."""
        kind = obj.get("kind")
        if kind == dra.DEVICE_CLASS:
            self.cluster.put_device_class(obj)
        elif kind == dra.RESOURCE_SLICE:
            self.slices.update(slice_devices(obj))
        elif kind == dra.TEMPLATE:
            self.cluster.put_claim_template(obj)
        elif kind == dra.CLAIM:
            self.cluster.put_claim(obj)
            if ((obj.get("status") or {}).get("allocation") or {}).get("devices"):
                self.claims.append(dict(obj))

    def add_pod(self, pod: dict[str, Any]) -> None:
        meta = pod.get("metadata") or {}
        ns = str(meta.get("namespace") or "")
        self.cluster.assume_namespace(ns)
        usage = pod_usage(pod)
        if usage is not None:
            self.usage.append(usage)
        uses = pod_claim_use(pod)
        if uses is not None:
            self.claim_pods.append(uses)
        if (pod.get("status") or {}).get("phase") in _TERMINAL:
            return
        self.pods.append(netpol.pod_info(pod))
        self.cluster.put_pod(pod)
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
        if kind == HPA_KIND:
            self._autoscalers.append(obj)
            return
        gpu = kind in dra.CLAIM_KINDS or (kind in POD_TEMPLATE_KINDS and _holds_devices(Subject.of(obj)))
        if gpu and kind in BY_KIND:
            self.cluster.put_workload(obj)
        if gpu and not self.pods_complete:
            self._deferred.append(obj)
            return
        self._judge(obj)

    def finish(self) -> None:
        """Every object is read: judge the autoscalers against their targets (an absent one holds no GPUs)."""
        self.cluster.workloads_complete = True
        held, self._autoscalers = self._autoscalers, []
        for obj in held:
            self._judge(obj)

    def _judge(self, obj: dict[str, Any]) -> None:
        kind = str(obj.get("kind") or "")
        meta = obj.get("metadata") or {}
        ns, name = str(meta.get("namespace") or ""), str(meta.get("name") or meta.get("generateName") or "")
        labels = meta.get("labels") or {}
        self.kinds.setdefault(ns, Counter())[kind] += 1
        evaluation = evaluate(obj, self.cluster, self.request)
        tenant = self.cluster.tenants.for_namespace(ns) if not self.settings.is_exempt(ns) else None
        for v in evaluation.violations:
            result = Result.of(v, kind=kind, namespace=ns, name=name, tenant=evaluation.tenant)
            reason = excused(obj, v.rule, self.settings.tenant_label) if evaluation.tenant else None
            if reason is None:
                self.results.append(result)
            else:
                keep = ("rule", "kind", "namespace", "name", "tenant")
                self.platform.append({**{k: str(getattr(result, k)) for k in keep}, "reason": reason})
        if kind in RBAC_KINDS:
            self.rbac.append(_trim(obj))
        elif kind == "NetworkPolicy":
            self.netpols.append(_trim(obj))
            self.cluster.put_network_policy(obj)
        elif kind in EXPOSING_KINDS:
            self.exposing.append(_trim(obj))
        if tenant is None:
            return
        if self.settings.tenant_label not in labels:
            self.unlabelled.append({"kind": kind, "namespace": ns, "name": name, "tenant": tenant.name})
        if kind == "Pod" and (obj.get("status") or {}).get("phase") not in _TERMINAL:
            self._mtls(obj, tenant)
        elif kind == "ResourceQuota":
            # The platform's "0 for every GPU resource not allowed" lines are a fence, not usage: only one that
            # something uses anyway (pods older than the quota) is a row worth reading.
            fence = labels.get(self.settings.managed_label) == "true"
            self.quotas.extend(r for r in quota_rows(obj) if not (fence and r["hard"] == "0" and r["used"] == "0"))
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
        ns_labels = self.cluster.namespace_labels(subject.namespace) or {}
        mesh_ns = ns_labels.get("istio-injection") == "enabled" or "istio.io/rev" in ns_labels
        for template in subject.pods:
            if not needs_mtls(subject, template, sidecar):
                continue
            self.serving_pods += 1
            label = subject.labels.get(ISTIO_LABEL)
            if sidecar_ref(template, sidecar) is not None or label == "true" or (label is None and mesh_ns):
                self.mtls_covered += 1
                continue
            reason = "no mesh injection label" if tenant.mtls_mode == "istio" else "no sidecar"
            self.mtls_uncovered.append(
                {"tenant": tenant.name, "namespace": subject.namespace, "name": subject.name, "reason": reason}
            )

    def result(self) -> ScanResult:
        return ScanResult(
            settings=self.settings,
            cluster=self.cluster,
            objects=self.objects,
            problems=tuple(self.problems),
            results=tuple(self.results),
            platform=tuple(self.platform),
            unlabelled=tuple(self.unlabelled),
            mtls=MtlsCoverage(
                serving_pods=self.serving_pods, covered=self.mtls_covered, uncovered=tuple(self.mtls_uncovered)
            ),
            pods=tuple(self.pods),
            usage=tuple(self.usage),
            claims=tuple(
                found
                for c in self.claims
                if (found := claim_usage(c, self.cluster.device_classes, self.slices)) is not None
            ),
            claim_pods=tuple(self.claim_pods),
            netpols=tuple(self.netpols),
            rbac=tuple(self.rbac),
            quotas=tuple(self.quotas),
            endpoints=tuple(self.endpoints),
            kinds={ns: dict(c) for ns, c in self.kinds.items()},
            namespace_objects=frozenset(self.namespace_objects),
            exposing=tuple(self.exposing),
        )


def scan(
    source: Source,
    settings: Settings = DEFAULT_SETTINGS,
    *,
    now: datetime | None = None,
    context: Iterable[Mapping[str, Any]] = (),
    tick: Callable[[dict[str, Any]], None] | None = None,
) -> ScanResult:
    """Feed a source through a scanner: context first (Tenants and Namespaces from `context`, e.g. --tenants
    files, then the source's), then every other object."""
    scanner = Scanner(settings, now=now)
    for obj in context:
        if obj.get("kind") == "Tenant":
            scanner.add_tenant(obj)
        elif obj.get("kind") == "Namespace":
            scanner.add_namespace(obj)
        elif obj.get("kind") == dra.DEVICE_CLASS:
            scanner.add_dra(obj)
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
        elif kind in DRA_KINDS:
            scanner.add_dra(obj)
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
        if obj.get("kind") == "Node":
            scanner.cluster.put_node(obj)  # no rule judges a Node; its GPU product prices the usage report
            continue
        scanner.judge(obj)
        if tick is not None:
            tick(obj)
    scanner.finish()
    return scanner.result()
