"""GPU011 gpu-resource-caps: devices per resource, tenant-wide, within spec.gpu.maxDevices."""

from __future__ import annotations

from typing import Any

from tenantguard.policies.cluster import ClusterState
from tenantguard.policies.engine import evaluate
from tenantguard.policies.model import Obj, Violation
from tenantguard.policies.request import Operation, Origin, Request
from tenantguard.policies.rules.gpu.samples import container, deployment, gpu_pod
from tests.support.fixtures import cluster_for, request

MIG = "nvidia.com/mig-1g.10gb"
CAPS: dict[str, Any] = {
    "gpu": {
        "maxPerPod": 2,
        "maxTotal": 8,
        "allowedResources": ["nvidia.com/gpu", MIG],
        "maxDevices": {"nvidia.com/gpu": 4, MIG: 3},
    }
}


def running(name: str, resource: str, n: int) -> Obj:
    pod = gpu_pod(resource, n)
    pod["metadata"] = {"name": name, "namespace": "acme-dev", "uid": name}
    pod["status"] = {"phase": "Running"}
    return pod


def caps_cluster(*pods: Obj) -> ClusterState:
    cluster = cluster_for(CAPS)
    cluster.pods_known = True
    cluster.replace_pods(pods)
    return cluster


def fired(obj: Obj, cluster: ClusterState, req: Request | None = None) -> list[Violation]:
    return [v for v in evaluate(obj, cluster, req or request()).violations if v.rule == "GPU011"]


def test_counts_devices_not_weight() -> None:
    """3 slices weigh 3/7 of a GPU, far under maxTotal; the fourth is still over the profile's cap of 3."""
    cluster = caps_cluster(running("a", MIG, 2))
    assert fired(gpu_pod(MIG, 1), cluster) == []
    (v,) = fired(deployment(2, container({MIG: 1})), cluster)
    assert v.path == "spec.replicas"
    assert v.message == (
        f"Deployment needs 2 {MIG} (2 pods x 1 {MIG}) and tenant 'acme' already holds 2 elsewhere; "
        f"4 exceeds the cap of 3 (spec.gpu.maxDevices['{MIG}'])"
    )


def test_each_resource_has_its_own_cap() -> None:
    cluster = caps_cluster(running("a", "nvidia.com/gpu", 4))
    assert fired(gpu_pod(MIG, 1), cluster) == [], "full GPUs at their cap leave the MIG cap alone"
    (v,) = fired(gpu_pod("nvidia.com/gpu", 1), cluster)
    assert "maxDevices['nvidia.com/gpu']" in v.message


def test_resources_without_a_cap_are_not_judged_here() -> None:
    caps = {**CAPS, "gpu": {**CAPS["gpu"], "maxDevices": {MIG: 1}}}
    assert [
        v
        for v in evaluate(deployment(4, container({"nvidia.com/gpu": 1})), cluster_for(caps), request()).violations
        if v.rule == "GPU011"
    ] == []


def test_lint_checks_the_object_alone() -> None:
    (v,) = fired(deployment(4, container({MIG: 1})), cluster_for(CAPS))
    assert "that alone exceeds the cap of 3" in v.message


def test_scale_requests_and_updates_that_do_not_grow_are_allowed() -> None:
    cluster = caps_cluster(running("a", MIG, 3))  # at the cap
    stored = deployment(2, container({MIG: 1}))
    scale = Request(operation=Operation.UPDATE, origin=Origin.ADMISSION, old=stored, subresource="scale")
    assert fired(deployment(1, container({MIG: 1})), cluster, scale) == []
    assert fired(deployment(3, container({MIG: 1})), cluster, scale) != []
