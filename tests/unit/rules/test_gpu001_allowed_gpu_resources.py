"""GPU001 allowed-gpu-resources: only the tenant's allowed GPU/MIG resources, none without spec.gpu."""

from __future__ import annotations

from typing import Any

import pytest

from tenantguard.policies.engine import evaluate
from tenantguard.policies.model import Obj, Violation
from tenantguard.policies.rules.gpu.samples import container, deployment, gpu_pod, pod
from tests.support.fixtures import cluster_for, request


def fired(obj: Obj, tenant: dict[str, Any] | None = None) -> list[Violation]:
    return [v for v in evaluate(obj, cluster_for(tenant), request()).violations if v.rule == "GPU001"]


def isvc(**predictor: Any) -> Obj:
    return {
        "apiVersion": "serving.kserve.io/v1beta1",
        "kind": "InferenceService",
        "metadata": {"name": "llm", "namespace": "acme-prod"},
        "spec": {"predictor": predictor},
    }


@pytest.mark.parametrize(
    ("obj", "tenant"),
    [
        pytest.param(gpu_pod("nvidia.com/gpu", 1), None, id="full-gpu-allowed"),
        pytest.param(gpu_pod("nvidia.com/mig-1g.10gb", 1), None, id="mig-allowed"),
        pytest.param(deployment(3, container({"nvidia.com/mig-3g.40gb": 1})), None, id="deployment"),
        pytest.param(pod(container({"cpu": "1"})), {"gpu": None}, id="no-allowance-no-gpu"),
        pytest.param(
            isvc(model={"modelFormat": {"name": "huggingface"}, **container({"nvidia.com/gpu": 1})}),
            None,
            id="kserve-model-allowed",
        ),
        pytest.param(
            {**gpu_pod("nvidia.com/mig-7g.80gb", 1), "metadata": {"name": "x", "namespace": "team-x"}},
            None,
            id="not-a-tenant-namespace",
        ),
    ],
)
def test_allowed(obj: Obj, tenant: dict[str, Any] | None) -> None:
    assert fired(obj, tenant) == []


def test_unlisted_profile_is_denied_with_path_and_allowed_list() -> None:
    (v,) = fired(gpu_pod("nvidia.com/mig-7g.80gb", 1))
    assert v.path == 'spec.containers[0].resources.limits["nvidia.com/mig-7g.80gb"]'
    assert "not allowed for tenant 'acme'" in v.message
    assert "nvidia.com/mig-3g.40gb" in v.message


def test_tenant_without_gpu_gets_none() -> None:
    (v,) = fired(gpu_pod("nvidia.com/gpu", 1), {"gpu": None})
    assert "no GPU allowance" in v.message


def test_requests_only_key_reported_at_requests() -> None:
    (v,) = fired(deployment(1, container(requests={"nvidia.com/gpu.shared": 1})))
    assert v.path == 'spec.template.spec.containers[0].resources.requests["nvidia.com/gpu.shared"]'


def test_every_offender_reported_once_per_container_and_resource() -> None:
    obj = pod(
        container({"nvidia.com/mig-2g.20gb": 1}, {"nvidia.com/mig-2g.20gb": 1}),
        container({"nvidia.com/mig-7g.80gb": 1}, name="draft"),
        initContainers=[container({"nvidia.com/mig-4g.40gb": 1}, name="warmup")],
    )
    paths = sorted(v.path for v in fired(obj))
    assert paths == [
        'spec.containers[0].resources.limits["nvidia.com/mig-2g.20gb"]',
        'spec.containers[1].resources.limits["nvidia.com/mig-7g.80gb"]',
        'spec.initContainers[0].resources.limits["nvidia.com/mig-4g.40gb"]',
    ]


def test_kserve_model_container_is_checked() -> None:
    obj = isvc(model={"modelFormat": {"name": "huggingface"}, **container({"nvidia.com/mig-2g.20gb": 1})})
    (v,) = fired(obj)
    assert v.path == 'spec.predictor.model.resources.limits["nvidia.com/mig-2g.20gb"]'


@pytest.mark.parametrize(
    "resources",
    [
        pytest.param(None, id="none"),
        pytest.param("8 gpus", id="string"),
        pytest.param({"limits": ["nvidia.com/gpu"]}, id="limits-list"),
    ],
)
def test_malformed_resources_never_raise(resources: Any) -> None:
    obj = pod({"name": "vllm", "image": "x", "resources": resources})
    assert fired(obj) == []
