"""The same privileged container is denied wherever a pod spec lives, with the path of that object."""

from __future__ import annotations

from typing import Any

import pytest

from tenantguard.policies.rule import Example
from tenantguard.policies.rules.podsecurity.examples import restricted_container
from tests.support.fixtures import judge

LABELS = {"tenantguard.io/tenant": "acme"}


def privileged() -> dict[str, Any]:
    return restricted_container("vllm", privileged=True)


def meta(name: str = "llm") -> dict[str, Any]:
    return {"name": name, "namespace": "acme-prod", "labels": dict(LABELS)}


def template() -> dict[str, Any]:
    return {"metadata": {"labels": dict(LABELS)}, "spec": {"containers": [privileged()]}}


OBJECTS: list[tuple[str, dict[str, Any], str]] = [
    (
        "Pod",
        {"apiVersion": "v1", "kind": "Pod", "metadata": meta(), "spec": {"containers": [privileged()]}},
        "spec.containers[0]",
    ),
    (
        "Deployment",
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": meta(),
            "spec": {"replicas": 2, "template": template()},
        },
        "spec.template.spec.containers[0]",
    ),
    (
        "CronJob",
        {
            "apiVersion": "batch/v1",
            "kind": "CronJob",
            "metadata": meta(),
            "spec": {"schedule": "@daily", "jobTemplate": {"spec": {"template": template()}}},
        },
        "spec.jobTemplate.spec.template.spec.containers[0]",
    ),
    (
        "InferenceService",
        {
            "apiVersion": "serving.kserve.io/v1beta1",
            "kind": "InferenceService",
            "metadata": meta(),
            "spec": {"predictor": {"containers": [privileged()]}},
        },
        "spec.predictor.containers[0]",
    ),
    (
        "InferenceService-model",
        {
            "apiVersion": "serving.kserve.io/v1beta1",
            "kind": "InferenceService",
            "metadata": meta(),
            "spec": {
                "predictor": {
                    "model": {
                        "modelFormat": {"name": "huggingface"},
                        "storageUri": "hf://meta-llama/x",
                        **privileged(),
                    }
                }
            },
        },
        "spec.predictor.model",
    ),
    (
        "LeaderWorkerSet",
        {
            "apiVersion": "leaderworkerset.x-k8s.io/v1",
            "kind": "LeaderWorkerSet",
            "metadata": meta(),
            "spec": {"replicas": 1, "leaderWorkerTemplate": {"size": 2, "workerTemplate": template()}},
        },
        "spec.leaderWorkerTemplate.workerTemplate.spec.containers[0]",
    ),
    (
        "RayService",
        {
            "apiVersion": "ray.io/v1",
            "kind": "RayService",
            "metadata": meta(),
            "spec": {
                "rayClusterConfig": {
                    "headGroupSpec": {
                        "template": {
                            "metadata": {"labels": dict(LABELS)},
                            "spec": {"containers": [restricted_container("head")]},
                        }
                    },
                    "workerGroupSpecs": [{"groupName": "gpu", "replicas": 2, "template": template()}],
                }
            },
        },
        "spec.rayClusterConfig.workerGroupSpecs[0].template.spec.containers[0]",
    ),
]


@pytest.mark.parametrize(("obj", "container_path"), [(o, p) for _, o, p in OBJECTS], ids=[k for k, _, _ in OBJECTS])
def test_privileged_container_is_denied_at_its_real_path(obj: dict[str, Any], container_path: str) -> None:
    evaluation = judge(Example(object=obj))
    found = [v for v in evaluation.violations if v.rule == "PSS003"]
    assert [v.path for v in found] == [f"{container_path}.securityContext.privileged"]
    assert found[0].message == 'privileged (container "vllm" must not set securityContext.privileged=true)'
    assert not evaluation.allowed


@pytest.mark.parametrize(("obj", "container_path"), [(o, p) for _, o, p in OBJECTS], ids=[k for k, _, _ in OBJECTS])
def test_baseline_tenants_deny_it_too(obj: dict[str, Any], container_path: str) -> None:
    found = [
        v.path
        for v in judge(Example(object=obj, tenant={"podSecurity": "baseline"})).violations
        if v.rule.startswith("PSS")
    ]
    assert found == [f"{container_path}.securityContext.privileged"]
