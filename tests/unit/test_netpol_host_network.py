"""hostNetwork pods and exposure outside the cluster, case by case, with expectations written from the sources.

Sources:
- Kubernetes, "Network Policies": "traffic to and from the node where a Pod is running is always allowed,
  regardless of the IP address of the Pod or the node"; a pod isolated for ingress accepts "connections ... from
  the pod's node"; "NetworkPolicy and hostNetwork pods": the plugin either applies policies to hostNetwork pods
  like to any pod, or — "the most common implementation" — "ignores hostNetwork pods when matching podSelector
  and namespaceSelector. Traffic to/from hostNetwork pods is treated the same as all other traffic to/from the
  node IP", so "you can allow traffic from a hostNetwork Pod using an ipBlock rule".
- Calico, Cilium and Azure NPM implement that common reading: hostNetwork pods are not workload endpoints
  (Azure NPM "Ignoring hostnetwork pods from being added into Ipsets"; OpenShift's docs: "Pods with host
  networking enabled are unaffected by network policy rules"), and traffic from the local host to a pod is
  allowed (kubelet probes). Named ports belong to pods, so they never resolve on node addresses.
- Kubernetes Service types: NodePort and LoadBalancer publish on every node or a load balancer, externalIPs on
  the listed addresses; Gateway API routes are exposed by the Gateway they attach to (`parentRefs`).

Every case names the rule it exercises; the expectations were written from the rule, not by running the code.
`test_both_readings_*` holds the engine to an independent brute-force oracle of both readings: a pair reachable
under both is never reported unreachable.
"""

from __future__ import annotations

import ipaddress
import random
from dataclasses import dataclass, field, replace
from typing import Any

import pytest

from tenantguard.policies.isolation.exposure import exposures
from tenantguard.policies.isolation.world import NetworkWorld
from tenantguard.policies.netpol import ContainerPort, PodInfo, analyze
from tenantguard.policies.netpol.nodes import share_node
from tenantguard.policies.settings import NetworkSettings, Settings
from tests.unit.test_netpol_consistency import NAMESPACES as RANDOM_NAMESPACES
from tests.unit.test_netpol_consistency import world as random_world
from tests.unit.test_netpol_table import labels, netpol

TENANT = "tenantguard.io/tenant"
NAMESPACES = {
    "acme-prod": {TENANT: "acme"},
    "globex-prod": {TENANT: "globex"},
    "llm-gateway": {"role": "gateway"},
}
TENANT_OF = {"acme-prod": "acme", "globex-prod": "globex"}
HTTP = ContainerPort(port=8000, name="http")
REDIS = ContainerPort(port=6379, name="redis")
METRICS = ContainerPort(port=9100, name="metrics")


def _pod(ref: str, app: str, ip: str, node: str, ports: tuple[ContainerPort, ...] = (), **kw: Any) -> PodInfo:
    namespace, name = ref.split("/")
    return PodInfo(namespace=namespace, name=name, labels={"app": app, TENANT: namespace.split("-")[0]}, ip=ip,
                   node=node, ports=ports, **kw)  # fmt: skip


# Nodes n1 (192.168.1.1), n2 (192.168.1.2), n3; hostNetwork pods have their node's address.
PODS = {
    p.namespace + "/" + p.name: p
    for p in (
        _pod("acme-prod/vllm", "vllm", "10.244.1.10", "n1", (HTTP,)),
        _pod("acme-prod/agent", "agent", "192.168.1.1", "n1", (METRICS,), host_network=True),
        _pod("acme-prod/pending-agent", "agent", "", "", host_network=True),
        _pod("globex-prod/redis", "redis", "10.244.2.20", "n2", (REDIS,)),
        _pod("globex-prod/cache", "cache", "10.244.1.30", "n1", (REDIS,)),
        _pod("globex-prod/exporter", "exporter", "192.168.1.2", "n2", (METRICS,), host_network=True),
        _pod("llm-gateway/envoy", "envoy", "10.244.3.5", "n3"),
    )
}
DENY_GLOBEX = netpol("globex-prod", "default-deny", types=["Ingress", "Egress"])
DENY_ACME = netpol("acme-prod", "default-deny", types=["Ingress", "Egress"])
GLOBEX = {"namespaceSelector": labels(**{TENANT: "globex"})}


def redis_ingress(*rules: dict[str, Any]) -> list[dict[str, Any]]:
    return [DENY_GLOBEX, netpol("globex-prod", "redis-in", labels(app="redis"), ingress=list(rules))]


def vllm_egress(*rules: dict[str, Any]) -> list[dict[str, Any]]:
    return [DENY_ACME, netpol("acme-prod", "vllm-out", labels(app="vllm"), types=["Egress"], egress=list(rules))]


# (src, dst, protocol, port, allowed); dst "*" means an address outside the cluster (external egress)
Expectation = tuple[str, str, str, int, bool]


@dataclass(frozen=True)
class Case:
    id: str
    policies: list[dict[str, Any]]
    expect: list[Expectation]


CASES = [
    Case("no policy: a hostNetwork pod reaches a pod (nothing isolates either end)", [],
         [("acme-prod/agent", "globex-prod/redis", "TCP", 6379, True)]),
    Case("no policy: a pod reaches a hostNetwork pod", [],
         [("globex-prod/redis", "acme-prod/agent", "TCP", 9100, True)]),
    Case("no policy: hostNetwork pod to hostNetwork pod", [],
         [("acme-prod/agent", "globex-prod/exporter", "UDP", 53, True)]),
    Case("no policy: a hostNetwork pod reaches addresses outside the cluster", [],
         [("acme-prod/agent", "*", "TCP", 443, True)]),
    Case("default deny: a hostNetwork pod on another node is node traffic, which the deny refuses",
         [DENY_GLOBEX], [("acme-prod/agent", "globex-prod/redis", "TCP", 6379, False)]),
    Case("default deny: traffic from a pod's own node is always allowed — a hostNetwork pod on it reaches it",
         [DENY_GLOBEX], [("acme-prod/agent", "globex-prod/cache", "TCP", 6379, True),
                         ("acme-prod/agent", "globex-prod/cache", "UDP", 1, True)]),
    Case("default deny egress: traffic to a pod's own node is always allowed, so it reaches that hostNetwork pod",
         [DENY_GLOBEX], [("globex-prod/cache", "acme-prod/agent", "TCP", 9100, True)]),
    Case("default deny egress: a hostNetwork pod on another node is an address the deny refuses",
         [DENY_GLOBEX], [("globex-prod/redis", "acme-prod/agent", "TCP", 9100, False)]),
    Case("a default deny in its own namespace does not isolate a hostNetwork pod, either way",
         [DENY_ACME], [("globex-prod/redis", "acme-prod/agent", "TCP", 9100, True),
                       ("acme-prod/agent", "globex-prod/redis", "TCP", 6379, True),
                       ("acme-prod/agent", "*", "TCP", 443, True)]),
    Case("podSelector never matches a hostNetwork pod: an allow for app=agent does not admit it",
         redis_ingress({"from": [{"namespaceSelector": {}, "podSelector": labels(app="agent")}]}),
         [("acme-prod/agent", "globex-prod/redis", "TCP", 6379, False)]),
    Case("namespaceSelector {} selects the pods of every namespace, not hostNetwork pods",
         redis_ingress({"from": [{"namespaceSelector": {}}]}),
         [("acme-prod/agent", "globex-prod/redis", "TCP", 6379, False),
          ("acme-prod/vllm", "globex-prod/redis", "TCP", 6379, True)]),
    Case("an ipBlock holding the node's address admits the hostNetwork pod on it",
         redis_ingress({"from": [{"ipBlock": {"cidr": "192.168.1.0/24"}}]}),
         [("acme-prod/agent", "globex-prod/redis", "TCP", 6379, True),
          ("acme-prod/vllm", "globex-prod/redis", "TCP", 6379, False)]),
    Case("an ipBlock except carving out the node's address refuses the hostNetwork pod",
         redis_ingress({"from": [{"ipBlock": {"cidr": "192.168.0.0/16", "except": ["192.168.1.0/24"]}}]}),
         [("acme-prod/agent", "globex-prod/redis", "TCP", 6379, False)]),
    Case("an ingress rule without from admits every source, the hostNetwork pod included, on its ports",
         redis_ingress({"ports": [{"port": 6379}]}),
         [("acme-prod/agent", "globex-prod/redis", "TCP", 6379, True),
          ("acme-prod/agent", "globex-prod/redis", "TCP", 6380, False)]),
    Case("a pending hostNetwork pod has no address yet: no ipBlock admits it",
         redis_ingress({"from": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}),
         [("acme-prod/pending-agent", "globex-prod/redis", "TCP", 6379, False),
          ("acme-prod/agent", "globex-prod/redis", "TCP", 6379, True)]),
    Case("egress by namespaceSelector does not reach a hostNetwork pod of that namespace",
         vllm_egress({"to": [GLOBEX]}),
         [("acme-prod/vllm", "globex-prod/exporter", "TCP", 9100, False),
          ("acme-prod/vllm", "globex-prod/redis", "TCP", 6379, True)]),
    Case("egress to an ipBlock with the node's address reaches the hostNetwork pod on it",
         vllm_egress({"to": [{"ipBlock": {"cidr": "192.168.1.2/32"}}]}),
         [("acme-prod/vllm", "globex-prod/exporter", "TCP", 9100, True),
          ("acme-prod/vllm", "globex-prod/redis", "TCP", 6379, False)]),
    Case("a named port never resolves on a hostNetwork pod: its ports are the node's",
         vllm_egress({"to": [{"ipBlock": {"cidr": "192.168.1.2/32"}}], "ports": [{"port": "metrics"}]}),
         [("acme-prod/vllm", "globex-prod/exporter", "TCP", 9100, False)]),
    Case("hostNetwork pod to hostNetwork pod: policies in both namespaces change nothing",
         [DENY_ACME, DENY_GLOBEX], [("acme-prod/agent", "globex-prod/exporter", "TCP", 22, True),
                                    ("globex-prod/exporter", "acme-prod/agent", "TCP", 22, True)]),
    Case("a pod and the hostNetwork pod of its own node reach each other despite a default deny both ways",
         [DENY_ACME], [("acme-prod/vllm", "acme-prod/agent", "TCP", 9100, True),
                       ("acme-prod/agent", "acme-prod/vllm", "TCP", 8000, True)]),
    Case("an egress default deny stops a pod's external egress, never a hostNetwork pod's",
         [DENY_ACME], [("acme-prod/vllm", "*", "TCP", 443, False), ("acme-prod/agent", "*", "TCP", 443, True)]),
    Case("the gateway's pod is no hostNetwork pod: default deny refuses it like any other pod",
         [DENY_GLOBEX], [("llm-gateway/envoy", "globex-prod/redis", "TCP", 6379, False)]),
]  # fmt: skip


def _external(analysis: Any, src: PodInfo, protocol: str, port: int) -> bool:
    return any(e.cidr == "*" and _described(e.ports, protocol, port) for e in analysis.external(src))


def _described(ports: tuple[str, ...], protocol: str, port: int) -> bool:
    for text in ports:
        proto, _, number = text.partition("/")
        low, _, high = number.partition("-")
        if text == "*" or (proto == protocol and (number == "*" or int(low) <= port <= int(high or low))):
            return True
    return False


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_host_network_connectivity(case: Case) -> None:
    analysis = analyze(NAMESPACES, PODS.values(), case.policies)
    got = []
    for src, dst, protocol, port, _ in case.expect:
        if dst == "*":
            got.append((src, dst, protocol, port, _external(analysis, PODS[src], protocol, port)))
        else:
            got.append((src, dst, protocol, port, analysis.allowed(PODS[src], PODS[dst], port, protocol)))
    assert got == case.expect


def test_host_network_cases_explain_themselves() -> None:
    analysis = analyze(NAMESPACES, PODS.values(), [DENY_GLOBEX])
    same_node = analysis.explain(PODS["acme-prod/agent"], PODS["globex-prod/cache"], 6379)
    assert (same_node.allowed, same_node.reason) == (True, "node")
    other_node = analysis.explain(PODS["acme-prod/agent"], PODS["globex-prod/redis"], 6379)
    assert (other_node.allowed, other_node.egress.host_network, other_node.ingress.policies) == (
        False, True, ("globex-prod/default-deny",))  # fmt: skip


# --- exposure outside the cluster ----------------------------------------------------------------------------


def _service(name: str, ns: str = "acme-prod", **spec: Any) -> dict[str, Any]:
    spec = {"selector": {"app": "vllm"}, "ports": [{"port": 80, "targetPort": "http"}], **spec}
    return {"kind": "Service", "metadata": {"name": name, "namespace": ns}, "spec": spec}


def _ingress(klass: str) -> dict[str, Any]:
    backend = {"service": {"name": "vllm", "port": {"number": 80}}}
    paths = [{"path": "/", "backend": backend}]
    return {"kind": "Ingress", "metadata": {"name": "chat", "namespace": "acme-prod"},
            "spec": {"ingressClassName": klass, "rules": [{"http": {"paths": paths}}]}}  # fmt: skip


def _route(parent: dict[str, Any]) -> dict[str, Any]:
    return {"kind": "HTTPRoute", "metadata": {"name": "chat", "namespace": "acme-prod"},
            "spec": {"parentRefs": [parent], "rules": [{"backendRefs": [{"name": "vllm", "port": 80}]}]}}  # fmt: skip


def _ingress_block(cidr: str) -> dict[str, Any]:
    return netpol("acme-prod", "from-outside", labels(app="vllm"), ingress=[{"from": [{"ipBlock": {"cidr": cidr}}]}])


# expected: (kind, namespace, name, gateway, ports, workloads)
Exposure = tuple[str, str, str, bool, tuple[str, ...], tuple[str, ...]]
VLLM = "acme-prod/vllm[Pod]"


@dataclass(frozen=True)
class ExposureCase:
    id: str
    objects: list[dict[str, Any]]
    expect: list[Exposure]
    network: NetworkSettings = field(default_factory=NetworkSettings)
    pods: tuple[str, ...] = ("acme-prod/vllm", "globex-prod/redis")


EXPOSURE = [
    ExposureCase("ClusterIP Service: reachable inside the cluster only", [_service("vllm")], []),
    ExposureCase("LoadBalancer Service publishes its pods outside the gateway", [_service("lb", type="LoadBalancer")],
                 [("Service", "acme-prod", "lb", False, ("TCP/8000",), (VLLM,))]),
    ExposureCase("NodePort Service publishes on every node", [_service("np", type="NodePort")],
                 [("Service", "acme-prod", "np", False, ("TCP/8000",), (VLLM,))]),
    ExposureCase("externalIPs publish a ClusterIP Service on the listed addresses",
                 [_service("ext", externalIPs=["203.0.113.7"])],
                 [("Service", "acme-prod", "ext", False, ("TCP/8000",), (VLLM,))]),
    ExposureCase("a Service of a platform namespace is not a tenant's exposure",
                 [_service("gw", ns="llm-gateway", type="LoadBalancer")], []),
    ExposureCase("an Ingress of a class the gateway does not serve publishes around it",
                 [_service("vllm"), _ingress("nginx")],
                 [("Ingress", "acme-prod", "chat", False, ("TCP/8000",), (VLLM,))]),
    ExposureCase("an Ingress of a gateway class publishes through the gateway",
                 [_service("vllm"), _ingress("platform")],
                 [("Ingress", "acme-prod", "chat", True, ("TCP/8000",), (VLLM,))],
                 network=NetworkSettings(gateway_ingress_classes=("platform",))),
    ExposureCase("an HTTPRoute attached to the gateway namespace's Gateway publishes through it",
                 [_service("vllm"), _route({"name": "public", "namespace": "llm-gateway"})],
                 [("HTTPRoute", "acme-prod", "chat", True, ("TCP/8000",), (VLLM,))]),
    ExposureCase("an HTTPRoute attached to a tenant's own Gateway publishes around the gateway",
                 [_service("vllm"), _route({"name": "mine"})],
                 [("HTTPRoute", "acme-prod", "chat", False, ("TCP/8000",), (VLLM,))]),
    ExposureCase("a mesh route (parentRef kind Service) is not attached to a Gateway",
                 [_service("vllm"), _route({"kind": "Service", "name": "vllm"})], []),
    ExposureCase("an ingress ipBlock holding addresses outside the cluster admits clients from outside",
                 [_ingress_block("0.0.0.0/0")],
                 [("NetworkPolicy", "acme-prod", "from-outside", False, ("*",), (VLLM,))]),
    ExposureCase("an ingress ipBlock inside the cluster's private ranges is not an exposure",
                 [_ingress_block("10.0.0.0/8")], []),
    ExposureCase("the same ipBlock is an exposure when the cluster lives in a narrower range",
                 [_ingress_block("10.0.0.0/8")],
                 [("NetworkPolicy", "acme-prod", "from-outside", False, ("*",), (VLLM,))],
                 network=NetworkSettings(cluster_cidrs=("10.244.0.0/16", "10.96.0.0/12", "192.168.1.0/24"))),
    ExposureCase("a tenant hostNetwork pod listens on its node's addresses", [],
                 [("Pod", "acme-prod", "agent", False, ("TCP/9100",), ("acme-prod/agent[Pod]",))],
                 pods=("acme-prod/agent",)),
    ExposureCase("a hostPort binds a container port on the node", [],
                 [("Pod", "globex-prod", "bound", False, ("TCP/8080",), ("globex-prod/bound[Pod]",))],
                 pods=("globex-prod/bound",)),
]  # fmt: skip
BOUND = PodInfo(namespace="globex-prod", name="bound", labels={}, node="n2", ip="10.244.2.9",
                host_ports=(ContainerPort(port=8080),))  # fmt: skip


@pytest.mark.parametrize("case", EXPOSURE, ids=[case.id for case in EXPOSURE])
def test_exposure(case: ExposureCase) -> None:
    pods = {**PODS, "globex-prod/bound": BOUND}
    world = NetworkWorld(
        namespaces=NAMESPACES,
        tenant_of=TENANT_OF,
        pods=tuple(pods[ref] for ref in case.pods),
        policies=tuple(o for o in case.objects if o.get("kind") == "NetworkPolicy"),
        exposing=tuple(o for o in case.objects if o.get("kind") != "NetworkPolicy"),
        settings=Settings(network=case.network),
    )
    found = [
        (e.kind, e.namespace, e.name, e.gateway, e.ports, tuple(e.workloads)) for e in exposures(world, world.analyze())
    ]
    assert found == case.expect


def test_at_least_twenty_host_network_and_exposure_cases() -> None:
    assert len(CASES) + len(EXPOSURE) >= 20 and len(CASES) >= 20
    assert len({c.id for c in CASES}) == len(CASES) and len({c.id for c in EXPOSURE}) == len(EXPOSURE)


# --- both readings, by brute force ------------------------------------------------------------------------------


def _matches(selector: dict[str, Any] | None, found: dict[str, str]) -> bool:
    if selector is None:
        return True
    for key, value in (selector.get("matchLabels") or {}).items():
        if found.get(key) != value:
            return False
    for req in selector.get("matchExpressions") or ():
        key, op, values = req["key"], req["operator"], req.get("values") or []
        if (op == "In" and found.get(key) not in values) or (op == "NotIn" and key in found and found[key] in values):
            return False
        if (op == "Exists" and key not in found) or (op == "DoesNotExist" and key in found):
            return False
    return True


def _span(text: str) -> tuple[int, int, int]:
    net = ipaddress.ip_network(text, strict=False)
    return net.version, int(net.network_address), int(net.broadcast_address)


def _in_block(block: dict[str, Any], pod: PodInfo) -> bool:
    """Whether some address the pod has (or will get from its ranges) is in the block."""
    version, low, high = _span(block["cidr"])
    holes = [_span(e) for e in block.get("except") or ()]
    for text in [pod.ip] if pod.ip else pod.addresses:
        pv, plo, phi = _span(text)
        if pv != version:
            continue
        start, end = max(low, plo), min(high, phi)
        while start <= end:  # the first address of [start, end] outside every hole
            hole = next(((lo, hi) for v, lo, hi in holes if v == version and lo <= start <= hi), None)
            if hole is None:
                return True
            start = hole[1] + 1
    return False


def _ports_match(rule: dict[str, Any], dst: PodInfo, port: int, protocol: str, named: bool) -> bool:
    items = rule.get("ports") or []
    if not items:
        return True
    for item in items:
        if item.get("protocol", "TCP") != protocol:
            continue
        value = item.get("port")
        if value is None or (isinstance(value, int) and value <= port <= item.get("endPort", value)):
            return True
        if isinstance(value, str) and named and any(p.name == value and p.protocol == protocol and p.port == port
                                                    for p in dst.ports):  # fmt: skip
            return True
    return False


def _oracle(
    policies: list[dict[str, Any]], src: PodInfo, dst: PodInfo, port: int, protocol: str, *, node: bool
) -> bool:
    """One connection by brute force. node=True: hostNetwork pods are their node (the common reading);
    node=False: the plugin applies policies to hostNetwork pods like to any pod."""
    if src is dst or (node and (src.host_network or dst.host_network) and share_node(src, dst)):
        return True

    def types(spec: dict[str, Any]) -> set[str]:
        return set(spec.get("policyTypes") or (["Ingress"] + (["Egress"] if spec.get("egress") else [])))

    def end(pod: PodInfo, other: PodInfo, direction: str) -> bool:
        if node and pod.host_network:
            return True
        kind = "Ingress" if direction == "ingress" else "Egress"
        applying = [
            p
            for p in policies
            if p["metadata"]["namespace"] == pod.namespace
            and _matches(p["spec"].get("podSelector") or {}, dict(pod.labels))
            and kind in types(p["spec"])
        ]
        if not applying:
            return True
        for policy in applying:
            for rule in policy["spec"].get(direction) or ():
                peers = rule.get("from" if direction == "ingress" else "to") or []
                if peers and not any(_peer(policy["metadata"]["namespace"], peer, other) for peer in peers):
                    continue
                if _ports_match(rule, dst, port, protocol, named=not (node and dst.host_network)):
                    return True
        return False

    def _peer(ns: str, peer: dict[str, Any], other: PodInfo) -> bool:
        if "ipBlock" in peer:
            return _in_block(peer["ipBlock"], other)
        if node and other.host_network:
            return False
        if "namespaceSelector" not in peer:
            return other.namespace == ns and _matches(peer.get("podSelector"), dict(other.labels))
        ns_labels = {"kubernetes.io/metadata.name": other.namespace, **RANDOM_NAMESPACES.get(other.namespace, {})}
        return _matches(peer["namespaceSelector"], ns_labels) and _matches(peer.get("podSelector"), dict(other.labels))

    return end(src, dst, "egress") and end(dst, src, "ingress")


@pytest.mark.parametrize("seed", range(120))
def test_both_readings_engine_equals_the_common_reading_and_never_hides_a_pair_both_allow(seed: int) -> None:
    pods, policies = random_world(seed)
    rng = random.Random(seed)
    pods = [replace(p, host_network=True) if rng.random() < 0.2 else p for p in pods]
    analysis = analyze(RANDOM_NAMESPACES, pods, policies)
    for src in pods:
        for dst in pods:
            for protocol, port in (("TCP", rng.choice([53, 80, 5432, 8080, 9090])), ("UDP", 53)):
                reported = analysis.allowed(src, dst, port, protocol)
                common = _oracle(policies, src, dst, port, protocol, node=True)
                assert reported == common, (src.name, dst.name, port, protocol)
                if common and _oracle(policies, src, dst, port, protocol, node=False):
                    assert reported
