"""Model sources, PVCs and MIG on current hardware, at `kubectl apply` time as the tenant developer alice.

The attacks an attack pass found (a positional vLLM model from another tenant's bucket, an allowed Hub id
fetched from another host) are denied; the legitimate serving it wrongly denied (a StatefulSet with a
checkpoint volume in a tenant whose models come only from S3, a B200 MIG slice) is admitted.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support.devcluster import DevCluster, wait_for
from tests.support.webhook_runner import WebhookProcess

pytestmark = pytest.mark.e2e

SECURE = {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}
POD_SECURE = {"runAsNonRoot": True, "runAsUser": 1000, "seccompProfile": {"type": "RuntimeDefault"}}
VLLM = "docker.io/vllm/vllm-openai:v0.6.3"
# A tenant whose models come only from its bucket, alice among its members, with B200 MIG slices.
HOOLI = {
    "apiVersion": "tenantguard.io/v1alpha1",
    "kind": "Tenant",
    "metadata": {"name": "hooli"},
    "spec": {
        "namespaces": ["hooli-ml"],
        "members": [{"kind": "User", "name": "alice"}],
        "podSecurity": "baseline",
        "mtls": {"mode": "none"},
        "gpu": {"maxPerPod": 1, "maxTotal": 4, "allowedResources": ["nvidia.com/mig-1g.23gb"]},
        "models": {"allowedSources": ["s3://hooli-models/"]},
    },
}


def _apply(cluster: DevCluster, obj: dict[str, Any], *extra: str) -> tuple[int, str]:
    proc = cluster.kubectl("apply", *extra, "-f", "-", input=json.dumps(obj), user=True, check=False)
    return proc.returncode, proc.stdout + proc.stderr


def _pod(name: str, ns: str = "acme-dev", **container: Any) -> dict[str, Any]:
    c = {"name": "vllm", "image": VLLM, "securityContext": dict(SECURE), **container}
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": ns},
        "spec": {"securityContext": dict(POD_SECURE), "containers": [c]},
    }


@pytest.fixture(scope="module")
def hooli(dev_cluster: DevCluster, webhook: WebhookProcess) -> str:
    dev_cluster.apply(HOOLI)
    dev_cluster.create_namespace("hooli-ml", {"tenantguard.io/tenant": "hooli"})
    binding = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": {"name": "alice", "namespace": "hooli-ml"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "tenant-developer"},
        "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "alice"}],
    }
    dev_cluster.apply(binding)
    probe = _pod("probe", "hooli-ml", args=["--model", "s3://globex-models/x"])

    def tenant_known() -> bool:  # the webhook's cache has the Tenant once hooli's sources are enforced
        code, out = _apply(dev_cluster, probe, "--dry-run=server")
        return code != 0 and "[SRV003]" in out

    wait_for(tenant_known, what="the webhook to know Tenant hooli", timeout=30)
    return "hooli-ml"


def test_positional_vllm_model_from_another_tenants_bucket_is_denied(
    dev_cluster: DevCluster, webhook: WebhookProcess
) -> None:
    pod = _pod("steal", command=["vllm", "serve", "--dtype", "auto", "s3://globex-models/ft-7b"])
    code, out = _apply(dev_cluster, pod)
    assert code != 0 and "denied the request" in out, out
    assert "[SRV003] spec.containers[0].command[4]: model source 's3://globex-models/ft-7b'" in out, out


def test_hf_endpoint_redirect_is_denied(dev_cluster: DevCluster, webhook: WebhookProcess) -> None:
    pod = _pod(
        "redirect",
        args=["--model", "meta-llama/Llama-3.1-8B-Instruct"],
        env=[{"name": "HF_ENDPOINT", "value": "https://hf.mirror.example"}],
    )
    code, out = _apply(dev_cluster, pod)
    assert code != 0 and "[SRV003]" in out, out
    assert "'https://hf.mirror.example/meta-llama/Llama-3.1-8B-Instruct'" in out, out
    pod["spec"]["containers"][0]["env"] = []  # the same model from the Hub itself is acme's to load
    code, out = _apply(dev_cluster, pod, "--dry-run=server")
    assert code == 0, out


def test_statefulset_with_a_checkpoint_pvc_is_admitted_and_its_pods_too(dev_cluster: DevCluster, hooli: str) -> None:
    trainer: dict[str, Any] = {"name": "trainer", "image": "registry.hooli.example/trainer:1"}
    trainer["volumeMounts"] = [{"name": "ckpt", "mountPath": "/checkpoints"}]
    sts = {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": "trainer", "namespace": hooli},
        "spec": {
            "serviceName": "trainer",
            "replicas": 1,
            "selector": {"matchLabels": {"app": "trainer"}},
            "template": {"metadata": {"labels": {"app": "trainer"}}, "spec": {"containers": [trainer]}},
            "volumeClaimTemplates": [
                {
                    "metadata": {"name": "ckpt"},
                    "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
                }
            ],
        },
    }
    code, out = _apply(dev_cluster, sts)
    assert code == 0, out
    # The controller makes the claim and the pod; the webhook judges both and must admit them.
    pod = wait_for(
        lambda: dev_cluster.kubectl("get", "pod", "trainer-0", "-n", hooli, "-o", "json", check=False).stdout,
        what="pod trainer-0 created by the StatefulSet controller",
        timeout=60,
    )
    volumes = json.loads(pod)["spec"]["volumes"]
    assert {"name": "ckpt", "persistentVolumeClaim": {"claimName": "ckpt-trainer-0"}} in volumes


def test_b200_mig_slice_is_admitted_for_a_tenant_that_allows_it(dev_cluster: DevCluster, hooli: str) -> None:
    mig = {"nvidia.com/mig-1g.23gb": 1}
    pod = _pod("b200", hooli, args=["--model", "s3://hooli-models/llama/"], resources={"requests": mig, "limits": mig})
    pod["spec"]["nodeSelector"] = {"nvidia.com/gpu.product": "NVIDIA-B200"}
    pod["spec"]["tolerations"] = [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]
    code, out = _apply(dev_cluster, pod, "--dry-run=server")
    assert code == 0, out
    assert "GPU003" not in out and "GPU009" not in out, out
    pod["spec"]["nodeSelector"] = {"nvidia.com/gpu.product": "NVIDIA-H100-80GB-HBM3"}
    code, out = _apply(dev_cluster, pod, "--dry-run=server")
    assert code != 0 and "[GPU003]" in out and "does not exist on NVIDIA-H100-80GB-HBM3" in out, out
