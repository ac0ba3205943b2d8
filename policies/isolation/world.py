"""The network world: namespaces, tenants, pods, NetworkPolicies and what publishes pods — from a scan or from
manifests.

The audit fills it from what runs (`audit.isolation`); `tenantguard reachability` and lint fill it with
`from_objects` from objects that exist (a snapshot, a live cluster) and objects about to be applied (manifests),
where workloads become representative pods (`templates`). A Pod stands for itself; a workload whose pods exist
is represented by them, and one whose pods do not (a manifest, a workload scaled to zero, an idle CronJob) by
its templates. An applied object replaces the existing one of the same kind, namespace and name; the pods of
a replaced workload give way to its new template. Tenant namespaces carry the tenant label even where the
inputs do not label them — admission makes sure they do — unless a live Namespace object says otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tenantguard.policies.fields import mapping
from tenantguard.policies.isolation.templates import manifest_pod, template_pods
from tenantguard.policies.netpol import NetworkAnalysis, PodInfo, analyze, pod_info
from tenantguard.policies.netpol.classes import NAME_LABEL
from tenantguard.policies.ownership import OwnerKey, display, outermost, owners
from tenantguard.policies.rules.serving.srv005_routes_stay_in_tenant import ROUTE_KINDS
from tenantguard.policies.settings import DEFAULT_SETTINGS, Settings
from tenantguard.policies.tenancy import TenantIndex

EXPOSING_KINDS = frozenset({"Service", "Ingress"}) | ROUTE_KINDS


@dataclass(frozen=True, slots=True, kw_only=True)
class NetworkWorld:
    namespaces: Mapping[str, Mapping[str, str]]  # every namespace known, with its labels
    tenant_of: Mapping[str, str]  # tenant namespaces (not exempt) -> tenant
    pods: tuple[PodInfo, ...]
    policies: tuple[dict[str, Any], ...]
    exposing: tuple[dict[str, Any], ...] = ()  # Services, Ingresses, Gateway API routes
    settings: Settings = DEFAULT_SETTINGS
    sources: Mapping[tuple[str, str, str], tuple[str, int]] = field(default_factory=dict)  # object -> file, line

    def analyze(self, hypothetical: Iterable[PodInfo] = ()) -> NetworkAnalysis:
        return analyze(self.namespaces, self.pods, self.policies, hypothetical=hypothetical)

    def source_of(self, kind: str, namespace: str, name: str) -> tuple[str, int] | None:
        """The file and line an object was read from (manifests), if known."""
        return self.sources.get((kind, namespace, name))


def _namespace_of(obj: Mapping[str, Any], default: str | None) -> str:
    ns = mapping(obj.get("metadata")).get("namespace")
    return ns if isinstance(ns, str) and ns else (default or "default")


def _key(obj: Mapping[str, Any], default: str | None) -> OwnerKey:
    kind = str(obj.get("kind") or "")
    name = str(mapping(obj.get("metadata")).get("name") or "")
    return kind, "" if kind == "Namespace" else _namespace_of(obj, default), name


def _labels(obj: Mapping[str, Any]) -> dict[str, str]:
    return {str(k): str(v) for k, v in mapping(mapping(obj.get("metadata")).get("labels")).items()}


def from_objects(
    existing: Iterable[dict[str, Any]],
    applied: Iterable[dict[str, Any]],
    tenants: TenantIndex,
    settings: Settings = DEFAULT_SETTINGS,
    *,
    namespaces: Mapping[str, Mapping[str, str]] | None = None,
    namespace: str | None = None,
    sources: Mapping[OwnerKey, tuple[str, int]] | None = None,
) -> NetworkWorld:
    """A world from objects that exist (a snapshot, a live cluster: taken as they are) and objects about to be
    applied (manifests: they replace existing objects of the same kind, namespace and name, and get what
    admission gives them). `namespaces`: labels declared elsewhere (--tenants); `namespace`: for objects that
    name none (like `kubectl apply -n`)."""
    applied = list(applied)
    replaced = {_key(obj, namespace) for obj in applied}
    kept = [obj for obj in existing if _key(obj, namespace) not in replaced] if replaced else list(existing)
    tenant_of = {ns: t.name for t in tenants.by_name.values() for ns in t.namespaces if not settings.is_exempt(ns)}
    labels: dict[str, dict[str, str]] = {ns: dict(found) for ns, found in (namespaces or {}).items()}
    as_they_are: set[str] = set()  # namespaces whose labels a live object gives: no label is added to them

    def tenant_labels(ns: str) -> dict[str, str]:
        return {settings.tenant_label: tenant_of[ns]} if ns in tenant_of else {}

    network = settings.network
    pods: list[PodInfo] = []
    policies: list[dict[str, Any]] = []
    exposing: list[dict[str, Any]] = []
    running: set[OwnerKey] = set()
    workloads: list[tuple[dict[str, Any], str]] = []
    for obj, live in [*((o, True) for o in kept), *((o, False) for o in applied)]:
        kind = obj.get("kind")
        if not isinstance(kind, str) or kind == "Tenant":
            continue
        meta = mapping(obj.get("metadata"))
        if kind == "Namespace":
            name = str(meta.get("name") or "")
            labels[name] = _labels(obj) if live else {**labels.get(name, {}), **_labels(obj)}
            (as_they_are.add if live else as_they_are.discard)(name)
            continue
        ns = meta.get("namespace")
        if not isinstance(ns, str) or not ns:
            ns = namespace or "default"
            obj = {**obj, "metadata": {**meta, "namespace": ns}}
        if ns not in labels:
            labels[ns] = {}
        if kind == "Pod":
            if mapping(obj.get("status")).get("phase") in ("Succeeded", "Failed"):
                continue
            found = owners(obj)
            if live and replaced and found & replaced:
                continue  # its workload is being replaced: its template stands for the pods to come
            workload = display(outermost(found, obj))
            if live:
                pods.append(pod_info(obj, workload=workload))
            else:
                pods.append(manifest_pod(obj, namespace=ns, network=network, tenant_labels=tenant_labels(ns),
                                         workload=workload))  # fmt: skip
            running |= found
        elif kind == "NetworkPolicy":
            policies.append(obj)
        elif kind in EXPOSING_KINDS:
            exposing.append(obj)
        else:
            workloads.append((obj, ns))
    for ns, tenant in tenant_of.items():
        if ns not in as_they_are:  # admission labels a tenant namespace with its tenant
            labels.setdefault(ns, {}).setdefault(settings.tenant_label, tenant)
    for obj, ns in workloads:
        if _key(obj, ns) not in running:
            pods.extend(template_pods(obj, namespace=ns, network=network, tenant_labels=tenant_labels(ns)))
    for ns in labels:
        labels[ns].setdefault(NAME_LABEL, ns)
    return NetworkWorld(
        namespaces=labels,
        tenant_of=tenant_of,
        pods=tuple(pods),
        policies=tuple(policies),
        exposing=tuple(exposing),
        settings=settings,
        sources=dict(sources or {}),
    )
