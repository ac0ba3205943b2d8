"""GPU004 no-gpu-mig-mix: one pod requests whole GPUs or MIG slices, never both."""

from __future__ import annotations

import pytest

from tenantguard.policies.model import Obj, Violation
from tenantguard.policies.rule import Example
from tenantguard.policies.rules.gpu.samples import container, deployment, pod
from tests.support.fixtures import judge


def fired(obj: Obj) -> list[Violation]:
    return [v for v in judge(Example(object=obj)).violations if v.rule == "GPU004"]


@pytest.mark.parametrize(
    "obj",
    [
        pytest.param(pod(container({"nvidia.com/gpu": 2})), id="full-only"),
        pytest.param(
            pod(container({"nvidia.com/mig-1g.10gb": 1}), container({"nvidia.com/mig-3g.40gb": 1}, name="b")),
            id="mig-only-two-profiles",
        ),
        pytest.param(pod(container({"cpu": "1"})), id="no-gpu"),
    ],
)
def test_allowed(obj: Obj) -> None:
    assert fired(obj) == []


def test_same_container_mix() -> None:
    (v,) = fired(pod(container({"nvidia.com/gpu": 1, "nvidia.com/mig-1g.10gb": 1})))
    assert v.path == 'spec.containers[0].resources.limits["nvidia.com/mig-1g.10gb"]'
    assert "also requests full GPUs (container 'vllm')" in v.message


def test_init_container_full_gpu_and_app_mig() -> None:
    obj = deployment(
        2,
        container({"nvidia.com/mig-3g.40gb": 1}, {"nvidia.com/mig-3g.40gb": 1}),
        initContainers=[container({"nvidia.com/gpu": 1}, name="warmup")],
    )
    (v,) = fired(obj)
    assert v.path == 'spec.template.spec.containers[0].resources.limits["nvidia.com/mig-3g.40gb"]'
    assert "'warmup'" in v.message


def test_every_mig_key_is_reported() -> None:
    obj = pod(
        container({"nvidia.com/gpu": 1}),
        container({"nvidia.com/mig-1g.10gb": 1}, name="a"),
        container(requests={"nvidia.com/mig-3g.40gb": 1}, name="b"),
    )
    assert [v.path for v in fired(obj)] == [
        'spec.containers[1].resources.limits["nvidia.com/mig-1g.10gb"]',
        'spec.containers[2].resources.requests["nvidia.com/mig-3g.40gb"]',
    ]
