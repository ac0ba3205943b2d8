"""NetworkPolicy semantics, case by case, with the expected connectivity written from the Kubernetes documentation.

Sources: the "Network Policies" concept page (kubernetes.io/docs/concepts/services-networking/network-policies)
and the networking.k8s.io/v1 API reference (NetworkPolicySpec, NetworkPolicyPeer, NetworkPolicyPort, IPBlock,
LabelSelector). Every case names the documented rule it exercises; the expectations were written from that rule,
not by running the code. All cases share one small world of namespaces and pods (below).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from tenantguard.policies.netpol import ContainerPort, PodInfo, analyze

NAMESPACES: dict[str, dict[str, str]] = {
    "prod": {"tenant": "acme", "env": "prod"},
    "dev": {"tenant": "acme", "env": "dev"},
    "other": {"tenant": "globex"},
    "kube-system": {},  # only the kubernetes.io/metadata.name label the apiserver adds
}


def _pod(ref: str, labels: dict[str, str], ip: str = "", ports: tuple[ContainerPort, ...] = (), **kw: Any) -> PodInfo:
    namespace, name = ref.split("/")
    return PodInfo(namespace=namespace, name=name, labels=labels, ip=ip, ports=ports, **kw)


HTTP = ContainerPort(port=8080, name="http")
METRICS = ContainerPort(port=9090, name="metrics")
PODS = {
    pod.namespace + "/" + pod.name: pod
    for pod in (
        _pod("prod/web", {"app": "web", "role": "frontend"}, "10.1.0.10", (HTTP, METRICS)),
        _pod("prod/db", {"app": "db"}, "10.1.0.20", (ContainerPort(port=5432, name="pg"),)),
        _pod("prod/batch", {"app": "batch"}, "10.1.0.30"),
        _pod("dev/web", {"app": "web", "role": "frontend"}, "10.2.0.10", (ContainerPort(port=8081, name="http"),)),
        _pod("dev/job", {"app": "job"}, "10.2.0.20"),
        _pod("dev/pending", {"app": "job"}),  # no IP yet
        _pod("other/client", {"app": "client"}, "10.3.0.10"),
        _pod(
            "kube-system/dns",
            {"k8s-app": "kube-dns"},
            "10.9.0.10",
            (ContainerPort(port=53, name="dns", protocol="UDP"), ContainerPort(port=53, name="dns-tcp")),
        ),
        _pod("prod/agent", {"app": "db"}, "192.168.0.5", host_network=True),
    )
}


def netpol(
    namespace: str,
    name: str,
    selector: dict[str, Any] | None = None,
    types: list[str] | None = None,
    ingress: list[dict[str, Any]] | None = None,
    egress: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    spec: dict[str, Any] = {"podSelector": selector or {}}
    if types is not None:
        spec["policyTypes"] = types
    if ingress is not None:
        spec["ingress"] = ingress
    if egress is not None:
        spec["egress"] = egress
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"namespace": namespace, "name": name}, "spec": spec}  # fmt: skip


NAME = "kubernetes.io/metadata.name"


def labels(**values: str) -> dict[str, Any]:
    return {"matchLabels": values}


def expr(key: str, operator: str, *values: str) -> dict[str, Any]:
    requirement: dict[str, Any] = {"key": key, "operator": operator}
    if values:
        requirement["values"] = list(values)
    return {"matchExpressions": [requirement]}


DENY_INGRESS = netpol("prod", "deny-ingress", types=["Ingress"])
DENY_EGRESS = netpol("prod", "deny-egress", types=["Egress"])
DENY_ALL = netpol("prod", "deny-all", types=["Ingress", "Egress"])
DB_ONLY = labels(app="db")

# (src, dst, protocol, port, allowed)
Expectation = tuple[str, str, str, int, bool]


@dataclass(frozen=True)
class Case:
    id: str
    policies: list[dict[str, Any]]
    expect: list[Expectation]
    namespaces: dict[str, dict[str, str]] = field(default_factory=lambda: NAMESPACES)


def ingress_to_db(*rules: dict[str, Any]) -> list[dict[str, Any]]:
    """Isolate prod/db for ingress with these rules (the other prod pods stay open)."""
    return [netpol("prod", "db", DB_ONLY, ingress=list(rules))]


CASES = [
    # --- isolation and defaults -------------------------------------------------------------------------------
    Case(
        "no-policy: pods are non-isolated and accept traffic from any source",
        [],
        [
            ("other/client", "prod/db", "TCP", 5432, True),
            ("prod/db", "other/client", "UDP", 53, True),
            ("dev/pending", "kube-system/dns", "SCTP", 9, True),
        ],
    ),
    Case(
        "default-deny-ingress: podSelector {} + policyTypes [Ingress] with no rules denies all ingress",
        [DENY_INGRESS],
        [
            ("other/client", "prod/db", "TCP", 5432, False),
            ("prod/web", "prod/db", "TCP", 5432, False),
            ("prod/db", "other/client", "TCP", 80, True),
        ],
    ),  # "does not change the default egress isolation"
    Case(
        "policyTypes default: absent policyTypes means Ingress, so a bare podSelector {} denies ingress",
        [netpol("prod", "bare")],
        [("other/client", "prod/web", "TCP", 8080, False), ("prod/web", "other/client", "TCP", 80, True)],
    ),
    Case(
        "default-deny-egress: policyTypes [Egress] with no rules denies all egress, ingress unchanged",
        [DENY_EGRESS],
        [
            ("prod/web", "other/client", "TCP", 80, False),
            ("prod/web", "prod/db", "TCP", 5432, False),
            ("other/client", "prod/web", "TCP", 8080, True),
        ],
    ),
    Case(
        "default-deny-all: policyTypes [Ingress, Egress] isolates both directions, other namespaces untouched",
        [DENY_ALL],
        [
            ("prod/web", "other/client", "TCP", 80, False),
            ("other/client", "prod/web", "TCP", 8080, False),
            ("dev/web", "other/client", "TCP", 80, True),
        ],
    ),
    Case(
        "allow-all-ingress: an ingress rule {} (no from, no ports) allows everything despite a default deny",
        [DENY_INGRESS, netpol("prod", "allow-all", ingress=[{}])],
        [("other/client", "prod/db", "UDP", 7, True), ("dev/job", "prod/web", "SCTP", 1, True)],
    ),
    Case(
        "allow-all-egress: an egress rule {} allows every destination despite a default deny egress",
        [DENY_EGRESS, netpol("prod", "allow-all-egress", types=["Egress"], egress=[{}])],
        [("prod/web", "other/client", "TCP", 80, True), ("prod/db", "kube-system/dns", "UDP", 53, True)],
    ),
    Case(
        "only selected pods are isolated: pods no policy selects keep accepting all traffic",
        [netpol("prod", "db", DB_ONLY, ingress=[])],
        [("other/client", "prod/db", "TCP", 5432, False), ("other/client", "prod/web", "TCP", 8080, True)],
    ),
    Case(
        "policy is namespaced: a deny-all in dev does not isolate prod pods",
        [netpol("dev", "deny-all")],
        [("other/client", "prod/web", "TCP", 8080, True), ("other/client", "dev/web", "TCP", 8081, False)],
    ),
    Case(
        "empty ingress list: ingress: [] with Ingress in policyTypes allows no traffic",
        [netpol("prod", "empty", types=["Ingress"], ingress=[])],
        [("prod/web", "prod/db", "TCP", 5432, False), ("kube-system/dns", "prod/batch", "UDP", 53, False)],
    ),
    Case(
        "policyTypes default: egress rules without policyTypes make it Ingress AND Egress",
        [netpol("prod", "egress-only-rules", egress=[{"to": [{"namespaceSelector": {}}]}])],
        [
            ("other/client", "prod/web", "TCP", 8080, False),  # Ingress is always set: no ingress rules, denied
            ("prod/web", "other/client", "TCP", 80, True),
        ],
    ),
    Case(
        "policyTypes default: egress: [] is no egress rule, so the policy is Ingress only",
        [netpol("prod", "empty-egress", ingress=[{}], egress=[])],
        [("prod/web", "other/client", "TCP", 80, True), ("other/client", "prod/web", "TCP", 8080, True)],
    ),
    Case(
        "policyTypes [Egress] only: its ingress rules do not make it apply to ingress",
        [netpol("prod", "egress-type", types=["Egress"], ingress=[{"from": [{"podSelector": {}}]}], egress=[])],
        [("other/client", "prod/web", "TCP", 8080, True), ("prod/web", "other/client", "TCP", 80, False)],
    ),
    Case(
        "self: a pod cannot block access to itself",
        [DENY_ALL],
        [("prod/db", "prod/db", "TCP", 5432, True), ("prod/db", "prod/web", "TCP", 8080, False)],
    ),
    # --- peers -------------------------------------------------------------------------------------------------
    Case(
        "podSelector alone selects pods in the policy's own namespace",
        ingress_to_db({"from": [{"podSelector": labels(role="frontend")}]}),
        [
            ("prod/web", "prod/db", "TCP", 5432, True),
            ("dev/web", "prod/db", "TCP", 5432, False),
            ("prod/batch", "prod/db", "TCP", 5432, False),
        ],
    ),
    Case(
        "empty podSelector {} alone selects every pod of the policy's namespace",
        ingress_to_db({"from": [{"podSelector": {}}]}),
        [("prod/batch", "prod/db", "TCP", 5432, True), ("dev/web", "prod/db", "TCP", 5432, False)],
    ),
    Case(
        "namespaceSelector alone selects all pods in the matching namespaces",
        ingress_to_db({"from": [{"namespaceSelector": labels(tenant="acme")}]}),
        [
            ("dev/job", "prod/db", "TCP", 5432, True),
            ("prod/batch", "prod/db", "TCP", 5432, True),
            ("other/client", "prod/db", "TCP", 5432, False),
        ],
    ),
    Case(
        "namespaceSelector and podSelector in ONE peer: pods matching both (AND)",
        ingress_to_db({"from": [{"namespaceSelector": labels(env="dev"), "podSelector": labels(role="frontend")}]}),
        [
            ("dev/web", "prod/db", "TCP", 5432, True),
            ("dev/job", "prod/db", "TCP", 5432, False),
            ("prod/web", "prod/db", "TCP", 5432, False),
        ],
    ),
    Case(
        "namespaceSelector and podSelector as TWO peers: either matches (OR)",
        ingress_to_db({"from": [{"namespaceSelector": labels(env="dev")}, {"podSelector": labels(role="frontend")}]}),
        [
            ("dev/job", "prod/db", "TCP", 5432, True),
            ("prod/web", "prod/db", "TCP", 5432, True),
            ("prod/batch", "prod/db", "TCP", 5432, False),
            ("other/client", "prod/db", "TCP", 5432, False),
        ],
    ),
    Case(
        "namespaceSelector {} selects every namespace",
        ingress_to_db({"from": [{"namespaceSelector": {}}]}),
        [("other/client", "prod/db", "TCP", 5432, True), ("kube-system/dns", "prod/db", "TCP", 5432, True)],
    ),
    Case(
        "namespaceSelector {} with a podSelector: the matching pods in any namespace",
        ingress_to_db({"from": [{"namespaceSelector": {}, "podSelector": labels(app="client")}]}),
        [("other/client", "prod/db", "TCP", 5432, True), ("dev/job", "prod/db", "TCP", 5432, False)],
    ),
    Case(
        "kubernetes.io/metadata.name is set on every namespace and can be selected",
        ingress_to_db({"from": [{"namespaceSelector": {"matchLabels": {NAME: "kube-system"}}}]}),
        [("kube-system/dns", "prod/db", "TCP", 5432, True), ("prod/web", "prod/db", "TCP", 5432, False)],
    ),
    Case(
        "matchExpressions In: the label is present with one of the values",
        ingress_to_db({"from": [{"podSelector": expr("app", "In", "web", "batch")}]}),
        [("prod/web", "prod/db", "TCP", 5432, True), ("prod/batch", "prod/db", "TCP", 5432, True)],
    ),
    Case(
        "matchExpressions NotIn: absent label, or a value outside the set",
        ingress_to_db({"from": [{"namespaceSelector": expr("tenant", "NotIn", "acme")}]}),
        [
            ("other/client", "prod/db", "TCP", 5432, True),
            ("kube-system/dns", "prod/db", "TCP", 5432, True),
            ("dev/job", "prod/db", "TCP", 5432, False),
        ],
    ),
    Case(
        "matchExpressions Exists: the key is present, whatever its value",
        ingress_to_db({"from": [{"podSelector": expr("role", "Exists")}]}),
        [("prod/web", "prod/db", "TCP", 5432, True), ("prod/batch", "prod/db", "TCP", 5432, False)],
    ),
    Case(
        "matchExpressions DoesNotExist: the key is absent",
        ingress_to_db({"from": [{"namespaceSelector": expr("tenant", "DoesNotExist")}]}),
        [("kube-system/dns", "prod/db", "TCP", 5432, True), ("other/client", "prod/db", "TCP", 5432, False)],
    ),
    Case(
        "matchLabels and matchExpressions of one selector are ANDed",
        ingress_to_db({"from": [{"podSelector": {**labels(app="web"), **expr("role", "In", "backend")}}]}),
        [("prod/web", "prod/db", "TCP", 5432, False)],
    ),
    Case(
        "spec.podSelector with matchExpressions isolates only the pods it selects",
        [netpol("prod", "not-db", expr("app", "NotIn", "db"), ingress=[])],
        [("other/client", "prod/db", "TCP", 5432, True), ("other/client", "prod/web", "TCP", 8080, False)],
    ),
    # --- ipBlock -----------------------------------------------------------------------------------------------
    Case(
        "ipBlock: a source address inside the CIDR is allowed",
        ingress_to_db({"from": [{"ipBlock": {"cidr": "10.3.0.0/16"}}]}),
        [("other/client", "prod/db", "TCP", 5432, True), ("dev/web", "prod/db", "TCP", 5432, False)],
    ),
    Case(
        "ipBlock except: addresses in an except range are not included",
        ingress_to_db({"from": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.3.0.0/16"]}}]}),
        [("other/client", "prod/db", "TCP", 5432, False), ("dev/web", "prod/db", "TCP", 5432, True)],
    ),
    Case(
        "ipBlock: a source address outside the CIDR is not included",
        ingress_to_db({"from": [{"ipBlock": {"cidr": "192.168.0.0/16"}}]}),
        [("other/client", "prod/db", "TCP", 5432, False)],
    ),
    Case(
        "ipBlock selects addresses: a pod without an IP has none, even for 0.0.0.0/0",
        ingress_to_db({"from": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}),
        [("other/client", "prod/db", "TCP", 5432, True), ("dev/pending", "prod/db", "TCP", 5432, False)],
    ),
    Case(
        "ipBlock in an egress rule matches a destination pod's IP",
        [
            DENY_EGRESS,
            netpol("prod", "to-dns", types=["Egress"], egress=[{"to": [{"ipBlock": {"cidr": "10.9.0.10/32"}}]}]),
        ],
        [("prod/web", "kube-system/dns", "UDP", 53, True), ("prod/web", "other/client", "TCP", 80, False)],
    ),
    Case(
        "ipBlock: an IPv6 CIDR never matches an IPv4 pod address",
        ingress_to_db({"from": [{"ipBlock": {"cidr": "::/0"}}]}),
        [("other/client", "prod/db", "TCP", 5432, False)],
    ),
    # --- ports -------------------------------------------------------------------------------------------------
    Case(
        "rule without ports: all ports (and protocols) from the selected sources",
        ingress_to_db({"from": [{"podSelector": labels(app="web")}]}),
        [
            ("prod/web", "prod/db", "TCP", 1, True),
            ("prod/web", "prod/db", "UDP", 65535, True),
            ("prod/batch", "prod/db", "TCP", 5432, False),
        ],
    ),
    Case(
        "rule without from: every source, on the listed ports only",
        ingress_to_db({"ports": [{"port": 5432}]}),
        [("other/client", "prod/db", "TCP", 5432, True), ("other/client", "prod/db", "TCP", 5433, False)],
    ),
    Case(
        "a rule allows traffic matching both its from AND its ports",
        ingress_to_db({"from": [{"podSelector": labels(role="frontend")}], "ports": [{"port": 5432}]}),
        [
            ("prod/web", "prod/db", "TCP", 5432, True),
            ("prod/web", "prod/db", "TCP", 22, False),
            ("prod/batch", "prod/db", "TCP", 5432, False),
        ],
    ),
    Case(
        "protocol defaults to TCP: a numeric port without protocol does not open UDP",
        ingress_to_db({"ports": [{"port": 5432}]}),
        [("prod/web", "prod/db", "TCP", 5432, True), ("prod/web", "prod/db", "UDP", 5432, False)],
    ),
    Case(
        "protocol mismatch: a UDP port does not open the same TCP port",
        ingress_to_db({"ports": [{"protocol": "UDP", "port": 53}]}),
        [("prod/web", "prod/db", "UDP", 53, True), ("prod/web", "prod/db", "TCP", 53, False)],
    ),
    Case(
        "port absent: every port of the protocol (SCTP here)",
        ingress_to_db({"ports": [{"protocol": "SCTP"}]}),
        [("prod/web", "prod/db", "SCTP", 9999, True), ("prod/web", "prod/db", "TCP", 9999, False)],
    ),
    Case(
        "endPort: port..endPort inclusive",
        ingress_to_db({"ports": [{"port": 8000, "endPort": 8100}]}),
        [
            ("prod/web", "prod/db", "TCP", 8000, True),
            ("prod/web", "prod/db", "TCP", 8100, True),
            ("prod/web", "prod/db", "TCP", 8101, False),
            ("prod/web", "prod/db", "TCP", 7999, False),
        ],
    ),
    Case(
        "named port resolves against the destination pod's container port of that name",
        [netpol("prod", "http", labels(app="web"), ingress=[{"ports": [{"port": "http"}]}])],
        [("other/client", "prod/web", "TCP", 8080, True), ("other/client", "prod/web", "TCP", 9090, False)],
    ),
    Case(
        "named port needs the same protocol: 'dns' is a UDP port, TCP 'dns' matches nothing",
        [
            netpol("kube-system", "dns", ingress=[{"ports": [{"port": "dns", "protocol": "TCP"}]}]),
            netpol("kube-system", "dns-udp", ingress=[{"ports": [{"port": "dns-tcp", "protocol": "UDP"}]}]),
        ],
        [("prod/web", "kube-system/dns", "UDP", 53, False), ("prod/web", "kube-system/dns", "TCP", 53, False)],
    ),
    Case(
        "named port with the matching protocol opens that container port",
        [netpol("kube-system", "dns", ingress=[{"ports": [{"port": "dns", "protocol": "UDP"}]}])],
        [("prod/web", "kube-system/dns", "UDP", 53, True), ("prod/web", "kube-system/dns", "TCP", 53, False)],
    ),
    Case(
        "named port on several pods: each destination pod resolves the name to its own number",
        [
            netpol("prod", "http-in", ingress=[{"ports": [{"port": "http"}]}]),
            netpol("dev", "http-in", ingress=[{"ports": [{"port": "http"}]}]),
        ],
        [
            ("other/client", "prod/web", "TCP", 8080, True),
            ("other/client", "dev/web", "TCP", 8081, True),
            ("other/client", "dev/web", "TCP", 8080, False),
            ("other/client", "prod/db", "TCP", 8080, False),
        ],
    ),  # no container port named http: nothing opens
    Case(
        "named port in an egress rule resolves against the destination pod",
        [
            netpol(
                "prod",
                "out",
                labels(app="web"),
                types=["Egress"],
                egress=[{"to": [{"namespaceSelector": {}}], "ports": [{"port": "http"}]}],
            )
        ],
        [
            ("prod/web", "dev/web", "TCP", 8081, True),
            ("prod/web", "dev/web", "TCP", 8080, False),
            ("prod/web", "prod/db", "TCP", 8080, False),
        ],
    ),
    # --- combining policies and the two ends --------------------------------------------------------------------
    Case(
        "policies are additive: the union of what each policy selecting the pod allows",
        [
            *ingress_to_db({"from": [{"podSelector": labels(role="frontend")}], "ports": [{"port": 5432}]}),
            netpol(
                "prod",
                "db-dev",
                DB_ONLY,
                ingress=[{"from": [{"namespaceSelector": labels(env="dev")}], "ports": [{"port": 6379}]}],
            ),
        ],
        [
            ("prod/web", "prod/db", "TCP", 5432, True),
            ("prod/web", "prod/db", "TCP", 6379, False),
            ("dev/job", "prod/db", "TCP", 6379, True),
            ("dev/job", "prod/db", "TCP", 5432, False),
        ],
    ),
    Case(
        "both ends must allow: egress allowed at the source but ingress denied at the destination",
        [DENY_INGRESS, netpol("dev", "allow-egress", types=["Egress"], egress=[{}])],
        [("dev/web", "prod/db", "TCP", 5432, False)],
    ),
    Case(
        "both ends must allow: ingress allowed at the destination but egress denied at the source",
        [netpol("dev", "deny-egress", types=["Egress"]), netpol("prod", "allow", ingress=[{}])],
        [("dev/web", "prod/db", "TCP", 5432, False), ("other/client", "prod/db", "TCP", 5432, True)],
    ),
    Case(
        "cross-namespace: allowed when the source's egress and the destination's ingress both match",
        [
            netpol(
                "dev",
                "to-prod",
                types=["Egress"],
                egress=[{"to": [{"namespaceSelector": labels(env="prod")}], "ports": [{"port": 5432}]}],
            ),
            netpol(
                "prod",
                "from-dev",
                ingress=[
                    {"from": [{"namespaceSelector": labels(env="dev")}], "ports": [{"port": 5000, "endPort": 6000}]}
                ],
            ),
        ],
        [
            ("dev/web", "prod/db", "TCP", 5432, True),
            ("dev/web", "prod/db", "TCP", 5433, False),
            ("dev/web", "other/client", "TCP", 5432, False),
            ("other/client", "prod/db", "TCP", 5432, False),
        ],
    ),
    Case(
        "hostNetwork pods: no selector matches them and no policy isolates them (their traffic is the node's)",
        ingress_to_db({"from": [{"podSelector": DB_ONLY}]}),
        [
            ("prod/agent", "prod/db", "TCP", 5432, False),  # labelled app=db, but podSelector ignores it
            ("prod/db", "prod/agent", "TCP", 22, True),  # agent is never isolated
            ("other/client", "prod/agent", "TCP", 22, True),
        ],
    ),  # the case test_netpol_host_network.py expands (it read "never a source or destination" before)
]


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_connectivity(case: Case) -> None:
    analysis = analyze(case.namespaces, PODS.values(), case.policies)
    got = [(src, dst, proto, port, analysis.allowed(PODS[src], PODS[dst], port, proto))
           for src, dst, proto, port, _ in case.expect]  # fmt: skip
    assert got == case.expect


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_path_agrees_with_allowed(case: Case) -> None:
    analysis = analyze(case.namespaces, PODS.values(), case.policies)
    for src, dst, _, _, expected in case.expect:
        path = analysis.path(PODS[src], PODS[dst])
        if expected:
            assert path is not None, (src, dst)


def test_at_least_forty_cases() -> None:
    assert len(CASES) >= 40
    assert len({case.id for case in CASES}) == len(CASES)
