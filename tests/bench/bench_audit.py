"""How fast `tenantguard audit --snapshot` reads and judges a large cluster, and how much memory it takes.

    python tests/bench/bench_audit.py --tenants 200 --runs 3

Generates a snapshot of 200 tenants x 2 namespaces (≈ 100,000 objects: Pods, Deployments, Services,
ConfigMaps, Secrets, NetworkPolicies, RoleBindings, ResourceQuotas, ServiceAccounts, a few serving objects)
as `kind: List` files — JSON for the bulk, YAML for Tenants and Namespaces as `kubectl get -o yaml` writes them —
then runs the real command in a fresh process per run and prints objects/s and peak RSS (median of the
runs). Targets: ≥ 5,000 objects/s and ≤ 512 MiB. Prints figures only; it asserts nothing about time.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson
import yaml

LABEL = "tenantguard.io/tenant"
SECURE = {
    "allowPrivilegeEscalation": False,
    "runAsNonRoot": True,
    "capabilities": {"drop": ["ALL"]},
    "seccompProfile": {"type": "RuntimeDefault"},
}
PER_NAMESPACE = {
    "Pod": 60,
    "Deployment": 15,
    "Service": 30,
    "ConfigMap": 75,
    "Secret": 30,
    "NetworkPolicy": 6,
    "RoleBinding": 20,
    "ServiceAccount": 10,
    "ResourceQuota": 1,
    "InferenceService": 2,
}


def _meta(ns: str, name: str, tenant: str, **labels: str) -> dict[str, Any]:
    return {
        "name": name,
        "namespace": ns,
        "uid": f"{ns}-{name}",
        "labels": {LABEL: tenant, **labels},
        "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}"},
    }


def _pod_spec(i: int, gpu: bool) -> dict[str, Any]:
    resources: dict[str, Any] = {"requests": {"cpu": "500m", "memory": "1Gi"}}
    if gpu:
        resources["limits"] = resources["requests"] = {"nvidia.com/gpu": "1"}
    container = {
        "name": "app",
        "image": f"registry.example/app:{i % 7}",
        "securityContext": SECURE,
        "ports": [{"containerPort": 8080, "name": "http"}],
        "resources": resources,
        "env": [{"name": f"VAR_{j}", "value": str(j)} for j in range(5)],
    }
    spec: dict[str, Any] = {"containers": [container], "securityContext": {"runAsNonRoot": True}}
    if gpu:
        spec["tolerations"] = [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]
    return spec


def _netpol(i: int, tenant: str) -> dict[str, Any]:
    """The reconciler's baseline (default deny, same tenant, DNS), then policies of the tenant's own."""
    same = {"namespaceSelector": {"matchLabels": {LABEL: tenant}}}
    dns = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}}}
    if i == 0:
        return {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    if i == 1:
        return {"podSelector": {}, "ingress": [{"from": [same]}], "egress": [{"to": [same]}]}
    if i == 2:
        return {
            "podSelector": {},
            "policyTypes": ["Egress"],
            "egress": [{"to": [dns], "ports": [{"port": 53, "protocol": "UDP"}]}],
        }
    return {
        "podSelector": {"matchLabels": {"app": f"app-{i}"}},
        "policyTypes": ["Ingress"],
        "ingress": [{"from": [same], "ports": [{"port": 8080}]}],
    }


def objects(kind: str, ns: str, tenant: str, n: int) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for i in range(n):
        name = f"{kind.lower()}-{i}"
        meta = _meta(ns, name, tenant, app=f"app-{i % 10}")
        if kind == "NetworkPolicy" and i < 3:  # the managed baseline
            name = meta["name"] = ["tenantguard-default-deny", "tenantguard-same-tenant", "tenantguard-dns"][i]
            meta["labels"]["tenantguard.io/managed"] = "true"
        if kind == "Pod":
            status = {"phase": "Running", "startTime": "2026-11-27T00:00:00Z", "podIP": f"10.{hash(ns) % 250}.{i}.1"}
            out.append(
                {
                    "apiVersion": "v1",
                    "kind": kind,
                    "metadata": meta,
                    "spec": _pod_spec(i, i % 20 == 0),
                    "status": status,
                }
            )
        elif kind == "Deployment":
            template = {"metadata": {"labels": meta["labels"]}, "spec": _pod_spec(i, False)}
            spec = {"replicas": 0, "selector": {"matchLabels": {"app": f"app-{i % 10}"}}, "template": template}
            out.append({"apiVersion": "apps/v1", "kind": kind, "metadata": meta, "spec": spec})
        elif kind == "Service":
            spec = {"selector": {"app": f"app-{i % 10}"}, "ports": [{"port": 80, "targetPort": "http"}]}
            out.append({"apiVersion": "v1", "kind": kind, "metadata": meta, "spec": spec})
        elif kind in ("ConfigMap", "Secret"):
            data = {f"key-{j}": "x" * 40 for j in range(4)}
            out.append({"apiVersion": "v1", "kind": kind, "metadata": meta, "data": data})
        elif kind == "NetworkPolicy":
            out.append(
                {"apiVersion": "networking.k8s.io/v1", "kind": kind, "metadata": meta, "spec": _netpol(i, tenant)}
            )
        elif kind == "RoleBinding":
            ref = {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "edit"}
            subject = {"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": f"{tenant}-devs"}
            out.append(
                {
                    "apiVersion": "rbac.authorization.k8s.io/v1",
                    "kind": kind,
                    "metadata": meta,
                    "roleRef": ref,
                    "subjects": [subject],
                }
            )
        elif kind == "ServiceAccount":
            out.append({"apiVersion": "v1", "kind": kind, "metadata": meta})
        elif kind == "ResourceQuota":
            hard = {"requests.nvidia.com/gpu": "8", "requests.cpu": "64", "pods": "200"}
            out.append(
                {
                    "apiVersion": "v1",
                    "kind": kind,
                    "metadata": meta,
                    "spec": {"hard": hard},
                    "status": {"hard": hard, "used": {"requests.nvidia.com/gpu": "3", "pods": "60"}},
                }
            )
        elif kind == "InferenceService":
            predictor = {"model": {"modelFormat": {"name": "huggingface"}, "storageUri": f"s3://{tenant}-models/m{i}/"}}
            out.append(
                {
                    "apiVersion": "serving.kserve.io/v1beta1",
                    "kind": kind,
                    "metadata": meta,
                    "spec": {"predictor": predictor},
                }
            )
    return out


def generate(root: Path, tenants: int) -> int:
    """Write the snapshot; returns the number of objects."""
    count = 0
    tenant_objs, namespaces = [], []
    for t in range(tenants):
        name = f"t{t:03d}"
        owned = [f"{name}-prod", f"{name}-dev"]
        tenant_objs.append(
            {
                "apiVersion": "tenantguard.io/v1alpha1",
                "kind": "Tenant",
                "metadata": {"name": name},
                "spec": {
                    "namespaces": owned,
                    "members": [{"kind": "Group", "name": f"{name}-devs"}],
                    "gpu": {"maxPerPod": 2, "maxTotal": 16, "allowedResources": ["nvidia.com/gpu"]},
                    "mtls": {"mode": "istio"},
                },
            }
        )
        namespaces += [
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns, "labels": {LABEL: name}}} for ns in owned
        ]
    for name, items in (("tenants.yaml", tenant_objs), ("namespaces.yaml", namespaces)):
        (root / name).write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": items}, width=1000))
        count += len(items)
    for kind, per_ns in PER_NAMESPACE.items():
        for chunk in range(0, tenants, 20):
            items = [
                o
                for t in range(chunk, min(chunk + 20, tenants))
                for env in ("prod", "dev")
                for o in objects(kind, f"t{t:03d}-{env}", f"t{t:03d}", per_ns)
            ]
            (root / f"{kind.lower()}-{chunk:03d}.json").write_bytes(
                orjson.dumps({"apiVersion": "v1", "kind": "List", "items": items})
            )
            count += len(items)
    return count


def run_once(snapshot: Path) -> tuple[float, float]:
    """(seconds, peak RSS in MiB) of one `tenantguard audit` in a fresh process."""
    argv = [sys.executable, "-m", "tenantguard.cli", "audit", "--snapshot", str(snapshot), "--output", os.devnull]
    started = time.perf_counter()
    proc = subprocess.Popen(argv, stderr=subprocess.PIPE, env={**os.environ, "CI": "1"})
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode() if proc.stderr else ""
    if proc.returncode != 0:
        raise SystemExit(f"audit exited {proc.returncode}:\n{err}")
    return elapsed, usage.ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tenants", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tenantguard-bench-audit-") as tmp:
        snapshot = Path(tmp)
        started = time.perf_counter()
        total = generate(snapshot, args.tenants)
        size = sum(f.stat().st_size for f in snapshot.iterdir()) / 2**20
        print(
            f"snapshot: {total:,} objects, {args.tenants} tenants, {size:.0f} MiB "
            f"(written in {time.perf_counter() - started:.1f} s)",
            flush=True,
        )
        runs = []
        for i in range(1, args.runs + 1):
            seconds, rss = run_once(snapshot)
            runs.append((seconds, rss))
            print(f"run {i}: {seconds:.2f} s, {total / seconds:,.0f} objects/s, peak RSS {rss:.0f} MiB", flush=True)
    seconds = statistics.median(s for s, _ in runs)
    rss = statistics.median(r for _, r in runs)
    print(f"median: {total / seconds:,.0f} objects/s (target ≥ 5,000), peak RSS {rss:.0f} MiB (target ≤ 512)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
