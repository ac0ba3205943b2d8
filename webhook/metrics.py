"""Prometheus metrics: decisions by tenant, rule and outcome; latency; cache sync; certificate expiry; the GPU
devices tenants hold (`webhook.allocation`) and their GPU-equivalents against the cap.

The chart's dashboard and alert rules query these names (a test holds them to a real scrape).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from tenantguard.policies.cluster import ClusterState
from tenantguard.webhook import allocation
from tenantguard.webhook.handlers import Decision

# kube-apiserver's own webhook histogram buckets start at 5 ms; finer ones show where our budget goes.
_BUCKETS = (0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)


class Metrics:
    def __init__(
        self,
        cache_counts: Callable[[], Mapping[str, int]] | None = None,
        cluster: Callable[[], ClusterState] | None = None,
    ) -> None:
        self._cache_counts = cache_counts
        self._cluster = cluster
        self.registry = CollectorRegistry()
        if cluster is not None:
            allocation.register(self.registry, cluster)
        self.requests = Counter(
            "tenantguard_admission_requests",
            "Admission requests by endpoint and outcome",
            ["endpoint", "outcome"],
            registry=self.registry,
        )
        self.decisions = Counter(
            "tenantguard_admission_violations",
            "Rule violations found at admission by tenant, rule and mode",
            ["tenant", "rule", "mode"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "tenantguard_admission_duration_seconds",
            "Time to answer an AdmissionReview",
            ["endpoint"],
            buckets=_BUCKETS,
            registry=self.registry,
        )
        self.bad_requests = Counter(
            "tenantguard_admission_bad_requests",
            "Requests refused before judging",
            ["reason"],
            registry=self.registry,
        )
        self.cache_synced = Gauge(
            "tenantguard_cache_synced", "1 when the cluster cache has synced", registry=self.registry
        )
        self.cache_objects = Gauge(
            "tenantguard_cache_objects",
            "Objects held by the cluster cache: tenants, namespaces, GPU pods, GPU nodes",
            ["kind"],
            registry=self.registry,
        )
        self.denial_events = Counter(
            "tenantguard_denial_events",
            "Events about denied controller writes, by outcome (created, patched, dropped, failed)",
            ["outcome"],
            registry=self.registry,
        )
        self.cert_expiry = Gauge(
            "tenantguard_certificate_expiry_timestamp_seconds",
            "notAfter of the serving certificate (unix time)",
            registry=self.registry,
        )

        self.tenant_gpu = Gauge(
            "tenantguard_tenant_gpu_equivalents",
            "GPU-equivalents held by each tenant's running pods (the figure GPU006 compares with gpu.maxTotal)",
            ["tenant"],
            registry=self.registry,
        )
        self.tenant_gpu_cap = Gauge(
            "tenantguard_tenant_gpu_max_total",
            "Each tenant's gpu.maxTotal in GPU-equivalents (tenants without a gpu allowance: 0)",
            ["tenant"],
            registry=self.registry,
        )

    def record(self, endpoint: str, decision: Decision, seconds: float) -> None:
        self.requests.labels(endpoint, decision.outcome).inc()
        self.latency.labels(endpoint).observe(seconds)
        tenant = decision.tenant or ""
        for v in decision.violations:
            self.decisions.labels(tenant, v.rule, v.mode.value).inc()

    def render(self) -> bytes:
        if self._cache_counts is not None:  # read at scrape time: the cache changes with every watch event
            for kind, n in self._cache_counts().items():
                self.cache_objects.labels(kind).set(n)
        if self._cluster is not None:
            self._set_tenant_gpu(self._cluster())
        return generate_latest(self.registry)

    def _set_tenant_gpu(self, state: ClusterState) -> None:
        tenants = state.tenants.by_name
        for gauge in (self.tenant_gpu, self.tenant_gpu_cap):
            gauge.clear()  # a deleted Tenant's series goes away
        for name, tenant in tenants.items():
            self.tenant_gpu.labels(name).set(float(state.gpu_usage(name).equivalents))
            self.tenant_gpu_cap.labels(name).set(tenant.gpu.max_total if tenant.gpu else 0)
