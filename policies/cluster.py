"""What is known about the cluster and its tenants: the one cluster view every entry point fills.

- the webhook's cache fills it from list + watch (Tenants, Namespaces, Pods, DRA DeviceClasses,
  ResourceClaimTemplates and ResourceClaims);
- the audit's scan fills it from the objects it reads (live or from a snapshot);
- lint and the webhook's static mode fill it from files (Tenants, Namespaces and DeviceClasses; lint also the
  claims, templates, ConfigMaps and workloads among its inputs, to look them up). Nothing runs there, so
  `pods_known` is False and GPU totals count only the object judged.

DRA: DeviceClasses are kept as what their selectors pin (`policies.cel`), so a claim of a class that pins a MIG
profile weighs that profile; claims and claim templates live in the GPU ledger, which counts them.

The platform's managed NetworkPolicies (their names per namespace) are known where NetworkPolicies are read
(`policies_known`: the webhook's cache watches them, the audit scans them); lint and static mode cannot know
what a cluster holds, so `managed_policies` answers None there and NET005 does not judge.

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

from tenantguard.policies import cel, dra
from tenantguard.policies.gpu import PRODUCT_LABEL
from tenantguard.policies.ledger import ClaimHolding, GpuLedger, GpuUsage
from tenantguard.policies.ownership import OwnerKey
from tenantguard.policies.scaling import BY_KIND as SCALABLE_KINDS
from tenantguard.policies.scaling import HPA_KIND
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


def _namespace(obj: Mapping[str, Any]) -> str:
    meta = obj.get("metadata")
    ns = meta.get("namespace") if isinstance(meta, dict) else None
    return ns if isinstance(ns, str) else ""


def _labels(obj: Mapping[str, Any]) -> dict[str, str]:
    meta = obj.get("metadata")
    labels = meta.get("labels") if isinstance(meta, dict) else None
    return {str(k): str(v) for k, v in labels.items()} if isinstance(labels, dict) else {}


# The kinds `ClusterState.learn` keeps; every other kind is ignored by it. Workloads (SCALABLE_KINDS) are kept
# only to be looked up as an autoscaler's target (`gpu_demand.target_of`): only the kinds in
# WORKLOAD_READERS read them.
LEARNED_KINDS = frozenset({dra.CLAIM, dra.TEMPLATE, dra.DEVICE_CLASS, "ConfigMap", *SCALABLE_KINDS})
WORKLOAD_READERS = frozenset({HPA_KIND})


class ClusterState:
    def __init__(
        self, settings: Settings = DEFAULT_SETTINGS, *, pods_known: bool = False, policies_known: bool = False
    ) -> None:
        self.settings = settings
        self.pods_known = pods_known  # False: nothing runs here (lint, static mode), GPU totals are the object's
        self.policies_known = policies_known  # False: the cluster's NetworkPolicies are unknown (lint, static mode)
        self.tenants: TenantIndex = EMPTY_INDEX
        self.tenant_problems: tuple[str, ...] = ()  # one line per invalid Tenant field, for the adapter to report
        self.gpu = GpuLedger()
        self.workloads_complete = False  # True: every workload with GPU pods is in `_workloads` (the audit)
        self._workloads: dict[OwnerKey, Mapping[str, Any]] = {}
        self._tenant_objs: dict[str, Mapping[str, Any]] = {}
        self._namespaces: dict[str, dict[str, str]] = {}
        self._config_maps: dict[tuple[str, str], dict[str, str]] = {}
        self._classes: dict[str, cel.Facts] = {}
        self._managed_policies: dict[str, frozenset[str]] = {}
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

    def tenant_object(self, name: str) -> Mapping[str, Any] | None:
        """The Tenant as read (metadata and status too), valid or not."""
        return self._tenant_objs.get(name)

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
        """GPU-class devices the tenant's running pods and its ResourceClaims hold in all of its namespaces, except
        those `exclude` (kind, namespace, name) owns — the object being replaced by an update. Nothing where
        nothing runs (lint, static mode: the claims among lint's inputs are about to be applied, not held)."""
        t = self.tenants.by_name.get(tenant)
        if t is None or not self.pods_known:
            return GpuUsage()
        return self.gpu.usage(frozenset(t.namespaces), self._classes, exclude=exclude)

    # DRA: DeviceClasses (what their selectors pin), ResourceClaimTemplates and ResourceClaims (in the ledger).
    def replace_device_classes(self, objs: Iterable[Mapping[str, Any]]) -> None:
        self._classes = {_name(o): dra.class_facts(o) for o in objs}

    def put_device_class(self, obj: Mapping[str, Any]) -> None:
        self._classes = {**self._classes, _name(obj): dra.class_facts(obj)}

    def drop_device_class(self, obj: Mapping[str, Any]) -> None:
        self._classes = {k: v for k, v in self._classes.items() if k != _name(obj)}

    @property
    def device_classes(self) -> dra.Classes:
        return self._classes

    def replace_claims(self, objs: Iterable[Mapping[str, Any]]) -> None:
        self.gpu.replace_claims(objs)

    def put_claim(self, obj: Mapping[str, Any]) -> None:
        self.gpu.put_claim(obj)

    def drop_claim(self, obj: Mapping[str, Any]) -> None:
        self.gpu.drop_claim(obj)

    def replace_claim_templates(self, objs: Iterable[Mapping[str, Any]]) -> None:
        self.gpu.replace_templates(objs)

    def put_claim_template(self, obj: Mapping[str, Any]) -> None:
        self.gpu.put_template(obj)

    def drop_claim_template(self, obj: Mapping[str, Any]) -> None:
        self.gpu.drop_template(obj)

    def claim(self, namespace: str, name: str) -> ClaimHolding | None:
        return self.gpu.claim(namespace, name)

    def claim_template(self, namespace: str, name: str) -> dra.ClaimSpec | None:
        return self.gpu.template(namespace, name)

    def claim_devices(self, spec: dra.ClaimSpec | None) -> dra.ClaimDevices:
        """A claim's (or a template's) devices at their worst case, weighed with the DeviceClasses known here."""
        return dra.devices(spec, self._classes)

    # Managed NetworkPolicies: the names of the platform's policies (managed label "true") per namespace.
    def replace_network_policies(self, objs: Iterable[Mapping[str, Any]]) -> None:
        found: dict[str, set[str]] = {}
        for obj in objs:
            if self._is_managed(obj):
                found.setdefault(_namespace(obj), set()).add(_name(obj))
        self._managed_policies = {ns: frozenset(names) for ns, names in found.items()}

    def put_network_policy(self, obj: Mapping[str, Any]) -> None:
        if not self._is_managed(obj):  # the label was taken off: no longer the platform's
            self.drop_network_policy(obj)
            return
        ns = _namespace(obj)
        self._managed_policies = {
            **self._managed_policies,
            ns: self._managed_policies.get(ns, frozenset()) | {_name(obj)},
        }

    def drop_network_policy(self, obj: Mapping[str, Any]) -> None:
        ns = _namespace(obj)
        names = self._managed_policies.get(ns, frozenset()) - {_name(obj)}
        self._managed_policies = {
            **{k: v for k, v in self._managed_policies.items() if k != ns},
            **({ns: names} if names else {}),
        }

    def managed_policies(self, namespace: str) -> frozenset[str] | None:
        """Names of the managed NetworkPolicies in `namespace`; None where NetworkPolicies are not known."""
        return self._managed_policies.get(namespace, frozenset()) if self.policies_known else None

    def _is_managed(self, obj: Mapping[str, Any]) -> bool:
        return _labels(obj).get(self.settings.managed_label) == "true"

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
        if not self.pods_known:  # lint and static mode: nothing runs there, nothing is held
            return []
        owner_of = self.tenants.owner_of
        counts: dict[tuple[str, str, str, str], int] = {}
        for (ns, node, phase, resource), n in self.gpu.allocation().items():
            key = (ns, resource, self._products.get(node, ""), phase)
            counts[key] = counts.get(key, 0) + n
        # DRA claims, as ResourceQuota counts them (per DeviceClass, from creation): the scheduler's claims for a
        # pod's extended resources are the pod's, counted above.
        for claim in self.gpu.claims():
            if claim.extended:
                continue
            for device_class, n in dra.devices(claim.spec, self._classes).classes:
                key = (claim.namespace, dra.quota_key(device_class), "", "Claimed")
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

    def learn(self, obj: Mapping[str, Any], namespace: str | None = None) -> None:
        """Keep an object rules may look up by name, whatever its kind (lint's inputs, an example's related
        objects): ConfigMaps, DRA DeviceClasses, claims and claim templates, autoscaling targets. Other kinds
        are not looked up and are ignored (`LEARNED_KINDS`)."""
        kind = obj.get("kind")
        if kind in (dra.CLAIM, dra.TEMPLATE):
            meta = obj.get("metadata")
            meta = meta if isinstance(meta, dict) else {}
            placed = {**obj, "metadata": {**meta, "namespace": meta.get("namespace") or namespace or ""}}
            (self.put_claim if kind == dra.CLAIM else self.put_claim_template)(placed)
        elif kind == dra.DEVICE_CLASS:
            self.put_device_class(obj)
        elif kind == "ConfigMap":
            self.put_config_map(obj)
        elif kind in SCALABLE_KINDS:
            self.put_workload(obj, namespace)

    def counts(self) -> dict[str, int]:
        return {
            "tenants": len(self.tenants.by_name),
            "namespaces": len(self._namespaces),
            "gpu_pods": len(self.gpu),
            "resource_claims": len(self.gpu.claims()),
            "device_classes": len(self._classes),
            "managed_network_policies": sum(len(names) for names in self._managed_policies.values()),
            "gpu_nodes": len(self._products),
        }


def state_from_objects(
    objs: Iterable[Mapping[str, Any]], settings: Settings = DEFAULT_SETTINGS, *, pods_known: bool = False
) -> ClusterState:
    """A ClusterState from a set of objects (Tenants, Namespaces, DeviceClasses and, where they run, Pods and
    ResourceClaims; claim templates and ConfigMaps to look up)."""
    state = ClusterState(settings, pods_known=pods_known)
    tenants, namespaces, pods = [], [], []
    for obj in objs:
        kind = obj.get("kind")
        if kind == "Tenant":
            tenants.append(obj)
        elif kind == "Namespace":
            namespaces.append(obj)
        elif kind in ("ConfigMap", dra.DEVICE_CLASS, dra.TEMPLATE) or (kind == dra.CLAIM and pods_known):
            state.learn(obj)
        elif kind == "Node":
            state.put_node(obj)
        elif kind == "Pod" and pods_known:
            pods.append(obj)
    state.replace_tenants(tenants)
    state.replace_namespaces(namespaces)
    state.replace_pods(pods)
    return state
