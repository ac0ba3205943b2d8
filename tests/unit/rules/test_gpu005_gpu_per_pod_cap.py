"""GPU005 gpu-per-pod-cap: a pod's GPU-class devices stay within the tenant's maxPerPod (2 for acme)."""

from __future__ import annotations

from typing import Any

import pytest

from tenantguard.policies.model import Obj, Violation
from tenantguard.policies.rule import Example
from tenantguard.policies.rules.gpu.samples import container, deployment, gpu_pod, pod
from tests.support.fixtures import judge


def fired(obj: Obj, tenant: dict[str, Any] | None = None) -> list[Violation]:
    return [v for v in judge(Example(object=obj, tenant=tenant)).violations if v.rule == "GPU005"]


def sidecar(limits: dict[str, Any]) -> Obj:
    return {**container(limits, name="proxy"), "restartPolicy": "Always"}


@pytest.mark.parametrize(
    "obj",
    [
        pytest.param(gpu_pod("nvidia.com/gpu", 2), id="at-cap"),
        pytest.param(
            pod(container({"nvidia.com/mig-1g.10gb": 1}), container({"nvidia.com/mig-1g.10gb": 1}, name="b")),
            id="two-slices",
        ),
        pytest.param(
            pod(
                container({"nvidia.com/gpu": 2}),
                initContainers=[
                    container({"nvidia.com/gpu": 2}, name="a"),
                    container({"nvidia.com/gpu": 1}, name="b"),
                ],
            ),
            id="init-containers-run-one-at-a-time",
        ),
        pytest.param(deployment(10, container({"nvidia.com/gpu": 1})), id="replicas-do-not-count-here"),
    ],
)
def test_allowed(obj: Obj) -> None:
    assert fired(obj) == []


def test_over_cap() -> None:
    (v,) = fired(gpu_pod("nvidia.com/gpu", "3"))
    assert v.path == "spec"
    assert "holds 3 GPU-equivalents (3 nvidia.com/gpu)" in v.message
    assert "allows 2 per pod" in v.message


def test_mig_slices_weigh_their_compute_share() -> None:
    """On main a slice counted as a whole device: 2 x 1g + 1 x 3g was 3 > 2. It is 5/7 of one GPU."""
    assert fired(pod(container({"nvidia.com/mig-1g.10gb": 2, "nvidia.com/mig-3g.40gb": 1}))) == []
    (v,) = fired(pod(container({"nvidia.com/mig-3g.40gb": 5})))
    assert "holds 2.14 GPU-equivalents (5 nvidia.com/mig-3g.40gb)" in v.message, "15/7 > 2"


def test_sidecar_adds_to_app_containers() -> None:
    (v,) = fired(deployment(1, container({"nvidia.com/gpu": 2}), initContainers=[sidecar({"nvidia.com/gpu": 1})]))
    assert v.path == "spec.template.spec"


def test_regular_init_after_sidecar_counts_with_it() -> None:
    obj = pod(
        container({"nvidia.com/gpu": 1}),
        initContainers=[sidecar({"nvidia.com/gpu": 1}), container({"nvidia.com/gpu": 2}, name="warmup")],
    )
    (v,) = fired(obj)
    assert "holds 3" in v.message


def test_kserve_model_container_counts() -> None:
    obj = {
        "apiVersion": "serving.kserve.io/v1beta1",
        "kind": "InferenceService",
        "metadata": {"name": "llm", "namespace": "acme-prod"},
        "spec": {
            "predictor": {
                "model": {"modelFormat": {"name": "vllm"}, **container({"nvidia.com/gpu": 2})},
                "containers": [container({"nvidia.com/gpu": 1}, name="draft")],
            }
        },
    }
    (v,) = fired(obj)
    assert v.path == "spec.predictor"
    assert "predictor pod holds 3" in v.message


def test_ray_worker_group() -> None:
    obj = {
        "apiVersion": "ray.io/v1",
        "kind": "RayCluster",
        "metadata": {"name": "r", "namespace": "acme-prod"},
        "spec": {
            "headGroupSpec": {"template": {"spec": {"containers": [container({"cpu": "1"})]}}},
            "workerGroupSpecs": [
                {"replicas": 1, "template": {"spec": {"containers": [container({"nvidia.com/gpu": 4})]}}}
            ],
        },
    }
    (v,) = fired(obj)
    assert v.path == "spec.workerGroupSpecs[0].template.spec"
    assert "worker pod holds 4" in v.message


def test_tenant_cap_from_spec() -> None:
    assert (
        len(
            fired(
                gpu_pod("nvidia.com/gpu", 2),
                {"gpu": {"maxPerPod": 1, "maxTotal": 8, "allowedResources": ["nvidia.com/gpu"]}},
            )
        )
        == 1
    )


def test_no_allowance_left_to_gpu001() -> None:
    assert fired(gpu_pod("nvidia.com/gpu", 4), {"gpu": None}) == []
