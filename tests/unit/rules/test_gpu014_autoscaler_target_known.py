"""GPU014 autoscaler-target-known: an HPA whose GPU bound could not be judged says so."""

from __future__ import annotations

from tenantguard.policies.cluster import ClusterState
from tenantguard.policies.engine import evaluate
from tenantguard.policies.model import Obj, Severity, Violation
from tenantguard.policies.rules.gpu.samples import container, deployment
from tests.support.fixtures import cluster_for, request


def hpa(kind: str = "Deployment", api: str = "apps/v1") -> Obj:
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "vllm", "namespace": "acme-prod"},
        "spec": {"scaleTargetRef": {"apiVersion": api, "kind": kind, "name": "vllm"}, "maxReplicas": 3},
    }


def fired(obj: Obj, cluster: ClusterState) -> list[Violation]:
    return [v for v in evaluate(obj, cluster, request()).violations if v.rule == "GPU014"]


def test_unknown_target_is_a_warning_not_silence() -> None:
    (v,) = fired(hpa(), cluster_for())
    assert v.severity is Severity.WARNING and v.path == "spec.scaleTargetRef"
    assert "Deployment 'vllm' is not known here" in v.message


def test_known_target_or_a_complete_view() -> None:
    cluster = cluster_for()
    cluster.put_workload(deployment(1, container({"nvidia.com/gpu": 1})))
    assert fired(hpa(), cluster) == []
    audit = cluster_for()
    audit.workloads_complete = True  # the audit read every workload: an absent target holds no GPUs
    assert fired(hpa(), audit) == []


def test_kinds_tenantguard_does_not_read() -> None:
    (v,) = fired(hpa("Rollout", "argoproj.io/v1alpha1"), cluster_for())
    assert "cannot be judged" in v.message
    (v,) = fired(hpa("Deployment", "example.com/v1"), cluster_for())
    assert "cannot be judged" in v.message, "the group must match, not just the kind"


def test_tenants_without_gpus_get_no_warning() -> None:
    assert fired(hpa(), cluster_for({"gpu": None})) == []
