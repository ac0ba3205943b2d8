"""How fast the NetworkPolicy analysis builds the audit's reachability views on a large multi-tenant cluster,
and how fast `tenantguard reachability diff` compares two such trees.

    python tests/bench/bench_netpol.py [--tenants 200] [--runs 5] [--scenario isolated|ingress-only|open]

The world: per tenant 5 namespaces x 20 pods (a 4-replica StatefulSet with per-pod labels, two Deployments with
pod-template-hash labels and a named "http" port), and per namespace the usual policies — default deny (both
directions), allow the same tenant (in and out), allow DNS to kube-system, allow ingress from the gateway on
"http", egress to the internet on 443 for prod namespaces — plus a few cross-tenant holes; kube-system
(DNS) and a gateway namespace stay unisolated. Timed per run: analyze(), namespace_matrix(), tenant_matrix(),
cross_tenant_paths(), uncovered() and external_matrix() on a fresh analysis. Prints the median of the runs,
objects/s (pods + policies + namespaces) and the peak RSS of the process. Exits 1 below the budget (objects/s).
Wall time and CPU time are printed: on a shared machine the CPU time is what an idle one would take.

The diff: the same world as two trees of objects (Pods with their owners, nodes and addresses, NetworkPolicies,
Namespaces, Tenants) — base, and head with a pull request's worth of change (a policy opening one tenant to
another, a default deny edited, a workload relabelled, a LoadBalancer). Timed per run: both network worlds
built from the objects (`policies.isolation.world.from_objects`) and `policies.isolation.diff.diff`.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from collections.abc import Callable, Sized
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tenantguard.policies.cluster import ClusterState
from tenantguard.policies.isolation.diff import diff
from tenantguard.policies.isolation.world import from_objects
from tenantguard.policies.netpol import ContainerPort, PodInfo, analyze
from tenantguard.policies.netpol.ipblocks import address

ENVS = ("prod", "staging", "dev", "batch", "sandbox")
DENIED = {"isolated": ["Ingress", "Egress"], "ingress-only": ["Ingress"]}


def _netpol(namespace: str, name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"namespace": namespace, "name": name}, "spec": spec}  # fmt: skip


def _namespace_policies(namespace: str, tenant: str, env: str, scenario: str) -> list[dict[str, Any]]:
    if scenario == "open":
        return []
    tenant_peer = [{"namespaceSelector": {"matchLabels": {"tenantguard.io/tenant": tenant}}}]
    dns = [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
            "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}]  # fmt: skip
    gateway = [{"namespaceSelector": {"matchLabels": {"tenantguard.io/role": "gateway"}}}]
    policies = [
        _netpol(namespace, "default-deny", {"podSelector": {}, "policyTypes": DENIED[scenario]}),
        _netpol(namespace, "same-tenant", {"podSelector": {}, "ingress": [{"from": tenant_peer}],
                                           "egress": [{"to": tenant_peer}]}),
        _netpol(namespace, "allow-dns", {"podSelector": {}, "policyTypes": ["Egress"], "egress": [
            {"to": dns, "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]}]}),
        _netpol(namespace, "from-gateway", {"podSelector": {"matchLabels": {"app": "api"}},
                                            "ingress": [{"from": gateway, "ports": [{"port": "http"}]}]}),
    ]  # fmt: skip
    if env == "prod":
        internet = [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["10.0.0.0/8", "192.168.0.0/16"]}}]
        egress = [{"to": internet, "ports": [{"port": 443}]}]
        vllm = {"matchLabels": {"app": "vllm"}}
        policies.append(
            _netpol(namespace, "to-internet", {"podSelector": vllm, "policyTypes": ["Egress"], "egress": egress})
        )
    return policies


def _pods(namespace: str, number: int) -> list[PodInfo]:
    http = (ContainerPort(port=8000, name="http"), ContainerPort(port=9090, name="metrics"))
    pods = []
    for i in range(20):
        ip = f"10.{number // 250}.{number % 250}.{i + 1}"
        if i < 4:
            labels = {
                "app": "vllm",
                "statefulset.kubernetes.io/pod-name": f"vllm-{i}",
                "apps.kubernetes.io/pod-index": str(i),
                "controller-revision-hash": "vllm-7c9d",
            }
            name = f"vllm-{i}"
        else:
            app = "api" if i < 12 else "ui"
            labels = {"app": app, "pod-template-hash": f"{app}-5f6b{i % 2}"}
            name = f"{app}-5f6b{i % 2}-{i:05}"
        pods.append(PodInfo(namespace=namespace, name=name, labels=labels, ip=ip, ports=http))
    return pods


def world(
    tenants: int, scenario: str = "isolated"
) -> tuple[dict[str, dict[str, str]], list[PodInfo], list[dict[str, Any]], dict[str, str]]:
    namespaces: dict[str, dict[str, str]] = {
        "kube-system": {},
        "gateway": {"tenantguard.io/role": "gateway"},
    }
    pods = [PodInfo(namespace="kube-system", name=f"coredns-{i}", labels={"k8s-app": "kube-dns"}, ip=f"10.255.0.{i}",
                    ports=(ContainerPort(port=53, name="dns", protocol="UDP"),)) for i in range(2)]  # fmt: skip
    pods += [PodInfo(namespace="gateway", name=f"envoy-{i}", labels={"app": "envoy"}, ip=f"10.255.1.{i}")
             for i in range(10)]  # fmt: skip
    policies: list[dict[str, Any]] = []
    namespace_tenant: dict[str, str] = {}
    for t in range(tenants):
        tenant = f"tenant-{t:03}"
        for e, env in enumerate(ENVS):
            namespace = f"{tenant}-{env}"
            namespaces[namespace] = {"tenantguard.io/tenant": tenant, "env": env}
            namespace_tenant[namespace] = tenant
            pods += _pods(namespace, t * len(ENVS) + e)
            policies += _namespace_policies(namespace, tenant, env, scenario)
    for t in range(
        0, tenants - 1 if scenario != "open" else 0, max(1, tenants // 5)
    ):  # a few cross-tenant holes: ui of t calls api of t+1
        src, dst = f"tenant-{t:03}", f"tenant-{t + 1:03}"
        ui, api = {"matchLabels": {"app": "ui"}}, {"matchLabels": {"app": "api"}}
        to_dst = [{"namespaceSelector": {"matchLabels": {"tenantguard.io/tenant": dst}}}]
        from_src = [{"namespaceSelector": {"matchLabels": {"tenantguard.io/tenant": src}}, "podSelector": ui}]
        egress = [{"to": to_dst, "ports": [{"port": 8000}]}]
        ingress = [{"from": from_src, "ports": [{"port": "http"}]}]
        policies.append(
            _netpol(f"{src}-prod", "to-partner", {"podSelector": ui, "policyTypes": ["Egress"], "egress": egress})
        )
        policies.append(_netpol(f"{dst}-prod", "from-partner", {"podSelector": api, "ingress": ingress}))
    return namespaces, pods, policies, namespace_tenant


def run(
    world_: tuple[dict[str, dict[str, str]], list[PodInfo], list[dict[str, Any]], dict[str, str]],
) -> dict[str, float]:
    namespaces, pods, policies, namespace_tenant = world_
    timings: dict[str, float] = {}
    address.cache_clear()  # every run as a fresh process would do it
    cpu = time.process_time()
    started = time.perf_counter()
    analysis = analyze(namespaces, pods, policies)
    timings["analyze"] = time.perf_counter() - started
    steps: dict[str, Callable[[], Sized]] = {
        "namespace_matrix": analysis.namespace_matrix,
        "tenant_matrix": lambda: analysis.tenant_matrix(namespace_tenant),
        "cross_tenant_paths": lambda: analysis.cross_tenant_paths(namespace_tenant),
        "uncovered": analysis.uncovered,
        "external_matrix": analysis.external_matrix,
    }
    for name, step in steps.items():
        started = time.perf_counter()
        result = step()
        timings[name] = time.perf_counter() - started
        timings[f"{name}.size"] = len(result)
    timings["classes"] = analysis.class_count
    timings["total"] = sum(v for k, v in timings.items() if "." not in k and k != "classes")
    timings["cpu"] = time.process_time() - cpu
    return timings


def _pod_object(pod: PodInfo, number: int) -> dict[str, Any]:
    labels = dict(pod.labels)
    if "pod-template-hash" in labels:
        owner = {"kind": "ReplicaSet", "name": f"{labels['app']}-{labels['pod-template-hash']}", "controller": True}
    elif "statefulset.kubernetes.io/pod-name" in labels:
        owner = {"kind": "StatefulSet", "name": "vllm", "controller": True}
    else:
        owner = {"kind": "Deployment", "name": labels.get("app", "x"), "controller": True}
    ports = [{"containerPort": p.port, "name": p.name, "protocol": p.protocol} for p in pod.ports]
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": pod.name, "namespace": pod.namespace, "labels": labels, "ownerReferences": [owner]},
            "spec": {"nodeName": f"node-{number % 100}", "containers": [{"name": "c", "ports": ports}]},
            "status": {"phase": "Running", "podIP": pod.ip}}  # fmt: skip


def trees(tenants: int, scenario: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]], ClusterState]:
    """The world as objects (base), the same with a pull request applied (head), and the Tenants."""
    namespaces, pods, policies, namespace_tenant = world(tenants, scenario)
    objects: list[dict[str, Any]] = [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns, "labels": labels}}
        for ns, labels in namespaces.items()
    ]
    objects += [_pod_object(pod, i) for i, pod in enumerate(pods)]
    objects += policies
    owned: dict[str, list[str]] = {}
    for ns, tenant in namespace_tenant.items():
        owned.setdefault(tenant, []).append(ns)
    cluster = ClusterState()
    cluster.replace_tenants(
        {"apiVersion": "tenantguard.io/v1alpha1", "kind": "Tenant", "metadata": {"name": t}, "spec": {"namespaces": ns}}
        for t, ns in owned.items()
    )
    head = list(objects)
    first, last = sorted(owned)[0], sorted(owned)[-1]
    opening = {"namespaceSelector": {"matchLabels": {"tenantguard.io/tenant": first}}}
    head.append(_netpol(f"{last}-prod", "allow-partner", {"podSelector": {}, "ingress": [{"from": [opening]}]}))
    head.append(_netpol(f"{first}-prod", "egress-partner", {"podSelector": {}, "policyTypes": ["Egress"],
                                                            "egress": [{}]}))  # fmt: skip
    for i, obj in enumerate(head):
        meta = obj.get("metadata") or {}
        if obj["kind"] == "Pod" and meta.get("namespace") == f"{first}-dev" and meta["labels"].get("app") == "ui":
            head[i] = {**obj, "metadata": {**meta, "labels": {**meta["labels"], "app": "ui-v2"}}}
    head.append({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "ui-lb", "namespace": f"{first}-dev"},
                 "spec": {"type": "LoadBalancer", "selector": {"app": "ui-v2"}, "ports": [{"port": 80}]}})  # fmt: skip
    return objects, head, cluster


def run_diff(base: list[dict[str, Any]], head: list[dict[str, Any]], cluster: ClusterState) -> dict[str, float]:
    timings: dict[str, float] = {}
    address.cache_clear()
    started, cpu = time.perf_counter(), time.process_time()
    before = from_objects(base, [], cluster.tenants)
    after = from_objects(head, [], cluster.tenants)
    timings["worlds"] = time.perf_counter() - started
    started = time.perf_counter()
    found = diff(before, after)
    timings["diff"] = time.perf_counter() - started
    timings["total"] = timings["worlds"] + timings["diff"]
    timings["cpu"] = time.process_time() - cpu
    timings["opened"], timings["closed"] = len(found.opened), len(found.closed)
    timings["cross"] = len(found.cross_tenant_opened)
    return timings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tenants", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--scenario",
        choices=["isolated", "ingress-only", "open"],
        default="isolated",
        help="default deny both ways (default), ingress only, or no policies at all",
    )
    parser.add_argument("--budget", type=float, default=5000.0, help="objects/s the median run must reach")
    parser.add_argument("--no-diff", action="store_true", help="time the matrices only")
    args = parser.parse_args()
    started = time.perf_counter()
    generated = world(args.tenants, args.scenario)
    namespaces, pods, policies, _ = generated
    objects = len(namespaces) + len(pods) + len(policies)
    print(f"world: {len(namespaces)} namespaces, {len(pods)} pods, {len(policies)} policies = {objects} objects "
          f"(generated in {time.perf_counter() - started:.2f} s)")  # fmt: skip
    runs = []
    for number in range(1, args.runs + 1):
        timings = run(generated)
        runs.append(timings)
        print(f"run {number}: total {timings['total']:.3f} s, cpu {timings['cpu']:.3f} s  (analyze "
              f"{timings['analyze']:.3f}, namespace_matrix {timings['namespace_matrix']:.3f}, cross_tenant_paths "
              f"{timings['cross_tenant_paths']:.3f}; {int(timings['classes'])} classes)", flush=True)  # fmt: skip
    print("median seconds per step:")
    for step in ("analyze", "namespace_matrix", "tenant_matrix", "cross_tenant_paths", "uncovered", "external_matrix"):
        size = f"  ({int(runs[0][step + '.size'])} entries)" if step + ".size" in runs[0] else ""
        print(f"  {step:<20} {statistics.median(r[step] for r in runs):.3f}{size}")
    median = statistics.median(r["total"] for r in runs)
    rate = objects / median
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    cpu = statistics.median(r["cpu"] for r in runs)
    print(f"median total: {median:.3f} s (cpu {cpu:.3f} s; target under 2 s) over {len(runs)} runs -> {rate:,.0f} "
          f"objects/s (budget {args.budget:,.0f}); peak RSS {peak:.0f} MiB")  # fmt: skip
    if not args.no_diff:
        base, head, cluster = trees(args.tenants, args.scenario)
        print(f"diff: two trees of {len(base):,} and {len(head):,} objects")
        diffs = []
        for number in range(1, args.runs + 1):
            timings = run_diff(base, head, cluster)
            diffs.append(timings)
            print(f"diff run {number}: total {timings['total']:.3f} s, cpu {timings['cpu']:.3f} s  (worlds "
                  f"{timings['worlds']:.3f}, diff "
                  f"{timings['diff']:.3f}; {int(timings['opened'])} opened, {int(timings['cross'])} across tenants, "
                  f"{int(timings['closed'])} closed)", flush=True)  # fmt: skip
        print(f"diff median total: {statistics.median(r['total'] for r in diffs):.3f} s (cpu "
              f"{statistics.median(r['cpu'] for r in diffs):.3f} s; target under 5 s); "
              f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")  # fmt: skip
    return 0 if rate >= args.budget else 1


if __name__ == "__main__":
    sys.exit(main())
