"""GPU caps through kube-apiserver, as the tenant developer alice: scale requests and autoscalers judged by
GPU006, the runtime bypass (nodeName + NVIDIA_VISIBLE_DEVICES) refused, MIG slices weighed g/7."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support.devcluster import DevCluster, wait_for
from tests.support.webhook_runner import WebhookProcess

pytestmark = pytest.mark.e2e

SECURE = {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}
POD_SECURE = {"runAsNonRoot": True, "runAsUser": 1000, "seccompProfile": {"type": "RuntimeDefault"}}
GPU_TOLERATION = {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}


def _spec(resources: dict[str, int] | None = None, **extra: Any) -> dict[str, Any]:
    c: dict[str, Any] = {"name": "app", "image": "registry.acme.example/app:1", "securityContext": dict(SECURE)}
    if resources:
        c["resources"] = {"limits": resources, "requests": resources}
    tolerations = [GPU_TOLERATION] if resources else []
    return {"securityContext": dict(POD_SECURE), "containers": [c], "tolerations": tolerations, **extra}


def _deployment(name: str, ns: str, replicas: int, gpus: int) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": ns},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}}, "spec": _spec({"nvidia.com/gpu": gpus})},
        },
    }


def _hpa(name: str, ns: str, target: str, max_replicas: int) -> dict[str, Any]:
    return {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": name, "namespace": ns},
        "spec": {
            "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": target},
            "minReplicas": 1,
            "maxReplicas": max_replicas,
        },
    }


def _apply(cluster: DevCluster, obj: dict[str, Any], *extra: str, user: bool = True) -> tuple[int, str]:
    proc = cluster.kubectl("apply", *extra, "-f", "-", input=json.dumps(obj), user=user, check=False)
    return proc.returncode, proc.stdout + proc.stderr


def test_kubectl_scale_past_the_cap_is_refused_with_gpu006(dev_cluster: DevCluster, webhook: WebhookProcess) -> None:
    """The gates issue: `kubectl scale` reported success and the Deployment sat at 1/3 without an Event."""
    code, out = _apply(dev_cluster, _deployment("scale-me", "acme-dev", 1, 1))
    assert code == 0, out
    proc = dev_cluster.kubectl("scale", "deployment/scale-me", "--replicas=9", "-n", "acme-dev", user=True, check=False)
    assert proc.returncode != 0, proc.stdout
    assert "denied the request" in proc.stderr and "[GPU006] spec.replicas:" in proc.stderr, proc.stderr
    assert "Deployment needs 9 GPU-equivalents (9 pods x 1 nvidia.com/gpu)" in proc.stderr
    assert dev_cluster.get("deployment", "scale-me", "-n", "acme-dev")["spec"]["replicas"] == 1
    # Within the cap the same request passes, and the Deployment really scales.
    proc = dev_cluster.kubectl("scale", "deployment/scale-me", "--replicas=2", "-n", "acme-dev", user=True)
    assert dev_cluster.get("deployment", "scale-me", "-n", "acme-dev")["spec"]["replicas"] == 2
    dev_cluster.kubectl("scale", "deployment/scale-me", "--replicas=0", "-n", "acme-dev", user=True)


def test_autoscaler_bound_is_judged_against_its_target(dev_cluster: DevCluster, webhook: WebhookProcess) -> None:
    """The gates issue: an autoscaling bound counts — the webhook reads the HPA's target to weigh maxReplicas."""
    code, out = _apply(dev_cluster, _deployment("autoscaled", "acme-dev", 0, 1))
    assert code == 0, out
    code, out = _apply(dev_cluster, _hpa("autoscaled", "acme-dev", "autoscaled", 9))
    assert code != 0 and "[GPU006] spec.maxReplicas:" in out, out
    assert "HorizontalPodAutoscaler needs 9 GPU-equivalents" in out
    code, out = _apply(dev_cluster, _hpa("autoscaled", "acme-dev", "autoscaled", 2))
    assert code == 0, out


def test_autoscaler_whose_target_does_not_exist_yet_warns(dev_cluster: DevCluster, webhook: WebhookProcess) -> None:
    code, out = _apply(dev_cluster, _hpa("early", "acme-dev", "not-yet", 50))
    assert code == 0, out
    assert "Warning: [GPU014] spec.scaleTargetRef:" in out, "an unjudged bound does not pass silently"


def test_pinned_pod_asking_the_runtime_for_every_gpu_is_refused(
    dev_cluster: DevCluster, webhook: WebhookProcess
) -> None:
    """The group 3 issue: no GPU request, nodeName on a GPU node, NVIDIA_VISIBLE_DEVICES=all: admitted silently."""
    spec = _spec(nodeName="kwok-gpu-h100-0")
    spec["containers"][0]["env"] = [{"name": "NVIDIA_VISIBLE_DEVICES", "value": "all"}]
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "thief", "namespace": "acme-dev"}, "spec": spec}
    code, out = _apply(dev_cluster, pod)
    assert code != 0 and "denied the request" in out, out
    assert "[GPU012] spec.containers[0].env[0]:" in out and "[GPU013] spec.nodeName:" in out, out
    assert dev_cluster.kubectl("get", "pod", "thief", "-n", "acme-dev", check=False).returncode != 0
    # envFrom of a ConfigMap carrying the variable: the ConfigMap itself is refused.
    cm = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "gpus", "namespace": "acme-dev"},
        "data": {"NVIDIA_VISIBLE_DEVICES": "all"},
    }
    code, out = _apply(dev_cluster, cm)
    assert code != 0 and "[GPU012] data.NVIDIA_VISIBLE_DEVICES:" in out, out


def _weighted_tenant(dev_cluster: DevCluster) -> None:
    """Tenant wayne (alice is a member): a cap of 2 GPU-equivalents, and at most 2 slices of 1g.10gb."""
    dev_cluster.apply(
        {
            "apiVersion": "tenantguard.io/v1alpha1",
            "kind": "Tenant",
            "metadata": {"name": "wayne"},
            "spec": {
                "namespaces": ["wayne-a"],
                "members": [{"kind": "User", "name": "alice"}],
                "podSecurity": "baseline",
                "mtls": {"mode": "none"},
                "gpu": {
                    "maxPerPod": 1,
                    "maxTotal": 2,
                    "maxDevices": {"nvidia.com/mig-1g.10gb": 2},
                    "allowedResources": ["nvidia.com/gpu", "nvidia.com/mig-1g.10gb"],
                },
            },
        }
    )
    dev_cluster.create_namespace("wayne-a")
    dev_cluster.apply(
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": {"name": "alice", "namespace": "wayne-a"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "tenant-developer"},
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "alice"}],
        }
    )


def _gpu_pod(name: str, resource: str) -> dict[str, Any]:
    spec = _spec({resource: 1})
    spec["containers"][0]["image"] = "registry.wayne.example/app:1"
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "namespace": "wayne-a"}, "spec": spec}


def test_two_mig_slices_fit_beside_a_gpu_under_a_cap_of_two(dev_cluster: DevCluster, webhook: WebhookProcess) -> None:
    """The gates issue: one H100 held and a cap of 2 — two 1g.10gb pods are 1 + 2/7, not 3 devices."""
    _weighted_tenant(dev_cluster)
    for name, resource in (("h100", "nvidia.com/gpu"), ("slice-a", "nvidia.com/mig-1g.10gb")):
        code, out = _apply(dev_cluster, _gpu_pod(name, resource))
        assert code == 0, out

    def held() -> bool:  # the webhook's cache sees both pods within moments of their creation
        code, out = _apply(dev_cluster, _gpu_pod("probe", "nvidia.com/gpu"), "--dry-run=server")
        return code != 0 and "[GPU006]" in out

    wait_for(held, what="the webhook's cache to hold h100 and slice-a", timeout=30)
    code, out = _apply(dev_cluster, _gpu_pod("slice-b", "nvidia.com/mig-1g.10gb"))
    assert code == 0, out
    for name in ("h100", "slice-a", "slice-b"):
        wait_for(
            lambda n=name: dev_cluster.get("pod", n, "-n", "wayne-a")["status"].get("phase") == "Running",  # type: ignore[misc]
            what=f"pod wayne-a/{name} Running",
        )
    # A second full GPU: 2 + 2/7 exceeds the cap. A third slice: 1 + 3/7 fits, but not the per-resource cap.
    code, out = _apply(dev_cluster, _gpu_pod("h100-b", "nvidia.com/gpu"))
    assert code != 0 and "already holds 1.29 elsewhere; 2.29 exceeds the cap of 2" in out, out
    code, out = _apply(dev_cluster, _gpu_pod("slice-c", "nvidia.com/mig-1g.10gb"))
    assert code != 0 and "[GPU011]" in out and "[GPU006]" not in out, out


def test_the_api_server_checks_per_resource_cap_keys(dev_cluster: DevCluster, webhook: WebhookProcess) -> None:
    """The CRD's CEL rule compiles and holds: kube-apiserver refuses what lint and static mode refuse."""
    bad = {
        "apiVersion": "tenantguard.io/v1alpha1",
        "kind": "Tenant",
        "metadata": {"name": "bad-caps"},
        "spec": {"namespaces": ["bad-caps"], "gpu": {"maxTotal": 1, "maxDevices": {"cpu": 4}}},
    }
    code, out = _apply(dev_cluster, bad, user=False)
    assert code != 0 and "keys are GPU resources" in out, out
