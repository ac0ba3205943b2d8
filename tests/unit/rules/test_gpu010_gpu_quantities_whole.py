"""GPU010 gpu-quantities-whole: GPU quantities are whole, non-negative numbers, read as apimachinery reads them."""

from __future__ import annotations

from typing import Any

import pytest

from tenantguard.policies.model import Obj, Violation
from tenantguard.policies.rule import Example
from tenantguard.policies.rules.gpu.samples import container, gpu_pod, isvc, pod
from tests.support.fixtures import judge


def fired(obj: Obj) -> list[Violation]:
    return [v for v in judge(Example(object=obj)).violations if v.rule == "GPU010"]


@pytest.mark.parametrize("value", [1, "1", "2000m", "1e0", "0.001k", " 2 ", 2.0], ids=repr)
def test_whole_quantities_in_any_notation(value: Any) -> None:
    assert fired(gpu_pod("nvidia.com/gpu", value)) == []


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        pytest.param("0.5", "not a whole number", id="half"),
        pytest.param("1500m", "not a whole number", id="milli"),
        pytest.param(1.5, "not a whole number", id="float"),
        pytest.param("-1", "negative", id="negative"),
        pytest.param("one", "not a quantity", id="word"),
        pytest.param("1 GPU", "not a quantity", id="with-unit"),
        pytest.param(None, "not a quantity", id="null"),
    ],
)
def test_refused_with_the_reason(value: Any, reason: str) -> None:
    (v,) = fired(gpu_pod("nvidia.com/mig-1g.10gb", value))
    assert v.path == 'spec.containers[0].resources.limits["nvidia.com/mig-1g.10gb"]'
    assert reason in v.message and "container 'vllm' limits nvidia.com/mig-1g.10gb" in v.message


def test_custom_resources_are_judged_where_the_api_server_does_not() -> None:
    (v,) = fired(isvc(1, container(requests={"nvidia.com/gpu": "0.5"})))
    assert v.path == 'spec.predictor.model.resources.requests["nvidia.com/gpu"]'


def test_every_offender_and_only_gpu_resources() -> None:
    obj = pod(container({"nvidia.com/gpu": "0.5", "cpu": "0.5"}, {"nvidia.com/gpu": "x", "memory": "1.5Gi"}))
    assert sorted(v.path for v in fired(obj)) == [
        'spec.containers[0].resources.limits["nvidia.com/gpu"]',
        'spec.containers[0].resources.requests["nvidia.com/gpu"]',
    ]
