"""The side-by-side benchmark reads kube-linter's and Polaris's JSON reports for the objects whose privilege-escalation
check fails (shapes as kube-linter v0.8.3 and Polaris v10.2.2 print them; trimmed from real runs)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.bench.bench_peers import kube_linter_violating, polaris_violating


def _k8s(kind: str, group: str, namespace: str, name: str) -> dict[str, object]:
    return {
        "Metadata": {"FilePath": "batch-0000.yaml"},
        "K8sObject": {"Namespace": namespace, "Name": name, "GroupVersionKind": {"Group": group, "Kind": kind}},
    }


def test_kube_linter_reports_only_its_privilege_escalation_findings(tmp_path: Path) -> None:
    report = {
        "Checks": [],
        "Reports": [
            {
                "Diagnostic": {"Message": 'container "vllm" has AllowPrivilegeEscalation set to true.'},
                "Check": "privilege-escalation-container",
                "Object": _k8s("Deployment", "apps", "acme-prod", "vllm-llama3-16"),
            },
            {  # another check on another object: not the shared one
                "Diagnostic": {"Message": 'container "redis" does not have a read-only root file system'},
                "Check": "no-read-only-root-fs",
                "Object": _k8s("StatefulSet", "apps", "acme-prod", "redis-86"),
            },
        ],
        "Summary": {},
    }
    out = tmp_path / "kube-linter.json"
    out.write_text(json.dumps(report))
    assert kube_linter_violating(out) == {("Deployment", "acme-prod", "vllm-llama3-16")}


def test_polaris_reports_objects_with_a_container_that_may_escalate(tmp_path: Path) -> None:
    def result(kind: str, name: str, success: bool) -> dict[str, object]:
        check = {"ID": "privilegeEscalationAllowed", "Success": success, "Severity": "danger"}
        containers = [{"Name": "c", "Results": {"privilegeEscalationAllowed": check}}]
        return {"Name": name, "Namespace": "acme-prod", "Kind": kind, "PodResult": {"ContainerResults": containers}}

    report = {
        "Results": [
            result("StatefulSet", "redis-86", success=False),
            result("Deployment", "vllm-1", success=True),
            {"Name": "cm", "Namespace": "acme-prod", "Kind": "ConfigMap", "Results": {}, "PodResult": None},
        ]
    }
    out = tmp_path / "polaris.json"
    out.write_text(json.dumps(report))
    assert polaris_violating(out) == {("StatefulSet", "acme-prod", "redis-86")}
