"""How long `tenantguard audit` takes against a live cluster holding ≥ 10,000 objects.

    python tests/bench/bench_audit_live.py                      # starts its own dev cluster, then removes it
    python tests/bench/bench_audit_live.py --kubeconfig FILE    # an existing cluster (objects are left there)

Loads 20 tenants x 1 namespace x (300 ConfigMaps, 100 Services, 100 Deployments with replicas 0) — 10,000
objects plus the Tenants — POSTed through the API by 32 threads (~800 objects/s; `kubectl create` of big
Lists manages ~60/s); then runs the real command
(fresh process, JSON to /dev/null) and prints objects/s and peak RSS, median of the runs. Figures only.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import orjson
from kubernetes.client import rest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tenantguard.audit.cluster import ClusterError, ClusterReader, connect
from tenantguard.docs_cli import render
from tests.support.devcluster import wait_established

LABEL = "tenantguard.io/tenant"
PER_NAMESPACE = {"ConfigMap": 300, "Service": 100, "Deployment": 100}


def _object(kind: str, ns: str, tenant: str, i: int, violating_every: int = 0) -> dict[str, Any]:
    meta = {"name": f"{kind.lower()}-{i}", "namespace": ns, "labels": {LABEL: tenant, "app": f"app-{i % 10}"}}
    if kind == "ConfigMap":
        return {"apiVersion": "v1", "kind": kind, "metadata": meta, "data": {"k": "v" * 64}}
    if kind == "Service":
        spec = {"selector": {"app": f"app-{i % 10}"}, "ports": [{"port": 80}]}
        return {"apiVersion": "v1", "kind": kind, "metadata": meta, "spec": spec}
    # every `violating_every`-th asks for privilege escalation: a Pod Security restricted violation to find
    escalates = bool(violating_every) and i % violating_every == 0
    container = {
        "name": "app",
        "image": "registry.example/app:1",
        "securityContext": {
            "allowPrivilegeEscalation": escalates,
            "runAsNonRoot": True,
            "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"},
        },
    }
    template = {"metadata": {"labels": meta["labels"]}, "spec": {"containers": [container]}}
    deployment: dict[str, Any] = {"replicas": 0, "selector": {"matchLabels": {"app": f"app-{i % 10}"}}}
    spec = {**deployment, "template": template}
    return {"apiVersion": "apps/v1", "kind": kind, "metadata": meta, "spec": spec}


def load(kubectl: list[str], kubeconfig: Path, work: Path, tenants: int, violating_every: int = 0) -> int:
    subprocess.run([*kubectl, "apply", "-f", "-"], input=render("crd"), text=True, check=True, capture_output=True)
    wait_established(
        lambda *args, check=False: subprocess.run([*kubectl, *args], capture_output=True, text=True, check=check),
        "crd/tenants.tenantguard.io",
    )
    base: list[dict[str, Any]] = []
    for t in range(tenants):
        name, ns = f"bench{t:02d}", f"bench{t:02d}-prod"
        base.append(
            {
                "apiVersion": "tenantguard.io/v1alpha1",
                "kind": "Tenant",
                "metadata": {"name": name},
                "spec": {"namespaces": [ns]},
            }
        )
        base.append({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns, "labels": {LABEL: name}}})
    (work / "base.json").write_bytes(orjson.dumps({"apiVersion": "v1", "kind": "List", "items": base}))
    subprocess.run([*kubectl, "apply", "-f", str(work / "base.json")], check=True, capture_output=True)
    reader = ClusterReader(connect(str(kubeconfig), None))
    reader.api.configuration.connection_pool_maxsize = 32  # read when the REST client is made: make it again
    reader.api.rest_client = rest.RESTClientObject(reader.api.configuration)
    paths = {
        "ConfigMap": "/api/v1/namespaces/{}/configmaps",
        "Service": "/api/v1/namespaces/{}/services",
        "Deployment": "/apis/apps/v1/namespaces/{}/deployments",
    }
    todo = [(kind, t, i) for t in range(tenants) for kind, n in PER_NAMESPACE.items() for i in range(n)]

    def create(job: tuple[str, int, int]) -> None:
        kind, t, i = job
        ns = f"bench{t:02d}-prod"
        try:
            body = _object(kind, ns, f"bench{t:02d}", i, violating_every)
            reader.request("POST", paths[kind].format(ns), body=body)
        except ClusterError as err:
            if err.status != 409:  # already there from an earlier run
                raise

    with ThreadPoolExecutor(max_workers=32) as pool:
        list(pool.map(create, todo))
    return tenants * sum(PER_NAMESPACE.values())


def run_once(kubeconfig: Path) -> tuple[float, float, int]:
    argv = [
        sys.executable,
        "-m",
        "tenantguard.cli",
        "audit",
        "--kubeconfig",
        str(kubeconfig),
        "--output",
        str(kubeconfig.parent / "audit-bench.json"),
    ]
    started = time.perf_counter()
    proc = subprocess.Popen(argv, stderr=subprocess.PIPE, env={**os.environ, "CI": "1"})
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"audit failed:\n{proc.stderr.read().decode() if proc.stderr else ''}")
    objects = orjson.loads((kubeconfig.parent / "audit-bench.json").read_bytes())["summary"]["objects"]
    return elapsed, usage.ru_maxrss / 1024, int(objects)


def bench(kubeconfig: Path, args: argparse.Namespace, work: Path) -> None:
    kubectl = [shutil.which("kubectl") or "kubectl", "--kubeconfig", str(kubeconfig)]
    started = time.perf_counter()
    loaded = load(kubectl, kubeconfig, work, args.tenants)
    print(f"loaded {loaded:,} objects in {time.perf_counter() - started:.1f} s", flush=True)
    runs = []
    for i in range(1, args.runs + 1):
        seconds, rss, objects = run_once(kubeconfig)
        runs.append((seconds, rss, objects))
        print(
            f"run {i}: {objects:,} objects in {seconds:.2f} s, {objects / seconds:,.0f} objects/s, "
            f"peak RSS {rss:.0f} MiB",
            flush=True,
        )
    seconds = statistics.median(r[0] for r in runs)
    print(
        f"median: {runs[0][2] / seconds:,.0f} objects/s, {seconds:.2f} s, "
        f"peak RSS {statistics.median(r[1] for r in runs):.0f} MiB"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kubeconfig", type=Path, help="an existing cluster (default: start a dev cluster)")
    parser.add_argument("--tenants", type=int, default=20)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="tenantguard-bench-live-") as tmp:
        work = Path(tmp)
        if args.kubeconfig:
            bench(args.kubeconfig, args, work)
            return 0
        state = work / "dev-cluster"
        up = [sys.executable, "-m", "tenantguard.cli", "dev-cluster", "up", "--state-dir", str(state)]
        subprocess.run(up, check=True, capture_output=True)
        try:
            bench(state / "admin.kubeconfig", args, work)
        finally:
            subprocess.run([*up[:4], "down", "--state-dir", str(state)], check=False, capture_output=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
