"""GPU002 gpu-requests-equal-limits: a GPU request has a limit and equals it."""

from __future__ import annotations

from typing import Any

import pytest

from tenantguard.policies.model import Obj, Violation
from tenantguard.policies.rule import Example
from tenantguard.policies.rules.gpu.samples import container, deployment, pod
from tests.support.fixtures import judge


def fired(obj: Obj) -> list[Violation]:
    return [v for v in judge(Example(object=obj)).violations if v.rule == "GPU002"]


@pytest.mark.parametrize(
    ("limits", "requests"),
    [
        pytest.param({"nvidia.com/gpu": 1}, None, id="limit-only"),
        pytest.param({"nvidia.com/gpu": 2}, {"nvidia.com/gpu": 2}, id="equal"),
        pytest.param({"nvidia.com/gpu": 2}, {"nvidia.com/gpu": "2"}, id="equal-int-and-string"),
        pytest.param({"nvidia.com/mig-1g.10gb": "1"}, {"nvidia.com/mig-1g.10gb": "1000m"}, id="equal-milli"),
        pytest.param({"cpu": "2"}, {"cpu": "1"}, id="cpu-may-differ"),
        pytest.param(None, {"cpu": "1", "memory": "1Gi"}, id="no-gpu"),
    ],
)
def test_allowed(limits: Any, requests: Any) -> None:
    assert fired(pod(container(limits, requests))) == []


def test_request_differs_from_limit() -> None:
    (v,) = fired(pod(container({"nvidia.com/gpu": 2}, {"nvidia.com/gpu": 1})))
    assert v.path == 'spec.containers[0].resources.requests["nvidia.com/gpu"]'
    assert "requests 1 nvidia.com/gpu but its limit is 2" in v.message


def test_request_without_limit_in_deployment() -> None:
    (v,) = fired(deployment(2, container({"cpu": "1"}, {"nvidia.com/mig-3g.40gb": 1})))
    assert v.path == 'spec.template.spec.containers[0].resources.requests["nvidia.com/mig-3g.40gb"]'
    assert "without a limit" in v.message


def test_every_container_and_init_container() -> None:
    obj = pod(
        container({"nvidia.com/gpu": 2}, {"nvidia.com/gpu": 1}),
        initContainers=[container(None, {"nvidia.com/gpu": 1}, name="warmup")],
    )
    assert sorted(v.path for v in fired(obj)) == [
        'spec.containers[0].resources.requests["nvidia.com/gpu"]',
        'spec.initContainers[0].resources.requests["nvidia.com/gpu"]',
    ]


def test_cronjob_template() -> None:
    obj = {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": "eval", "namespace": "acme-dev"},
        "spec": {
            "schedule": "@daily",
            "jobTemplate": {
                "spec": {
                    "template": {"spec": {"containers": [container({"nvidia.com/gpu": 1}, {"nvidia.com/gpu": 2})]}}
                }
            },
        },
    }
    (v,) = fired(obj)
    assert v.path.startswith("spec.jobTemplate.spec.template.spec.containers[0].resources.requests")


def test_unparseable_quantities_compared_as_text() -> None:
    assert fired(pod(container({"nvidia.com/gpu": "lots"}, {"nvidia.com/gpu": "lots"}))) == []
    assert len(fired(pod(container({"nvidia.com/gpu": "lots"}, {"nvidia.com/gpu": "some"})))) == 1
