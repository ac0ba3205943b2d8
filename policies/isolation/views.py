"""The reachability views of a network world, as `tenantguard reachability matrix` and `lint --reachability`
print them: the tenant and namespace matrices, cross-tenant paths by namespace and by workload, exposure
outside the cluster and tenant hostNetwork pods (the audit report's shapes, docs/audit-report.md)."""

from __future__ import annotations

from typing import Any

from tenantguard.policies.isolation.exposure import exposures
from tenantguard.policies.isolation.reach import host_network_entries
from tenantguard.policies.isolation.world import NetworkWorld
from tenantguard.policies.netpol import NetworkAnalysis

MAX_LISTED = 2000


def views(world: NetworkWorld, analysis: NetworkAnalysis) -> dict[str, Any]:
    tenant_of = world.tenant_of
    paths = analysis.cross_tenant_paths(tenant_of)
    workloads = []
    for (src, dst), ports in sorted(analysis.workload_pairs(tenant_of).items()):
        src_tenant, dst_tenant = tenant_of.get(src.partition("/")[0]), tenant_of.get(dst.partition("/")[0])
        if src_tenant is not None and dst_tenant is not None and src_tenant != dst_tenant:
            workloads.append(
                {
                    "from": {"tenant": src_tenant, "workload": src},
                    "to": {"tenant": dst_tenant, "workload": dst},
                    "ports": list(ports.describe()),
                }
            )
    found = exposures(world, analysis)
    return {
        "tenants": analysis.tenant_matrix(tenant_of),
        "namespaces": analysis.namespace_matrix(),
        "crossTenantPaths": paths[:MAX_LISTED],
        "crossTenantPathsOmitted": max(0, len(paths) - MAX_LISTED),
        "crossTenantWorkloads": workloads[:MAX_LISTED],
        "crossTenantWorkloadsOmitted": max(0, len(workloads) - MAX_LISTED),
        "exposure": {
            "outsideGateway": [e.as_dict() for e in found if not e.gateway],
            "throughGateway": [e.as_dict() for e in found if e.gateway],
        },
        "hostNetworkPods": host_network_entries(world.pods, tenant_of),
    }
