"""GPU006 gpu-tenant-total: replicas x per-pod devices + other usage stay within maxTotal (8 for acme)."""

from __future__ import annotations

from typing import Any

import pytest

from tenantguard.policies.cluster import ClusterState
from tenantguard.policies.engine import evaluate
from tenantguard.policies.model import Obj, Violation
from tenantguard.policies.rules.gpu.samples import container, deployment, gpu_pod
from tests.support.fixtures import cluster_for, request


def running_pod(name: str, gpus: int, namespace: str = "acme-dev", **meta: Any) -> Obj:
    """A Running pod holding `gpus` full GPUs; `meta` adds metadata (ownerReferences, labels)."""
    pod = gpu_pod("nvidia.com/gpu", gpus)
    pod["metadata"] = {"name": name, "namespace": namespace, "uid": f"uid-{namespace}-{name}", **meta}
    pod["status"] = {"phase": "Running"}
    return pod


def cluster_with(*pods: Obj) -> ClusterState:
    """acme and globex, with these pods running (a view that knows pods, as the webhook's cache does)."""
    state = cluster_for()
    state.pods_known = True
    state.replace_pods(pods)
    return state


def fired(
    obj: Obj, cluster: ClusterState | None = None, operation: str = "CREATE", old: Obj | None = None
) -> list[Violation]:
    state = cluster or cluster_for()
    return [v for v in evaluate(obj, state, request(operation, old)).violations if v.rule == "GPU006"]


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
    assert "that alone exceeds the cap of 8" in v.message, "lint knows no running pods and does not claim any"
    assert "already holds" not in v.message


def test_existing_usage_counts_in_every_namespace_of_the_tenant() -> None:
    cluster = cluster_with(
        running_pod("a", 4), running_pod("b", 2, namespace="acme-prod"), running_pod("g", 8, "globex-prod")
    )
    (v,) = fired(deployment(2, container({"nvidia.com/gpu": 2})), cluster)
    assert "needs 4 GPU-class devices (2 pods x 2)" in v.message
    assert "tenant 'acme' already holds 6 elsewhere; 10 exceeds the cap of 8" in v.message


def test_fits_beside_existing_usage() -> None:
    assert fired(deployment(1, container({"nvidia.com/gpu": 2})), cluster_with(running_pod("a", 6))) == []


def test_update_excludes_the_workloads_own_pods() -> None:
    owned = running_pod(
        "vllm-5f4688bbc7-x2x9k",
        2,
        namespace="acme-prod",
        labels={"pod-template-hash": "5f4688bbc7"},
        ownerReferences=[{"kind": "ReplicaSet", "name": "vllm-5f4688bbc7", "controller": True}],
    )
    cluster = cluster_with(owned, running_pod("other", 2))
    old = deployment(3, container({"nvidia.com/gpu": 2}))
    obj = deployment(3, container({"nvidia.com/gpu": 2}))
    obj["spec"]["template"]["spec"]["containers"][0]["image"] = "registry.acme.example/vllm:0.7"
    assert fired(obj, cluster, "UPDATE", old) == [], "3 x 2 + 2 held by another workload = 8"
    bigger = deployment(4, container({"nvidia.com/gpu": 2}))
    (v,) = fired(bigger, cluster, "UPDATE", old)
    assert "already holds 2 elsewhere; 10 exceeds" in v.message, "its own pod is not counted twice"


def test_update_of_a_running_gpu_pod_at_the_cap_is_allowed() -> None:
    """The regression from the structure issue: `kubectl label pod` on a GPU pod of a tenant at its cap."""
    pod = running_pod("vllm", 2, namespace="acme-prod")
    cluster = cluster_with(pod, running_pod("batch", 6))
    relabelled = {**pod, "metadata": {**pod["metadata"], "labels": {"x": "y"}}}
    assert fired(relabelled, cluster, "UPDATE", pod) == []


def test_an_update_that_adds_no_devices_is_never_refused_by_the_cap() -> None:
    cluster = cluster_with(running_pod("a", 8))  # over the cap already (the cap was lowered)
    old = deployment(2, container({"nvidia.com/gpu": 2}))
    assert fired(deployment(1, container({"nvidia.com/gpu": 2})), cluster, "UPDATE", old) == []
    assert fired(deployment(3, container({"nvidia.com/gpu": 2})), cluster, "UPDATE", old) != []


def test_labels_alone_do_not_make_a_pod_a_workloads_member() -> None:
    """A pod labelled as a Job's member, without the Job as its controller, still counts for an update."""
    spoof = running_pod("spoof", 6, labels={"job-name": "llm", "batch.kubernetes.io/job-name": "llm"})
    job = meta("Job", "batch/v1", {"parallelism": 2, "template": tpl({"nvidia.com/gpu": 2})})
    old = meta("Job", "batch/v1", {"parallelism": 1, "template": tpl({"nvidia.com/gpu": 2})})
    (v,) = fired(job, cluster_with(spoof), "UPDATE", old)
    assert "already holds 6 elsewhere" in v.message


def test_pod_path_is_its_spec() -> None:
    (v,) = fired(gpu_pod("nvidia.com/gpu", 2), cluster_with(running_pod("a", 7)))
    assert v.path == "spec"


def test_ray_breakdown_names_roles() -> None:
    (v,) = fired(ray((3, 2), (2, 2)))
    assert "worker: 3 pods x 2, worker: 2 pods x 2" in v.message
