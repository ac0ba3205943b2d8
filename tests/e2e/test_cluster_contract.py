"""The end-to-end twin of tests/unit/test_cluster_contract.py: from a real API server, the webhook's watch cache
and the audit's live scan must know the same Tenants, namespace labels, GPU holdings — DRA claims included — and
managed NetworkPolicies (the session's reconciler writes the baseline of contract-a and contract-b).

A fake can agree with itself; here both adapters read what kube-apiserver serves — including pods the real
ReplicaSet controller created, with the ownerReferences and pod-template-hash labels it writes.
"""

from __future__ import annotations

from typing import Any

import pytest

from tenantguard.audit.cluster import ClusterReader, LiveSource, connect
from tenantguard.audit.scan import scan
from tenantguard.policies.cluster import ClusterState
from tenantguard.policies.settings import DEFAULT_SETTINGS
from tenantguard.webhook.cache import ClusterCache
from tests.support.devcluster import DevCluster, wait_for
from tests.support.webhook_runner import WebhookProcess

pytestmark = pytest.mark.e2e

TENANT = {
    "apiVersion": "tenantguard.io/v1alpha1",
    "kind": "Tenant",
    "metadata": {"name": "contract"},
    "spec": {
        "namespaces": ["contract-a", "contract-b"],
        "podSecurity": "baseline",
        "mtls": {"mode": "none"},
        "gpu": {
            "maxPerPod": 2,
            "maxTotal": 8,
            "allowedResources": ["nvidia.com/gpu"],
            "deviceClasses": [{"name": "gpu.nvidia.com"}, {"name": "mig.nvidia.com"}],
        },
    },
}
SLICE = {
    "name": "gpu",
    "exactly": {
        "deviceClassName": "mig.nvidia.com",
        "selectors": [{"cel": {"expression": 'device.attributes["gpu.nvidia.com"].profile == "1g.10gb"'}}],
    },
}
DRA_OBJECTS: list[dict[str, Any]] = [
    {
        "apiVersion": "resource.k8s.io/v1",
        "kind": "ResourceClaimTemplate",
        "metadata": {"name": "slice", "namespace": "contract-a"},
        "spec": {"spec": {"devices": {"requests": [SLICE]}}},
    },
    {
        "apiVersion": "resource.k8s.io/v1",
        "kind": "ResourceClaim",
        "metadata": {"name": "shared", "namespace": "contract-b"},
        "spec": {"devices": {"requests": [{"name": "gpu", "exactly": {"deviceClassName": "gpu.nvidia.com"}}]}},
    },
]


def _gpu_deployment(
    name: str, ns: str, replicas: int, gpus: int, claim: dict[str, str] | None = None
) -> dict[str, Any]:
    resources: dict[str, Any] = {"limits": {"nvidia.com/gpu": gpus}} if gpus else {}
    pod: dict[str, Any] = {
        "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists"}],
        "containers": [{"name": "c", "image": "registry.example/app:1", "resources": resources}],
    }
    if claim is not None:
        pod["resourceClaims"] = [{"name": "gpu", **claim}]
        resources["claims"] = [{"name": "gpu"}]
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": ns},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}}, "spec": pod},
        },
    }


def _usage(cluster: ClusterState) -> dict[str, Any]:
    """Full GPUs held by the tenant's running pods: all, and without each Deployment's own pods."""
    return {
        "total": cluster.gpu_usage("contract").devices.get("nvidia.com/gpu", 0),
        "without-trainer": cluster.gpu_usage("contract", exclude=("Deployment", "contract-a", "trainer")).devices.get(
            "nvidia.com/gpu", 0
        ),
        "without-server": cluster.gpu_usage("contract", exclude=("Deployment", "contract-b", "server")).devices.get(
            "nvidia.com/gpu", 0
        ),
        # DRA: the shared claim once, each slices pod's 1g.10gb claim made from the template (1/7 each)
        "classes": dict(cluster.gpu_usage("contract").classes),
        "sevenths": cluster.gpu_usage("contract").claim_sevenths,
        "classes-without-slices": dict(
            cluster.gpu_usage("contract", exclude=("Deployment", "contract-a", "slices")).classes
        ),
    }


def test_cache_and_live_scan_agree(dev_cluster: DevCluster, webhook: WebhookProcess) -> None:
    dev_cluster.apply(TENANT, user=False)
    for ns in ("contract-a", "contract-b"):
        dev_cluster.create_namespace(ns, {"tenantguard.io/tenant": "contract", "team": ns})
    dev_cluster.apply(_gpu_deployment("trainer", "contract-a", 2, 2), user=False)
    dev_cluster.apply(_gpu_deployment("server", "contract-b", 1, 1), user=False)
    for obj in DRA_OBJECTS:
        dev_cluster.apply(obj, user=False)
    dev_cluster.apply(_gpu_deployment("slices", "contract-a", 2, 0, {"resourceClaimTemplateName": "slice"}), user=False)
    dev_cluster.apply(_gpu_deployment("sharers", "contract-b", 2, 0, {"resourceClaimName": "shared"}), user=False)

    def running() -> bool:
        pods = dev_cluster.get("pods", "-A", "-l", "app in (trainer,server,slices,sharers)")["items"]
        return sum(1 for p in pods if p["status"].get("phase") == "Running") == 7

    wait_for(running, what="7 GPU pods Running", timeout=90)

    api = connect(str(dev_cluster.kubeconfig), None)
    cache = ClusterCache(api, DEFAULT_SETTINGS)
    cache.start()
    try:
        assert cache.wait_synced(30), cache.ready()
        live = scan(LiveSource(ClusterReader(api)), DEFAULT_SETTINGS).cluster
        watched = cache.cluster()
        assert dict(watched.tenants.owner_of) == dict(live.tenants.owner_of)
        assert watched.tenants.owner_of["contract-b"] == "contract"
        for ns in ("contract-a", "contract-b", "acme-prod", "kube-system"):
            assert watched.namespace_labels(ns) == live.namespace_labels(ns), ns
        labels = watched.namespace_labels("contract-a")
        assert labels is not None and labels["team"] == "contract-a"
        expected = {
            "total": 5,
            "without-trainer": 1,
            "without-server": 4,
            "classes": {"gpu.nvidia.com": 1, "mig.nvidia.com": 2},
            "sevenths": 7 + 2,
            "classes-without-slices": {"gpu.nvidia.com": 1},
        }
        assert _usage(live) == expected, "the controllers' ownerReferences lead to the Deployments"
        assert _usage(watched) == expected
        for ns in ("contract-a", "contract-b", "acme-prod", "kube-system"):
            assert watched.managed_policies(ns) == live.managed_policies(ns), ns
        assert "tenantguard-default-deny" in (watched.managed_policies("contract-a") or ())
    finally:
        cache.stop()
        # The simulated H100 node has 8 GPUs for the whole session: give them back.
        for name, ns in (
            ("trainer", "contract-a"),
            ("server", "contract-b"),
            ("slices", "contract-a"),
            ("sharers", "contract-b"),
        ):
            dev_cluster.kubectl("delete", "deployment", name, "-n", ns, "--wait=false", check=False)
        dev_cluster.kubectl("delete", "resourceclaim", "shared", "-n", "contract-b", "--wait=false", check=False)
