"""GPU006 gpu-tenant-total: replicas x per-pod devices + other usage stay within maxTotal (8 for acme)."""

from __future__ import annotations

from typing import Any

import pytest

from tenantguard.policies.cluster import ClusterState
from tenantguard.policies.engine import evaluate
from tenantguard.policies.model import Obj, Violation
from tenantguard.policies.request import Operation, Origin, Request
from tenantguard.policies.rules.gpu.samples import (
    claim,
    claim_template,
    container,
    deployment,
    dra_pod,
    exact,
    gpu_pod,
    template_claim,
    uses_claim,
)
from tests.support.fixtures import cluster_for, request
from tests.unit.rules.dra_world import running, world


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
    """GPU006's violations as lint (a cluster without pods) or the webhook's cache (`cluster_with`) sees them."""
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
    assert f"needs {requested} GPU-equivalents" in v.message
    assert "that alone exceeds the cap of 8" in v.message, "lint knows no running pods and does not claim any"
    assert "already holds" not in v.message


def test_existing_usage_counts_in_every_namespace_of_the_tenant() -> None:
    cluster = cluster_with(
        running_pod("a", 4), running_pod("b", 2, namespace="acme-prod"), running_pod("g", 8, "globex-prod")
    )
    (v,) = fired(deployment(2, container({"nvidia.com/gpu": 2})), cluster)
    assert "needs 4 GPU-equivalents (2 pods x 2 nvidia.com/gpu)" in v.message
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
    assert "worker: 3 pods x 2 nvidia.com/gpu, worker: 2 pods x 2 nvidia.com/gpu" in v.message


def mig_pod(name: str, profile: str = "nvidia.com/mig-1g.10gb", namespace: str = "acme-dev") -> Obj:
    pod = gpu_pod(profile, 1)
    pod["metadata"] = {"name": name, "namespace": namespace, "uid": f"uid-{name}"}
    pod["status"] = {"phase": "Running"}
    return pod


CAP_2 = {"gpu": {"maxPerPod": 1, "maxTotal": 2, "allowedResources": ["nvidia.com/gpu", "nvidia.com/mig-1g.10gb"]}}


def test_one_unit_a_mig_slice_weighs_g_over_7() -> None:
    """The gates issue: one H100 held and a cap of 2 — two 1g.10gb pods are 1 + 2/7, not 3 devices."""
    cluster = cluster_for(CAP_2)
    cluster.pods_known = True
    cluster.replace_pods([running_pod("h100", 1), mig_pod("first")])
    assert fired(gpu_pod("nvidia.com/mig-1g.10gb", 1), cluster) == []
    cluster.replace_pods([running_pod("h100", 1), running_pod("h100-b", 1)])
    (v,) = fired(gpu_pod("nvidia.com/mig-1g.10gb", 1), cluster)
    assert "needs 0.14 GPU-equivalents (1 pods x 1 nvidia.com/mig-1g.10gb)" in v.message
    assert "already holds 2 elsewhere; 2.14 exceeds the cap of 2" in v.message


def test_fourteen_slices_fill_a_cap_of_two_exactly() -> None:
    """Exact arithmetic: 14 x 1/7 is 2, not 2.0000000000000004."""
    assert fired(deployment(14, container({"nvidia.com/mig-1g.10gb": 1})), cluster_for(CAP_2)) == []
    assert fired(deployment(15, container({"nvidia.com/mig-1g.10gb": 1})), cluster_for(CAP_2)) != []


def test_isvc_counts_max_replicas() -> None:
    """The gates issue: maxReplicas 8 x 1 GPU under a cap of 2 passed, because only minReplicas counted."""
    obj = isvc(1, 1)
    obj["spec"]["predictor"]["maxReplicas"] = 8
    (v,) = fired(obj, cluster_for(CAP_2))
    assert v.path == "spec.predictor.maxReplicas"
    assert "needs 8 GPU-equivalents (predictor: 8 pods x 1 nvidia.com/gpu)" in v.message


def test_ray_in_tree_autoscaling_counts_max_replicas() -> None:
    obj = ray((1, 1))
    obj["spec"]["enableInTreeAutoscaling"] = True
    obj["spec"]["workerGroupSpecs"][0]["maxReplicas"] = 9
    (v,) = fired(obj)
    assert v.path == "spec.workerGroupSpecs[0].maxReplicas" and "needs 9 GPU-equivalents" in v.message
    del obj["spec"]["workerGroupSpecs"][0]["maxReplicas"]  # the CRD's default: 2^31-1, no bound at all
    (v,) = fired(obj)
    assert "needs 2147483647 GPU-equivalents" in v.message


def hpa(max_replicas: int, target: str = "llm") -> Obj:
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "llm", "namespace": "acme-prod"},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": target},
            "minReplicas": 1,
            "maxReplicas": max_replicas,
        },
    }


def target(replicas: int = 1, gpus: int = 1) -> Obj:
    return meta("Deployment", "apps/v1", {"replicas": replicas, "template": tpl({"nvidia.com/gpu": gpus})})


def test_autoscaler_bound_counts_against_the_cap() -> None:
    cluster = cluster_for()
    cluster.put_workload(target())
    (v,) = fired(hpa(9), cluster)
    assert v.path == "spec.maxReplicas"
    assert "HorizontalPodAutoscaler needs 9 GPU-equivalents (9 pods x 1 nvidia.com/gpu)" in v.message
    assert fired(hpa(8), cluster) == []


def test_autoscaler_target_read_at_admission() -> None:
    """The webhook reads the target per request and hands it over as Request.related."""
    req = Request(
        operation=Operation.CREATE, origin=Origin.ADMISSION, related={("Deployment", "acme-prod", "llm"): target()}
    )
    found = [v for v in evaluate(hpa(9), cluster_for(), req).violations if v.rule == "GPU006"]
    assert len(found) == 1


def test_autoscaler_excludes_its_targets_running_pods() -> None:
    owned = running_pod(
        "llm-5f4688bbc7-x2x9k",
        2,
        namespace="acme-prod",
        labels={"pod-template-hash": "5f4688bbc7"},
        ownerReferences=[{"kind": "ReplicaSet", "name": "llm-5f4688bbc7", "controller": True}],
    )
    cluster = cluster_with(owned, running_pod("other", 2))
    cluster.put_workload(target(gpus=2))
    assert fired(hpa(3), cluster) == [], "3 x 2 + 2 held by another workload = 8; its own pods are not counted twice"
    (v,) = fired(hpa(4), cluster)
    assert "already holds 2 elsewhere; 10 exceeds" in v.message


def scale_request(old: Obj) -> Request:
    return Request(operation=Operation.UPDATE, origin=Origin.ADMISSION, old=old, subresource="scale")


def test_a_scale_request_is_judged_as_an_update_of_the_replicas() -> None:
    """The gates issue: `kubectl scale` went through and the ReplicaSet controller was refused every second."""
    stored = deployment(1, container({"nvidia.com/gpu": 2}))
    scaled = deployment(5, container({"nvidia.com/gpu": 2}))
    ev = evaluate(scaled, cluster_for(), scale_request(stored))
    assert [v.rule for v in ev.violations] == ["GPU006"], "only the rules that judge replica counts run"
    assert ev.violations[0].path == "spec.replicas"
    assert evaluate(deployment(4, container({"nvidia.com/gpu": 2})), cluster_for(), scale_request(stored)).allowed
    assert evaluate(stored, cluster_for(), scale_request(scaled)).allowed, "scaling down is never refused"


# DRA: a claim counts once, when it is created; a workload's claim templates per pod.


def _rs_pod(name: str, *refs: Obj) -> Obj:
    """A pod of Deployment vllm (ReplicaSet vllm-5f4688bbc7) using `refs`."""
    return running(
        dra_pod(container({"cpu": "1"}), **({"template": refs[0]["resourceClaimTemplateName"]} if refs else {})),
        name=name,
    ) | {
        "metadata": {
            "name": name,
            "namespace": "acme-prod",
            "uid": name,
            "labels": {"pod-template-hash": "5f4688bbc7"},
            "ownerReferences": [
                {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "vllm-5f4688bbc7", "controller": True}
            ],
        }
    }


def test_a_shared_claim_is_held_once_however_many_pods_name_it() -> None:
    share = [running(dra_pod(container({"cpu": "1"}), claim="shared"), name=f"s-{i}") for i in range(3)]
    cluster = world(claim("shared", exact("gpu.nvidia.com", 4)), *share, running_pod("big", 3))
    assert cluster.gpu_usage("acme").equivalents == 7
    assert fired(claim("one", exact("gpu.nvidia.com", 1)), cluster) == [], "7 + 1 = 8, the cap"
    (v,) = fired(claim("two", exact("gpu.nvidia.com", 2)), cluster)
    assert v.path == "spec.devices"
    assert v.message == (
        "ResourceClaim needs 2 GPU-equivalents (2 gpu.nvidia.com) and tenant 'acme' already holds 7 elsewhere; "
        "9 exceeds the cap of 8 (spec.gpu.maxTotal; a full GPU counts 1, a MIG slice g/7)"
    )
    assert fired(dra_pod(container({"cpu": "1"}), claim="shared"), cluster) == [], "a fourth pod adds nothing"


def test_claim_templates_count_per_pod_and_an_update_leaves_out_its_own_pods_claims() -> None:
    template = claim_template("two", exact("gpu.nvidia.com", 2))
    pods = [_rs_pod(f"vllm-5f4688bbc7-{i}", template_claim("two")) for i in range(2)]
    made = [
        claim(
            f"vllm-5f4688bbc7-{i}-gpu",
            exact("gpu.nvidia.com", 2),
            ownerReferences=[{"apiVersion": "v1", "kind": "Pod", "name": f"vllm-5f4688bbc7-{i}", "controller": True}],
            annotations={"resource.kubernetes.io/pod-claim-name": "gpu"},
        )
        for i in range(1)
    ]  # pod 0's claim is made; pod 1's template still counts for it
    cluster = world(template, *pods, *made)
    assert cluster.gpu_usage("acme").equivalents == 4
    workload = deployment(4, uses_claim(container({"cpu": "1"})), resourceClaims=[template_claim("two")])
    assert fired(workload, cluster, "UPDATE", deployment(2, uses_claim(container({"cpu": "1"})))) == [], "8 in all"
    other = deployment(3, uses_claim(container({"cpu": "1"})), resourceClaims=[template_claim("two")])
    other["metadata"]["name"] = "other"
    (v,) = fired(other, cluster)
    assert (
        "needs 6 GPU-equivalents (3 pods x 2 gpu.nvidia.com)" in v.message and "already holds 4 elsewhere" in v.message
    )


def test_a_template_demands_for_the_pods_already_waiting_for_it() -> None:
    waiting = [running(dra_pod(container({"cpu": "1"}), template="later"), name=f"w-{i}") for i in range(5)]
    cluster = world(*waiting)
    (v,) = fired(claim_template("later", exact("gpu.nvidia.com", 2)), cluster)
    assert v.message.startswith("ResourceClaimTemplate needs 10 GPU-equivalents (waiting: 5 pods x 2 gpu.nvidia.com)")
    assert fired(claim_template("later", exact("gpu.nvidia.com", 1)), cluster) == []
