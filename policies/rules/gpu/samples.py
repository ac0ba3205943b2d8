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


def exact(device_class: str, count: int | None = 1, *selectors: str, **extra: Any) -> Obj:
    """A DRA request body (`exactly` or a firstAvailable subrequest) with CEL selectors."""
    body: dict[str, Any] = {"deviceClassName": device_class, **extra}
    if count is not None:
        body["count"] = count
    if selectors:
        body["selectors"] = [{"cel": {"expression": e}} for e in selectors]
    return body


def claim(name: str, *requests: Obj, first_available: list[Obj] | None = None, **meta: Any) -> Obj:
    """A ResourceClaim in acme-prod with one `exactly` request per body (named gpu, gpu-1, …)."""
    listed: list[Obj] = [{"name": "gpu" if i == 0 else f"gpu-{i}", "exactly": r} for i, r in enumerate(requests)]
    if first_available is not None:
        subs = [{"name": f"option-{i}", **r} for i, r in enumerate(first_available)]
        listed.append({"name": "any", "firstAvailable": subs})
    return {
        "apiVersion": "resource.k8s.io/v1",
        "kind": "ResourceClaim",
        "metadata": {"name": name, "namespace": "acme-prod", "labels": dict(ACME), **meta},
        "spec": {"devices": {"requests": listed}},
    }


def claim_template(name: str, *requests: Obj, first_available: list[Obj] | None = None) -> Obj:
    """A ResourceClaimTemplate in acme-prod with the requests `claim` would have."""
    spec = claim(name, *requests, first_available=first_available)["spec"]
    return {
        "apiVersion": "resource.k8s.io/v1",
        "kind": "ResourceClaimTemplate",
        "metadata": {"name": name, "namespace": "acme-prod", "labels": dict(ACME)},
        "spec": {"spec": spec},
    }


def template_claim(template: str, name: str = "gpu") -> Obj:
    """A pod's `spec.resourceClaims` entry: a claim of its own, made from `template`."""
    return {"name": name, "resourceClaimTemplateName": template}


def named_claim(claim: str, name: str = "gpu") -> Obj:
    """A pod's `spec.resourceClaims` entry naming an existing ResourceClaim."""
    return {"name": name, "resourceClaimName": claim}


def uses_claim(c: Obj, name: str = "gpu") -> Obj:
    """The container with `resources.claims: [{name}]`."""
    return {**c, "resources": {**c.get("resources", {}), "claims": [{"name": name}]}}


def dra_pod(*containers: Obj, template: str = "", claim: str = "", **spec: Any) -> Obj:
    """A pod whose first container uses one resource claim: its own from `template`, or the named `claim`."""
    entry = template_claim(template) if template else named_claim(claim)
    return pod(uses_claim(containers[0]), *containers[1:], resourceClaims=[entry], **spec)
