"""The matrices come from an indexed enumeration over pod classes; they must equal a pod-by-pod evaluation.

Random (seeded) worlds with every kind of selector, peer, ipBlock and port, hostNetwork pods on a few nodes
(and pods from manifests, which may land on any node), compared against `path()` for every ordered pair of
distinct pods. The expectations of the semantics themselves live in test_netpol_table.py and
test_netpol_host_network.py.
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from tenantguard.policies.netpol import ContainerPort, PodInfo, PortSet, analyze
from tenantguard.policies.netpol.ports import EVERYTHING, NOTHING

TENANTS = {"a1": "a", "a2": "a", "b1": "b", "c1": "c", "free": ""}
NAMESPACES = {ns: ({"tenant": t} if t else {}) | {"env": random.Random(ns).choice(["prod", "dev"])}
              for ns, t in TENANTS.items()}  # fmt: skip
NAMED = [ContainerPort(port=8080, name="http"), ContainerPort(port=9090, name="http"),
         ContainerPort(port=53, name="dns", protocol="UDP"), ContainerPort(port=5432, name="pg")]  # fmt: skip


def _selector(rng: random.Random, keys: dict[str, list[str]]) -> dict[str, Any]:
    roll = rng.random()
    key = rng.choice(list(keys))
    if roll < 0.3:
        return {}
    if roll < 0.65:
        return {"matchLabels": {key: rng.choice(keys[key])}}
    operator = rng.choice(["In", "NotIn", "Exists", "DoesNotExist"])
    requirement: dict[str, Any] = {"key": key, "operator": operator}
    if operator in ("In", "NotIn"):
        requirement["values"] = rng.sample(keys[key], rng.randint(1, len(keys[key])))
    return {"matchExpressions": [requirement]}


POD_KEYS = {"app": ["web", "db", "job"], "tier": ["front", "back"]}
NS_KEYS = {"tenant": ["a", "b", "c"], "env": ["prod", "dev"], "kubernetes.io/metadata.name": list(TENANTS)}


def _peer(rng: random.Random) -> dict[str, Any]:
    kind = rng.randrange(4)
    if kind == 0:
        return {"podSelector": _selector(rng, POD_KEYS)}
    if kind == 1:
        return {"namespaceSelector": _selector(rng, NS_KEYS)}
    if kind == 2:
        return {"namespaceSelector": _selector(rng, NS_KEYS), "podSelector": _selector(rng, POD_KEYS)}
    block: dict[str, Any] = {"cidr": rng.choice(["10.0.0.0/8", "10.1.0.0/16", "10.2.0.5/32", "0.0.0.0/0", "::/0"])}
    if rng.random() < 0.5:
        block["except"] = [rng.choice(["10.1.0.0/24", "10.2.0.0/16", "10.0.0.0/8"])]
    return {"ipBlock": block}


def _ports(rng: random.Random) -> list[dict[str, Any]] | None:
    if rng.random() < 0.35:
        return None
    ports: list[dict[str, Any]] = []
    for _ in range(rng.randint(1, 2)):
        kind = rng.randrange(4)
        protocol = rng.choice(["TCP", "TCP", "UDP", "SCTP"])
        if kind == 0:
            ports.append({"protocol": protocol, "port": rng.choice([53, 80, 5432, 8080])})
        elif kind == 1:
            low = rng.choice([50, 5000, 8000])
            ports.append({"protocol": protocol, "port": low, "endPort": low + rng.choice([0, 10, 3000])})
        elif kind == 2:
            ports.append({"protocol": protocol, "port": rng.choice(["http", "dns", "pg"])})
        else:
            ports.append({"protocol": protocol})
    return ports


def _rules(rng: random.Random, field: str) -> list[dict[str, Any]]:
    rules = []
    for _ in range(rng.randint(0, 2)):
        rule: dict[str, Any] = {}
        if rng.random() < 0.8:
            rule[field] = [_peer(rng) for _ in range(rng.randint(1, 2))]
        if (ports := _ports(rng)) is not None:
            rule["ports"] = ports
        rules.append(rule)
    return rules


def world(seed: int) -> tuple[list[PodInfo], list[dict[str, Any]]]:
    rng = random.Random(seed)
    pods = []
    for i in range(rng.randint(6, 16)):
        ns = rng.choice(list(TENANTS))
        labels = {key: rng.choice(values) for key, values in POD_KEYS.items() if rng.random() < 0.7}
        ip = rng.choice(["", f"10.1.0.{i}", f"10.2.0.{i}", "10.2.0.5", f"10.3.{i}.1"])
        ports = tuple(rng.sample(NAMED, rng.randint(0, 2)))
        node = rng.choice(["n1", "n1", "n2", "n3", "", "*"])
        host = rng.random() < 0.15
        if host:
            ip = {"n1": "10.2.0.5", "n2": "192.168.0.2", "n3": "10.1.0.200"}.get(node, "")
        addresses = ("10.1.0.0/16",) if not ip and rng.random() < 0.5 else ()
        workload = f"{ns}/w{rng.randrange(3)}[Deployment]" if rng.random() < 0.7 else ""
        pods.append(PodInfo(namespace=ns, name=f"p{i}", labels=labels, ip=ip, ports=ports, host_network=host,
                            node=node, addresses=addresses, workload=workload))  # fmt: skip
    policies = []
    for j in range(rng.randint(0, 7)):
        spec: dict[str, Any] = {"podSelector": _selector(rng, POD_KEYS)}
        if rng.random() < 0.5:
            spec["policyTypes"] = rng.choice([["Ingress"], ["Egress"], ["Ingress", "Egress"]])
        if rng.random() < 0.8:
            spec["ingress"] = _rules(rng, "from")
        if rng.random() < 0.6:
            spec["egress"] = _rules(rng, "to")
        policies.append({"metadata": {"namespace": rng.choice(list(TENANTS)), "name": f"np{j}"}, "spec": spec})
    return pods, policies


def brute_force(
    analysis: Any, pods: list[PodInfo]
) -> tuple[dict[tuple[str, str], PortSet], dict[Any, Any], dict[tuple[str, str], PortSet]]:
    """(src ns, dst ns) -> ports, the cross-tenant entries and the workload pairs, from one `path()` per pair of
    distinct pods (the policies' verdict, or every port when they share a node and one is hostNetwork)."""
    matrix: dict[tuple[str, str], PortSet] = {}
    cross: dict[tuple[str, str], dict[str, Any]] = {}
    workloads: dict[tuple[str, str], PortSet] = {}
    tenant_of = {ns: t for ns, t in TENANTS.items() if t}
    for src in pods:
        for dst in pods:
            if src is dst:
                continue
            path = analysis.path(src, dst)
            verdict = analysis.model.verdict(analysis.class_of(src), analysis.class_of(dst))
            if path is None:
                assert not verdict.ports
                continue
            ports = EVERYTHING if path.via_node else verdict.ports
            assert path.ports == ports.describe()
            key = (src.namespace, dst.namespace)
            matrix[key] = matrix.get(key, NOTHING).union(ports)
            pair = (src.owner, dst.owner)
            workloads[pair] = workloads.get(pair, NOTHING).union(ports)
            src_tenant, dst_tenant = tenant_of.get(src.namespace), tenant_of.get(dst.namespace)
            if src_tenant and dst_tenant and src_tenant != dst_tenant:
                entry = cross.setdefault(key, {"src": set(), "dst": set(), "ports": NOTHING, "in": set(), "out": set(),
                                               "node": False})  # fmt: skip
                entry["src"].add(src)
                entry["dst"].add(dst)
                entry["ports"] = entry["ports"].union(ports)
                entry["in"].update(verdict.ingress_rules)
                entry["out"].update(verdict.egress_rules)
                entry["node"] |= path.via_node
    return matrix, cross, workloads


def _as_json(refs: set[Any]) -> list[dict[str, str]]:
    return [{"policy": ref.policy, "rule": ref.rule} for ref in sorted(refs)]


@pytest.mark.parametrize("seed", range(150))
def test_matrices_equal_pairwise_evaluation(seed: int) -> None:
    pods, policies = world(seed)
    analysis = analyze(NAMESPACES, pods, policies)
    matrix, cross, workloads = brute_force(analysis, pods)
    expected = {src: {dst: list(p.describe()) for (s, dst), p in sorted(matrix.items()) if s == src}
                for src, _ in sorted(matrix)}  # fmt: skip
    assert analysis.namespace_matrix() == expected
    tenant_of = {ns: t for ns, t in TENANTS.items() if t}
    assert analysis.cross_tenant_paths(tenant_of) == [
        {
            "from": {"tenant": tenant_of[src], "namespace": src, "pods": sorted(p.name for p in entry["src"]),
                     "workloads": sorted({p.owner for p in entry["src"]})},
            "to": {"tenant": tenant_of[dst], "namespace": dst, "pods": sorted(p.name for p in entry["dst"]),
                   "workloads": sorted({p.owner for p in entry["dst"]})},
            "ports": list(entry["ports"].describe()),
            "ingressPolicies": sorted({ref.policy for ref in entry["in"]}),
            "egressPolicies": sorted({ref.policy for ref in entry["out"]}),
            "ingressRules": _as_json(entry["in"]),
            "egressRules": _as_json(entry["out"]),
            "viaNode": entry["node"],
        }
        for (src, dst), entry in sorted(cross.items())
    ]  # fmt: skip
    assert analysis.workload_pairs() == workloads


@pytest.mark.parametrize("seed", range(40))
def test_allowed_agrees_with_path(seed: int) -> None:
    pods, policies = world(seed)
    analysis = analyze(NAMESPACES, pods, policies)
    rng = random.Random(seed)
    for src in pods:
        for dst in pods:
            path = analysis.path(src, dst)
            for protocol, port in ((rng.choice(["TCP", "UDP", "SCTP"]), rng.choice([53, 80, 5432, 8080, 9090])),):
                if analysis.allowed(src, dst, port, protocol):
                    assert path is not None
            if path is None:
                assert not any(analysis.allowed(src, dst, p, "TCP") for p in (53, 80, 5432, 8080, 9090))


@pytest.mark.parametrize("seed", range(60))
def test_workload_pairs_of_some_namespaces_are_those_with_an_end_there(seed: int) -> None:
    pods, policies = world(seed)
    analysis = analyze(NAMESPACES, pods, policies)
    every = analysis.workload_pairs()
    wanted = random.Random(seed).sample(sorted(TENANTS), 2)
    namespace_of = {p.owner: p.namespace for p in pods}
    assert analyze(NAMESPACES, pods, policies).workload_pairs(wanted) == {  # enumerates only what touches them
        pair: ports for pair, ports in every.items() if {namespace_of[pair[0]], namespace_of[pair[1]]} & set(wanted)
    }


@pytest.mark.parametrize("seed", range(40))
def test_explain_agrees_with_allowed(seed: int) -> None:
    pods, policies = world(seed)
    analysis = analyze(NAMESPACES, pods, policies)
    rng = random.Random(seed)
    for src in pods:
        for dst in pods:
            protocol, port = rng.choice(["TCP", "UDP", "SCTP"]), rng.choice([53, 80, 5432, 8080, 9090])
            explanation = analysis.explain(src, dst, port, protocol)
            assert explanation.allowed == analysis.allowed(src, dst, port, protocol)
            if explanation.allowed and explanation.reason == "policies":
                verdict = analysis.model.verdict(analysis.class_of(src), analysis.class_of(dst))
                assert set(explanation.opening) <= {*verdict.ingress_rules, *verdict.egress_rules}
