"""GPU005 gpu-per-pod-cap: a pod's GPU-class devices stay within the tenant's maxPerPod (2 for acme)."""

from __future__ import annotations

from typing import Any

import pytest

from tenantguard.policies import dra
from tenantguard.policies.cluster import ClusterState
from tenantguard.policies.engine import evaluate
from tenantguard.policies.model import Obj, Violation
from tenantguard.policies.rule import Example
from tenantguard.policies.rules.gpu.samples import (
    claim,
    claim_template,
    container,
    deployment,
    dra_pod,
    exact,
    gpu_pod,
    pod,
)
from tests.support.fixtures import judge, request
from tests.unit.rules.dra_world import PROFILE, running, world


def fired(obj: Obj, tenant: dict[str, Any] | None = None) -> list[Violation]:
    return [v for v in judge(Example(object=obj, tenant=tenant)).violations if v.rule == "GPU005"]


def fired_in(obj: Obj, cluster: ClusterState) -> list[Violation]:
    return [v for v in evaluate(obj, cluster, request()).violations if v.rule == "GPU005"]


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


# DRA: claim templates, named claims and DeviceClass resources count with the extended resources.


def test_gpus_split_between_extended_resources_and_a_claim() -> None:
    cluster = world(claim("shared", exact("gpu.nvidia.com", 1)))
    obj = dra_pod(container({"nvidia.com/gpu": 2}), claim="shared")
    (v,) = fired_in(obj, cluster)
    assert v.path == "spec"
    assert v.message == (
        "pod holds 3 GPU-equivalents (2 nvidia.com/gpu + 1 gpu.nvidia.com); tenant 'acme' allows 2 per pod "
        "(spec.gpu.maxPerPod; a MIG slice counts g/7)"
    )
    slices = world(claim_template("seven", exact("mig.nvidia.com", 7, PROFILE.format("1g.10gb"))))
    assert fired_in(dra_pod(container({"nvidia.com/gpu": 1}), template="seven"), slices) == [], "1 + 7/7"


def test_a_device_class_resource_counts() -> None:
    key = f"{dra.CLASS_RESOURCE_PREFIX}gpu.nvidia.com"
    (v,) = fired(pod(container({"nvidia.com/gpu": 1, key: 2})))
    assert "holds 3 GPU-equivalents (1 nvidia.com/gpu + 2 gpu.nvidia.com)" in v.message


def test_a_claim_or_template_over_the_cap_on_its_own() -> None:
    (v,) = fired(claim_template("big", exact("gpu.nvidia.com", 3)))
    assert v.path == "spec.spec.devices"
    assert v.message.startswith(
        "ResourceClaimTemplate gives each pod that uses it 3 GPU-equivalents (3 gpu.nvidia.com)"
    )
    assert fired(claim("ok", exact("mig.nvidia.com", 7, PROFILE.format("1g.10gb")))) == []


def test_a_claim_created_after_the_pod_that_names_it() -> None:
    """Order does not open a way around the cap: the claim is judged with the pods already naming it."""
    waiting = running(dra_pod(container({"nvidia.com/gpu": 2}), claim="later"))
    cluster = world(waiting)
    (v,) = fired_in(claim("later", exact("gpu.nvidia.com", 1)), cluster)
    assert v.path == "spec.devices"
    assert v.message.startswith("pod 'vllm' already names this ResourceClaim and would hold 3 GPU-equivalents with it")
    template_pod = running(dra_pod(container({"nvidia.com/gpu": 2}), template="later-t"), name="t-0")
    (v,) = fired_in(claim_template("later-t", exact("gpu.nvidia.com", 1)), world(template_pod))
    assert "pod 't-0' already names this ResourceClaimTemplate" in v.message
