"""Example objects for the gpu rules' allowed/denied fixtures (judged against tenant `acme`)."""

from __future__ import annotations

from typing import Any

from tenantguard.policies.model import Obj

ACME = {"tenantguard.io/tenant": "acme"}


def container(limits: dict[str, Any] | None = None, requests: dict[str, Any] | None = None, name: str = "vllm") -> Obj:
    resources: dict[str, Any] = {}
    if limits is not None:
        resources["limits"] = limits
    if requests is not None:
        resources["requests"] = requests
    return {"name": name, "image": "nvcr.io/nvidia/vllm:0.6", "resources": resources}


def pod(*containers: Obj, **spec: Any) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "vllm", "namespace": "acme-prod", "labels": dict(ACME)},
        "spec": {"containers": list(containers), **spec},
    }


def gpu_pod(resource: str = "nvidia.com/gpu", count: int | str = 1, **spec: Any) -> Obj:
    return pod(container({resource: count}), **spec)


def deployment(replicas: int, *containers: Obj, kind: str = "Deployment", **spec: Any) -> Obj:
    body: dict[str, Any] = {
        "selector": {"matchLabels": {"app": "vllm"}},
        "template": {
            "metadata": {"labels": {"app": "vllm", **ACME}},
            "spec": {"containers": list(containers), **spec},
        },
    }
    if kind != "DaemonSet":
        body["replicas"] = replicas
    return {
        "apiVersion": "apps/v1",
        "kind": kind,
        "metadata": {"name": "vllm", "namespace": "acme-prod", "labels": dict(ACME)},
        "spec": body,
    }


def isvc(min_replicas: int, model: Obj, max_replicas: int | None = None) -> Obj:
    """A KServe InferenceService whose predictor's model container is `model`."""
    predictor: dict[str, Any] = {
        "minReplicas": min_replicas,
        "model": {"modelFormat": {"name": "huggingface"}, **model},
    }
    if max_replicas is not None:
        predictor["maxReplicas"] = max_replicas
    return {
        "apiVersion": "serving.kserve.io/v1beta1",
        "kind": "InferenceService",
        "metadata": {"name": "llm", "namespace": "acme-prod", "labels": dict(ACME)},
        "spec": {"predictor": predictor},
    }
