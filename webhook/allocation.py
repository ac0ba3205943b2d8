"""The GPU allocation gauge: the devices every tenant's pods hold now, for GPU-hours from history.

    tenantguard_gpu_allocated_devices{tenant, namespace, resource, product, phase}

is read at scrape time from the one ClusterState (`ClusterState.gpu_allocation`: the GPU ledger that GPU006
judges with, and the nodes' `nvidia.com/gpu.product`). Pods are summed away, so the series are bounded by
namespaces x GPU resources x products x phases (Running, Pending, Unknown) however many pods come and go; a
namespace no Tenant owns has `tenant=""`, an unscheduled pod `product=""`. Scraped by Prometheus, it is the
history `tenantguard audit --prometheus-url` bills from when kube-state-metrics is not there (docs/audit.md).

Any process that holds a ClusterState with pods serves it — the webhook's watch cache today, a reconciler
beside it tomorrow — by registering one `AllocationCollector` on its registry. Replicas each export the same
figures; the audit takes the maximum across them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from tenantguard.policies.cluster import ClusterState

NAME = "tenantguard_gpu_allocated_devices"
LABELS = ("tenant", "namespace", "resource", "product", "phase")
HELP = (
    "GPU-class devices held by pods now, per tenant, namespace, resource, GPU product (node label "
    "nvidia.com/gpu.product) and pod phase"
)


class AllocationCollector(Collector):
    def __init__(self, cluster: Callable[[], ClusterState]) -> None:
        self._cluster = cluster

    def describe(self) -> list[Metric]:
        return []  # described lazily: registering must not read the cache

    def collect(self) -> Iterator[Metric]:
        family = GaugeMetricFamily(NAME, HELP, labels=LABELS)
        state = self._cluster()
        if state.pods_known:  # static mode knows no pods: an empty family, never a zero that looks measured
            for a in state.gpu_allocation():
                family.add_metric([a.tenant, a.namespace, a.resource, a.product, a.phase], a.devices)
        yield family


def register(registry: CollectorRegistry, cluster: Callable[[], ClusterState]) -> AllocationCollector:
    collector = AllocationCollector(cluster)
    registry.register(collector)
    return collector
