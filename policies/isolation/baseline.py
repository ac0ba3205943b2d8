"""ISO009: the baseline NetworkPolicies that exist compared with those the platform generates.

The desired policies come from `policies.generated.netpols`, the same function the reconciler writes them with;
the comparison is `policies.generated.compare`, the one the reconciler uses to decide on a repair. One finding per
namespace, naming every policy that is missing, differs, or is managed but no longer generated.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping
from typing import Any

from tenantguard.policies.generated.compare import differences
from tenantguard.policies.generated.labels import is_managed
from tenantguard.policies.generated.netpols import network_policies
from tenantguard.policies.isolation.catalogue import GENERATED_BASELINE
from tenantguard.policies.isolation.findings import IsolationFinding
from tenantguard.policies.settings import Settings
from tenantguard.policies.tenancy import TenantIndex


def baseline_problems(existing: Mapping[str, Mapping[str, Any]], desired: Iterable[Mapping[str, Any]]) -> list[str]:
    """`existing`: the namespace's managed policies by name. One phrase per policy that is not as generated."""
    wanted = {str(p["metadata"]["name"]): p for p in desired}
    problems = [
        f"{name}: {'; '.join(found)}"
        for name, policy in wanted.items()
        if (found := differences(existing.get(name), policy))
    ]
    problems += [f"{name}: managed but not generated for this tenant" for name in sorted(set(existing) - set(wanted))]
    return problems


def baseline_findings(
    tenants: TenantIndex, namespaces: Collection[str], netpols: Iterable[Mapping[str, Any]], settings: Settings
) -> Iterator[IsolationFinding]:
    """`namespaces`: those that exist; `netpols`: every NetworkPolicy read (metadata with name, namespace, labels)."""
    managed: dict[str, dict[str, Mapping[str, Any]]] = {}
    for policy in netpols:
        if is_managed(policy, settings):
            meta = policy["metadata"]
            managed.setdefault(str(meta.get("namespace", "")), {})[str(meta.get("name", ""))] = policy
    for namespace, owner in sorted(tenants.owner_of.items()):
        tenant = tenants.by_name.get(owner)
        if tenant is None or namespace not in namespaces or settings.is_exempt(namespace):
            continue
        problems = baseline_problems(managed.get(namespace, {}), network_policies(tenant, namespace, settings))
        if problems:
            yield IsolationFinding(
                check=GENERATED_BASELINE,
                kind="Namespace",
                namespace=namespace,
                name=namespace,
                tenant=owner,
                message=f"{namespace!r} differs from its generated baseline: {'; '.join(problems)}",
            )
