"""The audit report document (`tenantguard.io/audit/v4`, docs/audit-report.md) from a finished scan.

`assemble` returns the document with the isolation findings as Results (for PolicyReports and `--fail-on`);
the document lists at most MAX_FINDINGS of them, and its summary counts all. Its usage part bills GPU-hours from
Prometheus history when the audit had it (`audit.history`), else from the pods that exist now, and says which.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tenantguard.audit.dra_usage import ClaimTotals, claim_users, merge
from tenantguard.audit.history import KSM, History
from tenantguard.audit.isolation import assess
from tenantguard.audit.results import Result
from tenantguard.audit.scan import ScanResult
from tenantguard.audit.showback import UsageRow, pod_rows, tenant_showback
from tenantguard.audit.usage import TenantUsage, Window, isoformat
from tenantguard.policies.model import Severity

SCHEMA_VERSION = "tenantguard.io/audit/v4"
PODS = "pods"  # usage.gpuHours.source without history: the pods that exist now
LOWER_BOUND = (
    "GPU-hours are a lower bound: they count only the pods that exist now, from their start time, and miss every "
    "pod deleted in the window (Jobs cleaned up, replicas scaled away, servers rolled). Give --prometheus-url for "
    "GPU-hours from history."
)
MAX_FINDINGS = 2000
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


def _rows(scan: ScanResult, ns_tenant: Mapping[str, str], window: Window) -> list[UsageRow]:
    products = scan.cluster.gpu_products
    return [
        row
        for record in scan.usage
        if record.namespace in ns_tenant
        for row in pod_rows(record, window, tenant=ns_tenant[record.namespace], product=products.get(record.node, ""))
    ]


def _gpu_hours(history: History | None, window: Window) -> dict[str, Any]:
    step = history.step_seconds if history is not None else None
    return {
        "source": history.source if history is not None else PODS,
        "lowerBound": history is None,
        "stepSeconds": step,
        "maxErrorPerRunHours": round(2 * step / 3600, 4) if step else None,
        "days": [d.label for d in window.days()],
    }


def usage(
    scan: ScanResult,
    ns_tenant: Mapping[str, str],
    window: Window,
    metrics: Metrics | None,
    history: History | None = None,
) -> dict[str, Any]:
    """`usage`: what each tenant holds now, its GPU-hours from `history` (else from the pods now: a lower
    bound), per day, and with settings `pricing` its lines and cost."""
    pricing = scan.settings.pricing
    tenants = {name: TenantUsage(cap=t.gpu) for name, t in scan.cluster.tenants.by_name.items()}
    for record in scan.usage:
        tenant = ns_tenant.get(record.namespace)
        if tenant is not None:
            tenants[tenant].add_pod(record)
    for quota in scan.quotas:
        tenants[ns_tenant[quota["namespace"]]].quota.append(quota)
    for endpoint in scan.endpoints:
        tenants[ns_tenant[endpoint["namespace"]]].endpoints.append(endpoint)
    rows: dict[str, list[UsageRow]] = {}
    for row in history.rows if history is not None else _rows(scan, ns_tenant, window):
        rows.setdefault(row.tenant, []).append(row)
    for name in rows.keys() - tenants.keys():  # billed from history, deleted since
        tenants[name] = TenantUsage(current=False)
    days = [d.label for d in window.days()]
    notes = [LOWER_BOUND] if history is None else []
    from_ksm = history is not None and history.source == KSM
    if pricing is not None and pricing.prices_cpu_or_memory and not from_ksm:
        notes.append("CPU and memory are priced only from kube-state-metrics' history: not priced in this report.")
    doc = {}
    for name, u in sorted(tenants.items()):
        measured = metrics.get(name) if metrics is not None else None
        figures = tenant_showback(rows.get(name, ()), days=days, pricing=pricing, metrics=measured, cpu_memory=from_ksm)
        doc[name] = u.as_dict(figures, measured)
    claims = claim_totals(scan, ns_tenant, window)
    for name, totals in claims.items():
        if name in doc:
            merge(doc[name]["gpu"], totals, tenants[name].cap)
    if history is not None and any(t.hours for t in claims.values()):
        notes.append(
            "GPU-hours of DRA ResourceClaims count the claims that exist now (a lower bound); the history covers "
            "devices requested as extended resources."
        )
    unpriced = sum(t["cost"]["unpricedGpuHours"] for t in doc.values() if t["cost"] is not None)
    if unpriced:
        notes.append(
            f"{unpriced:,.2f} GPU-hours have no price (a GPU product no pricing.gpuHour entry matches and no "
            "defaultGpuHour, or a MIG profile without migSliceHour): their lines show no cost."
        )
    return {
        "gpuHours": _gpu_hours(history, window),
        "pricing": None if pricing is None else {"currency": pricing.currency, "mig": pricing.mig.value},
        "notes": notes,
        "tenants": doc,
    }


def claim_totals(scan: ScanResult, ns_tenant: Mapping[str, str], window: Window) -> dict[str, ClaimTotals]:
    """Every tenant's DRA figures (`audit.dra_usage`), from the scan's allocated claims and the pods that use them."""
    totals = {name: ClaimTotals() for name in scan.cluster.tenants.by_name}
    users = claim_users(scan.claim_pods)
    for claim in scan.claims:
        tenant = ns_tenant.get(claim.namespace)
        if tenant is not None:
            totals[tenant].add(claim, users.get((claim.namespace, claim.name), []), window)
    return totals


@dataclass(frozen=True, slots=True, kw_only=True)
class Audit:
    doc: dict[str, Any]
    findings: tuple[Result, ...]  # every isolation finding, by impact (the document may list fewer)


def _counts(results: Iterable[Result], key: str) -> dict[str, int]:
    return dict(sorted(Counter(str(getattr(r, key)) for r in results).items()))


def assemble(
    scan: ScanResult,
    *,
    source: Mapping[str, Any],
    window: Window,
    generated: datetime,
    metrics: Metrics | None = None,
    history: History | None = None,
) -> Audit:
    """The whole report; `metrics` and `history` are None when Prometheus was not asked."""
    ns_tenant = namespace_tenant(scan)
    listed, by_tenant = violations(scan.results)
    isolation = assess(scan, ns_tenant, now=generated.astimezone(UTC).replace(tzinfo=None))
    reach, rbac, found = isolation.reachability, isolation.rbac, isolation.findings
    mtls = scan.mtls
    uncovered_mtls = sorted(mtls.uncovered, key=lambda p: (p["tenant"], p["namespace"], p["name"]))
    unlabelled = sorted(scan.unlabelled, key=lambda o: (o["tenant"], o["namespace"], o["kind"], o["name"]))
    platform = sorted(scan.platform, key=lambda o: (o["tenant"], o["namespace"], o["kind"], o["name"], o["rule"]))
    doc = {
        "schemaVersion": SCHEMA_VERSION,
        "generatedAt": isoformat(generated),
        "source": dict(source),
        "window": window.as_dict(),
        "summary": {
            "objects": scan.objects,
            "tenants": len(scan.cluster.tenants.by_name),
            "violations": len(listed),
            "bySeverity": _counts(scan.results, "severity"),
            "byCategory": _counts(scan.results, "category"),
            "findings": len(found),
            "findingsBySeverity": _counts(found, "severity"),
            "findingsByRule": _counts(found, "rule"),
            "findingsWaived": len(isolation.waived),
            "platformObjects": len(platform),
            "crossTenantPaths": len(reach["crossTenantPaths"]) + reach["crossTenantPathsOmitted"],
            "uncoveredPods": len(reach["uncoveredPods"]),
            "hostNetworkPods": len(reach["hostNetworkPods"]),
            "exposedOutsideGateway": len(isolation.exposure["outsideGateway"]),
            "crossTenantAccess": len(rbac.get("crossTenantAccess") or ()),
            "mtlsUncovered": len(uncovered_mtls),
        },
        "tenants": sorted(scan.cluster.tenants.by_name),
        "isolation": {
            "findings": [r.as_dict() for r in found[:MAX_FINDINGS]],
            "findingsOmitted": max(0, len(found) - MAX_FINDINGS),
            "violations": listed,
            "violationsByTenant": by_tenant,
            "reachability": reach,
            "exposure": isolation.exposure,
            "rbac": rbac,
            "mtls": {"servingPods": mtls.serving_pods, "covered": mtls.covered, "uncovered": uncovered_mtls},
            "unlabelled": unlabelled,
            "platform": platform,
        },
        "usage": usage(scan, ns_tenant, window, metrics, history),
    }
    return Audit(doc=doc, findings=found)


def build(
    scan: ScanResult,
    *,
    source: Mapping[str, Any],
    window: Window,
    generated: datetime,
    metrics: Metrics | None = None,
    history: History | None = None,
) -> dict[str, Any]:
    """The report document alone."""
    return assemble(scan, source=source, window=window, generated=generated, metrics=metrics, history=history).doc


def failing(scan: ScanResult, audit: Audit, threshold: Severity) -> Counter[str]:
    """Rule violations and isolation findings at or above `threshold`, counted by rule ID."""
    return Counter(r.rule for r in (*scan.results, *audit.findings) if r.severity_rank >= threshold.rank)
