"""The end-to-end twin of tests/unit/test_cluster_contract.py: from a real API server, the webhook's watch cache
and the audit's live scan must know the same Tenants, namespace labels, GPU holdings and managed NetworkPolicies
(the session's reconciler writes the baseline of contract-a and contract-b).

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
        "gpu": {"maxPerPod": 2, "maxTotal": 8, "allowedResources": ["nvidia.com/gpu"]},
    },
}


def _gpu_deployment(name: str, ns: str, replicas: int, gpus: int) -> dict[str, Any]:
    limits = {"nvidia.com/gpu": gpus}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": ns},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {
                    "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists"}],
                    "containers": [{"name": "c", "image": "registry.example/app:1", "resources": {"limits": limits}}],
                },
            },
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
    }


def test_cache_and_live_scan_agree(dev_cluster: DevCluster, webhook: WebhookProcess) -> None:
    dev_cluster.apply(TENANT, user=False)
    for ns in ("contract-a", "contract-b"):
        dev_cluster.create_namespace(ns, {"tenantguard.io/tenant": "contract", "team": ns})
    dev_cluster.apply(_gpu_deployment("trainer", "contract-a", 2, 2), user=False)
    dev_cluster.apply(_gpu_deployment("server", "contract-b", 1, 1), user=False)

    def running() -> bool:
        pods = dev_cluster.get("pods", "-A", "-l", "app in (trainer,server)")["items"]
        return sum(1 for p in pods if p["status"].get("phase") == "Running") == 3

    wait_for(running, what="3 GPU pods Running", timeout=90)

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
        expected = {"total": 5, "without-trainer": 1, "without-server": 4}
        assert _usage(live) == expected, "the controllers' ownerReferences lead to the Deployments"
        assert _usage(watched) == expected
        for ns in ("contract-a", "contract-b", "acme-prod", "kube-system"):
            assert watched.managed_policies(ns) == live.managed_policies(ns), ns
        assert "tenantguard-default-deny" in (watched.managed_policies("contract-a") or ())
    finally:
        cache.stop()
        # The simulated H100 node has 8 GPUs for the whole session: give them back.
        for name, ns in (("trainer", "contract-a"), ("server", "contract-b")):
            dev_cluster.kubectl("delete", "deployment", name, "-n", ns, "--wait=false", check=False)
