"""What is known about the cluster and its tenants: the one cluster view every entry point fills.

- the webhook's cache fills it from list + watch (Tenants, Namespaces, Pods);
- the audit's scan fills it from the objects it reads (live or from a snapshot);
- lint and the webhook's static mode fill it from files (Tenants and Namespaces; nothing runs there, so
  `pods_known` is False and GPU totals count only the object judged).

Workloads an autoscaler can target are kept for judging HorizontalPodAutoscalers: lint keeps every scalable
workload among its inputs; the audit keeps those with GPU pods and then sets `workloads_complete` (an absent one
holds none). The webhook keeps none: it reads an autoscaler's target per request (`Request.related`).

The GPU product of each node (its `nvidia.com/gpu.product` label) is kept where Nodes are read (the webhook's
cache, the audit's scan): the allocation gauges and the usage report price GPU-hours by product.

Rules read it through `Context.cluster`; they never see how it was filled. One writer at a time (a watch
thread, the scan) and any number of readers: every replacement swaps a whole value, never edits one in place.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from tenantguard.policies.gpu import PRODUCT_LABEL
from tenantguard.policies.ledger import GpuLedger, GpuUsage
from tenantguard.policies.ownership import OwnerKey
from tenantguard.policies.settings import DEFAULT_SETTINGS, Settings
from tenantguard.policies.tenancy import EMPTY_INDEX, Tenant, TenantError, TenantIndex, parse_tenant

NAME_LABEL = "kubernetes.io/metadata.name"


@dataclass(frozen=True, slots=True, kw_only=True)
class Allocation:
    """Devices of one resource held by a namespace's pods on one GPU product, in one phase."""

    tenant: str  # "" for a namespace no Tenant owns
    namespace: str
    resource: str
    product: str  # the nodes' nvidia.com/gpu.product; "" when unscheduled or unknown
    phase: str  # Running, Pending or Unknown
    devices: int


def _name(obj: Mapping[str, Any]) -> str:
    meta = obj.get("metadata")
    name = meta.get("name") if isinstance(meta, dict) else None
    return name if isinstance(name, str) else ""


def _labels(obj: Mapping[str, Any]) -> dict[str, str]:
    meta = obj.get("metadata")
    labels = meta.get("labels") if isinstance(meta, dict) else None
    return {str(k): str(v) for k, v in labels.items()} if isinstance(labels, dict) else {}


class ClusterState:
    def __init__(self, settings: Settings = DEFAULT_SETTINGS, *, pods_known: bool = False) -> None:
        self.settings = settings
        self.pods_known = pods_known  # False: nothing runs here (lint, static mode), GPU totals are the object's
        self.tenants: TenantIndex = EMPTY_INDEX
        self.tenant_problems: tuple[str, ...] = ()  # one line per invalid Tenant field, for the adapter to report
        self.gpu = GpuLedger()
        self.workloads_complete = False  # True: every workload with GPU pods is in `_workloads` (the audit)
        self._workloads: dict[OwnerKey, Mapping[str, Any]] = {}
        self._tenant_objs: dict[str, Mapping[str, Any]] = {}
        self._namespaces: dict[str, dict[str, str]] = {}
        self._config_maps: dict[tuple[str, str], dict[str, str]] = {}
        self._products: dict[str, str] = {}  # node name -> nvidia.com/gpu.product, for GPU nodes only

    def replace_settings(self, settings: Settings) -> None:
        """New settings for every later evaluation (`serve` reloads its --config file)."""
        self.settings = settings

    # Tenants: kept as objects so that every change rebuilds the index from all of them.
    def replace_tenants(self, objs: Iterable[Mapping[str, Any]]) -> None:
        self._tenant_objs = {_name(o): o for o in objs}
        self._rebuild()

    def put_tenant(self, obj: Mapping[str, Any]) -> None:
        self._tenant_objs = {**self._tenant_objs, _name(obj): obj}
        self._rebuild()

    def drop_tenant(self, obj: Mapping[str, Any]) -> None:
        self._tenant_objs = {k: v for k, v in self._tenant_objs.items() if k != _name(obj)}
        self._rebuild()

    def _rebuild(self) -> None:
        tenants: list[Tenant] = []
        problems: list[str] = []
        for name, obj in sorted(self._tenant_objs.items()):
            try:
                tenants.append(parse_tenant(obj))
            except TenantError as err:
                problems.extend(f"Tenant {name!r}: {p}" for p in err.problems)
        self.tenants = TenantIndex.build(tenants)
        self.tenant_problems = tuple(problems)

    # Namespaces: labels only.
    def replace_namespaces(self, objs: Iterable[Mapping[str, Any]]) -> None:
        self._namespaces = {_name(o): _labels(o) for o in objs}

    def put_namespace(self, obj: Mapping[str, Any]) -> None:
        self._namespaces[_name(obj)] = _labels(obj)

    def drop_namespace(self, obj: Mapping[str, Any]) -> None:
        self._namespaces.pop(_name(obj), None)

    def assume_namespace(self, name: str) -> None:
        """A namespace known only from the objects in it (a snapshot without Namespace objects)."""
        self._namespaces.setdefault(name, {NAME_LABEL: name})

    def namespace_labels(self, namespace: str) -> Mapping[str, str] | None:
        return self._namespaces.get(namespace)

    @property
    def namespaces(self) -> Mapping[str, Mapping[str, str]]:
        return self._namespaces

    # ConfigMaps: their data, where known (lint's inputs); model sources named through them are read here.
    def put_config_map(self, obj: Mapping[str, Any]) -> None:
        meta = obj.get("metadata")
        ns = meta.get("namespace") if isinstance(meta, dict) else None
        data = obj.get("data")
        values = {str(k): v for k, v in data.items() if isinstance(v, str)} if isinstance(data, dict) else {}
        self._config_maps = {**self._config_maps, (str(ns or ""), _name(obj)): values}

    def config_map(self, namespace: str, name: str) -> Mapping[str, str] | None:
        """The data of a ConfigMap, or None when it is not known here (which is not: it does not exist)."""
        return self._config_maps.get((namespace, name))

    # Pods: only the GPU devices they hold.
    def replace_pods(self, pods: Iterable[Mapping[str, Any]]) -> None:
        self.gpu.replace(pods)

    def put_pod(self, pod: Mapping[str, Any]) -> None:
        self.gpu.put(pod)

    def drop_pod(self, pod: Mapping[str, Any]) -> None:
        self.gpu.drop(pod)

    def gpu_usage(self, tenant: str, *, exclude: OwnerKey | None = None) -> GpuUsage:
        """GPU-class devices the tenant's running pods hold in all of its namespaces, except those `exclude`
        (kind, namespace, name) owns — the object being replaced by an update."""
        t = self.tenants.by_name.get(tenant)
        return self.gpu.usage(frozenset(t.namespaces), exclude=exclude) if t else GpuUsage()

    # Nodes: only the GPU product of those that have one.
    def replace_nodes(self, objs: Iterable[Mapping[str, Any]]) -> None:
        found = ((_name(o), _labels(o).get(PRODUCT_LABEL)) for o in objs)
        self._products = {name: product for name, product in found if product}

    def put_node(self, obj: Mapping[str, Any]) -> None:
        name, product = _name(obj), _labels(obj).get(PRODUCT_LABEL)
        if self._products.get(name) == product:
            return  # most node updates change no label: nothing to copy
        others = {k: v for k, v in self._products.items() if k != name}
        self._products = {**others, name: product} if product else others

    def drop_node(self, obj: Mapping[str, Any]) -> None:
        self._products = {k: v for k, v in self._products.items() if k != _name(obj)}

    def gpu_product(self, node: str) -> str | None:
        return self._products.get(node)

    @property
    def gpu_products(self) -> Mapping[str, str]:
        return self._products

    def gpu_allocation(self) -> list[Allocation]:
        """Devices held now per tenant, namespace, resource, GPU product and phase (what the allocation gauges
        export: bounded by namespaces x resources x products, however many pods)."""
        owner_of = self.tenants.owner_of
        counts: dict[tuple[str, str, str, str], int] = {}
        for (ns, node, phase, resource), n in self.gpu.allocation().items():
            key = (ns, resource, self._products.get(node, ""), phase)
            counts[key] = counts.get(key, 0) + n
        return [
            Allocation(tenant=owner_of.get(ns, ""), namespace=ns, resource=r, product=p, phase=ph, devices=n)
            for (ns, r, p, ph), n in sorted(counts.items())
        ]

    # Workloads: scale targets of autoscalers, by (kind, namespace, name).
    def put_workload(self, obj: Mapping[str, Any], namespace: str | None = None) -> None:
        """Keep a workload an autoscaler may target (`namespace`: for an object that names none, as lint's -n)."""
        meta = obj.get("metadata")
        meta = meta if isinstance(meta, dict) else {}
        ns = str(meta.get("namespace") or namespace or "")
        key = (str(obj.get("kind") or ""), ns, str(meta.get("name") or ""))
        self._workloads[key] = obj  # lint and the audit write these from one thread; the webhook never does

    def workload(self, key: OwnerKey) -> Mapping[str, Any] | None:
        return self._workloads.get(key)

    def counts(self) -> dict[str, int]:
        return {
            "tenants": len(self.tenants.by_name),
            "namespaces": len(self._namespaces),
            "gpu_pods": len(self.gpu),
            "gpu_nodes": len(self._products),
        }


def state_from_objects(
    objs: Iterable[Mapping[str, Any]], settings: Settings = DEFAULT_SETTINGS, *, pods_known: bool = False
) -> ClusterState:
    """A ClusterState from a set of objects (Tenants, Namespaces and, where they run, Pods)."""
    state = ClusterState(settings, pods_known=pods_known)
    tenants, namespaces, pods = [], [], []
    for obj in objs:
        kind = obj.get("kind")
        if kind == "Tenant":
            tenants.append(obj)
        elif kind == "Namespace":
            namespaces.append(obj)
        elif kind == "ConfigMap":
            state.put_config_map(obj)
        elif kind == "Node":
            state.put_node(obj)
        elif kind == "Pod" and pods_known:
            pods.append(obj)
    state.replace_tenants(tenants)
    state.replace_namespaces(namespaces)
    state.replace_pods(pods)
    return state
