"""Admission end to end: kube-apiserver calls `tenantguard serve` over TLS; kubectl shows the verdicts.

Acts as the tenant developer alice (group acme-devs) wherever the user matters.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from tests.corpus import objects
from tests.support.devcluster import DevCluster, wait_for
from tests.support.webhook_runner import WebhookProcess

pytestmark = pytest.mark.e2e

SECURE = {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}
POD_SECURE = {"runAsNonRoot": True, "runAsUser": 1000, "seccompProfile": {"type": "RuntimeDefault"}}


def _pod(name: str, ns: str = "acme-dev", **container: Any) -> dict[str, Any]:
    c = {"name": "app", "image": "registry.acme.example/app:1", "securityContext": dict(SECURE), **container}
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": ns},
        "spec": {"securityContext": dict(POD_SECURE), "containers": [c]},
    }


def _apply(cluster: DevCluster, obj: dict[str, Any] | str, *extra: str, user: bool = True) -> tuple[int, str]:
    text = obj if isinstance(obj, str) else json.dumps(obj)
    proc = cluster.kubectl("apply", *extra, "-f", "-", input=text, user=user, check=False)
    return proc.returncode, proc.stdout + proc.stderr


def _denied(cluster: DevCluster, obj: dict[str, Any], *rules: str) -> str:
    code, out = _apply(cluster, obj)
    assert code != 0, f"expected a denial, got: {out}"
    assert "denied the request" in out, out
    for rule in rules:
        assert f"[{rule}]" in out, out
    return out


def _as_deployment(pod: dict[str, Any]) -> dict[str, Any]:
    name, ns = pod["metadata"]["name"], pod["metadata"]["namespace"]
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": ns},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}}, "spec": pod["spec"]},
        },
    }


def test_privileged_pod_is_denied_with_the_rule_id(dev_cluster: DevCluster, webhook: WebhookProcess) -> None:
    # The reconciler labels every tenant namespace for kube-apiserver's Pod Security Admission, which runs
    # before the validating webhooks: a Pod gets PSA's message (same reason), a workload the webhook's rule ID.
    pod = _pod("root", securityContext={"privileged": True, "capabilities": {"drop": ["ALL"]}})
    code, out = _apply(dev_cluster, pod)
    assert code != 0 and 'violates PodSecurity "restricted:latest": privileged' in out, out
    out = _denied(dev_cluster, _as_deployment(pod), "PSS003")
    assert "spec.template.spec.containers[0].securityContext.privileged" in out


def test_deployment_with_hostpath_is_denied(dev_cluster: DevCluster, webhook: WebhookProcess) -> None:
    dep = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "hostpath", "namespace": "acme-dev"},
        "spec": {
            "selector": {"matchLabels": {"app": "h"}},
            "template": {
                "metadata": {"labels": {"app": "h"}},
                "spec": {**_pod("x")["spec"], "volumes": [{"name": "root", "hostPath": {"path": "/"}}]},
            },
        },
    }
    # acme is `restricted`: like Pod Security Admission, the restricted volume check replaces the baseline one.
    out = _denied(dev_cluster, dep, "PSS013")
    assert "spec.template.spec.volumes[0].hostPath" in out


def test_cronjob_with_unallowed_mig_profile_is_denied(dev_cluster: DevCluster, webhook: WebhookProcess) -> None:
    mig = {"nvidia.com/mig-2g.20gb": 1}
    pod = _pod("x", resources={"requests": mig, "limits": mig})
    cron = {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": "eval", "namespace": "acme-dev"},
        "spec": {
            "schedule": "0 * * * *",
            "jobTemplate": {"spec": {"template": {"spec": {**pod["spec"], "restartPolicy": "Never"}}}},
        },
    }
    out = _denied(dev_cluster, cron, "GPU001")
    assert "spec.jobTemplate.spec.template.spec.containers[0].resources" in out


def test_inference_service_loading_another_tenants_model_is_denied(
    dev_cluster: DevCluster, webhook: WebhookProcess
) -> None:
    isvc = copy.deepcopy(objects("kserve-isvc.yaml")[0])
    isvc["spec"]["predictor"]["model"]["storageUri"] = "s3://globex-models/llama/"
    out = _denied(dev_cluster, isvc, "SRV003")
    assert "s3://globex-models/llama/" in out


def test_networkpolicy_admitting_every_namespace_is_denied(dev_cluster: DevCluster, webhook: WebhookProcess) -> None:
    netpol = copy.deepcopy(objects("netpol-gateway.yaml")[0])
    netpol["spec"]["ingress"][0]["from"] = [{"namespaceSelector": {}}]
    _denied(dev_cluster, netpol, "NET002")


def test_rolebinding_to_another_tenants_group_is_denied(dev_cluster: DevCluster, webhook: WebhookProcess) -> None:
    rb = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": {"name": "leak", "namespace": "acme-dev"},
        "roleRef": {
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": "ClusterRole",
            "name": "tenant-developer",
        },
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "globex-devs"}],
    }
    out = _denied(dev_cluster, rb, "RBAC001")
    assert "globex" in out


def _vllm() -> dict[str, Any]:
    dep = copy.deepcopy(objects("vllm-gpu.yaml")[0])
    spec = dep["spec"]["template"]["spec"]
    # No storage provisioner here: the model cache is an emptyDir so the pod can schedule.
    spec["volumes"][1] = {"name": "cache", "emptyDir": {}}
    return dep


def test_vllm_deployment_is_admitted_mutated_and_runs_on_a_gpu_node(
    dev_cluster: DevCluster, webhook: WebhookProcess
) -> None:
    code, out = _apply(dev_cluster, _vllm())
    assert code == 0, out
    dep = dev_cluster.get("deployment", "vllm-llama3", "-n", "acme-prod")
    assert dep["metadata"]["labels"]["tenantguard.io/tenant"] == "acme"

    def running() -> list[dict[str, Any]] | None:
        pods = dev_cluster.get("pods", "-n", "acme-prod", "-l", "app=vllm-llama3")["items"]
        ok = [p for p in pods if p["status"].get("phase") == "Running"]
        return ok if len(ok) == 2 else None

    pods = wait_for(running, what="2 Running vLLM pods", timeout=90)
    for pod in pods:
        assert pod["metadata"]["labels"]["tenantguard.io/tenant"] == "acme"
        sidecars = [c for c in pod["spec"].get("initContainers", []) if c.get("restartPolicy") == "Always"]
        assert [c["name"] for c in sidecars] == ["tenantguard-mtls"]
        node = dev_cluster.get("node", pod["spec"]["nodeName"])
        assert int(node["status"]["capacity"].get("nvidia.com/gpu", "0")) > 0
    # Re-applying the same manifest changes nothing: no new generation, no new ReplicaSet, same pods.
    # (kubectl may still say "configured": it sends `nvidia.com/gpu: 1` where the server stores "1".)
    before = sorted(p["metadata"]["uid"] for p in pods)
    code, out = _apply(dev_cluster, _vllm())
    assert code == 0, out
    assert dev_cluster.get("deployment", "vllm-llama3", "-n", "acme-prod")["metadata"]["generation"] == 1
    assert len(dev_cluster.get("replicasets", "-n", "acme-prod", "-l", "app=vllm-llama3")["items"]) == 1
    after = dev_cluster.get("pods", "-n", "acme-prod", "-l", "app=vllm-llama3")["items"]
    assert sorted(p["metadata"]["uid"] for p in after) == before


def test_gpu_total_is_enforced_across_the_tenants_namespaces(dev_cluster: DevCluster, webhook: WebhookProcess) -> None:
    tenant = {
        "apiVersion": "tenantguard.io/v1alpha1",
        "kind": "Tenant",
        "metadata": {"name": "initech"},
        "spec": {
            "namespaces": ["initech-a", "initech-b"],
            "podSecurity": "baseline",
            "mtls": {"mode": "none"},
            "gpu": {"maxPerPod": 2, "maxTotal": 3, "allowedResources": ["nvidia.com/gpu"]},
        },
    }
    dev_cluster.apply(tenant, user=False)
    for ns in ("initech-a", "initech-b"):
        dev_cluster.create_namespace(ns)
    gpus = {"nvidia.com/gpu": 2}
    first = _pod("train", "initech-a", resources={"requests": gpus, "limits": gpus})
    first["spec"]["tolerations"] = [{"key": "nvidia.com/gpu", "operator": "Exists"}]
    code, out = _apply(dev_cluster, first, user=False)
    assert code == 0, out
    wait_for(
        lambda: dev_cluster.get("pod", "train", "-n", "initech-a")["status"].get("phase") == "Running",
        what="the first GPU pod Running",
    )
    second = copy.deepcopy(first)
    second["metadata"] = {"name": "train", "namespace": "initech-b"}

    def denied() -> str | None:  # the cache sees the first pod within moments of its creation
        code, out = _apply(dev_cluster, second, "--dry-run=server", user=False)
        return out if code != 0 else None

    out = wait_for(denied, what="GPU006 denial", timeout=30)
    assert "[GPU006]" in out and "3" in out
    one = {"nvidia.com/gpu": 1}
    second["spec"]["containers"][0]["resources"] = {"requests": one, "limits": one}
    code, out = _apply(dev_cluster, second, user=False)
    assert code == 0, out


def test_dry_run_gives_the_same_verdicts_and_creates_nothing(dev_cluster: DevCluster, webhook: WebhookProcess) -> None:
    bad = _as_deployment(_pod("dry-bad", securityContext={"privileged": True, "capabilities": {"drop": ["ALL"]}}))
    code, out = _apply(dev_cluster, bad, "--dry-run=server")
    assert code != 0 and "[PSS003]" in out
    good = _pod("dry-good")
    code, out = _apply(dev_cluster, good, "--dry-run=server")
    assert code == 0 and "(server dry run)" in out, out
    assert dev_cluster.kubectl("get", "pod", "dry-good", "-n", "acme-dev", check=False).returncode != 0


def test_warn_mode_rules_appear_as_kubectl_warnings(dev_cluster: DevCluster, webhook: WebhookProcess) -> None:
    hpa = {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "ahead-of-its-target", "namespace": "acme-dev"},
        "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "later"}, "maxReplicas": 3},
    }
    code, out = _apply(dev_cluster, hpa)
    assert code == 0, out
    assert "Warning: [GPU014]" in out


def test_tenant_cannot_delete_a_managed_networkpolicy(dev_cluster: DevCluster, webhook: WebhookProcess) -> None:
    managed = {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {
            "name": "tenantguard-default-deny",
            "namespace": "acme-dev",
            "labels": {"tenantguard.io/managed": "true"},
        },
        "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
    }
    dev_cluster.apply(managed, user=False)  # the platform (system:masters) may write it
    proc = dev_cluster.kubectl(
        "delete", "networkpolicy", "tenantguard-default-deny", "-n", "acme-dev", user=True, check=False
    )
    assert proc.returncode != 0 and "[NET001]" in proc.stderr, proc.stderr
    code, out = _apply(dev_cluster, {**managed, "spec": {"podSelector": {}, "policyTypes": ["Ingress"]}})
    assert code != 0 and "[NET001]" in out


def test_webhook_outage_fails_closed_for_tenants_only(dev_cluster: DevCluster, webhook: WebhookProcess) -> None:
    cm = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "during-outage", "namespace": "acme-dev"},
    }
    webhook.stop()
    try:
        code, out = _apply(dev_cluster, cm)
        assert code != 0 and "failed calling webhook" in out, out
        system = {**cm, "metadata": {"name": "during-outage", "namespace": "kube-system"}}
        code, out = _apply(dev_cluster, system, user=False)
        assert code == 0, out
    finally:
        webhook.start()
    code, out = wait_for(
        lambda: (lambda r: r if r[0] == 0 else None)(_apply(dev_cluster, cm)),
        what="tenant writes to pass again after the restart",
        timeout=30,
    )
    assert code == 0, out
    assert dev_cluster.get("configmap", "during-outage", "-n", "acme-dev")["metadata"]["labels"] == {
        "tenantguard.io/tenant": "acme"
    }


def test_relabelling_a_gpu_pod_of_a_tenant_at_its_cap_is_allowed(
    dev_cluster: DevCluster, webhook: WebhookProcess
) -> None:
    """Regression (structure issue): the webhook's own copy of "which workload owns this pod" left the pod out of
    an update's exclusion, so `kubectl label pod` on a GPU pod of a tenant at its cap was denied by GPU006."""
    tenant = {
        "apiVersion": "tenantguard.io/v1alpha1",
        "kind": "Tenant",
        "metadata": {"name": "piedpiper"},
        "spec": {
            "namespaces": ["piedpiper-a"],
            "members": [{"kind": "User", "name": "alice"}],
            "podSecurity": "baseline",
            "mtls": {"mode": "none"},
            "gpu": {"maxPerPod": 2, "maxTotal": 2, "allowedResources": ["nvidia.com/gpu"]},
        },
    }
    dev_cluster.apply(tenant, user=False)
    dev_cluster.create_namespace("piedpiper-a")
    binding = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": {"name": "alice", "namespace": "piedpiper-a"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "tenant-developer"},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "alice"}],
    }
    dev_cluster.apply(binding, user=False)
    gpus = {"nvidia.com/gpu": 2}
    pod = _pod("at-cap", "piedpiper-a", resources={"requests": gpus, "limits": gpus})
    pod["spec"]["tolerations"] = [{"key": "nvidia.com/gpu", "operator": "Exists"}]
    code, out = _apply(dev_cluster, pod)
    assert code == 0, out
    wait_for(
        lambda: dev_cluster.get("pod", "at-cap", "-n", "piedpiper-a")["status"].get("phase") == "Running",
        what="the GPU pod Running",
    )
    # The cache holds the running pod (2 of 2): a second one is refused, a relabel of the first is not.
    second = copy.deepcopy(pod)
    second["metadata"]["name"] = "over-cap"

    def refused() -> str | None:
        code, out = _apply(dev_cluster, second, "--dry-run=server")
        return out if code != 0 else None

    assert "[GPU006]" in wait_for(refused, what="the cache to count the running pod", timeout=30)
    proc = dev_cluster.kubectl("label", "pod", "at-cap", "-n", "piedpiper-a", "x=y", user=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert dev_cluster.get("pod", "at-cap", "-n", "piedpiper-a")["metadata"]["labels"]["x"] == "y"
    dev_cluster.kubectl("delete", "pod", "at-cap", "-n", "piedpiper-a", "--wait=false", check=False)  # frees 2 GPUs
