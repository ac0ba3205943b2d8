"""The webhook's per-tenant GPU gauges: what the dashboard's GPU panel shows, read from the watch cache."""

from __future__ import annotations

from tenantguard.webhook.metrics import Metrics
from tests.support.fixtures import ACME_SPEC, cluster_for, pod, tenant_object


def _gpu_pod(name: str, resources: dict[str, int]) -> dict[str, object]:
    obj = pod(name=name)
    obj["metadata"]["uid"] = name
    obj["spec"]["containers"][0]["resources"] = {"limits": {k: str(v) for k, v in resources.items()}}
    obj["status"] = {"phase": "Running"}
    return obj


def _samples(metrics: Metrics, name: str) -> dict[str, float]:
    text = metrics.render().decode()
    prefix = name + '{tenant="'
    return {
        line[len(prefix) :].split('"')[0]: float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith(prefix)
    }


def test_gpu_equivalents_per_tenant_and_their_cap() -> None:
    state = cluster_for()
    state.pods_known = True  # as the webhook's watch cache knows them
    state.put_pod(_gpu_pod("a", {"nvidia.com/gpu": 2}))
    state.put_pod(_gpu_pod("b", {"nvidia.com/mig-3g.40gb": 1}))  # a 3g slice weighs 3/7
    metrics = Metrics(cluster=lambda: state)
    held = _samples(metrics, "tenantguard_tenant_gpu_equivalents")
    assert held.keys() == {"acme", "globex"}
    assert abs(held["acme"] - (2 + 3 / 7)) < 1e-9 and held["globex"] == 0
    # globex has no gpu allowance: it may hold none
    assert _samples(metrics, "tenantguard_tenant_gpu_max_total") == {"acme": 8.0, "globex": 0.0}


def test_a_deleted_tenant_leaves_no_series() -> None:
    state = cluster_for()
    metrics = Metrics(cluster=lambda: state)
    assert "globex" in _samples(metrics, "tenantguard_tenant_gpu_equivalents")
    state.replace_tenants([tenant_object("acme", ACME_SPEC)])
    assert set(_samples(metrics, "tenantguard_tenant_gpu_equivalents")) == {"acme"}
