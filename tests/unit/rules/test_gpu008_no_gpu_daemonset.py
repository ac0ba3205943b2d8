"""GPU008 no-gpu-daemonset: tenant DaemonSets request no GPUs."""

from __future__ import annotations

from tenantguard.policies.dra import CLASS_RESOURCE_PREFIX
from tenantguard.policies.model import Obj, Violation
from tenantguard.policies.rule import Example
from tenantguard.policies.rules.gpu.samples import container, deployment, named_claim, template_claim, uses_claim
from tests.support.fixtures import judge


def fired(obj: Obj) -> list[Violation]:
    return [v for v in judge(Example(object=obj)).violations if v.rule == "GPU008"]


def test_cpu_daemonset_allowed() -> None:
    assert fired(deployment(1, container({"cpu": "100m"}), kind="DaemonSet")) == []


def test_gpu_deployment_not_judged() -> None:
    assert fired(deployment(1, container({"nvidia.com/gpu": 1}))) == []


def test_gpu_daemonset_denied() -> None:
    (v,) = fired(deployment(1, container({"nvidia.com/mig-1g.10gb": 1}), kind="DaemonSet"))
    assert v.path == "spec.template.spec"
    assert "1 nvidia.com/mig-1g.10gb per node" in v.message


def test_sidecar_gpu_counts() -> None:
    sidecar = {**container({"nvidia.com/gpu": 1}, name="agent"), "restartPolicy": "Always"}
    assert len(fired(deployment(1, container({"cpu": "1"}), kind="DaemonSet", initContainers=[sidecar]))) == 1


def test_dra_claims_and_class_resources_in_a_daemonset() -> None:
    claims = [template_claim("one"), named_claim("shared", name="b")]
    found = fired(deployment(1, uses_claim(container({"cpu": "1"})), kind="DaemonSet", resourceClaims=claims))
    assert [v.path for v in found] == ["spec.template.spec.resourceClaims[0]", "spec.template.spec.resourceClaims[1]"]
    assert found[0].message == (
        "DaemonSet pods claim DRA devices (claim template 'one' on every node); the number of pods follows the "
        "nodes, so the tenant's GPU cap cannot hold"
    )
    assert "ResourceClaim 'shared' on every node" in found[1].message
    (v,) = fired(deployment(1, container({f"{CLASS_RESOURCE_PREFIX}gpu.nvidia.com": 1}), kind="DaemonSet"))
    assert f"1 {CLASS_RESOURCE_PREFIX}gpu.nvidia.com per node" in v.message
