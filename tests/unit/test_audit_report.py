"""audit.report, audit.formats.markdown and audit.policyreport over one small scanned cluster."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tenantguard.audit import policyreport
from tenantguard.audit.formats import markdown
from tenantguard.audit.report import SCHEMA_VERSION, build
from tenantguard.audit.scan import ScanResult, scan
from tenantguard.audit.usage import Window
from tests.unit.test_audit_scan import NOW, ListSource, cluster

GENERATED = NOW.replace(tzinfo=UTC)


def _netpol(ns: str, name: str, spec: dict[str, Any]) -> dict[str, Any]:
    meta = {"name": name, "namespace": ns, "labels": {"tenantguard.io/tenant": ns.split("-")[0]}}
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": meta, "spec": spec}


@pytest.fixture(scope="module")
def scanned() -> ScanResult:
    objects = cluster()
    # globex-prod is open to everyone (no policy); acme-prod denies all but the managed default deny.
    objects.append(
        _netpol(
            "acme-prod",
            "allow-globex",
            {
                "podSelector": {},
                "policyTypes": ["Ingress"],
                "ingress": [
                    {
                        "from": [{"namespaceSelector": {"matchLabels": {"tenantguard.io/tenant": "globex"}}}],
                        "ports": [{"port": 8000}],
                    }
                ],
            },
        )
    )
    objects.append(
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": {"name": "leak", "namespace": "acme-prod", "labels": {"tenantguard.io/tenant": "acme"}},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"},
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "globex-devs"}],
        }
    )
    objects.append(
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": {"name": "view"},
            "rules": [{"apiGroups": [""], "resources": ["pods", "configmaps"], "verbs": ["get", "list"]}],
        }
    )
    objects.append(
        {
            "apiVersion": "v1",
            "kind": "ResourceQuota",
            "metadata": {"name": "gpu", "namespace": "acme-prod", "labels": {"tenantguard.io/tenant": "acme"}},
            "spec": {"hard": {"requests.nvidia.com/gpu": "8"}},
            "status": {"used": {"requests.nvidia.com/gpu": "6"}},
        }
    )
    return scan(ListSource(objects, judges_context=True), now=NOW)


@pytest.fixture(scope="module")
def report(scanned: ScanResult) -> dict[str, Any]:
    window = Window.ending(GENERATED, timedelta(hours=24))
    return build(scanned, source={"type": "snapshot", "path": "x"}, window=window, generated=GENERATED)


def test_top_level_shape_follows_the_contract(report: dict[str, Any]) -> None:
    assert list(report) == [
        "schemaVersion",
        "generatedAt",
        "source",
        "window",
        "summary",
        "tenants",
        "isolation",
        "usage",
    ]
    assert report["schemaVersion"] == SCHEMA_VERSION
    assert report["generatedAt"] == "2026-11-27T12:00:00Z"
    assert report["window"] == {"start": "2026-11-26T12:00:00Z", "end": "2026-11-27T12:00:00Z", "hours": 24.0}
    assert set(report["summary"]) == {
        "objects",
        "tenants",
        "violations",
        "bySeverity",
        "byCategory",
        "crossTenantPaths",
        "uncoveredPods",
        "crossTenantAccess",
        "mtlsUncovered",
    }
    assert set(report["isolation"]) == {
        "violations",
        "violationsByTenant",
        "reachability",
        "rbac",
        "mtls",
        "unlabelled",
    }
    assert report["tenants"] == ["acme", "globex"]
    v = report["isolation"]["violations"][0]
    assert set(v) == {
        "rule",
        "category",
        "severity",
        "mode",
        "title",
        "message",
        "fix",
        "path",
        "kind",
        "namespace",
        "name",
        "tenant",
        "file",
        "line",
    }


def test_violations_are_grouped_and_counted(report: dict[str, Any]) -> None:
    listed = report["isolation"]["violations"]
    by_tenant = report["isolation"]["violationsByTenant"]
    assert report["summary"]["violations"] == len(listed) == sum(sum(c.values()) for c in by_tenant.values())
    assert by_tenant["acme"]["GPU006"] == 1
    assert by_tenant["acme"]["RBAC001"] == 1
    assert sum(report["summary"]["bySeverity"].values()) == len(listed)


def test_reachability_and_rbac(report: dict[str, Any]) -> None:
    reach = report["isolation"]["reachability"]
    assert reach["tenants"]["globex"]["acme"] is True  # allow-globex opens acme-prod on 8000
    assert reach["tenants"]["acme"]["globex"] is False  # globex-prod is open, but acme-prod denies all egress
    assert reach["namespaces"]["globex-prod"]["acme-prod"] == ["TCP/8000"]
    paths = [p for p in reach["crossTenantPaths"] if p["to"]["namespace"] == "acme-prod"]
    assert paths and paths[0]["ingressPolicies"] == ["acme-prod/allow-globex"]
    assert {p["name"] for p in reach["uncoveredPods"] if p["tenant"] == "globex"} == {"api"}
    access = report["isolation"]["rbac"]["crossTenantAccess"]
    assert [(a["subject"], a["namespace"]) for a in access] == [("Group/globex-devs", "acme-prod")]
    assert report["summary"]["crossTenantAccess"] == 1


def test_usage(report: dict[str, Any]) -> None:
    acme = report["usage"]["tenants"]["acme"]
    assert acme["gpu"]["allocated"] == {"nvidia.com/gpu": 6}
    assert acme["gpu"]["allocatedGpuEquivalents"] == 6
    assert acme["gpu"]["running"] == {"nvidia.com/gpu": 6}
    # 3 running pods x 2 GPUs since 10:00 = 12 h; the Succeeded pod has no finish time: not counted.
    assert acme["gpu"]["gpuHours"] == 12.0
    assert [(q["resource"], q["hard"], q["used"]) for q in acme["quota"]] == [("requests.nvidia.com/gpu", "8", "6")]
    assert acme["metrics"] is None
    assert report["usage"]["tenants"]["globex"]["gpu"]["allocated"] == {}


def test_markdown_renders_every_section(report: dict[str, Any]) -> None:
    text = markdown.render(report)
    for heading in (
        "# tenantguard audit",
        "### Policy violations",
        "### Network reachability between tenants",
        "### Cross-tenant paths",
        "### RBAC: access to other tenants' namespaces",
        "## Usage",
        "### acme",
    ):
        assert heading in text
    assert "| GPU006 |" in text.replace("| acme | GPU006 |", "| GPU006 |")
    assert "Allocated now: **6.00** GPU-equivalents" in text
    assert "Group/globex-devs" in text


def test_policy_reports(scanned: ScanResult) -> None:
    docs = policyreport.build(scanned.results, scanned.kinds, ["acme-prod", "globex-prod"], GENERATED)
    assert [(d["kind"], d["metadata"].get("namespace"), d["metadata"]["name"]) for d in docs] == [
        ("PolicyReport", "acme-prod", "tenantguard"),
        ("PolicyReport", "globex-prod", "tenantguard"),
        ("ClusterPolicyReport", None, "tenantguard-cluster"),
    ]
    acme = docs[0]
    fails = [r for r in acme["results"] if r["policy"] == "GPU006"]
    assert fails[0]["result"] == "fail" and fails[0]["severity"] == "high" and fails[0]["rule"] == "gpu-tenant-total"
    assert fails[0]["resources"] == [
        {"apiVersion": "apps/v1", "kind": "Deployment", "name": "train", "namespace": "acme-prod"}
    ]
    assert fails[0]["properties"]["path"] == "spec.replicas"
    summary = acme["summary"]
    assert summary["fail"] == sum(1 for r in acme["results"] if r["result"] == "fail")
    assert summary["pass"] > 0 and set(summary) == {"pass", "fail", "warn", "error", "skip"}
    assert acme["results"][0]["result"] == "fail"  # failures first


def test_policy_reports_are_capped(scanned: ScanResult, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(policyreport, "MAX_RESULTS", 3)
    doc = policyreport.report("acme-prod", scanned.results, scanned.kinds["acme-prod"], GENERATED)
    total = sum(doc["summary"].values())
    assert len(doc["results"]) == 3 and total > 3
    assert doc["metadata"]["annotations"][policyreport.OMITTED].startswith(f"{total - 3} of {total}")


def test_generated_at_uses_the_injected_clock() -> None:
    assert (
        build(
            scan(ListSource([], judges_context=True)),
            source={"type": "snapshot", "path": "."},
            window=Window.ending(datetime(2026, 1, 1, tzinfo=UTC), timedelta(hours=1)),
            generated=datetime(2026, 1, 1, tzinfo=UTC),
        )["generatedAt"]
        == "2026-01-01T00:00:00Z"
    )
