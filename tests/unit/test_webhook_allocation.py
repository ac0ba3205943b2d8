"""webhook.allocation: the GPU allocation gauge on /metrics, per tenant, namespace, resource, product and phase."""

from __future__ import annotations

from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from tenantguard.policies.cluster import ClusterState
from tenantguard.webhook.metrics import Metrics
from tests.support.fixtures import ACME_SPEC, GLOBEX_SPEC, pod, tenant_object

H100 = "NVIDIA-H100-80GB-HBM3"


def gpu_pod(ns: str, name: str, resources: dict[str, int], phase: str, node: str = "") -> dict[str, Any]:
    p = pod(ns, name)
    p["metadata"]["uid"] = f"{ns}/{name}"
    p["spec"]["containers"][0]["resources"] = {"limits": {k: str(v) for k, v in resources.items()}}
    if node:
        p["spec"]["nodeName"] = node
    p["status"] = {"phase": phase}
    return p


def state() -> ClusterState:
    cluster = ClusterState(pods_known=True)
    cluster.replace_tenants([tenant_object("acme", ACME_SPEC), tenant_object("globex", GLOBEX_SPEC)])
    cluster.replace_nodes(
        [
            {"metadata": {"name": "h100-0", "labels": {"nvidia.com/gpu.product": H100}}},
            {"metadata": {"name": "cpu-0", "labels": {}}},
        ]
    )
    cluster.replace_pods(
        [
            *(gpu_pod("acme-prod", f"vllm-{i}", {"nvidia.com/gpu": 2}, "Running", "h100-0") for i in range(500)),
            gpu_pod("acme-dev", "slices", {"nvidia.com/mig-1g.10gb": 3}, "Running", "mystery-0"),
            gpu_pod("acme-dev", "waiting", {"nvidia.com/gpu": 1}, "Pending"),
            gpu_pod("acme-dev", "done", {"nvidia.com/gpu": 4}, "Succeeded", "h100-0"),
            gpu_pod("platform", "probe", {"nvidia.com/gpu": 1}, "Running", "h100-0"),
        ]
    )
    return cluster


def scraped(metrics: Metrics) -> dict[tuple[tuple[str, str], ...], float]:
    families = {f.name: f for f in text_string_to_metric_families(metrics.render().decode())}
    family = families["tenantguard_gpu_allocated_devices"]
    assert family.type == "gauge"
    return {tuple(sorted(s.labels.items())): s.value for s in family.samples}


def series(tenant: str, ns: str, resource: str, product: str, phase: str) -> tuple[tuple[str, str], ...]:
    labels = {"tenant": tenant, "namespace": ns, "resource": resource, "product": product, "phase": phase}
    return tuple(sorted(labels.items()))


def test_devices_are_summed_over_pods_so_series_stay_few() -> None:
    cluster = state()
    assert scraped(Metrics(cluster=lambda: cluster)) == {
        series("acme", "acme-prod", "nvidia.com/gpu", H100, "Running"): 1000.0,  # 500 pods, one series
        series("acme", "acme-dev", "nvidia.com/mig-1g.10gb", "", "Running"): 3.0,  # a node of unknown product
        series("acme", "acme-dev", "nvidia.com/gpu", "", "Pending"): 1.0,  # not scheduled yet
        series("", "platform", "nvidia.com/gpu", H100, "Running"): 1.0,  # no Tenant owns the namespace
    }, "finished pods hold nothing"


def test_the_gauge_follows_the_cache_at_scrape_time() -> None:
    cluster = state()
    metrics = Metrics(cluster=lambda: cluster)
    cluster.drop_pod({"metadata": {"uid": "acme-prod/vllm-0", "namespace": "acme-prod", "name": "vllm-0"}})
    cluster.put_pod(gpu_pod("acme-dev", "waiting", {"nvidia.com/gpu": 1}, "Running", "h100-0"))
    found = scraped(metrics)
    assert found[series("acme", "acme-prod", "nvidia.com/gpu", H100, "Running")] == 998.0
    assert found[series("acme", "acme-dev", "nvidia.com/gpu", H100, "Running")] == 1.0
    assert series("acme", "acme-dev", "nvidia.com/gpu", "", "Pending") not in found, "a key no pod holds goes away"


def test_a_cache_that_knows_no_pods_exports_no_figures() -> None:
    static = ClusterState()  # static mode: nothing runs, so nothing is measured — no zeros that look measured
    static.replace_tenants([tenant_object("acme", ACME_SPEC)])
    assert scraped(Metrics(cluster=lambda: static)) == {}
    families = {f.name for f in text_string_to_metric_families(Metrics().render().decode())}
    assert "tenantguard_gpu_allocated_devices" not in families, "no cluster, no gauge"
