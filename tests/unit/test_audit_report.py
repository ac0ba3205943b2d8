"""audit.report, audit.formats.markdown and audit.policyreport over one small scanned cluster."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tenantguard.audit import policyreport
from tenantguard.audit.formats import markdown
from tenantguard.audit.report import SCHEMA_VERSION, assemble, build
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
    assert SCHEMA_VERSION == "tenantguard.io/audit/v4"
    assert list(report["usage"]) == ["gpuHours", "pricing", "notes", "tenants"]
    assert set(report["usage"]["tenants"]["acme"]) == {
        "current",
        "gpu",
        "lines",
        "cost",
        "quota",
        "endpoints",
        "metrics",
    }
    assert set(report["summary"]) == {
        "objects",
        "tenants",
        "violations",
        "bySeverity",
        "byCategory",
        "findings",
        "findingsBySeverity",
        "findingsByRule",
        "findingsWaived",
        "platformObjects",
        "crossTenantPaths",
        "uncoveredPods",
        "hostNetworkPods",
        "exposedOutsideGateway",
        "crossTenantAccess",
        "mtlsUncovered",
    }
    assert set(report["isolation"]) == {
        "findings",
        "findingsOmitted",
        "violations",
        "violationsByTenant",
        "reachability",
        "exposure",
        "rbac",
        "mtls",
        "unlabelled",
        "platform",
    }
    assert set(report["isolation"]["reachability"]) == {
        "tenants",
        "namespaces",
        "crossTenantPaths",
        "crossTenantPathsOmitted",
        "uncoveredPods",
        "hostNetworkPods",
        "emptyNamespaces",
        "withoutDefaultDeny",
    }
    assert set(report["isolation"]["findings"][0]) == set(report["isolation"]["violations"][0])
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
    assert acme["gpu"]["gpuHoursByDay"] == {"2026-11-26": 0.0, "2026-11-27": 12.0}
    assert acme["lines"] == [
        {
            "resource": "nvidia.com/gpu",
            "product": "",
            "unit": "GPU-hour",
            "quantity": 12.0,
            "gpuHours": 12.0,
            "unitPrice": None,
            "cost": None,
        }
    ]
    assert acme["cost"] is None and acme["current"] is True
    hours = report["usage"]["gpuHours"]
    assert hours == {
        "source": "pods",
        "lowerBound": True,
        "stepSeconds": None,
        "maxErrorPerRunHours": None,
        "days": ["2026-11-26", "2026-11-27"],
    }
    assert report["usage"]["notes"][0].startswith("GPU-hours are a lower bound")
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


def test_open_isolation_is_findings_sorted_by_impact(report: dict[str, Any]) -> None:
    # The gates issue: an audit with cross-tenant paths, uncovered pods, RBAC across tenants and an unmeshed
    # model server must not pass. Each is a finding with a rule ID and a severity, errors first.
    found = [(f["rule"], f["severity"], f["kind"], f["namespace"], f["name"]) for f in report["isolation"]["findings"]]
    assert found == [
        ("ISO001", "error", "Namespace", "acme-prod", "acme-prod"),  # globex -> acme-prod on vllm's port 8000
        ("ISO002", "error", "RoleBinding", "acme-prod", "leak"),
        ("ISO004", "error", "Pod", "globex-prod", "api"),
        ("ISO005", "error", "Pod", "acme-prod", "vllm"),
        ("ISO007", "warning", "Namespace", "globex-prod", "globex-prod"),
        # No reconciler ran: neither namespace has the baseline the platform generates.
        ("ISO009", "warning", "Namespace", "acme-prod", "acme-prod"),
        ("ISO009", "warning", "Namespace", "globex-prod", "globex-prod"),
    ]
    summary = report["summary"]
    assert summary["findings"] == 7 and summary["findingsBySeverity"] == {"error": 4, "warning": 3}
    assert summary["findingsByRule"] == {"ISO001": 1, "ISO002": 1, "ISO004": 1, "ISO005": 1, "ISO007": 1, "ISO009": 2}
    first = report["isolation"]["findings"][0]
    assert (first["category"], first["mode"], first["tenant"]) == ("isolation", "audit", "acme")
    assert first["message"].endswith("on TCP/8000 (opened by acme-prod/allow-globex spec.ingress[0])")
    assert first["fix"] and first["title"] == "No pod of one tenant can open connections to another tenant's pods"


def _with(objects: list[dict[str, Any]], **settings: Any) -> dict[str, Any]:
    from tenantguard.policies.settings import parse_settings

    window = Window.ending(GENERATED, timedelta(hours=24))
    scanned = scan(ListSource([*cluster(), *objects], judges_context=True), parse_settings(settings), now=NOW)
    return build(scanned, source={"type": "snapshot", "path": "x"}, window=window, generated=GENERATED)


EMPTY_NAMESPACE = {
    "apiVersion": "v1",
    "kind": "Namespace",
    "metadata": {"name": "acme-dev", "labels": {"tenantguard.io/tenant": "acme"}},
}


def test_a_namespace_without_pods_says_what_a_new_pod_would_reach() -> None:
    doc = _with([EMPTY_NAMESPACE])
    reach = doc["isolation"]["reachability"]
    # acme-dev has no pods and no policy: globex-prod's unisolated api pod could reach a new pod there, and
    # the new pod could reach it. The matrices, built from running pods, do not show it.
    assert reach["emptyNamespaces"] == [
        {
            "tenant": "acme",
            "namespace": "acme-dev",
            "missing": ["ingress", "egress"],
            "reachableFrom": [{"tenant": "globex", "namespace": "globex-prod", "ports": ["*"]}],
            "reaches": [{"tenant": "globex", "namespace": "globex-prod", "ports": ["*"]}],
        }
    ]
    assert reach["namespaces"] == {} and reach["tenants"]["globex"]["acme"] is False
    by_rule = {(f["rule"], f["name"]): f for f in doc["isolation"]["findings"]}
    assert by_rule["ISO008", "acme-dev"]["message"] == (
        "'acme-dev' has no pods yet; a pod started there could be reached from globex-prod and could reach globex-prod"
    )
    assert ("ISO007", "acme-dev") in by_rule


def test_a_listed_namespace_without_the_label_is_a_finding() -> None:
    doc = _with([{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "acme-dev"}}])
    (found,) = [f for f in doc["isolation"]["findings"] if f["rule"] == "ISO003"]
    assert (found["kind"], found["name"], found["tenant"], found["severity"]) == (
        "Namespace",
        "acme-dev",
        "acme",
        "error",
    )


def test_exceptions_waive_findings_on_the_object_they_name() -> None:
    exception = {"rule": "ISO004", "namespace": "globex-prod", "name": "api", "reason": "legacy", "until": "2027-01-01"}
    doc = _with([], exceptions=[exception])
    assert "ISO004" not in doc["summary"]["findingsByRule"] and doc["summary"]["findingsWaived"] == 1
    expired = {**exception, "until": "2026-01-01"}
    assert _with([], exceptions=[expired])["summary"]["findingsByRule"]["ISO004"] == 1


def test_the_markdown_lists_findings_first_and_what_kubernetes_made_apart() -> None:
    made = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default", "namespace": "acme-prod"}}
    doc = _with([EMPTY_NAMESPACE, made])
    text = markdown.render(doc)
    assert text.index("### Isolation findings") < text.index("### Policy violations")
    assert "| error | ISO004 | globex | Pod globex-prod/api |" in text
    assert "| warning | ISO008 | acme | Namespace acme-dev |" in text
    assert "| acme | acme-dev | globex-prod (*) | globex-prod (*) | ingress, egress |" in text
    assert "| acme | ServiceAccount acme-prod/default | TEN004 |" in text
    assert doc["summary"]["platformObjects"] == 1
    assert not [v for v in doc["isolation"]["violations"] if v["name"] == "default"]


def test_policy_reports_carry_the_findings(scanned: ScanResult) -> None:
    audit = assemble(
        scanned,
        source={"type": "snapshot", "path": "x"},
        window=Window.ending(GENERATED, timedelta(hours=24)),
        generated=GENERATED,
    )
    docs = policyreport.build(
        [*scanned.results, *audit.findings], scanned.kinds, ["acme-prod", "globex-prod"], GENERATED
    )
    acme, globex = docs[0], docs[1]
    iso = {r["policy"]: r for r in acme["results"] if r["category"] == "isolation"}
    assert iso["ISO001"]["result"] == "fail" and iso["ISO001"]["rule"] == "cross-tenant-path"
    assert iso["ISO001"]["resources"] == [{"apiVersion": "v1", "kind": "Namespace", "name": "acme-prod"}]
    assert iso["ISO002"]["resources"][0]["kind"] == "RoleBinding" and iso["ISO004"]["result"] == "pass"
    assert acme["summary"]["fail"] == sum(1 for r in scanned.results if r.namespace == "acme-prod") + 3
    globex_iso = {r["policy"]: r["result"] for r in globex["results"] if r["category"] == "isolation"}
    assert globex_iso["ISO004"] == "fail" and globex_iso["ISO007"] == "warn" and globex_iso["ISO001"] == "pass"
