"""The reconciler's Prometheus metrics, on the webhook's /metrics (`serve --reconcile`) or the controller's own.

- `tenantguard_reconcile_total{kind}`: objects of a kind checked against their desired state;
- `tenantguard_reconcile_changes_total{kind,action}`: created, repaired, pruned or deleted ones;
- `tenantguard_reconcile_errors_total{kind}`: writes that failed;
- `tenantguard_reconcile_duration_seconds{kind}`: time to converge one tenant's objects of a kind (histogram);
- `tenantguard_tenant_certificate_expiry_timestamp_seconds{tenant,certificate}`: notAfter of the tenant CA
  (`ca`) and of the first of its workload (`workload`) and gateway (`gateway`) certificates to expire;
- `tenantguard_reconciler_leader`: 1 while this replica holds the Lease.
"""

from __future__ import annotations

import contextlib
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class ReconcileMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.reconciles = Counter(
            "tenantguard_reconcile", "Generated objects checked against their desired state", ["kind"],
            registry=registry,
        )  # fmt: skip
        self.changes = Counter(
            "tenantguard_reconcile_changes", "Generated objects created, repaired, pruned or deleted",
            ["kind", "action"], registry=registry,
        )  # fmt: skip
        self.errors = Counter(
            "tenantguard_reconcile_errors", "Writes of generated objects that failed", ["kind"], registry=registry
        )
        self.duration = Histogram(
            "tenantguard_reconcile_duration_seconds", "Time to converge one tenant's objects of a kind", ["kind"],
            buckets=_BUCKETS, registry=registry,
        )  # fmt: skip
        self.certificate_expiry = Gauge(
            "tenantguard_tenant_certificate_expiry_timestamp_seconds",
            "notAfter (unix time) of a tenant's CA and of its first workload and gateway certificate to expire",
            ["tenant", "certificate"], registry=registry,
        )  # fmt: skip
        self.leader = Gauge(
            "tenantguard_reconciler_leader", "1 while this replica holds the reconciler's Lease", registry=registry
        )

    def certificate(self, tenant: str, which: str, not_after: datetime | None) -> None:
        if not_after is None:
            with contextlib.suppress(KeyError):  # never set for this tenant
                self.certificate_expiry.remove(tenant, which)
        else:
            self.certificate_expiry.labels(tenant, which).set(not_after.timestamp())
