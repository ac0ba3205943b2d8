"""`tenantguard audit` end to end: two tenants seeded into the dev cluster, the report checked against them.

The tenants `umbrella` (umbrella-a, umbrella-b) and `cyberdyne` (cyberdyne-a) are this module's own. Their
objects are created while the namespaces carry no tenant label — an admission webhook, registered or not,
only sees tenant-labelled namespaces — and the label is added afterwards by the admin: exactly the objects
that predate the policy, which only an audit finds. Seeded problems:
- umbrella-b/vllm: a model server without the mTLS sidecar (MTLS001), with a Service in front of it;
- umbrella-a/allow-cyberdyne: a NetworkPolicy letting cyberdyne-a into umbrella-a on TCP 8080 (NET003);
- umbrella-b/leak: a RoleBinding granting cyberdyne's group read access in umbrella-b (RBAC001);
- umbrella-a/legacy: a ConfigMap without the tenant label (TEN004) — unlike the `default` ServiceAccount and
  `kube-root-ca.crt` ConfigMap Kubernetes puts in every namespace, which are Kubernetes' doing, not violations;
- umbrella-b has no NetworkPolicy and cyberdyne-a no egress policy: their pods are not isolated (ISO004) and
  cyberdyne-a reaches umbrella-b on anything (ISO001) and umbrella-a on 8080, where no pod declares it (ISO006);
- cyberdyne-b: a fresh tenant namespace, created labelled once the Tenants exist, with no pods and no
  policy: a pod started there would be reachable from umbrella-b and reach it (ISO008).
umbrella-b/client is a plain pod, there so that umbrella-b's pods have someone to reach. GPU pods run on the
simulated H100 and A100-MIG nodes; one asks for a node that does not exist and stays Pending.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from tenantguard.docs_cli import render
from tests.support.devcluster import DevCluster, wait_established, wait_for

pytestmark = pytest.mark.e2e

HERE = Path(__file__).parent
TENANTGUARD = Path(sys.executable).with_name("tenantguard")
SEEDED = ("umbrella-a", "umbrella-b", "cyberdyne-a")
FRESH = "cyberdyne-b"
OURS = (*SEEDED, FRESH)
LABEL = "tenantguard.io/tenant"
GPU_TOLERATION = {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}
RESTRICTED = {
    "allowPrivilegeEscalation": False,
    "runAsNonRoot": True,
    "runAsUser": 1000,
    "capabilities": {"drop": ["ALL"]},
    "seccompProfile": {"type": "RuntimeDefault"},
}


def tenant(name: str, namespaces: list[str], **spec: Any) -> dict[str, Any]:
    meta = {"name": name}
    return {
        "apiVersion": "tenantguard.io/v1alpha1",
        "kind": "Tenant",
        "metadata": meta,
        "spec": {"namespaces": namespaces, **spec},
    }


def meta(ns: str, name: str, **labels: str) -> dict[str, Any]:
    return {"name": name, "namespace": ns, "labels": {LABEL: ns.split("-")[0], **labels}}


def gpu_pod(
    ns: str,
    name: str,
    resource: str,
    n: int,
    *,
    labels: dict[str, str] | None = None,
    node_selector: dict[str, str] | None = None,
    **container: Any,
) -> dict[str, Any]:
    devices = {resource: str(n)}
    c = {
        "name": "main",
        "image": f"registry.{ns.split('-')[0]}.example/app:1",
        "securityContext": RESTRICTED,
        "resources": {"limits": devices, "requests": devices},
        **container,
    }
    spec: dict[str, Any] = {"containers": [c], "tolerations": [GPU_TOLERATION]}
    if node_selector:
        spec["nodeSelector"] = node_selector
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta(ns, name, **(labels or {})), "spec": spec}


def netpol(ns: str, name: str, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": meta(ns, name),
        "spec": {"podSelector": {}, **spec},
    }


def seeds() -> list[dict[str, Any]]:
    by_name = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "cyberdyne-a"}}}
    rbac = "rbac.authorization.k8s.io"
    return [
        {
            "apiVersion": "v1",
            "kind": "ResourceQuota",
            "metadata": meta("umbrella-a", "gpu"),
            "spec": {"hard": {"requests.nvidia.com/gpu": "4", "pods": "10"}},
        },
        gpu_pod("umbrella-a", "trainer", "nvidia.com/gpu", 2),
        gpu_pod("umbrella-a", "queued", "nvidia.com/gpu", 2, node_selector={"tenantguard.test/nowhere": "true"}),
        gpu_pod(
            "umbrella-b",
            "vllm",
            "nvidia.com/mig-1g.10gb",
            1,
            labels={"app": "vllm"},
            args=["--model", "s3://umbrella-models/llama-3/"],
            ports=[{"containerPort": 8000}],
        ),
        gpu_pod("cyberdyne-a", "agent", "nvidia.com/mig-1g.10gb", 1),
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": meta("umbrella-b", "client"),
            "spec": {
                "containers": [
                    {"name": "main", "image": "registry.umbrella.example/client:1", "securityContext": RESTRICTED}
                ]
            },
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": meta("umbrella-b", "vllm"),
            "spec": {"selector": {"app": "vllm"}, "ports": [{"port": 8000}]},
        },
        netpol("umbrella-a", "default-deny", policyTypes=["Ingress", "Egress"]),
        netpol(
            "umbrella-a",
            "allow-cyberdyne",
            policyTypes=["Ingress"],
            ingress=[{"from": [by_name], "ports": [{"protocol": "TCP", "port": 8080}]}],
        ),
        netpol("cyberdyne-a", "default-deny-ingress", policyTypes=["Ingress"]),
        {
            "apiVersion": f"{rbac}/v1",
            "kind": "ClusterRole",
            "metadata": {"name": "audit-e2e-reader"},
            "rules": [{"apiGroups": [""], "resources": ["pods", "configmaps"], "verbs": ["get", "list"]}],
        },
        {
            "apiVersion": f"{rbac}/v1",
            "kind": "RoleBinding",
            "metadata": meta("umbrella-b", "leak"),
            "roleRef": {"apiGroup": rbac, "kind": "ClusterRole", "name": "audit-e2e-reader"},
            "subjects": [{"apiGroup": rbac, "kind": "Group", "name": "cyberdyne-devs"}],
        },
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "legacy", "namespace": "umbrella-a"}},
    ]


def _running(cluster: DevCluster, ns: str, name: str) -> bool:
    return bool(cluster.get("pod", name, "-n", ns)["status"].get("phase") == "Running")


@pytest.fixture(scope="module")
def seeded(dev_cluster: DevCluster, reconciler_paused: object) -> Iterator[DevCluster]:
    # What an audit finds where the platform's reconciler has not been (yet): it is stopped for this module.
    c = dev_cluster
    c.kubectl("apply", "-f", "-", input=render("crd"))
    c.kubectl("apply", "-f", str(HERE / "manifests" / "policyreport-crds.yaml"))
    crds = ("tenants.tenantguard.io", "policyreports.wgpolicyk8s.io", "clusterpolicyreports.wgpolicyk8s.io")
    wait_established(c.kubectl, *(f"crd/{crd}" for crd in crds))
    # Namespaces and objects first, the Tenants that claim them afterwards: until then no admission webhook,
    # registered or not (the session's webhook fixture may already be), labels or judges anything here.
    for ns in SEEDED:
        c.create_namespace(ns)
    for obj in seeds():
        c.apply(obj)
    for ns, pod in (
        ("umbrella-a", "trainer"),
        ("umbrella-b", "vllm"),
        ("umbrella-b", "client"),
        ("cyberdyne-a", "agent"),
    ):
        wait_for(partial(_running, c, ns, pod), what=f"pod {ns}/{pod} Running")
    wait_for(
        lambda: c.get("resourcequota", "gpu", "-n", "umbrella-a").get("status", {}).get("used", {}).get("pods") == "2",
        what="quota usage",
    )
    gpu = {"maxPerPod": 2, "maxTotal": 8}
    c.apply(
        tenant(
            "umbrella",
            ["umbrella-a", "umbrella-b"],
            podSecurity="restricted",
            mtls={"mode": "native"},
            members=[{"kind": "Group", "name": "umbrella-devs"}],
            models={"allowedSources": ["s3://umbrella-models/"]},
            gpu={**gpu, "allowedResources": ["nvidia.com/gpu", "nvidia.com/mig-1g.10gb"]},
        )
    )
    c.apply(
        tenant(
            "cyberdyne",
            ["cyberdyne-a", FRESH],
            podSecurity="baseline",
            mtls={"mode": "none"},
            members=[{"kind": "Group", "name": "cyberdyne-devs"}],
            gpu={**gpu, "allowedResources": ["nvidia.com/mig-1g.10gb"]},
        )
    )
    for ns in SEEDED:
        c.kubectl("label", "namespace", ns, f"{LABEL}={ns.split('-')[0]}")
    c.create_namespace(FRESH, labels={LABEL: "cyberdyne"})
    wait_for(
        lambda: c.kubectl("get", "configmap", "kube-root-ca.crt", "-n", FRESH, check=False).returncode == 0,
        what=f"ConfigMap {FRESH}/kube-root-ca.crt",
    )
    yield c


def audit(cluster: DevCluster, *args: str) -> subprocess.CompletedProcess[str]:
    argv = [str(TENANTGUARD), "audit", "--kubeconfig", str(cluster.kubeconfig), *args]
    return subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False, env={**os.environ, "CI": "1"})


@pytest.fixture(scope="module")
def report(seeded: DevCluster) -> dict[str, Any]:
    proc = audit(seeded, "--format", "json")
    assert proc.returncode == 0, proc.stderr
    doc: dict[str, Any] = json.loads(proc.stdout)
    return doc


def test_finds_exactly_the_seeded_violations(report: dict[str, Any]) -> None:
    found = {
        (v["namespace"], v["rule"], v["kind"], v["name"])
        for v in report["isolation"]["violations"]
        if v["namespace"] in OURS
    }
    assert found == {
        ("umbrella-b", "MTLS001", "Pod", "vllm"),
        ("umbrella-a", "NET003", "NetworkPolicy", "allow-cyberdyne"),
        ("umbrella-b", "RBAC001", "RoleBinding", "leak"),
        ("umbrella-a", "TEN004", "ConfigMap", "legacy"),
    }
    mtls = [p for p in report["isolation"]["mtls"]["uncovered"] if p["namespace"] in OURS]
    assert mtls == [{"tenant": "umbrella", "namespace": "umbrella-b", "name": "vllm", "reason": "no sidecar"}]


def test_what_kubernetes_made_is_not_the_tenants_violation(report: dict[str, Any]) -> None:
    # kube-controller-manager created these when the namespaces had no tenant label yet. In the fresh
    # namespace they carry the label when the session's webhook was there to add it, and lack it otherwise.
    kinds = (("ServiceAccount", "default"), ("ConfigMap", "kube-root-ca.crt"))
    made = {
        (o["namespace"], o["kind"], o["name"], o["rule"], o["tenant"])
        for o in report["isolation"]["platform"]
        if o["namespace"] in OURS
    }
    seeded = {(ns, kind, name, "TEN004", ns.split("-")[0]) for ns in SEEDED for kind, name in kinds}
    assert seeded <= made <= seeded | {(FRESH, kind, name, "TEN004", "cyberdyne") for kind, name in kinds}
    assert not [v for v in report["isolation"]["violations"] if v["namespace"] == FRESH]
    unlabelled = {
        (o["namespace"], o["kind"], o["name"]) for o in report["isolation"]["unlabelled"] if o["namespace"] in OURS
    }
    assert unlabelled == {m[:3] for m in made} | {("umbrella-a", "ConfigMap", "legacy")}


def test_reachability_matrices_equal_the_hand_computed_ones(report: dict[str, Any]) -> None:
    reach = report["isolation"]["reachability"]
    tenants = {
        src: {dst: reach["tenants"][src][dst] for dst in ("umbrella", "cyberdyne")} for src in ("umbrella", "cyberdyne")
    }
    # umbrella-a may not send at all; umbrella-b's two pods reach each other, not cyberdyne-a (it denies all
    # ingress); cyberdyne-a sends anywhere, umbrella-a lets it in on 8080 and umbrella-b has no policy.
    # A pod reaching itself is not counted: a lone pod does not make its namespace reach itself.
    assert tenants == {
        "umbrella": {"umbrella": True, "cyberdyne": False},
        "cyberdyne": {"umbrella": True, "cyberdyne": False},
    }
    namespaces = {
        src: {dst: ports for dst, ports in reach["namespaces"].get(src, {}).items() if dst in OURS} for src in OURS
    }
    assert namespaces == {
        "umbrella-a": {},
        "umbrella-b": {"umbrella-b": ["*"]},
        "cyberdyne-a": {"umbrella-a": ["TCP/8080"], "umbrella-b": ["*"]},
        FRESH: {},  # no pods: nothing reaches it, nothing leaves it (see emptyNamespaces)
    }
    paths = {
        (p["from"]["namespace"], p["to"]["namespace"]): (p["ports"], p["ingressPolicies"], p["egressPolicies"])
        for p in reach["crossTenantPaths"]
        if p["from"]["namespace"] in OURS and p["to"]["namespace"] in OURS
    }
    assert paths == {
        ("cyberdyne-a", "umbrella-a"): (["TCP/8080"], ["umbrella-a/allow-cyberdyne"], []),
        ("cyberdyne-a", "umbrella-b"): (["*"], [], []),
    }
    uncovered = {(p["namespace"], p["name"]): p["missing"] for p in reach["uncoveredPods"] if p["namespace"] in OURS}
    assert uncovered == {
        ("umbrella-b", "vllm"): ["ingress", "egress"],
        ("umbrella-b", "client"): ["ingress", "egress"],
        ("cyberdyne-a", "agent"): ["egress"],
    }


def test_rbac_leak_is_cross_tenant_access(report: dict[str, Any]) -> None:
    access = [a for a in report["isolation"]["rbac"]["crossTenantAccess"] if a["namespace"] in OURS]
    assert [(a["subject"], a["subjectTenant"], a["namespace"], a["namespaceTenant"]) for a in access] == [
        ("Group/cyberdyne-devs", "cyberdyne", "umbrella-b", "umbrella")
    ]
    assert access[0]["via"] == "RoleBinding umbrella-b/leak -> ClusterRole audit-e2e-reader"


def test_a_pod_in_the_fresh_namespace_would_be_reachable(report: dict[str, Any]) -> None:
    (entry,) = [e for e in report["isolation"]["reachability"]["emptyNamespaces"] if e["namespace"] == FRESH]
    # No policy there: umbrella-b's pods (no egress policy) could reach a new pod, and it could reach them
    # (no ingress policy); umbrella-a lets in only cyberdyne-a, and sends nothing.
    ours = [{"tenant": "umbrella", "namespace": "umbrella-b", "ports": ["*"]}]
    assert (entry["tenant"], entry["missing"]) == ("cyberdyne", ["ingress", "egress"])
    assert [o for o in entry["reachableFrom"] if o["namespace"] in OURS] == ours
    assert [o for o in entry["reaches"] if o["namespace"] in OURS] == ours


def test_open_isolation_is_findings(report: dict[str, Any]) -> None:
    found = sorted(
        (f["rule"], f["severity"], f["kind"], f["namespace"], f["name"])
        for f in report["isolation"]["findings"]
        if f["namespace"] in OURS
    )
    assert found == [
        ("ISO001", "error", "Namespace", "umbrella-b", "umbrella-b"),  # cyberdyne-a -> umbrella-b on anything
        ("ISO002", "error", "RoleBinding", "umbrella-b", "leak"),
        ("ISO004", "error", "Pod", "cyberdyne-a", "agent"),
        ("ISO004", "error", "Pod", "umbrella-b", "client"),
        ("ISO004", "error", "Pod", "umbrella-b", "vllm"),
        ("ISO005", "error", "Pod", "umbrella-b", "vllm"),
        ("ISO006", "warning", "Namespace", "umbrella-a", "umbrella-a"),  # 8080, which no umbrella-a pod declares
        ("ISO007", "warning", "Namespace", "cyberdyne-a", "cyberdyne-a"),
        ("ISO007", "warning", "Namespace", FRESH, FRESH),
        ("ISO007", "warning", "Namespace", "umbrella-b", "umbrella-b"),
        ("ISO008", "warning", "Namespace", FRESH, FRESH),
        # No reconciler has written their baselines (it is stopped for this module).
        ("ISO009", "warning", "Namespace", "cyberdyne-a", "cyberdyne-a"),
        ("ISO009", "warning", "Namespace", FRESH, FRESH),
        ("ISO009", "warning", "Namespace", "umbrella-a", "umbrella-a"),
        ("ISO009", "warning", "Namespace", "umbrella-b", "umbrella-b"),
    ]
    severities = [f["severity"] for f in report["isolation"]["findings"]]
    assert severities == sorted(severities, key=lambda s: s != "error")  # by impact: errors first


def test_fail_on_exits_1_on_isolation_findings_alone(
    seeded: DevCluster, report: dict[str, Any], tmp_path: Path
) -> None:
    # Waive every rule violation in the cluster: what is left to fail on are the isolation findings.
    rules = sorted({v["rule"] for v in report["isolation"]["violations"]})
    waivers = [{"rule": r, "reason": "e2e: only isolation findings", "until": "2099-01-01"} for r in rules]
    config = tmp_path / "settings.yaml"
    config.write_text(json.dumps({"exceptions": waivers}))
    proc = audit(seeded, "--config", str(config), "--fail-on", "warning", "--output", str(tmp_path / "audit.json"))
    assert proc.returncode == 1, proc.stderr
    doc = json.loads((tmp_path / "audit.json").read_text())
    assert doc["summary"]["violations"] == 0
    counts = doc["summary"]["findingsByRule"]
    by_rule = ", ".join(f"{n} {r}" for r, n in sorted(counts.items(), key=lambda item: (-item[1], item[0])))
    assert f"tenantguard audit: {sum(counts.values())} findings at or above warning ({by_rule})" in proc.stderr
    assert counts["ISO001"] >= 1 and counts["ISO004"] >= 3


def _hours_since(start: str, end: str, devices: float) -> float:
    t0, t1 = (datetime.fromisoformat(t.replace("Z", "+00:00")) for t in (start, end))
    return devices * (t1 - t0).total_seconds() / 3600


def test_usage_equals_what_the_pods_hold(seeded: DevCluster, report: dict[str, Any]) -> None:
    usage = report["usage"]["tenants"]
    umbrella, cyberdyne = usage["umbrella"]["gpu"], usage["cyberdyne"]["gpu"]
    assert umbrella["allocated"] == {"nvidia.com/gpu": 4, "nvidia.com/mig-1g.10gb": 1}
    assert umbrella["allocatedGpuEquivalents"] == round(4 + 1 / 7, 3), "the unit of spec.gpu.maxTotal"
    assert umbrella["running"] == {"nvidia.com/gpu": 2, "nvidia.com/mig-1g.10gb": 1}
    assert umbrella["pending"] == {"nvidia.com/gpu": 2}
    assert cyberdyne["allocated"] == cyberdyne["running"] == {"nvidia.com/mig-1g.10gb": 1}
    assert cyberdyne["pending"] == {}
    end = report["window"]["end"]
    started = {
        name: seeded.get("pod", name, "-n", ns)["status"]["startTime"]
        for ns, name in (("umbrella-a", "trainer"), ("umbrella-b", "vllm"), ("cyberdyne-a", "agent"))
    }
    expected_gpu = _hours_since(started["trainer"], end, 2)
    expected_mig = _hours_since(started["vllm"], end, 1 / 7)
    assert umbrella["gpuHoursByResource"]["nvidia.com/gpu"] == pytest.approx(expected_gpu, abs=1e-3)
    assert umbrella["gpuHoursByResource"]["nvidia.com/mig-1g.10gb"] == pytest.approx(expected_mig, abs=1e-3)
    assert umbrella["gpuHours"] == pytest.approx(expected_gpu + expected_mig, abs=2e-3)
    assert cyberdyne["gpuHours"] == pytest.approx(_hours_since(started["agent"], end, 1 / 7), abs=1e-3)
    quota = [(q["namespace"], q["name"], q["resource"], q["hard"], q["used"]) for q in usage["umbrella"]["quota"]]
    assert quota == [
        ("umbrella-a", "gpu", "requests.nvidia.com/gpu", "4", "4"),
        ("umbrella-a", "gpu", "pods", "10", "2"),
    ]
    assert usage["umbrella"]["endpoints"] == [
        {"kind": "Service", "namespace": "umbrella-b", "name": "vllm", "model": "s3://umbrella-models/llama-3/"}
    ]
    assert usage["cyberdyne"]["metrics"] is None


def test_policy_reports_are_readable_with_kubectl(seeded: DevCluster, report: dict[str, Any]) -> None:
    proc = audit(seeded, "--write-policy-reports", "--output", "/dev/null")
    assert proc.returncode == 0, proc.stderr
    listed = seeded.kubectl("get", "policyreports", "-A").stdout
    header, *rows = listed.splitlines()
    assert header.split() == ["NAMESPACE", "NAME", "PASS", "FAIL", "WARN", "ERROR", "SKIP", "AGE"]
    by_ns = {row.split()[0]: row.split() for row in rows}
    judged = [*report["isolation"]["violations"], *report["isolation"]["findings"]]
    errors_in_b = sum(1 for v in judged if v["namespace"] == "umbrella-b" and v["severity"] == "error")
    assert set(OURS) <= set(by_ns)
    assert by_ns["umbrella-b"][1] == "tenantguard" and int(by_ns["umbrella-b"][3]) == errors_in_b
    doc = seeded.get("policyreport", "tenantguard", "-n", "umbrella-b")
    failed = {r["policy"] for r in doc["results"] if r["result"] == "fail"}
    assert failed >= {"MTLS001", "RBAC001", "ISO001", "ISO002", "ISO004", "ISO005"}
    path = next(r for r in doc["results"] if r["policy"] == "ISO001")
    assert path["resources"] == [{"apiVersion": "v1", "kind": "Namespace", "name": "umbrella-b"}]
    assert path["message"].startswith("pods of tenant 'cyberdyne' in 'cyberdyne-a' can open connections to ")
    fresh = seeded.get("policyreport", "tenantguard", "-n", FRESH)
    assert {r["policy"] for r in fresh["results"] if r["result"] == "fail"} == set()
    assert {r["policy"] for r in fresh["results"] if r["result"] == "warn"} == {"ISO007", "ISO008", "ISO009"}
    assert seeded.get("clusterpolicyreport", "tenantguard-cluster")["kind"] == "ClusterPolicyReport"


def test_markdown_renders_and_fail_on_exits_1(seeded: DevCluster) -> None:
    proc = audit(seeded, "--format", "markdown")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("# tenantguard audit")
    assert "umbrella-a/allow-cyberdyne" in proc.stdout and "### umbrella" in proc.stdout
    failing = audit(seeded, "--fail-on", "error", "--output", "/dev/null")
    assert failing.returncode == 1, failing.stderr
