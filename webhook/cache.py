"""The cluster cache: Tenants, Namespaces, managed NetworkPolicies and a compact per-pod GPU count.

Enough to judge any request without calling the API server: the tenant index, namespace labels, and the
GPU-class devices held by each tenant's live pods (tenant-wide GPU totals). Only GPU pods are kept, as
small tuples, so memory grows with GPUs in use rather than with pods.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from kubernetes.client import ApiClient

from tenantguard.policies.engine import Policy
from tenantguard.policies.gpu import pod_gpu_total
from tenantguard.policies.settings import Settings
from tenantguard.policies.subjects import pod_templates
from tenantguard.policies.tenancy import TenantError, TenantIndex, parse_tenant
from tenantguard.webhook.reflector import Reflector

log = logging.getLogger("tenantguard.cache")

OwnerKey = tuple[str, str, str]  # kind, namespace, name
# Labels by which serving controllers mark their pods: (label, owner kind).
_OWNER_LABELS = (
    ("leaderworkerset.sigs.k8s.io/name", "LeaderWorkerSet"),
    ("ray.io/cluster", "RayCluster"),
    ("serving.kserve.io/inferenceservice", "InferenceService"),
    ("job-name", "Job"),
)


@dataclass(frozen=True, slots=True)
class GpuPod:
    namespace: str
    devices: int
    owners: frozenset[OwnerKey]


def _owners(pod: Mapping[str, Any], namespace: str) -> frozenset[OwnerKey]:
    meta = pod.get("metadata") or {}
    owners: set[OwnerKey] = set()
    for ref in meta.get("ownerReferences") or ():
        kind, name = ref.get("kind", ""), ref.get("name", "")
        owners.add((kind, namespace, name))
        if kind == "ReplicaSet" and "-" in name:  # Deployment pods: <deployment>-<pod-template-hash>
            owners.add(("Deployment", namespace, name.rsplit("-", 1)[0]))
    labels = meta.get("labels") or {}
    for label, kind in _OWNER_LABELS:
        if label in labels:
            owners.add((kind, namespace, str(labels[label])))
    return frozenset(owners)


def gpu_pod(pod: Mapping[str, Any]) -> GpuPod | None:
    status = pod.get("status") or {}
    if status.get("phase") in ("Succeeded", "Failed"):
        return None
    templates = list(pod_templates(dict(pod)))
    devices = pod_gpu_total(templates[0]) if templates else 0
    if devices <= 0:
        return None
    ns = (pod.get("metadata") or {}).get("namespace", "")
    return GpuPod(namespace=ns, devices=devices, owners=_owners(pod, ns))


class ClusterCache:
    """Implements policies.context.ClusterView and the webhook's PolicySource."""

    def __init__(self, api: ApiClient, settings: Settings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._tenant_objs: dict[str, dict[str, Any]] = {}
        self._namespaces: dict[str, dict[str, str]] = {}
        self._managed: dict[tuple[str, str], int] = {}
        self._gpu_pods: dict[str, GpuPod] = {}
        self._policy = Policy(settings=settings, tenants=TenantIndex.build(()), view=self)
        managed = f"{settings.managed_label}=true"
        self.reflectors = [
            Reflector(
                api,
                "/apis/tenantguard.io/v1alpha1/tenants",
                on_event=self._tenant_event,
                on_replace=self._tenants_replace,
            ),
            Reflector(api, "/api/v1/namespaces", on_event=self._ns_event, on_replace=self._ns_replace),
            Reflector(
                api,
                "/apis/networking.k8s.io/v1/networkpolicies",
                label_selector=managed,
                on_event=self._netpol_event,
                on_replace=self._netpol_replace,
            ),
            Reflector(api, "/api/v1/pods", on_event=self._pod_event, on_replace=self._pods_replace),
        ]
        self._stop = threading.Event()

    # PolicySource
    def policy(self) -> Policy:
        return self._policy

    def ready(self) -> tuple[bool, str]:
        waiting = [r.path for r in self.reflectors if not r.synced.is_set()]
        return (not waiting, "cache synced" if not waiting else "cache syncing: " + ", ".join(waiting))

    def start(self) -> None:
        for r in self.reflectors:
            r.start(self._stop)

    def stop(self) -> None:
        self._stop.set()

    def wait_synced(self, timeout: float) -> bool:
        return all(r.synced.wait(timeout) for r in self.reflectors)

    # ClusterView
    def gpu_usage(self, tenant: str, *, exclude: OwnerKey | None = None) -> int:
        t = self._policy.tenants.by_name.get(tenant)
        if t is None:
            return 0
        namespaces = set(t.namespaces)
        return sum(
            p.devices
            for p in list(self._gpu_pods.values())
            if p.namespace in namespaces and (exclude is None or exclude not in p.owners)
        )

    def namespace_labels(self, namespace: str) -> Mapping[str, str] | None:
        return self._namespaces.get(namespace)

    def counts(self) -> dict[str, int]:
        return {
            "tenants": len(self._tenant_objs),
            "namespaces": len(self._namespaces),
            "managed_networkpolicies": len(self._managed),
            "gpu_pods": len(self._gpu_pods),
        }

    # Tenants
    def _rebuild(self) -> None:
        tenants = []
        for name, obj in sorted(self._tenant_objs.items()):
            try:
                tenants.append(parse_tenant(obj))
            except TenantError as err:
                log.warning("ignoring invalid Tenant %s: %s", name, "; ".join(err.problems))
        self._policy = Policy(settings=self.settings, tenants=TenantIndex.build(tenants), view=self)

    def _tenants_replace(self, items: Iterable[dict[str, Any]]) -> None:
        with self._lock:
            self._tenant_objs = {i["metadata"]["name"]: i for i in items}
            self._rebuild()

    def _tenant_event(self, kind: str, obj: dict[str, Any]) -> None:
        with self._lock:
            name = obj["metadata"]["name"]
            if kind == "DELETED":
                self._tenant_objs.pop(name, None)
            else:
                self._tenant_objs[name] = obj
            self._rebuild()

    # Namespaces: labels only
    def _ns_replace(self, items: Iterable[dict[str, Any]]) -> None:
        self._namespaces = {i["metadata"]["name"]: dict(i["metadata"].get("labels") or {}) for i in items}

    def _ns_event(self, kind: str, obj: dict[str, Any]) -> None:
        name = obj["metadata"]["name"]
        if kind == "DELETED":
            self._namespaces.pop(name, None)
        else:
            self._namespaces[name] = dict(obj["metadata"].get("labels") or {})

    # Managed NetworkPolicies: which exist (the reconciler repairs, the webhook guards)
    def _netpol_replace(self, items: Iterable[dict[str, Any]]) -> None:
        self._managed = {(i["metadata"]["namespace"], i["metadata"]["name"]): 1 for i in items}

    def _netpol_event(self, kind: str, obj: dict[str, Any]) -> None:
        key = (obj["metadata"]["namespace"], obj["metadata"]["name"])
        if kind == "DELETED":
            self._managed.pop(key, None)
        else:
            self._managed[key] = 1

    # Pods: GPU pods only
    def _pods_replace(self, items: Iterable[dict[str, Any]]) -> None:
        pods = {}
        for item in items:
            p = gpu_pod(item)
            if p is not None:
                pods[item["metadata"]["uid"]] = p
        self._gpu_pods = pods

    def _pod_event(self, kind: str, obj: dict[str, Any]) -> None:
        uid = obj["metadata"].get("uid", "")
        p = None if kind == "DELETED" else gpu_pod(obj)
        if p is None:
            self._gpu_pods.pop(uid, None)
        else:
            self._gpu_pods[uid] = p
