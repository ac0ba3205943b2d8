"""Which tenant workloads can be reached from outside the cluster, and whether through the platform gateway.

The seed's rule: the platform's API gateway (settings `gatewayNamespaces`) is the single entry point for
tenant requests — it authenticates, meters and isolates them. What else publishes a tenant pod:

- a Service of type `NodePort` or `LoadBalancer`, or with `externalIPs`: every node (or a load balancer, or the
  listed addresses) forwards to the pods its selector picks. NetworkPolicy cannot be relied on to stop it: the
  source a policy sees may be the node's address after SNAT, and traffic from a pod's node is always allowed;
- an Ingress: served by an ingress controller, not the gateway — unless its class is one the gateway serves
  (settings `network.gatewayIngressClasses`);
- a Gateway API route (`HTTPRoute`, `GRPCRoute`, `TLSRoute`, `TCPRoute`, `UDPRoute`) attached to a Gateway
  (`parentRefs` of kind Gateway) outside the gateway namespaces;
- a NetworkPolicy ingress rule with an ipBlock holding addresses outside the cluster (settings
  `network.clusterCIDRs`): it admits clients from outside wherever pod addresses are routable;
- a hostNetwork pod (it listens on its node's addresses) or a container `hostPort`.

Routes attached to a Gateway in a gateway namespace, and Ingresses of a gateway class, are listed as published
through the gateway (`gateway: true`); everything else is an exposure outside the gateway (ISO010).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from tenantguard.policies.fields import mapping, sequence
from tenantguard.policies.isolation.world import NetworkWorld
from tenantguard.policies.netpol import NetworkAnalysis, PodInfo, RuleRef
from tenantguard.policies.netpol.ports import NOTHING, PortSet
from tenantguard.policies.netpol.selectors import selector
from tenantguard.policies.rules.serving.srv005_routes_stay_in_tenant import ROUTE_KINDS

MAX_LISTED = 20
EXTERNAL_TYPES = frozenset({"NodePort", "LoadBalancer"})
GATEWAY_KIND = "Gateway"


@dataclass(frozen=True, slots=True, kw_only=True)
class Exposed:
    """One object (or rule) that publishes tenant pods outside the cluster."""

    tenant: str
    namespace: str
    kind: str  # the publishing object: Service, Ingress, HTTPRoute…, NetworkPolicy, or the pod's workload kind
    name: str
    how: str  # "Service type LoadBalancer", "ipBlock 0.0.0.0/0 (spec.ingress[0])", "hostNetwork" …
    ports: tuple[str, ...]
    pods: tuple[PodInfo, ...]
    gateway: bool = False  # published through the platform gateway: listed, not a finding
    rule: RuleRef | None = None

    @property
    def workloads(self) -> list[str]:
        return sorted({pod.owner for pod in self.pods})

    def as_dict(self) -> dict[str, Any]:
        return {
            "tenant": self.tenant,
            "namespace": self.namespace,
            "via": {"kind": self.kind, "name": self.name, "how": self.how},
            "ports": list(self.ports),
            "workloads": self.workloads[:MAX_LISTED],
            "pods": sorted(pod.name for pod in self.pods)[:MAX_LISTED],
            "gateway": self.gateway,
        }


def _meta(obj: Mapping[str, Any]) -> tuple[str, str]:
    meta = mapping(obj.get("metadata"))
    return str(meta.get("namespace") or ""), str(meta.get("name") or "")


class _Services:
    """The Services of the world, with the pods their selectors pick and the target ports."""

    def __init__(self, world: NetworkWorld) -> None:
        self._by_key = {_meta(o): o for o in world.exposing if o.get("kind") == "Service"}
        self._pods: dict[str, list[PodInfo]] = {}
        for pod in world.pods:
            self._pods.setdefault(pod.namespace, []).append(pod)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self._by_key.values())

    def get(self, namespace: str, name: str) -> dict[str, Any] | None:
        return self._by_key.get((namespace, name))

    def pods(self, service: Mapping[str, Any]) -> tuple[PodInfo, ...]:
        spec = mapping(service.get("spec"))
        raw = spec.get("selector")
        if not isinstance(raw, dict) or not raw or spec.get("type") == "ExternalName":
            return ()
        chosen = selector({"matchLabels": raw})
        namespace, _ = _meta(service)
        return tuple(p for p in self._pods.get(namespace, ()) if chosen.matches(p.labels))

    @staticmethod
    def ports(service: Mapping[str, Any], pods: tuple[PodInfo, ...], only: Any = None) -> tuple[str, ...]:
        """The pod ports the Service forwards to (`only`: the service port an Ingress or route names)."""
        found: dict[str, list[tuple[int, int]]] = {}
        for item in sequence(mapping(service.get("spec")).get("ports")):
            item = mapping(item)
            if only is not None and only not in (item.get("port"), item.get("name")):
                continue
            protocol = str(item.get("protocol") or "TCP")
            target = item.get("targetPort", item.get("port"))
            numbers = [target] if isinstance(target, int) else [
                p.port for pod in pods for p in pod.ports if p.name == target and p.protocol == protocol
            ]  # fmt: skip
            found.setdefault(protocol, []).extend((n, n) for n in numbers if isinstance(n, int))
        return PortSet.of(found).describe()


def _service_exposures(world: NetworkWorld, services: _Services) -> Iterator[Exposed]:
    for service in services:
        namespace, name = _meta(service)
        tenant = world.tenant_of.get(namespace)
        spec = mapping(service.get("spec"))
        if tenant is None:
            continue
        how = [f"Service type {spec['type']}"] if spec.get("type") in EXTERNAL_TYPES else []
        ips = [str(ip) for ip in sequence(spec.get("externalIPs"))]
        how += [f"externalIPs {', '.join(ips)}"] if ips else []
        if how:
            pods = services.pods(service)
            ports = services.ports(service, pods)
            yield Exposed(tenant=tenant, namespace=namespace, kind="Service", name=name, how="; ".join(how),
                          ports=ports, pods=pods)  # fmt: skip


Backend = tuple[tuple[PodInfo, ...], tuple[str, ...]]  # the pods behind a backend, and their ports


def _backend(services: _Services, namespace: str, ref: Mapping[str, Any]) -> Backend:
    """Pods and ports behind an Ingress backend (`service: {name, port}`) or a route backendRef."""
    if "service" in ref:
        svc = mapping(ref.get("service"))
        name, port = svc.get("name"), mapping(svc.get("port"))
        only = port.get("number", port.get("name"))
    else:
        if ref.get("kind", "Service") != "Service" or ref.get("group", "") not in ("", "core"):
            return (), ()
        name, only = ref.get("name"), ref.get("port")
        namespace = str(ref.get("namespace") or namespace)
    service = services.get(namespace, str(name or ""))
    if service is None:
        return (), ()
    pods = services.pods(service)
    return pods, services.ports(service, pods, only)


def _merge(found: list[Backend]) -> Backend:
    pods = {(p.namespace, p.name): p for group, _ in found for p in group}
    ports = tuple(sorted({port for _, described in found for port in described}))
    return tuple(pods.values()), ports


def _ingress_exposures(world: NetworkWorld, services: _Services) -> Iterator[Exposed]:
    gateway_classes = set(world.settings.network.gateway_ingress_classes)
    for ingress in (o for o in world.exposing if o.get("kind") == "Ingress"):
        namespace, name = _meta(ingress)
        tenant = world.tenant_of.get(namespace)
        if tenant is None:
            continue
        spec = mapping(ingress.get("spec"))
        annotations = mapping(mapping(ingress.get("metadata")).get("annotations"))
        klass = spec.get("ingressClassName") or annotations.get("kubernetes.io/ingress.class") or ""
        backends = [mapping(spec.get("defaultBackend"))] if spec.get("defaultBackend") else []
        for rule in sequence(spec.get("rules")):
            for path in sequence(mapping(mapping(rule).get("http")).get("paths")):
                backends.append(mapping(mapping(path).get("backend")))
        pods, ports = _merge([_backend(services, namespace, b) for b in backends])
        how = f"Ingress of class {klass}" if klass else "Ingress (default class)"
        yield Exposed(tenant=tenant, namespace=namespace, kind="Ingress", name=name, how=how, ports=ports, pods=pods,
                      gateway=bool(klass) and klass in gateway_classes)  # fmt: skip


def _route_exposures(world: NetworkWorld, services: _Services) -> Iterator[Exposed]:
    gateways = set(world.settings.gateway_namespaces)
    for route in (o for o in world.exposing if o.get("kind") in ROUTE_KINDS):
        namespace, name = _meta(route)
        tenant = world.tenant_of.get(namespace)
        spec = mapping(route.get("spec"))
        parents = [
            str(mapping(p).get("namespace") or namespace) + "/" + str(mapping(p).get("name") or "")
            for p in sequence(spec.get("parentRefs"))
            if mapping(p).get("kind", GATEWAY_KIND) == GATEWAY_KIND
        ]
        if tenant is None or not parents:
            continue  # not attached to a Gateway (a mesh route names a Service as parent)
        rules = sequence(spec.get("rules"))
        backends = [mapping(ref) for rule in rules for ref in sequence(mapping(rule).get("backendRefs"))]
        pods, ports = _merge([_backend(services, namespace, b) for b in backends])
        outside = [p for p in parents if p.partition("/")[0] not in gateways]
        kind = str(route.get("kind"))
        if outside:
            how = f"{kind} attached to Gateway {', '.join(sorted(outside))}"
        else:
            how = f"{kind} attached to the platform gateway {', '.join(sorted(parents))}"
        yield Exposed(tenant=tenant, namespace=namespace, kind=kind, name=name, how=how, ports=ports, pods=pods,
                      gateway=not outside)  # fmt: skip


def _policy_exposures(world: NetworkWorld, analysis: NetworkAnalysis) -> Iterator[Exposed]:
    cluster = world.settings.network.cluster_cidrs
    by_rule: dict[tuple[RuleRef, str], tuple[dict[tuple[str, str], PodInfo], PortSet]] = {}
    for rule, block, pods in analysis.ingress_blocks():
        if pods[0].namespace not in world.tenant_of or not block.outside(cluster):
            continue
        chosen, opened = by_rule.get((rule.ref, block.describe()), ({}, NOTHING))
        for pod in pods:
            chosen[pod.namespace, pod.name] = pod
            opened = opened.union(rule.ports.resolve(pod.ports))
        by_rule[rule.ref, block.describe()] = (chosen, opened)
    for (ref, cidr), (chosen, opened) in sorted(by_rule.items()):
        namespace, _, name = ref.policy.partition("/")
        yield Exposed(tenant=world.tenant_of[namespace], namespace=namespace, kind="NetworkPolicy", name=name,
                      how=f"ipBlock {cidr} ({ref.rule}) admits addresses outside the cluster",
                      ports=opened.describe(), pods=tuple(chosen.values()), rule=ref)  # fmt: skip


def _node_exposures(world: NetworkWorld) -> Iterator[Exposed]:
    grouped: dict[tuple[str, str], list[PodInfo]] = {}
    for pod in world.pods:
        if pod.namespace in world.tenant_of and (pod.host_network or pod.host_ports):
            grouped.setdefault((pod.namespace, pod.owner), []).append(pod)
    for (namespace, owner), pods in sorted(grouped.items()):
        first = pods[0]
        kind, name = owner.rpartition("[")[2].rstrip("]"), owner.partition("/")[2].rpartition("[")[0]
        if first.host_network:
            declared = {f"{p.protocol}/{p.port}" for pod in pods for p in pod.ports}
            ports = tuple(sorted(declared)) or ("*",)
            how = "hostNetwork: listens on its node's addresses"
        else:
            ports = tuple(sorted({f"{p.protocol}/{p.port}" for pod in pods for p in pod.host_ports}))
            how = "hostPort: bound on its node's addresses"
        yield Exposed(tenant=world.tenant_of[namespace], namespace=namespace, kind=kind, name=name, how=how,
                      ports=ports, pods=tuple(pods))  # fmt: skip


def exposures(world: NetworkWorld, analysis: NetworkAnalysis) -> list[Exposed]:
    """Everything that publishes a tenant's pods outside the cluster, through the gateway or not."""
    services = _Services(world)
    found = [
        *_service_exposures(world, services),
        *_ingress_exposures(world, services),
        *_route_exposures(world, services),
        *_policy_exposures(world, analysis),
        *_node_exposures(world),
    ]
    return sorted(found, key=lambda e: (e.gateway, e.tenant, e.namespace, e.kind, e.name, e.how))
