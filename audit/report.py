"""The audit report document (`tenantguard.io/audit/v1`, docs/audit-report.md) from a finished scan."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from tenantguard.audit import rbac_exposure
from tenantguard.audit.results import Result
from tenantguard.audit.scan import ScanResult
from tenantguard.audit.usage import TenantUsage, Window, isoformat
from tenantguard.policies import netpol

SCHEMA_VERSION = "tenantguard.io/audit/v1"
NO_TENANT = "(none)"  # violationsByTenant key for objects no tenant owns (cluster-scoped, unclaimed namespaces)

Metrics = Mapping[str, Mapping[str, Any]]


def namespace_tenant(scan: ScanResult) -> dict[str, str]:
    settings = scan.settings
    return {ns: t for ns, t in scan.cluster.tenants.owner_of.items() if not settings.is_exempt(ns)}


def _violation_key(r: Result) -> tuple[str, ...]:
    return (r.tenant or "", r.rule, r.namespace, r.kind, r.name, r.path)


def violations(results: Sequence[Result]) -> tuple[list[dict[str, Any]], dict[str, dict[str, int]]]:
    by_tenant: dict[str, Counter[str]] = {}
    for r in results:
        by_tenant.setdefault(r.tenant or NO_TENANT, Counter())[r.rule] += 1
    listed = [r.as_dict() for r in sorted(results, key=_violation_key)]
    return listed, {t: dict(sorted(c.items())) for t, c in sorted(by_tenant.items())}


MAX_PATHS = 2000


def reachability(scan: ScanResult, ns_tenant: Mapping[str, str]) -> dict[str, Any]:
    analysis = netpol.analyze(scan.cluster.namespaces, scan.pods, scan.netpols)
    uncovered = [
        {"tenant": ns_tenant[pod.namespace], "namespace": pod.namespace, "name": pod.name, "missing": list(missing)}
        for pod, missing in analysis.uncovered()
        if pod.namespace in ns_tenant
    ]
    paths = analysis.cross_tenant_paths(ns_tenant)
    return {
        "tenants": analysis.tenant_matrix(ns_tenant),
        "namespaces": analysis.namespace_matrix(),
        # A cluster without default-deny policies has a path for every pair of namespaces of different
        # tenants; the matrices carry the whole picture, the list the first MAX_PATHS to act on.
        "crossTenantPaths": paths[:MAX_PATHS],
        "crossTenantPathsOmitted": max(0, len(paths) - MAX_PATHS),
        "uncoveredPods": sorted(uncovered, key=lambda p: (p["tenant"], p["namespace"], p["name"])),
    }


def usage(scan: ScanResult, ns_tenant: Mapping[str, str], window: Window, metrics: Metrics | None) -> dict[str, Any]:
    tenants = {name: TenantUsage() for name in scan.cluster.tenants.by_name}
    for record in scan.usage:
        tenant = ns_tenant.get(record.namespace)
        if tenant is not None:
            tenants[tenant].add_pod(record, window)
    for row in scan.quotas:
        tenants[ns_tenant[row["namespace"]]].quota.append(row)
    for found in scan.endpoints:
        tenants[ns_tenant[found["namespace"]]].endpoints.append(found)
    return {name: u.as_dict(metrics.get(name) if metrics is not None else None) for name, u in sorted(tenants.items())}


def build(
    scan: ScanResult,
    *,
    source: Mapping[str, Any],
    window: Window,
    generated: datetime,
    metrics: Metrics | None = None,
) -> dict[str, Any]:
    """The whole report; `metrics` is None when Prometheus was not asked (or did not answer)."""
    ns_tenant = namespace_tenant(scan)
    listed, by_tenant = violations(scan.results)
    reach = reachability(scan, ns_tenant)
    namespaces = sorted(scan.cluster.namespaces)
    rbac = rbac_exposure.analyze(scan.rbac, scan.cluster.tenants, namespaces=namespaces).to_json()
    mtls = scan.mtls
    uncovered_mtls = sorted(mtls.uncovered, key=lambda p: (p["tenant"], p["namespace"], p["name"]))
    unlabelled = sorted(scan.unlabelled, key=lambda o: (o["tenant"], o["namespace"], o["kind"], o["name"]))
    return {
        "schemaVersion": SCHEMA_VERSION,
        "generatedAt": isoformat(generated),
        "source": dict(source),
        "window": window.as_dict(),
        "summary": {
            "objects": scan.objects,
            "tenants": len(scan.cluster.tenants.by_name),
            "violations": len(listed),
            "bySeverity": dict(sorted(Counter(r.severity for r in scan.results).items())),
            "byCategory": dict(sorted(Counter(r.category for r in scan.results).items())),
            "crossTenantPaths": len(reach["crossTenantPaths"]) + reach["crossTenantPathsOmitted"],
            "uncoveredPods": len(reach["uncoveredPods"]),
            "crossTenantAccess": len(rbac.get("crossTenantAccess") or ()),
            "mtlsUncovered": len(uncovered_mtls),
        },
        "tenants": sorted(scan.cluster.tenants.by_name),
        "isolation": {
            "violations": listed,
            "violationsByTenant": by_tenant,
            "reachability": reach,
            "rbac": rbac,
            "mtls": {"servingPods": mtls.serving_pods, "covered": mtls.covered, "uncovered": uncovered_mtls},
            "unlabelled": unlabelled,
        },
        "usage": {"tenants": usage(scan, ns_tenant, window, metrics)},
    }
