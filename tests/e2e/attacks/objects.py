"""Manifests the cases are written with: every builder gives an object acme admits, which a case then breaks
in one way (or keeps whole, for the legitimate shapes).

acme (examples/tenants/tenants.yaml) is `restricted`, native mTLS, GPUs up to 2 a pod and 8 in total, images
from registry.acme.example/, nvcr.io/nvidia/, docker.io/vllm/ and docker.io/rayproject/, models from
s3://acme-models/, pvc:// and hf://meta-llama/, egress to 10.20.0.0/16, hostnames *.acme.example.
"""

from __future__ import annotations

from typing import Any

from tests.e2e.attacks.case import Obj

NS = "acme-dev"
OTHER = "globex-prod"
IMAGE = "registry.acme.example/app:1"
VLLM = "docker.io/vllm/vllm-openai:v0.6.3"
RAY = "docker.io/rayproject/ray:2.9.0"
RBAC = "rbac.authorization.k8s.io"
GPU_TOLERATION = {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}
SECURE = {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}
POD_SECURE = {"runAsNonRoot": True, "runAsUser": 1000, "seccompProfile": {"type": "RuntimeDefault"}}


def meta(name: str, ns: str = NS, **labels: str) -> Obj:
    out: Obj = {"name": name, "namespace": ns}
    if labels:
        out["labels"] = dict(labels)
    return out


def container(name: str = "app", image: str = IMAGE, **extra: Any) -> Obj:
    """A container that passes `restricted`; `securityContext` in `extra` is merged over the secure one."""
    sc = {**SECURE, **extra.pop("securityContext", {})}
    return {"name": name, "image": image, "securityContext": sc, **extra}


def gpus(n: int | str, resource: str = "nvidia.com/gpu") -> Obj:
    return {"requests": {resource: n}, "limits": {resource: n}}


def pod_spec(*containers: Obj, **spec: Any) -> Obj:
    """A pod spec that passes `restricted`; `securityContext` in `spec` is merged over the secure one."""
    sc = {**POD_SECURE, **spec.pop("securityContext", {})}
    return {"securityContext": sc, "containers": list(containers or (container(),)), **spec}


def gpu_spec(n: int | str = 1, resource: str = "nvidia.com/gpu", **spec: Any) -> Obj:
    return pod_spec(container("worker", resources=gpus(n, resource)), tolerations=[GPU_TOLERATION], **spec)


def pod(name: str, spec: Obj | None = None, ns: str = NS, **labels: str) -> Obj:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta(name, ns, **labels), "spec": spec or pod_spec()}


def template(spec: Obj, app: str) -> Obj:
    return {"metadata": {"labels": {"app": app}}, "spec": spec}


def workload(kind: str, name: str, spec: Obj | None = None, replicas: int = 1, ns: str = NS) -> Obj:
    """Deployment, StatefulSet, ReplicaSet or DaemonSet around a pod spec."""
    body: Obj = {"selector": {"matchLabels": {"app": name}}, "template": template(spec or pod_spec(), name)}
    if kind != "DaemonSet":
        body["replicas"] = replicas
    if kind == "StatefulSet":
        body["serviceName"] = name
    return {"apiVersion": "apps/v1", "kind": kind, "metadata": meta(name, ns), "spec": body}


def deployment(name: str, spec: Obj | None = None, replicas: int = 1) -> Obj:
    return workload("Deployment", name, spec, replicas)


def job(name: str, spec: Obj | None = None, parallelism: int | None = None) -> Obj:
    job_spec = {**(spec or pod_spec()), "restartPolicy": "Never"}
    body: Obj = {"template": {"spec": job_spec}}
    if parallelism is not None:
        body["parallelism"] = parallelism
    return {"apiVersion": "batch/v1", "kind": "Job", "metadata": meta(name), "spec": body}


def cronjob(name: str, spec: Obj | None = None) -> Obj:
    job_spec = {**(spec or pod_spec()), "restartPolicy": "OnFailure"}
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": meta(name),
        "spec": {"schedule": "0 3 * * *", "jobTemplate": {"spec": {"template": {"spec": job_spec}}}},
    }


def vllm_container(*args: str, **extra: Any) -> Obj:
    """vLLM on one GPU listening on loopback behind the sidecar; `args` name the model."""
    return container("vllm", VLLM, args=list(args), resources=gpus(1), **extra)


def vllm_spec(*args: str, **spec: Any) -> Obj:
    return pod_spec(vllm_container(*args), tolerations=[GPU_TOLERATION], **spec)


def service(name: str, **spec: Any) -> Obj:
    body = {"selector": {"app": name}, "ports": [{"name": "https", "port": 443, "targetPort": 8443}], **spec}
    return {"apiVersion": "v1", "kind": "Service", "metadata": meta(name), "spec": body}


def netpol(name: str, **spec: Any) -> Obj:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": meta(name),
        "spec": {"podSelector": {}, **spec},
    }


def role(name: str, *rules: Obj) -> Obj:
    return {"apiVersion": f"{RBAC}/v1", "kind": "Role", "metadata": meta(name), "rules": list(rules)}


def grant(verbs: list[str], resources: list[str], groups: list[str] | None = None) -> Obj:
    return {"apiGroups": [""] if groups is None else groups, "resources": resources, "verbs": verbs}


def rolebinding(name: str, role_kind: str, role_name: str, *subjects: Obj) -> Obj:
    return {
        "apiVersion": f"{RBAC}/v1",
        "kind": "RoleBinding",
        "metadata": meta(name),
        "roleRef": {"apiGroup": RBAC, "kind": role_kind, "name": role_name},
        "subjects": list(subjects) or [group("acme-devs")],
    }


def group(name: str) -> Obj:
    return {"apiGroup": RBAC, "kind": "Group", "name": name}


def user(name: str) -> Obj:
    return {"apiGroup": RBAC, "kind": "User", "name": name}


def service_account(name: str, ns: str | None = None) -> Obj:
    out: Obj = {"kind": "ServiceAccount", "name": name}
    if ns is not None:
        out["namespace"] = ns
    return out


def ingress(name: str, host: str, *, tls: bool = True, annotations: dict[str, str] | None = None) -> Obj:
    backend = {"service": {"name": "vllm", "port": {"number": 443}}}
    spec: Obj = {
        "rules": [{"host": host, "http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": backend}]}}]
    }
    if tls:
        spec["tls"] = [{"hosts": [host], "secretName": f"{name}-tls"}]
    m = meta(name)
    if annotations:
        m["annotations"] = dict(annotations)
    return {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": m, "spec": spec}
