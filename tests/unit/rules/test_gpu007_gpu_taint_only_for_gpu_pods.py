"""GPU007 gpu-taint-only-for-gpu-pods: pods without GPUs stay off GPU nodes (taint, selectors)."""

from __future__ import annotations

from typing import Any

import pytest

from tenantguard.policies.dra import CLASS_RESOURCE_PREFIX
from tenantguard.policies.model import Obj, Severity, Violation
from tenantguard.policies.rule import Example
from tenantguard.policies.rules.gpu.samples import container, deployment, dra_pod, gpu_pod, pod
from tests.support.fixtures import judge

CPU = container({"cpu": "1"})
GPU_TOLERATION = {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}


def fired(obj: Obj) -> list[Violation]:
    return [v for v in judge(Example(object=obj)).violations if v.rule == "GPU007"]


def required(*expressions: dict[str, Any]) -> dict[str, Any]:
    return {
        "affinity": {
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {
                    "nodeSelectorTerms": [{"matchExpressions": list(expressions)}]
                }
            }
        }
    }


@pytest.mark.parametrize(
    "obj",
    [
        pytest.param(
            gpu_pod(
                "nvidia.com/gpu",
                1,
                tolerations=[GPU_TOLERATION],
                nodeSelector={"nvidia.com/gpu.product": "NVIDIA-H100-80GB-HBM3"},
            ),
            id="gpu-pod",
        ),
        pytest.param(gpu_pod("nvidia.com/mig-1g.10gb", 1, tolerations=[GPU_TOLERATION]), id="mig-pod"),
        pytest.param(
            pod(CPU, tolerations=[{"key": "dedicated", "operator": "Equal", "value": "llm"}]),
            id="other-taint",
        ),
        pytest.param(pod(CPU, nodeSelector={"topology.kubernetes.io/zone": "a"}), id="other-label"),
        pytest.param(
            pod(CPU, **required({"key": "nvidia.com/gpu.present", "operator": "DoesNotExist"})),
            id="avoids-gpu-nodes",
        ),
        pytest.param(
            pod(CPU, **required({"key": "nvidia.com/gpu.product", "operator": "NotIn", "values": ["x"]})),
            id="notin",
        ),
        pytest.param(pod(CPU, tolerations=["oops", None]), id="malformed-tolerations"),
    ],
)
def test_allowed(obj: Obj) -> None:
    assert fired(obj) == []


def test_taint_toleration() -> None:
    (v,) = fired(pod(CPU, tolerations=[{"key": "x", "operator": "Exists"}, GPU_TOLERATION]))
    assert v.path == "spec.tolerations[1]"
    assert v.severity is Severity.ERROR, "a CUDA image on a GPU node gets every GPU: not just a stranding risk"
    assert "tolerates the GPU taint 'nvidia.com/gpu'" in v.message


def test_tolerate_everything() -> None:
    (v,) = fired(deployment(1, CPU, tolerations=[{"operator": "Exists"}]))
    assert v.path == "spec.template.spec.tolerations[0]"
    assert "every taint" in v.message


def test_node_selector_and_affinity_each_reported() -> None:
    obj = pod(
        CPU,
        nodeSelector={"nvidia.com/gpu.present": "true"},
        **required({"key": "nvidia.com/mig.capable", "operator": "In", "values": ["true"]}),
    )
    assert [v.path for v in fired(obj)] == [
        'spec.nodeSelector["nvidia.com/gpu.present"]',
        "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0]"
        ".matchExpressions[0]",
    ]


def test_ray_cpu_head_next_to_gpu_workers() -> None:
    obj = {
        "apiVersion": "ray.io/v1",
        "kind": "RayCluster",
        "metadata": {"name": "r", "namespace": "acme-prod"},
        "spec": {
            "headGroupSpec": {"template": {"spec": {"containers": [CPU], "tolerations": [GPU_TOLERATION]}}},
            "workerGroupSpecs": [
                {
                    "replicas": 1,
                    "template": {
                        "spec": {
                            "containers": [container({"nvidia.com/gpu": 1})],
                            "tolerations": [GPU_TOLERATION],
                        }
                    },
                }
            ],
        },
    }
    (v,) = fired(obj)
    assert v.path == "spec.headGroupSpec.template.spec.tolerations[0]"


def test_kserve_model_without_resources_takes_them_from_the_runtime() -> None:
    model: dict[str, Any] = {"modelFormat": {"name": "vllm"}, "runtime": "vllm-h100"}
    obj: Obj = {
        "apiVersion": "serving.kserve.io/v1beta1",
        "kind": "InferenceService",
        "metadata": {"name": "llm", "namespace": "acme-prod"},
        "spec": {
            "predictor": {
                "model": model,
                "tolerations": [GPU_TOLERATION],
            }
        },
    }
    assert fired(obj) == []
    model["resources"] = {"limits": {"cpu": "4"}}
    assert [v.path for v in fired(obj)] == ["spec.predictor.tolerations[0]"]


def test_a_dra_pod_may_tolerate_the_taint_whatever_holds_its_devices() -> None:
    """Its claims are judged themselves (GPU015: the tenant's GPU classes; GPU016: never a claim of nothing)."""
    assert fired(dra_pod(CPU, template="one-gpu", tolerations=[GPU_TOLERATION])) == []
    assert fired(dra_pod(CPU, claim="shared", tolerations=[GPU_TOLERATION])) == []
    by_class = pod(container({f"{CLASS_RESOURCE_PREFIX}gpu.nvidia.com": 1}), tolerations=[GPU_TOLERATION])
    assert fired(by_class) == []
