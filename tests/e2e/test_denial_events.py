"""Denials of controller writes reach the tenant: a Warning Event on her Deployment, readable with the example role.

The ReplicaSet controller's pod create is refused when the tenant is over its GPU cap — here because the
platform lowered the cap under a running Deployment and a pod has to be replaced. The denial goes to the
controller, so without the Event alice would see 1/2 replicas and no reason (boundary issue, group 9).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.devcluster import DevCluster, wait_for
from tests.support.webhook_runner import WebhookProcess

pytestmark = pytest.mark.e2e

NS = "vandelay-ml"
TENANT = {
    "apiVersion": "tenantguard.io/v1alpha1",
    "kind": "Tenant",
    "metadata": {"name": "vandelay"},
    "spec": {
        "namespaces": [NS],
        "members": [{"kind": "User", "name": "alice"}],
        "podSecurity": "restricted",
        "mtls": {"mode": "none"},
        "gpu": {"maxPerPod": 2, "maxTotal": 4, "allowedResources": ["nvidia.com/gpu"]},
    },
}
SECURE = {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}}
DEPLOYMENT = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "trainer", "namespace": NS},
    "spec": {
        "replicas": 2,
        "selector": {"matchLabels": {"app": "trainer"}},
        "template": {
            "metadata": {"labels": {"app": "trainer"}},
            "spec": {
                "securityContext": {
                    "runAsNonRoot": True,
                    "runAsUser": 1000,
                    "seccompProfile": {"type": "RuntimeDefault"},
                },
                "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}],
                "containers": [
                    {
                        "name": "trainer",
                        "image": "registry.vandelay.example/trainer:1",
                        "resources": {"requests": {"nvidia.com/gpu": 2}, "limits": {"nvidia.com/gpu": 2}},
                        "securityContext": SECURE,
                    }
                ],
            },
        },
    },
}


def _gpu_probe(gpus: int) -> dict[str, Any]:
    container = DEPLOYMENT["spec"]["template"]["spec"]["containers"][0]  # type: ignore[index]
    limits = {"nvidia.com/gpu": gpus}
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "probe", "namespace": NS},
        "spec": {
            **DEPLOYMENT["spec"]["template"]["spec"],  # type: ignore[index]
            "containers": [{**container, "resources": {"requests": limits, "limits": limits}}],
        },
    }


def _cap_is(cluster: DevCluster, cap: int) -> bool:
    proc = cluster.kubectl(
        "apply", "--dry-run=server", "-f", "-", input=json.dumps(_gpu_probe(2)), user=True, check=False
    )
    return f"the cap of {cap} " in proc.stderr


@pytest.fixture(scope="module")
def vandelay(dev_cluster: DevCluster, webhook: WebhookProcess) -> Iterator[str]:
    dev_cluster.apply(TENANT)
    dev_cluster.create_namespace(NS, {"tenantguard.io/tenant": "vandelay"})
    dev_cluster.apply(
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": {"name": "alice", "namespace": NS},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "tenant-developer"},
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "alice"}],
        }
    )
    try:
        yield NS
    finally:  # free the GPUs and the cluster-wide Tenant for the tests after this one
        dev_cluster.kubectl("delete", "namespace", NS, "--wait=false", check=False)
        dev_cluster.kubectl("delete", "tenant", "vandelay", check=False)


def _events(cluster: DevCluster) -> list[dict[str, Any]]:
    selector = "involvedObject.kind=Deployment,involvedObject.name=trainer,reason=FailedAdmission"
    out = cluster.kubectl("get", "events", "-n", NS, "--field-selector", selector, "-o", "json", user=True)
    items: list[dict[str, Any]] = json.loads(out.stdout)["items"]
    return items


def test_a_refused_replacement_pod_is_an_event_on_the_deployment_alice_can_read(
    dev_cluster: DevCluster, vandelay: str
) -> None:
    dev_cluster.apply(DEPLOYMENT, user=True)  # 2 x 2 GPUs: the cap of 4
    wait_for(
        lambda: dev_cluster.get("deployment", "trainer", "-n", NS, user=True)["status"].get("readyReplicas") == 2,
        what="trainer's two pods ready",
    )
    uid = dev_cluster.get("deployment", "trainer", "-n", NS, user=True)["metadata"]["uid"]
    # The platform lowers the cap under the running Deployment; one pod then has to be replaced.
    dev_cluster.kubectl("patch", "tenant", "vandelay", "--type=merge", "-p", '{"spec":{"gpu":{"maxTotal":2}}}')
    wait_for(lambda: _cap_is(dev_cluster, 2), what="the webhook to know the lowered cap", timeout=30)
    pod = dev_cluster.get("pods", "-n", NS, "-l", "app=trainer", user=True)["items"][0]["metadata"]["name"]
    dev_cluster.kubectl("delete", "pod", pod, "-n", NS, "--wait=false", user=True)

    (event,) = wait_for(lambda: _events(dev_cluster), what="a FailedAdmission Event on Deployment trainer")
    assert event["type"] == "Warning" and event["source"]["component"] == "tenantguard"
    assert event["involvedObject"]["uid"] == uid
    assert "system:serviceaccount:kube-system:replicaset-controller" in event["message"]
    assert "[GPU006]" in event["message"] and "the cap of 2" in event["message"]
    # The controller keeps retrying: the retries raise the count of the one Event instead of adding Events.
    (event,) = wait_for(
        lambda: [e for e in _events(dev_cluster) if e["count"] > 1], what="the Event's count to rise", timeout=40
    )
    assert [e["metadata"]["name"] for e in _events(dev_cluster)] == [event["metadata"]["name"]]
    described = dev_cluster.kubectl("describe", "deployment", "trainer", "-n", NS, user=True).stdout
    assert "FailedAdmission" in described and "[GPU006]" in described, described
    dev_cluster.kubectl("delete", "deployment", "trainer", "-n", NS, user=True)
