"""What a pod started in a tenant namespace would reach: representative pods and the report's entries.

A namespace without pods has no paths, so a matrix built from running pods calls it isolated even when its
policies would let every other tenant in. The representative pod of a tenant namespace is what admission makes
of a pod with no labels of its own: it carries only the tenant label (TEN004's mutation adds it), declares no
ports, and is selected by the policies that select every pod of the namespace or of the tenant. It is
analysed as a hypothetical pod (`policies.netpol`), apart from the real ones.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tenantguard.policies.netpol import Exposure, PodInfo

REPRESENTATIVE = "(a new pod)"


def representative(namespace: str, tenant: str, label: str) -> PodInfo:
    return PodInfo(namespace=namespace, name=REPRESENTATIVE, labels={label: tenant})


def empty_namespace_entries(
    exposure: Mapping[str, Exposure],
    namespace_tenant: Mapping[str, str],
    missing: Mapping[str, tuple[str, ...]],
) -> list[dict[str, Any]]:
    """The report's `emptyNamespaces`: per namespace without pods, the other tenants' namespaces whose pods
    could reach its representative pod and those it could reach, and where no default deny covers it."""

    def others(tenant: str, side: Mapping[str, tuple[str, ...]]) -> list[dict[str, Any]]:
        return [
            {"tenant": namespace_tenant[ns], "namespace": ns, "ports": list(ports)}
            for ns, ports in sorted(side.items())
            if ns in namespace_tenant and namespace_tenant[ns] != tenant
        ]

    return [
        {
            "tenant": namespace_tenant[namespace],
            "namespace": namespace,
            "missing": list(missing.get(namespace, ())),
            "reachableFrom": others(namespace_tenant[namespace], found.reachable_from),
            "reaches": others(namespace_tenant[namespace], found.reaches),
        }
        for namespace, found in sorted(exposure.items())
    ]
