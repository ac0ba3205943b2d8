"""The tenants every rule's allowed/denied examples are judged against, and the judging itself.

`acme` owns acme-prod and acme-dev; `globex` owns globex-prod. An Example may replace acme's spec
fields through `Example.tenant` (merged over the default spec) to show a rule under another setting.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from tenantguard.policies.cluster import ClusterState
from tenantguard.policies.engine import Evaluation, evaluate
from tenantguard.policies.model import Obj
from tenantguard.policies.request import Operation, Origin, Request, Requester
from tenantguard.policies.rule import Example
from tenantguard.policies.settings import DEFAULT_SETTINGS, Settings

NOW = datetime(2026, 11, 27, 12, 0, 0)

ACME_SPEC: dict[str, Any] = {
    "namespaces": ["acme-prod", "acme-dev"],
    "owners": [{"kind": "Group", "name": "acme-admins"}],
    "members": [{"kind": "Group", "name": "acme-devs"}, {"kind": "User", "name": "alice"}],
    "podSecurity": "restricted",
    "gpu": {
        "maxPerPod": 2,
        "maxTotal": 8,
        "allowedResources": ["nvidia.com/gpu", "nvidia.com/mig-3g.40gb", "nvidia.com/mig-1g.10gb"],
        "deviceClasses": [
            {"name": "gpu.nvidia.com", "maxDevices": 4},
            {"name": "mig.nvidia.com", "migProfiles": ["1g.10gb", "3g.40gb"]},
        ],
    },
    "network": {"allowIngressFrom": ["llm-gateway"], "allowEgressCIDRs": ["10.20.0.0/16"]},
    "mtls": {"mode": "native"},
    "models": {"allowedSources": ["s3://acme-models/", "pvc://", "hf://meta-llama/"]},
    "registries": ["registry.acme.example/", "nvcr.io/nvidia/", "docker.io/vllm/"],
    "allowedHostnames": ["*.acme.example"],
}

GLOBEX_SPEC: dict[str, Any] = {
    "namespaces": ["globex-prod"],
    "owners": [{"kind": "Group", "name": "globex-admins"}],
    "members": [{"kind": "Group", "name": "globex-devs"}],
    "podSecurity": "baseline",
    "mtls": {"mode": "istio"},
    "models": {"allowedSources": ["s3://globex-models/"]},
    "allowedHostnames": ["*.globex.example", "chat.globex.com"],
}


def tenant_object(name: str, spec: Mapping[str, Any]) -> Obj:
    return {
        "apiVersion": "tenantguard.io/v1alpha1",
        "kind": "Tenant",
        "metadata": {"name": name},
        "spec": dict(spec),
    }


def cluster_for(
    tenant_override: Mapping[str, Any] | None = None, settings: Settings = DEFAULT_SETTINGS
) -> ClusterState:
    """Tenants acme (with `tenant_override` merged over its spec) and globex; no namespaces or pods known."""
    acme = {**ACME_SPEC, **(tenant_override or {})}
    acme = {k: v for k, v in acme.items() if v is not None}  # None in an override removes the field
    state = ClusterState(settings)
    state.replace_tenants([tenant_object("acme", acme), tenant_object("globex", GLOBEX_SPEC)])
    assert not state.tenant_problems, state.tenant_problems
    return state


def request(
    operation: str = "CREATE", old: Obj | None = None, *, user: str = "", groups: tuple[str, ...] = ()
) -> Request:
    """A request at NOW: an admission request when a user or groups are given, else lint's reading."""
    requester = Requester(username=user, groups=groups) if user or groups else None
    return Request(
        operation=Operation(operation),
        origin=Origin.ADMISSION if requester else Origin.MANIFEST,
        requester=requester,
        old=old,
        now=NOW,
    )


def judge(example: Example) -> Evaluation:
    req = request(example.operation, example.old, user=example.user, groups=example.groups)
    cluster = cluster_for(example.tenant)
    for obj in example.related:
        if obj.get("kind") == "NetworkPolicy":  # the cluster's NetworkPolicies are known (the webhook's cache)
            cluster.policies_known = True
            cluster.put_network_policy(obj)
        else:
            cluster.learn(obj)
    return evaluate(example.object, cluster, req)


def restricted_container(name: str = "app", image: str = "registry.acme.example/app:1.0", **extra: Any) -> Obj:
    """A container that passes `restricted` on its own."""
    return {
        "name": name,
        "image": image,
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "runAsNonRoot": True,
            "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        **extra,
    }


def pod(namespace: str = "acme-prod", name: str = "app", labels: Mapping[str, str] | None = None, **spec: Any) -> Obj:
    """A Pod in `namespace` that passes every rule for acme unless `spec` overrides make it fail."""
    base_labels = {"tenantguard.io/tenant": "acme"} if namespace.startswith("acme") else {}
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": namespace, "labels": {**base_labels, **(labels or {})}},
        "spec": {"containers": [restricted_container()], **spec},
    }


def deployment(namespace: str = "acme-prod", name: str = "app", replicas: int = 1, **spec: Any) -> Obj:
    p = pod(namespace, name, labels={"app": name}, **spec)
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace, "labels": dict(p["metadata"]["labels"])},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": dict(p["metadata"]["labels"])}, "spec": p["spec"]},
        },
    }
