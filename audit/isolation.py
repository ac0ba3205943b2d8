"""The report's isolation analysis: reachability (with what a new pod would reach), RBAC exposure, findings.

One NetworkPolicy analysis serves every network view. Tenant namespaces without pods get a representative pod
(`policies.isolation.reach`), analysed apart, so the report can say what would be reachable there instead of
calling a namespace isolated for lack of pods. The isolation checks (`policies.isolation`) turn the views into
findings shaped like rule violations (`Result`, category "isolation", mode "audit"), sorted by impact;
findings that a settings exception covers (rule ID, kind, namespace, name) are counted as waived.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from tenantguard.audit import rbac_exposure
from tenantguard.audit.results import Result
from tenantguard.audit.scan import ScanResult
from tenantguard.policies import netpol
from tenantguard.policies.isolation import CATEGORY, IsolationFinding, by_impact, empty_namespace_entries, findings
from tenantguard.policies.isolation.baseline import baseline_findings
from tenantguard.policies.isolation.reach import representative

MAX_PATHS = 2000


@dataclass(frozen=True, slots=True, kw_only=True)
class Isolation:
    reachability: dict[str, Any]  # the report's isolation.reachability
    rbac: dict[str, Any]  # the report's isolation.rbac
    findings: tuple[Result, ...]  # by impact; waived ones left out
    waived: tuple[Result, ...]


def as_result(finding: IsolationFinding) -> Result:
    check = finding.check
    return Result(
        rule=check.id,
        category=CATEGORY,
        severity=check.severity.value,
        mode="audit",
        title=check.title,
        message=finding.message,
        fix=check.fix,
        path="",
        kind=finding.kind,
        namespace=finding.namespace,
        name=finding.name,
        tenant=finding.tenant,
    )


def _reachability(scan: ScanResult, ns_tenant: Mapping[str, str]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The report's reachability section, and every cross-tenant path (the section lists the first MAX_PATHS)."""
    label = scan.settings.tenant_label
    existing = sorted(ns for ns in ns_tenant if ns in scan.cluster.namespaces)
    with_pods = {pod.namespace for pod in scan.pods if not pod.host_network}
    new_pods = {ns: representative(ns, ns_tenant[ns], label) for ns in existing}
    analysis = netpol.analyze(
        scan.cluster.namespaces,
        scan.pods,
        scan.netpols,
        hypothetical=[pod for ns, pod in new_pods.items() if ns not in with_pods],
    )
    uncovered = [
        {"tenant": ns_tenant[pod.namespace], "namespace": pod.namespace, "name": pod.name, "missing": list(missing)}
        for pod, missing in analysis.uncovered()
        if pod.namespace in ns_tenant
    ]
    missing = {ns: analysis.missing_isolation(pod) for ns, pod in new_pods.items()}
    paths = analysis.cross_tenant_paths(ns_tenant)
    section = {
        "tenants": analysis.tenant_matrix(ns_tenant),
        "namespaces": analysis.namespace_matrix(),
        # A cluster without default-deny policies has a path for every pair of namespaces of different
        # tenants; the matrices carry the whole picture, the list the first MAX_PATHS to act on.
        "crossTenantPaths": paths[:MAX_PATHS],
        "crossTenantPathsOmitted": max(0, len(paths) - MAX_PATHS),
        "uncoveredPods": sorted(uncovered, key=lambda p: (p["tenant"], p["namespace"], p["name"])),
        "emptyNamespaces": empty_namespace_entries(analysis.hypothetical_reach(), ns_tenant, missing),
        "withoutDefaultDeny": [
            {"tenant": ns_tenant[ns], "namespace": ns, "missing": list(directions)}
            for ns, directions in missing.items()
            if directions
        ],
    }
    return section, paths


def assess(scan: ScanResult, ns_tenant: Mapping[str, str], *, now: datetime) -> Isolation:
    """`now` (naive UTC) decides which settings exceptions are in force."""
    reach, paths = _reachability(scan, ns_tenant)
    namespaces = sorted(scan.cluster.namespaces)
    rbac = rbac_exposure.analyze(scan.rbac, scan.cluster.tenants, namespaces=namespaces).to_json()
    labels = {ns: scan.cluster.namespaces[ns] for ns in scan.namespace_objects if ns in scan.cluster.namespaces}
    declared = {(pod.namespace, pod.name): pod.ports for pod in scan.pods}
    found = by_impact(
        [
            *findings.path_findings(paths, declared),
            *findings.rbac_findings(rbac["crossTenantAccess"]),
            *findings.namespace_label_findings(labels, ns_tenant, scan.settings.tenant_label),
            *findings.uncovered_pod_findings(reach["uncoveredPods"]),
            *findings.mtls_findings(scan.mtls.uncovered),
            *findings.default_deny_findings(
                {e["namespace"]: (e["tenant"], tuple(e["missing"])) for e in reach["withoutDefaultDeny"]}
            ),
            *findings.empty_namespace_findings(reach["emptyNamespaces"]),
            *baseline_findings(scan.cluster.tenants, scan.namespace_objects, scan.netpols, scan.settings),
        ]
    )
    kept: list[Result] = []
    waived: list[Result] = []
    for finding in found:
        result = as_result(finding)
        # A finding names one object (a namespace, a pod, a binding): exceptions match it as they match rules.
        named = ((result.kind, result.namespace, result.name),)
        waiver = scan.settings.waiver_for(result.rule, named, now) if scan.settings.exceptions else None
        result = replace(result, waiver=waiver) if waiver is not None else result
        (waived if waiver is not None and not waiver.expired else kept).append(result)
    return Isolation(reachability=reach, rbac=rbac, findings=tuple(kept), waived=tuple(waived))
