"""What a pod started in a tenant namespace would reach (representative pods), and tenant hostNetwork pods.

A namespace without pods has no paths, so a matrix built from running pods calls it isolated even when its
policies would let every other tenant in. The representative pod of a tenant namespace is what admission makes
of a pod with no labels of its own: it carries only the tenant label (TEN004's mutation adds it), declares no
ports, and is selected by the policies that select every pod of the namespace or of the tenant; it may be
scheduled on any node (so hostNetwork pods reach it). It is analysed as a hypothetical pod (`policies.netpol`),
apart from the real ones.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from tenantguard.policies.netpol import ANY_NODE, Exposure, PodInfo

REPRESENTATIVE = "(a new pod)"


def representative(namespace: str, tenant: str, label: str) -> PodInfo:
    return PodInfo(namespace=namespace, name=REPRESENTATIVE, labels={label: tenant}, node=ANY_NODE)


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


def host_network_entries(pods: Iterable[PodInfo], namespace_tenant: Mapping[str, str]) -> list[dict[str, Any]]:
    """The report's `hostNetworkPods`: every tenant pod with hostNetwork, its workload, node and address, and
    the other tenants with pods on its node (which it reaches whatever their policies say)."""
    listed = list(pods)
    tenants_on: dict[str, set[str]] = {}
    for pod in listed:
        if pod.node and pod.namespace in namespace_tenant:
            tenants_on.setdefault(pod.node, set()).add(namespace_tenant[pod.namespace])
    everywhere = set().union(*tenants_on.values()) if tenants_on else set()
    entries = []
    for pod in listed:
        tenant = namespace_tenant.get(pod.namespace)
        if not pod.host_network or tenant is None:
            continue
        near = everywhere if pod.node == ANY_NODE else tenants_on.get(pod.node, set()) | tenants_on.get(ANY_NODE, set())
        entries.append(
            {
                "tenant": tenant,
                "namespace": pod.namespace,
                "name": pod.name,
                "workload": pod.owner,
                "node": pod.node,
                "ip": pod.ip,
                "sharesNodeWith": sorted(near - {tenant}),
            }
        )
    return sorted(entries, key=lambda e: (e["tenant"], e["namespace"], e["name"]))
