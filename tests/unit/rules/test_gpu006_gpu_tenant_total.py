"""GPU006 gpu-tenant-total: replicas x per-pod devices + other usage stay within maxTotal (8 for acme)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import pytest

from tenantguard.policies.engine import evaluate
from tenantguard.policies.model import Obj, Violation
from tenantguard.policies.rules.gpu.samples import container, deployment, gpu_pod
from tests.support.fixtures import NOW, policy_for


class FakeView:
    """A cluster where the tenant already holds `used` devices; records what the rule asked."""

    def __init__(self, used: int) -> None:
        self.used = used
        self.asked: list[tuple[str, tuple[str, str, str] | None]] = []

    def gpu_usage(self, tenant: str, *, exclude: tuple[str, str, str] | None = None) -> int:
        self.asked.append((tenant, exclude))
        return self.used if tenant == "acme" else 0

    def namespace_labels(self, namespace: str) -> Mapping[str, str] | None:
        return None


def fired(obj: Obj, view: FakeView | None = None, operation: str = "CREATE") -> list[Violation]:
    policy = policy_for()
    if view is not None:
        policy = replace(policy, view=view)
    return [v for v in evaluate(obj, policy, operation=operation, now=NOW).violations if v.rule == "GPU006"]


def meta(kind: str, api: str, spec: dict[str, Any]) -> Obj:
    return {
        "apiVersion": api,
        "kind": kind,
        "metadata": {"name": "llm", "namespace": "acme-prod"},
        "spec": spec,
    }


def tpl(limits: dict[str, Any]) -> dict[str, Any]:
    return {"spec": {"containers": [container(limits)]}}


def cronjob(parallelism: int, gpus: int) -> Obj:
    return meta(
        "CronJob",
        "batch/v1",
        {
            "schedule": "@hourly",
            "jobTemplate": {"spec": {"parallelism": parallelism, "template": tpl({"nvidia.com/gpu": gpus})}},
        },
    )


def isvc(min_replicas: int, gpus: int) -> Obj:
    return meta(
        "InferenceService",
        "serving.kserve.io/v1beta1",
        {
            "predictor": {
                "minReplicas": min_replicas,
                "model": {"modelFormat": {"name": "huggingface"}, **container({"nvidia.com/gpu": gpus})},
            }
        },
    )


def lws(replicas: int, size: int, gpus: int) -> Obj:
    return meta(
        "LeaderWorkerSet",
        "leaderworkerset.x-k8s.io/v1",
        {
            "replicas": replicas,
            "leaderWorkerTemplate": {"size": size, "workerTemplate": tpl({"nvidia.com/gpu": gpus})},
        },
    )


def ray(*groups: tuple[int, int]) -> Obj:
    return meta(
        "RayCluster",
        "ray.io/v1",
        {
            "headGroupSpec": {"template": tpl({"cpu": "2"})},
            "workerGroupSpecs": [
                {"groupName": f"g{i}", "replicas": n, "template": tpl({"nvidia.com/gpu": g})}
                for i, (n, g) in enumerate(groups)
            ],
        },
    )


@pytest.mark.parametrize(
    "obj",
    [
        pytest.param(deployment(4, container({"nvidia.com/gpu": 2})), id="deployment-at-cap"),
        pytest.param(deployment(100, container({"cpu": "1"})), id="no-gpu"),
        pytest.param(cronjob(4, 2), id="cronjob-at-cap"),
        pytest.param(isvc(4, 2), id="isvc-at-cap"),
        pytest.param(lws(2, 4, 1), id="lws-2x4x1"),
        pytest.param(ray((2, 2), (2, 2)), id="ray-two-groups-at-cap"),
        pytest.param(
            meta(
                "ServingRuntime",
                "serving.kserve.io/v1alpha1",
                {"containers": [container({"nvidia.com/gpu": 100})]},
            ),
            id="serving-runtime-makes-no-pods",
        ),
    ],
)
def test_allowed_in_lint(obj: Obj) -> None:
    assert fired(obj) == []


@pytest.mark.parametrize(
    ("obj", "path", "requested"),
    [
        pytest.param(deployment(5, container({"nvidia.com/gpu": 2})), "spec.replicas", 10, id="deployment"),
        pytest.param(cronjob(3, 3), "spec.jobTemplate.spec.parallelism", 9, id="cronjob"),
        pytest.param(isvc(3, 3), "spec.predictor.minReplicas", 9, id="isvc-model"),
        pytest.param(lws(3, 4, 1), "spec.replicas", 12, id="lws-size-x-replicas"),
        pytest.param(ray((1, 2), (4, 2)), "spec.workerGroupSpecs[1].replicas", 10, id="ray-biggest-group"),
    ],
)
def test_denied_in_lint(obj: Obj, path: str, requested: int) -> None:
    (v,) = fired(obj)
    assert v.path == path
    assert f"needs {requested} GPU-class devices" in v.message
    assert "already holds 0 elsewhere" in v.message and "cap of 8" in v.message


def test_existing_usage_counts() -> None:
    view = FakeView(used=6)
    (v,) = fired(deployment(2, container({"nvidia.com/gpu": 2})), view)
    assert "needs 4 GPU-class devices (2 pods x 2)" in v.message
    assert "already holds 6 elsewhere; 10 exceeds the cap of 8" in v.message
    assert view.asked == [("acme", ("Deployment", "acme-prod", "vllm"))]


def test_fits_beside_existing_usage() -> None:
    assert fired(deployment(1, container({"nvidia.com/gpu": 2})), FakeView(used=6)) == []


def test_update_excludes_the_object_itself() -> None:
    view = FakeView(used=0)
    obj = deployment(4, container({"nvidia.com/gpu": 2}))
    assert fired(obj, view, operation="UPDATE") == []
    assert view.asked[0][1] == ("Deployment", "acme-prod", "vllm")


def test_pod_path_is_its_spec() -> None:
    (v,) = fired(gpu_pod("nvidia.com/gpu", 2), FakeView(used=7))
    assert v.path == "spec"


def test_no_gpu_object_does_not_consult_the_view() -> None:
    view = FakeView(used=100)
    assert fired(deployment(1, container({"cpu": "1"})), view) == []
    assert view.asked == []


def test_ray_breakdown_names_roles() -> None:
    (v,) = fired(ray((3, 2), (2, 2)))
    assert "worker: 3 pods x 2, worker: 2 pods x 2" in v.message
