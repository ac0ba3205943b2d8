"""The report's isolation analysis: reachability (with what a new pod would reach), exposure outside the
cluster, RBAC exposure, findings.

One NetworkPolicy analysis of the scan's network world (`policies.isolation.world`) serves every network view.
Tenant namespaces without pods get a representative pod (`policies.isolation.reach`), analysed apart, so the
report can say what would be reachable there instead of calling a namespace isolated for lack of pods. The
isolation checks (`policies.isolation`) turn the views into findings shaped like rule violations (`Result`,
category "isolation", mode "audit"), sorted by impact; findings that a settings exception covers (rule ID,
kind, namespace, name) are counted as waived.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from tenantguard.audit import rbac_exposure
from tenantguard.audit.results import Result
from tenantguard.audit.scan import ScanResult
from tenantguard.policies.isolation import CATEGORY, IsolationFinding, by_impact, empty_namespace_entries, findings
from tenantguard.policies.isolation.baseline import baseline_findings
from tenantguard.policies.isolation.exposure import exposures
from tenantguard.policies.isolation.reach import host_network_entries, representative
from tenantguard.policies.isolation.world import NetworkWorld

MAX_PATHS = 2000


@dataclass(frozen=True, slots=True, kw_only=True)
class Isolation:
    reachability: dict[str, Any]  # the report's isolation.reachability
    exposure: dict[str, Any]  # the report's isolation.exposure
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


def world_of(scan: ScanResult, ns_tenant: Mapping[str, str]) -> NetworkWorld:
    """The scan's network world: what runs, as it is."""
    return NetworkWorld(
        namespaces=scan.cluster.namespaces,
        tenant_of=ns_tenant,
        pods=tuple(scan.pods),
        policies=scan.netpols,
        exposing=scan.exposing,
        settings=scan.settings,
    )


def _reachability(
    scan: ScanResult, ns_tenant: Mapping[str, str]
) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any]]:
    """The report's reachability section, every cross-tenant path (the section lists the first MAX_PATHS), and
    the exposure section."""
    label = scan.settings.tenant_label
    world = world_of(scan, ns_tenant)
    existing = sorted(ns for ns in ns_tenant if ns in scan.cluster.namespaces)
    with_pods = {pod.namespace for pod in scan.pods}
    new_pods = {ns: representative(ns, ns_tenant[ns], label) for ns in existing}
    analysis = world.analyze(hypothetical=[pod for ns, pod in new_pods.items() if ns not in with_pods])
    uncovered = [
        {"tenant": ns_tenant[pod.namespace], "namespace": pod.namespace, "name": pod.name, "workload": pod.owner,
         "missing": list(missing)}
        for pod, missing in analysis.uncovered()
        if pod.namespace in ns_tenant
    ]  # fmt: skip
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
        "hostNetworkPods": host_network_entries(scan.pods, ns_tenant),
        "emptyNamespaces": empty_namespace_entries(analysis.hypothetical_reach(), ns_tenant, missing),
        "withoutDefaultDeny": [
            {"tenant": ns_tenant[ns], "namespace": ns, "missing": list(directions)}
            for ns, directions in missing.items()
            if directions
        ],
    }
    found = exposures(world, analysis)
    exposure = {
        "outsideGateway": [e.as_dict() for e in found if not e.gateway],
        "throughGateway": [e.as_dict() for e in found if e.gateway],
    }
    return section, paths, exposure


def assess(scan: ScanResult, ns_tenant: Mapping[str, str], *, now: datetime) -> Isolation:
    """`now` (naive UTC) decides which settings exceptions are in force."""
    reach, paths, exposure = _reachability(scan, ns_tenant)
    namespaces = sorted(scan.cluster.namespaces)
    rbac = rbac_exposure.analyze(scan.rbac, scan.cluster.tenants, namespaces=namespaces).to_json()
    labels = {ns: scan.cluster.namespaces[ns] for ns in scan.namespace_objects if ns in scan.cluster.namespaces}
    declared = {(pod.namespace, pod.name): pod.ports for pod in scan.pods}
    found = by_impact(
        [
            *findings.path_findings(paths, declared),
            *findings.exposure_findings(exposure["outsideGateway"]),
            *findings.host_network_findings(reach["hostNetworkPods"]),
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
    return Isolation(reachability=reach, exposure=exposure, rbac=rbac, findings=tuple(kept), waived=tuple(waived))
