"""The reconciler: writes and repairs what every tenant namespace must have (docs/controller.md).

The desired objects are pure functions in `policies.generated`; this package observes the cluster (watches),
elects one writer (a Lease), converges each tenant by server-side apply, and reports (the Tenant's status,
Events, metrics). `tenantguard controller` runs it alone, `tenantguard serve --reconcile` beside the webhook.
"""
