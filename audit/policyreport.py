"""`--write-policy-reports`: the violations as `wgpolicyk8s.io/v1alpha2` PolicyReports, written back to the cluster.

One PolicyReport `tenantguard` per tenant namespace and one ClusterPolicyReport `tenantguard-cluster` for
cluster-scoped objects (Namespaces, ClusterRoleBindings, …), in the shape Kyverno and Policy Reporter read:
- a `fail` result per violation of severity error, `warn` for the others, with `policy` the rule ID,
  `rule` its slug, the category, severity high (error) / medium (warning) / low (info), the message, the
  object as `resources[0]`, and `properties` holding the field path, the fix, the mode and the tenant;
- a `pass` result per rule that applies to a kind present in the namespace and found nothing there;
- the isolation findings (`policies.isolation`, category "isolation") as results of the same shape, in the
  report of the namespace they expose (cluster-wide ones in the ClusterPolicyReport), and in each tenant
  namespace's report a `pass` for every isolation check that found nothing there.
Each report holds at most MAX_RESULTS results (failures first, then warnings, then passes); the
`summary` still counts all of them, and the annotation `tenantguard.io/results-omitted` says how many
were left out. Reports are written with server-side apply (field manager `tenantguard`), so a re-run
replaces the previous results.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any

import orjson

from tenantguard.audit.results import Result
from tenantguard.policies.isolation import CATEGORY, CHECKS
from tenantguard.policies.registry import RULES, rules_for

API_VERSION = "wgpolicyk8s.io/v1alpha2"
NAME = "tenantguard"
CLUSTER_NAME = "tenantguard-cluster"
MAX_RESULTS = 500
OMITTED = "tenantguard.io/results-omitted"
SEVERITY = {"error": "high", "warning": "medium", "info": "low"}
_RULES = {rule.id: rule for rule in RULES}
_ORDER = {"fail": 0, "warn": 1, "error": 2, "pass": 3}
_SLUG = {rule.id: rule.slug for rule in RULES} | {check.id: check.slug for check in CHECKS}
_CLUSTER_SCOPED = frozenset({"Namespace", "ClusterRole", "ClusterRoleBinding", "Tenant"})
_API = {
    "Pod": "v1",
    "Service": "v1",
    "Namespace": "v1",
    "ResourceQuota": "v1",
    "ConfigMap": "v1",
    "Secret": "v1",
    "ServiceAccount": "v1",
    "PersistentVolumeClaim": "v1",
    "Deployment": "apps/v1",
    "StatefulSet": "apps/v1",
    "DaemonSet": "apps/v1",
    "ReplicaSet": "apps/v1",
    "ReplicationController": "v1",
    "Job": "batch/v1",
    "CronJob": "batch/v1",
    "NetworkPolicy": "networking.k8s.io/v1",
    "Ingress": "networking.k8s.io/v1",
    "Role": "rbac.authorization.k8s.io/v1",
    "RoleBinding": "rbac.authorization.k8s.io/v1",
    "ClusterRole": "rbac.authorization.k8s.io/v1",
    "ClusterRoleBinding": "rbac.authorization.k8s.io/v1",
    "Tenant": "tenantguard.io/v1alpha1",
    "ResourceClaim": "resource.k8s.io/v1",
    "ResourceClaimTemplate": "resource.k8s.io/v1",
    # what ISO010 names: routes that publish pods, and the workloads of pods that listen on their node
    "HTTPRoute": "gateway.networking.k8s.io/v1",
    "GRPCRoute": "gateway.networking.k8s.io/v1",
    "TLSRoute": "gateway.networking.k8s.io/v1alpha2",
    "TCPRoute": "gateway.networking.k8s.io/v1alpha2",
    "UDPRoute": "gateway.networking.k8s.io/v1alpha2",
    "InferenceService": "serving.kserve.io/v1beta1",
    "LLMInferenceService": "serving.kserve.io/v1alpha1",
    "LeaderWorkerSet": "leaderworkerset.x-k8s.io/v1",
    "RayCluster": "ray.io/v1",
    "RayService": "ray.io/v1",
    "RayJob": "ray.io/v1",
}


def _timestamp(now: datetime) -> dict[str, int]:
    return {"seconds": int(now.timestamp()), "nanos": 0}


def fail_result(r: Result, now: datetime) -> dict[str, Any]:
    resource = {"apiVersion": _API.get(r.kind, ""), "kind": r.kind, "name": r.name}
    if r.namespace and r.kind not in _CLUSTER_SCOPED:
        resource["namespace"] = r.namespace
    return {
        "policy": r.rule,
        "rule": _SLUG.get(r.rule, r.rule),
        "category": r.category,
        "severity": SEVERITY.get(r.severity, "info"),
        "result": "fail" if r.severity == "error" else "warn",
        "message": f"{r.path}: {r.message}" if r.path else r.message,
        "source": NAME,
        "scored": True,
        "timestamp": _timestamp(now),
        "resources": [resource],
        "properties": {"path": r.path, "fix": r.fix, "mode": r.mode, "tenant": r.tenant or "", "title": r.title},
    }


def pass_results(
    kinds: Mapping[str, int], failed: set[str], now: datetime, *, isolation: bool = False
) -> Iterator[dict[str, Any]]:
    """One pass per rule that applies to a kind present and reported nothing; with `isolation` (a tenant
    namespace), one per isolation check that found nothing."""
    checked: dict[str, int] = {}
    for kind, n in kinds.items():
        for rule in rules_for(kind):
            checked[rule.id] = checked.get(rule.id, 0) + n
    for rule_id, n in sorted(checked.items()):
        if rule_id in failed:
            continue
        rule = _RULES[rule_id]
        yield {
            "policy": rule.id,
            "rule": rule.slug,
            "category": rule.category.value,
            "severity": SEVERITY[rule.severity.value],
            "result": "pass",
            "source": NAME,
            "scored": True,
            "message": f"{n} object(s) checked: {rule.title.lower()}",
            "timestamp": _timestamp(now),
        }
    for check in CHECKS if isolation else ():
        if check.id not in failed:
            yield {
                "policy": check.id,
                "rule": check.slug,
                "category": CATEGORY,
                "severity": SEVERITY[check.severity.value],
                "result": "pass",
                "source": NAME,
                "scored": True,
                "message": f"isolation: {check.title[0].lower()}{check.title[1:]}",
                "timestamp": _timestamp(now),
            }


def report(namespace: str, results: Iterable[Result], kinds: Mapping[str, int], now: datetime) -> dict[str, Any]:
    """The PolicyReport of one namespace ("" gives the ClusterPolicyReport)."""
    found = [fail_result(r, now) for r in results]
    found += pass_results(kinds, {r["policy"] for r in found}, now, isolation=bool(namespace))
    found.sort(key=lambda r: (_ORDER[r["result"]], r["policy"], str(r.get("resources", ""))))
    counts = Counter(r["result"] for r in found)
    meta: dict[str, Any] = {
        "name": NAME if namespace else CLUSTER_NAME,
        "labels": {"app.kubernetes.io/managed-by": NAME},
    }
    if namespace:
        meta["namespace"] = namespace
    if len(found) > MAX_RESULTS:
        meta["annotations"] = {OMITTED: f"{len(found) - MAX_RESULTS} of {len(found)} results (limit {MAX_RESULTS})"}
    return {
        "apiVersion": API_VERSION,
        "kind": "PolicyReport" if namespace else "ClusterPolicyReport",
        "metadata": meta,
        "summary": {k: counts.get(k, 0) for k in ("pass", "fail", "warn", "error", "skip")},
        "results": found[:MAX_RESULTS],
    }


def build(
    results: Iterable[Result], kinds: Mapping[str, Mapping[str, int]], namespaces: Iterable[str], now: datetime
) -> list[dict[str, Any]]:
    """A PolicyReport for each tenant namespace in `namespaces`, then the ClusterPolicyReport; `results` holds
    rule violations and isolation findings alike."""
    by_ns: dict[str, list[Result]] = {}
    for r in results:
        by_ns.setdefault(r.namespace, []).append(r)
    out = [report(ns, by_ns.get(ns, ()), kinds.get(ns, {}), now) for ns in sorted(namespaces)]
    out.append(report("", by_ns.get("", ()), kinds.get("", {}), now))
    return out


def path_of(doc: Mapping[str, Any]) -> str:
    meta = doc["metadata"]
    if doc["kind"] == "PolicyReport":
        return f"/apis/{API_VERSION}/namespaces/{meta['namespace']}/policyreports/{meta['name']}"
    return f"/apis/{API_VERSION}/clusterpolicyreports/{meta['name']}"


def write(reader: Any, docs: Iterable[dict[str, Any]]) -> int:
    """Server-side apply each report through an audit.cluster.ClusterReader; the number written."""
    written = 0
    for doc in docs:
        reader.request(
            "PATCH",
            path_of(doc),
            [("fieldManager", NAME), ("force", "true")],
            body=orjson.dumps(doc),
            content_type="application/apply-patch+yaml",
        )
        written += 1
    return written
