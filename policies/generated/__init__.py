"""What the platform generates for every tenant namespace: the desired objects, as pure functions.

Purely computational, no I/O: a Tenant and the settings in, plain Kubernetes objects out. The reconciler
(`webhook.reconciler`) writes them, the admission rule NET005 requires the baseline NetworkPolicies among them,
the audit compares what exists with them (ISO009), and the tests use the same definitions. docs/controller.md
describes every object.

- `labels`: what marks a generated object (the managed label, the tenant label, the reserved name prefix);
- `namespaces`: the labels a tenant namespace carries (the tenant label, Pod Security Admission's);
- `netpols`: the baseline NetworkPolicies;
- `quotas`: the GPU ResourceQuota, its caps tenant-wide and the share each namespace may hold;
- `mesh`: istio's PeerAuthentication;
- `compare`: whether an existing object is what is desired, and how it differs;
- `status`: the Tenant's status from what the reconciler observed.
"""
